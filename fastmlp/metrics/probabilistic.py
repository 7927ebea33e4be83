"""Cross-entropy metrics: the running (weighted) mean of the per-sample loss,
with Keras's clipping of probabilities (``fastmlp.losses.EPSILON``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend.checks import check_labels
from ..losses import EPSILON
from .base import _MeanOfValues, dense_targets


def _log_softmax(xp, logits):
    z = logits.astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return z - xp.log(xp.exp(z).sum(axis=1, keepdims=True))


def _log_normalized(xp, probs):
    """log of the rows of ``probs`` scaled to sum to 1 and clipped as Keras does."""
    p = probs.astype(np.float64)
    return xp.log(xp.clip(p / p.sum(axis=1, keepdims=True), EPSILON, 1 - EPSILON))


class _Crossentropy(_MeanOfValues):
    def __init__(self, name: str | None = None, dtype: Any = None, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1) -> None:
        if axis not in (-1, 1):
            raise ValueError(f"fastmlp metrics take classes on the last axis, got axis={axis!r}")
        label_smoothing = float(label_smoothing)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
        self.from_logits = bool(from_logits)
        self.label_smoothing = label_smoothing
        super().__init__(name=name, dtype=dtype)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}


class BinaryCrossentropy(_Crossentropy):
    """Binary cross-entropy, averaged over the outputs of each sample.

    Args:
        from_logits: whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: moves targets towards 0.5: ``t * (1 - s) + 0.5 * s``
            (default 0: none).
        name: the name in logs (default ``"binary_crossentropy"``).
        dtype: see :class:`Metric`.

    Raises:
        ValueError: for a bad ``dtype``, ``label_smoothing`` outside [0, 1] or a string
            that is no number; in ``update_state``, for the bad input that
            :class:`Metric` lists.
        TypeError: for a ``name`` that is not a string, a ``label_smoothing`` that
            ``float()`` refuses (None); in ``update_state``, for input that is None or
            not numeric.

    Example:
        >>> bce = fastmlp.metrics.BinaryCrossentropy()
        >>> round(bce([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]), 4)
        0.8149
        >>> on_logits = fastmlp.metrics.BinaryCrossentropy(from_logits=True)
        >>> round(on_logits([[0.0], [1.0]], [[-2.0], [3.0]]), 4)
        0.0878
    """

    def __init__(self, name: str | None = None, dtype: Any = None, from_logits: bool = False, label_smoothing: float = 0.0) -> None:
        super().__init__(name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)

    def values(self, ops, y_true, y_pred):
        xp = ops.xp
        t = dense_targets(self, y_true, y_pred).astype(np.float64)
        t = t * (1 - self.label_smoothing) + 0.5 * self.label_smoothing
        if self.from_logits:
            z = y_pred.astype(np.float64)
            return (xp.logaddexp(0, z) - z * t).mean(axis=1)
        p = xp.clip(y_pred, EPSILON, 1 - EPSILON).astype(np.float64)
        return -(t * xp.log(p) + (1 - t) * xp.log(1 - p)).mean(axis=1)


class CategoricalCrossentropy(_Crossentropy):
    """Cross-entropy of one-hot (or probability) targets.

    Args:
        from_logits: whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: ``t * (1 - s) + s / classes`` (default 0: none).
        axis: the class axis: only the last (-1, or 1).
        name: the name in logs (default ``"categorical_crossentropy"``).
        dtype: see :class:`Metric`.

    Raises:
        ValueError: for a bad ``dtype``, ``label_smoothing`` outside [0, 1] or a string
            that is no number, another ``axis``; in ``update_state``, for the bad input
            that :class:`Metric` lists.
        TypeError: for a ``name`` that is not a string, a ``label_smoothing`` that
            ``float()`` refuses (None); in ``update_state``, for input that is None or
            not numeric.

    Example:
        >>> cce = fastmlp.metrics.CategoricalCrossentropy()
        >>> round(cce([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]), 4)
        1.1769
    """

    def values(self, ops, y_true, y_pred):
        t = dense_targets(self, y_true, y_pred).astype(np.float64)
        if self.label_smoothing:
            t = t * (1 - self.label_smoothing) + self.label_smoothing / y_pred.shape[1]
        log_p = _log_softmax(ops.xp, y_pred) if self.from_logits else _log_normalized(ops.xp, y_pred)
        return -(t * log_p).sum(axis=1)

    def get_config(self):
        return {**super().get_config(), "axis": -1}


class SparseCategoricalCrossentropy(_Crossentropy):
    """Cross-entropy of integer class labels.

    Args:
        from_logits: whether ``y_pred`` holds logits rather than probabilities
            (default False).
        axis: the class axis: only the last (-1, or 1).
        name: the name in logs (default ``"sparse_categorical_crossentropy"``).
        dtype: see :class:`Metric`.

    Raises:
        ValueError: for a bad ``dtype``, another ``axis``; in ``update_state``, for the
            bad input (sparse labels) that :class:`Metric` lists.
        TypeError: for a ``name`` that is not a string; in ``update_state``, for input
            that is None or not numeric.

    Example:
        >>> scce = fastmlp.metrics.SparseCategoricalCrossentropy()
        >>> round(scce([1, 2], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]), 4)
        1.1769
    """

    target_kind = "sparse"

    def __init__(self, name: str | None = None, dtype: Any = None, from_logits: bool = False, axis: int = -1) -> None:
        super().__init__(name=name, dtype=dtype, from_logits=from_logits, axis=axis)

    def prepare_targets(self, y_true, num_outputs):
        return check_labels(y_true, num_outputs)

    def values(self, ops, y_true, y_pred):
        xp = ops.xp
        log_p = _log_softmax(xp, y_pred) if self.from_logits else _log_normalized(xp, y_pred)
        return -log_p[xp.arange(y_pred.shape[0]), y_true.astype(np.int64)]

    def get_config(self):
        config = super().get_config()
        del config["label_smoothing"]
        return {**config, "axis": -1}
