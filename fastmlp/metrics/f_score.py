"""F-scores: FBetaScore and F1Score, per class or averaged."""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import _BatchMetric, dense_targets

EPSILON = 1e-7  # Keras's backend.epsilon(), added to every denominator as Keras does
AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(_BatchMetric):
    """``(1 + beta**2) * precision * recall / (beta**2 * precision + recall)``
    per class (or averaged), from weighted counts over the batches seen.

    Args:
        average: None (one score per class), ``"micro"`` (counts pooled over
            classes), ``"macro"`` (mean of the class scores) or ``"weighted"``
            (mean weighted by each class's true count).
        beta: the weight of recall (a float > 0).
        threshold: predictions above it are positives; None takes each row's
            maximum (ties included, values of at most 1e-9 excluded).
        name: the name in logs (default ``"fbeta_score"``).
        dtype: see :class:`Metric`.

    Defaults: one score per class, ``beta`` 1.0, each row's maximum.

    Raises:
        ValueError: for a bad ``dtype``, an unknown ``average``, a ``beta`` that is not
            a Python float > 0 (an int is refused, as in Keras) or a ``threshold`` that
            is not a Python float in (0, 1]; in ``update_state``, for a batch with
            another number of columns or the bad input that :class:`Metric` lists.
        TypeError: for a ``name`` that is not a string; in ``update_state``, for input
            that is None or not numeric.

    Example:
        >>> fbeta = fastmlp.metrics.FBetaScore(beta=2.0, threshold=0.5)
        >>> fbeta.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
        ...                    [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
        >>> [round(float(score), 4) for score in fbeta.result()]
        [0.3846, 0.9091, 0.8333]
    """

    default_name = "fbeta_score"
    state_names = ("true_positives", "false_positives", "false_negatives", "intermediate_weights")

    def __init__(self, average: str | None = None, beta: float = 1.0, threshold: float | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        if average not in AVERAGES:
            raise ValueError(f"Invalid `average` argument value. Expected one of: {AVERAGES}. "
                             f"Received: average={average!r}")
        if not isinstance(beta, float) or not beta > 0:
            raise ValueError(f"Invalid `beta` argument value: a Python float > 0, got {beta!r}")
        if threshold is not None and (not isinstance(threshold, float) or not 0.0 < threshold <= 1.0):
            raise ValueError(f"Invalid `threshold` argument value: a Python float with "
                             f"0 < threshold <= 1, got {threshold!r}")
        self.average, self.beta, self.threshold = average, beta, threshold
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def reset_state(self):
        # None until the first batch (its shape depends on the predictions' columns)
        self.true_positives: Any = None
        self.false_positives: Any = None
        self.false_negatives: Any = None
        self.intermediate_weights: Any = None

    def check_batch(self, y_true, y_pred):
        if self.true_positives is not None and self.average != "micro" \
                and self.true_positives.shape[0] != y_pred.shape[1]:
            raise ValueError(f"{self.name} counts {self.true_positives.shape[0]} classes, got "
                             f"predictions with {y_pred.shape[1]} columns")

    def update_batch(self, ops, y_true, y_pred, sample_weight=None):
        xp = ops.xp
        y_true = dense_targets(self, y_true, y_pred).astype(np.float64)
        if self.threshold is None:
            hit = (y_pred >= y_pred.max(axis=1, keepdims=True)) & (abs(y_pred) > 1e-9)
        else:
            hit = y_pred > np.float32(self.threshold)
        hit = hit.astype(np.float64)
        w = 1.0 if sample_weight is None else sample_weight.astype(np.float64)[:, None]
        axis = None if self.average == "micro" else 0
        sums = [ops.to_numpy((v * w).sum(axis=axis))
                for v in (hit * y_true, hit * (1 - y_true), (1 - hit) * y_true, y_true)]
        if self.true_positives is None:
            self.true_positives, self.false_positives, self.false_negatives, self.intermediate_weights = \
                (np.zeros_like(s, dtype=np.float64) for s in sums)
        self.true_positives += sums[0]
        self.false_positives += sums[1]
        self.false_negatives += sums[2]
        self.intermediate_weights += sums[3]

    def result(self):
        if self.true_positives is None:
            return 0.0
        tp = self.true_positives
        precision = tp / (tp + self.false_positives + EPSILON)
        recall = tp / (tp + self.false_negatives + EPSILON)
        b2 = self.beta ** 2
        score = precision * recall / (b2 * precision + recall + EPSILON) * (1 + b2)
        if self.average == "weighted":
            weights = self.intermediate_weights / (self.intermediate_weights.sum() + EPSILON)
            return float((score * weights).sum())
        if self.average is not None:
            return float(np.mean(score))
        return score.astype(np.float32)

    @property
    def variables(self):
        return [] if self.true_positives is None else super().variables

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


class F1Score(FBetaScore):
    """FBetaScore with ``beta = 1``.

    Args:
        average: None, ``"micro"``, ``"macro"`` or ``"weighted"`` (see FBetaScore).
        threshold: predictions above it are positives; None (the default)
            takes each row's maximum.
        name: the name in logs (default ``"f1_score"``).
        dtype: see :class:`Metric`.

    Raises:
        ValueError: as :class:`FBetaScore` does (but ``beta`` is fixed).
        TypeError: for a ``name`` that is not a string; in ``update_state``, for
            non-numeric input.

    Example:
        >>> f1 = fastmlp.metrics.F1Score(threshold=0.5)
        >>> f1.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
        ...                 [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
        >>> [round(float(score), 4) for score in f1.result()]
        [0.5, 0.8, 0.6667]
        >>> macro = fastmlp.metrics.F1Score(average="macro", threshold=0.5)
        >>> macro.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
        ...                    [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
        >>> round(macro.result(), 4)
        0.6556
    """

    default_name = "f1_score"

    def __init__(self, average: str | None = None, threshold: float | None = None, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
