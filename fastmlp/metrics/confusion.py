"""Metrics over the confusion matrix at one or more thresholds: TruePositives,
FalsePositives, TrueNegatives, FalseNegatives, Precision and Recall.

The counts are accumulated by the backend's ``confusion_counts`` kernel (one
pass over the batch, every threshold at once). As in Keras, an element is a
predicted positive at threshold ``t`` when ``y_pred > t`` (a prediction equal to
the threshold is a negative, NaN never is a positive) and a positive when its
label is nonzero; a batch of ``(n, k)`` predictions is ``n * k`` elements, each
weighing its sample's weight.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..utils.validation import check_positive_int
from .base import _BatchMetric, dense_targets

#: what Keras puts in place of the predictions outside the top k
NEG_INF = -1e10
PLANES = {"true_positives": 0, "false_positives": 1, "true_negatives": 2, "false_negatives": 3}


def parse_thresholds(thresholds, default):
    """Keras's thresholds: None (``[default]``), a number or a list, each in [0, 1].

    Returns:
        A list of floats.
    """
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    try:
        values = [float(t) for t in values]
    except (TypeError, ValueError):
        raise TypeError(f"thresholds must be numbers in [0, 1], got {thresholds!r}") from None
    if not values or not all(0.0 <= t <= 1.0 for t in values):
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {thresholds!r}")
    return values


def evenly_distributed(thresholds):
    """Keras's test for thresholds ``0, 1/(n-1), ..., 1`` (n >= 3), for which it
    clips predictions to [0, 1] before counting."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=1e-7))


class _Confusion(_BatchMetric):
    """Confusion counts at ``self.thresholds`` (any order), kept as ``counts``:
    float64 ``(4, thresholds)`` -- or ``(4, thresholds, labels)`` per label."""

    top_k: int | None = None
    class_id: int | None = None

    def _set_thresholds(self, thresholds, clip):
        self.thresholds = list(thresholds)
        th = np.asarray(thresholds, dtype=np.float32)
        self._order = np.argsort(th, kind="stable")
        self._sorted = th[self._order]
        self._clip = clip

    def check_batch(self, y_true, y_pred):
        if self.class_id is not None and self.class_id >= y_pred.shape[1]:
            raise ValueError(f"class_id {self.class_id} is out of range for predictions with "
                             f"{y_pred.shape[1]} classes")
        if y_true.ndim == 1 and y_pred.shape[1] != 1:
            dense_targets(self, y_true, y_pred)  # raises its clear error

    def batch_counts(self, ops, y_true, y_pred, sample_weight, label_weights=None, per_column=False):
        """This batch's counts, ``(4, thresholds, groups)`` in ``self.thresholds``' order."""
        xp = ops.xp
        y_true = dense_targets(self, y_true, y_pred)
        if self.top_k is not None:
            y_pred = _keep_top_k(xp, y_pred, self.top_k)
        if self.class_id is not None:
            y_true = y_true[:, self.class_id:self.class_id + 1]
            y_pred = y_pred[:, self.class_id:self.class_id + 1]
        if self._clip:
            y_pred = xp.clip(y_pred, 0, 1)
        groups = y_pred.shape[1] if per_column else 1
        counts = np.zeros((4, len(self._sorted), groups))
        ops.confusion_counts(y_pred, y_true, ops.asarray(self._sorted), counts, sample_weight,
                             None if label_weights is None else ops.asarray(label_weights), per_column)
        out = np.empty_like(counts)
        out[:, self._order] = counts
        return out

    def update_batch(self, ops, y_true, y_pred, sample_weight=None):
        self.counts += self.batch_counts(ops, y_true, y_pred, sample_weight)[..., 0]

    def reset_state(self):
        self.counts = np.zeros((4, len(self.thresholds)))

    def plane(self, name):
        return self.counts[PLANES[name]]

    def _value(self, values):
        return float(values[0]) if len(self.thresholds) == 1 else values.astype(np.float32)


def _keep_top_k(xp, y_pred, k):
    """Keras's ``_filter_top_k``: the k largest of each row kept (the first of
    equal values first), the rest set to NEG_INF."""
    order = xp.argsort(-y_pred, axis=1, kind="stable")[:, :k]
    keep = xp.zeros(y_pred.shape, dtype=bool)
    xp.put_along_axis(keep, order, True, axis=1)
    return xp.where(keep, y_pred, np.float32(NEG_INF)).astype(np.float32)


class _Count(_Confusion):
    """One confusion count per threshold (a float for one threshold).

    Args:
        thresholds: a number or a list of numbers in [0, 1] (default 0.5).
    """

    def __init__(self, thresholds: float | Sequence[float] | None = None, name: str | None = None, dtype: Any = None) -> None:
        self.init_thresholds = thresholds
        parsed = parse_thresholds(thresholds, 0.5)
        self._set_thresholds(parsed, evenly_distributed(parsed))
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    @property
    def state_names(self):  # type: ignore[override]  # Metric's is a plain class attribute
        return ("accumulator",)

    @property
    def accumulator(self):
        return self.plane(self.default_name)

    def result(self):
        return self._value(self.accumulator)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_Count):
    """The weighted count of positives predicted positive.

    Args:
        thresholds: a number or a list of numbers in [0, 1] (default 0.5): an
            element is a predicted positive when ``y_pred > threshold``; with a
            list, ``result()`` is a float32 array of one count per threshold.
        name: the name in logs (default ``"true_positives"``).
        dtype: see :class:`Metric`.

    Raises:
        ValueError: for a bad ``dtype``, ``thresholds`` outside [0, 1]; in
            ``update_state``, for the bad input that :class:`Metric` lists.
        TypeError: for a ``name`` that is not a string, ``thresholds`` that are not
            numbers; in ``update_state``, for input that is None or not numeric.

    Example:
        >>> tp = fastmlp.metrics.TruePositives()
        >>> tp([0, 1, 1, 1], [1, 0, 1, 1])
        2.0
        >>> at_two = fastmlp.metrics.TruePositives(thresholds=[0.3, 0.7])
        >>> at_two([0, 1, 1, 1], [0.5, 0.2, 0.6, 0.9]).tolist()
        [2.0, 1.0]
    """


class FalsePositives(_Count):
    """The weighted count of negatives predicted positive.

    Args:
        thresholds: as for :class:`TruePositives` (default 0.5).
        name: the name in logs (default ``"false_positives"``).
        dtype: see :class:`Metric`.

    Raises:
        ValueError: as :class:`TruePositives` does (``dtype``, ``thresholds``,
            and the bad input to ``update_state`` that :class:`Metric` lists).
        TypeError: as :class:`TruePositives` does.

    Example:
        >>> fp = fastmlp.metrics.FalsePositives()
        >>> fp([0, 1, 0, 0], [0, 0, 1, 1])
        2.0
    """


class TrueNegatives(_Count):
    """The weighted count of negatives predicted negative.

    Args:
        thresholds: as for :class:`TruePositives` (default 0.5).
        name: the name in logs (default ``"true_negatives"``).
        dtype: see :class:`Metric`.

    Raises:
        ValueError: as :class:`TruePositives` does (``dtype``, ``thresholds``,
            and the bad input to ``update_state`` that :class:`Metric` lists).
        TypeError: as :class:`TruePositives` does.

    Example:
        >>> tn = fastmlp.metrics.TrueNegatives()
        >>> tn([0, 1, 0, 0], [1, 1, 0, 0])
        2.0
    """


class FalseNegatives(_Count):
    """The weighted count of positives predicted negative.

    Args:
        thresholds: as for :class:`TruePositives` (default 0.5).
        name: the name in logs (default ``"false_negatives"``).
        dtype: see :class:`Metric`.

    Raises:
        ValueError: as :class:`TruePositives` does (``dtype``, ``thresholds``,
            and the bad input to ``update_state`` that :class:`Metric` lists).
        TypeError: as :class:`TruePositives` does.

    Example:
        >>> fn = fastmlp.metrics.FalseNegatives()
        >>> fn([0, 1, 1, 1], [0, 1, 0, 0])
        2.0
    """


class _PrecisionRecall(_Confusion):
    """``tp / (tp + other)`` per threshold (0 where nothing was counted)."""

    other: str | None = None
    state_names = ("true_positives",)

    def __init__(self, thresholds: float | Sequence[float] | None = None, top_k: int | None = None,
                 class_id: int | None = None, name: str | None = None, dtype: Any = None) -> None:
        self.init_thresholds = thresholds
        self.top_k = None if top_k is None else check_positive_int(top_k, "top_k")
        if class_id is not None:
            if isinstance(class_id, bool) or not isinstance(class_id, (int, np.integer)) or class_id < 0:
                raise ValueError(f"class_id must be a non-negative integer, got {class_id!r}")
            class_id = int(class_id)
        self.class_id = class_id
        parsed = parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._set_thresholds(parsed, evenly_distributed(parsed))
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    @property
    def variables(self):
        return [self.plane("true_positives").copy(), self.plane(self.other).copy()]

    def result(self):
        tp, other = self.plane("true_positives"), self.plane(self.other)
        total = tp + other
        return self._value(np.divide(tp, total, out=np.zeros_like(tp), where=total != 0))

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """The weighted fraction of predicted positives that are positives.

    Args:
        thresholds: a number or a list of numbers in [0, 1] (default 0.5; with
            ``top_k``, every top-k prediction counts as predicted positive);
            with a list, ``result()`` is a float32 array, one per threshold.
        top_k: only the k highest predictions of each sample may be positive
            (default None: all).
        class_id: count only this column (default None: all columns).
        name: the name in logs (default ``"precision"``).
        dtype: see :class:`Metric`.

    Raises:
        ValueError: for a bad ``dtype``, ``thresholds`` outside [0, 1], a ``top_k`` that
            is not a positive integer or a ``class_id`` that is not a non-negative
            integer; in ``update_state``, for a ``class_id`` beyond the columns or the
            bad input that :class:`Metric` lists.
        TypeError: for a ``name`` that is not a string, ``thresholds`` that are not
            numbers; in ``update_state``, for input that is None or not numeric.

    Example:
        >>> precision = fastmlp.metrics.Precision()
        >>> round(precision([0, 1, 1, 1], [1, 0, 1, 1]), 4)
        0.6667
        >>> top2 = fastmlp.metrics.Precision(top_k=2)
        >>> top2([[0, 0, 1, 1]], [[0.1, 0.8, 0.9, 0.3]])
        0.5
    """

    other = "false_positives"


class Recall(_PrecisionRecall):
    """The weighted fraction of positives predicted positive.

    Args:
        thresholds: a number or a list of numbers in [0, 1] (default 0.5);
            with a list, ``result()`` is a float32 array, one per threshold.
        top_k: only the k highest predictions of each sample may be positive
            (default None: all).
        class_id: count only this column (default None: all columns).
        name: the name in logs (default ``"recall"``).
        dtype: see :class:`Metric`.

    Raises:
        ValueError: for a bad ``dtype``, ``thresholds`` outside [0, 1], a ``top_k`` that
            is not a positive integer or a ``class_id`` that is not a non-negative
            integer; in ``update_state``, for a ``class_id`` beyond the columns or the
            bad input that :class:`Metric` lists.
        TypeError: for a ``name`` that is not a string, ``thresholds`` that are not
            numbers; in ``update_state``, for input that is None or not numeric.

    Example:
        >>> recall = fastmlp.metrics.Recall()
        >>> round(recall([0, 1, 1, 1], [1, 0, 1, 1]), 4)
        0.6667
        >>> at_two = fastmlp.metrics.Recall(thresholds=[0.3, 0.7])
        >>> [round(float(r), 4) for r in at_two([0, 1, 1, 1], [0.5, 0.2, 0.6, 0.9])]
        [0.6667, 0.3333]
    """

    other = "false_negatives"
