"""AUC: the area under the ROC or precision-recall curve, from confusion
counts at ``num_thresholds`` thresholds (Keras's approximation, Riemann sums
or, for PR, Davis & Goadrich's interpolation)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..utils.types import ArrayLike
from ..utils.validation import check_positive_int
from .confusion import _Confusion, evenly_distributed, parse_thresholds

EPSILON = 1e-7  # Keras's backend.epsilon(): the end thresholds sit just outside [0, 1]
CURVES = ("ROC", "PR", "PRGAIN")
SUMMATIONS = ("interpolation", "minoring", "majoring")


def _divide(a, b):
    """a / b, 0 where b is 0 (Keras's ``divide_no_nan``)."""
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b != 0)


class AUC(_Confusion):
    """Area under the ROC (or PR) curve.

    Args:
        num_thresholds: thresholds (> 1) spread evenly over [0, 1], the end
            ones just outside it.
        curve: ``"ROC"``, ``"PR"`` or ``"PRGAIN"``.
        summation_method: ``"interpolation"``, ``"minoring"`` or ``"majoring"``.
        thresholds: explicit thresholds in [0, 1] (then ``num_thresholds`` is
            their count + 2).
        multi_label: one curve per output column, averaged (weighted by
            ``label_weights``); else all elements form one curve.
        num_labels: the number of columns, when ``multi_label`` (else known at
            the first batch).
        label_weights: one weight per column: scales each column's counts
            (single curve) or its AUC in the average (multi-label).
        from_logits: apply a sigmoid to ``y_pred`` first.
        name: the name in logs (default ``"auc"``).
        dtype: see :class:`Metric`.

    Defaults: 200 thresholds, ``"ROC"``, ``"interpolation"``, no explicit
    ``thresholds``, ``multi_label`` False, ``num_labels`` and
    ``label_weights`` None, ``from_logits`` False.

    Raises:
        ValueError: for a ``num_thresholds`` that is not an integer > 1, an unknown
            ``curve`` or ``summation_method``, ``thresholds`` outside [0, 1],
            ``num_labels`` without ``multi_label`` or not a positive integer, negative
            or non-finite ``label_weights``, or a bad ``dtype``; in ``update_state``,
            for ``label_weights`` not of one per column, a multi-label batch with
            another number of columns, or the bad input the other metrics refuse
            (shapes, lengths, NaN targets, sample weights).
        TypeError: for ``thresholds`` that are not numbers or a ``name`` that is not a
            string; in ``update_state``, for input that is None or not numeric.

    Example:
        >>> auc = fastmlp.metrics.AUC(num_thresholds=3)
        >>> auc([0, 0, 1, 1], [0.0, 0.5, 0.3, 0.9])
        0.75
        >>> pr = fastmlp.metrics.AUC(curve="PR")
        >>> round(pr([0, 0, 1, 1], [0.0, 0.5, 0.3, 0.9]), 4)
        0.7973
    """

    default_name = "auc"

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC", summation_method: str = "interpolation",
                 name: str | None = None, dtype: Any = None, thresholds: Sequence[float] | None = None,
                 multi_label: bool = False, num_labels: int | None = None,
                 label_weights: ArrayLike | None = None, from_logits: bool = False) -> None:
        self.curve = self._choice(curve, CURVES, "curve", str.upper)
        self.summation_method = self._choice(summation_method, SUMMATIONS, "summation_method", str.lower)
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(parse_thresholds(thresholds, None))
            clip = evenly_distributed([0.0] + inner + [1.0])
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, (int, np.integer)) \
                    or num_thresholds <= 1:
                raise ValueError("Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds!r}")
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            clip = True
        self.num_thresholds = len(inner) + 2
        self._set_thresholds([0.0 - EPSILON] + inner + [1.0 + EPSILON], clip)
        self.multi_label = bool(multi_label)
        if num_labels is not None and not self.multi_label:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        self.num_labels = None if num_labels is None else check_positive_int(num_labels, "num_labels")
        self.label_weights = None
        if label_weights is not None:
            weights = np.asarray(label_weights, dtype=np.float32).reshape(-1)
            if not np.isfinite(weights).all() or (weights < 0).any():
                raise ValueError(f"label_weights must be finite and non-negative, got {label_weights!r}")
            self.label_weights = weights
        self.from_logits = bool(from_logits)
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    @staticmethod
    def _choice(value, allowed, what, case):
        if not isinstance(value, str) or case(value) not in allowed:
            raise ValueError(f"Invalid AUC {what} value: {value!r}. Expected one of {list(allowed)}")
        return case(value)

    def reset_state(self):
        labels = self.num_labels if self.multi_label else 1
        self.counts: Any = None if labels is None else np.zeros((4, self.num_thresholds, labels))

    @property
    def variables(self):
        if self.counts is None:
            return []
        return [c[:, 0].copy() if not self.multi_label else c.copy() for c in self.counts]

    def check_batch(self, y_true, y_pred):
        super().check_batch(y_true, y_pred)
        cols = y_pred.shape[1]
        if self.label_weights is not None and len(self.label_weights) != cols:
            raise ValueError(f"label_weights has {len(self.label_weights)} entries but the "
                             f"predictions have {cols} columns")
        if self.multi_label and self.counts is not None and self.counts.shape[2] != cols:
            raise ValueError(f"this multi-label AUC counts {self.counts.shape[2]} labels, got "
                             f"predictions with {cols} columns")

    def update_batch(self, ops, y_true, y_pred, sample_weight=None):
        if self.from_logits:
            y_pred = (1 / (1 + ops.xp.exp(-y_pred.astype(np.float64)))).astype(np.float32)
        label_weights = None if self.multi_label else self.label_weights
        counts = self.batch_counts(ops, y_true, y_pred, sample_weight, label_weights,
                                   per_column=self.multi_label)
        if self.counts is None:
            self.counts = np.zeros_like(counts)
        self.counts += counts

    def result(self):
        if self.counts is None:
            return 0.0
        tp, fp, tn, fn = self.counts
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._average(self._interpolated_pr(tp, fp, fn))
        recall = _divide(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _divide(tp, tp + fp)
        else:  # PRGAIN
            scale = _divide(tp + fn, tn + fp)
            x = np.maximum(np.where(tp == 0, 0.0, 1.0 - scale * _divide(fn, tp)), 0.0)
            y = np.where(tp == 0, 1.0, 1.0 - scale * _divide(fp, tp))
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    @staticmethod
    def _interpolated_pr(tp, fp, fn):
        """Keras's ``interpolate_pr_auc``: precision interpolated linearly in
        the number of predicted positives between thresholds."""
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _divide(p[:-1], np.maximum(p[1:], 0)), 1.0)
        log_ratio = np.log(np.where(ratio > 0, ratio, 1.0))
        return _divide(slope * (dtp + intercept * log_ratio), np.maximum(tp[1:] + fn[1:], 0))

    def _average(self, terms):
        """Sum the per-interval terms; for multi-label, average the per-label areas."""
        by_label = terms.sum(axis=0)
        if not self.multi_label:
            return float(by_label[0])
        if self.label_weights is None:
            return float(by_label.mean())
        return float(_divide((by_label * self.label_weights).sum(), self.label_weights.sum()))

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "multi_label": self.multi_label,
                  "num_labels": self.num_labels,
                  "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
                  "from_logits": self.from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config
