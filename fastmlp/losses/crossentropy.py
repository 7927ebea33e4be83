"""Categorical cross-entropies: integer labels and one-hot (or probability)
targets. On logits -- ``from_logits=True``, or a softmax output the model
hands over as logits -- the loss, its weights and its reduction go through
the compiled fused softmax-cross-entropy kernel in one pass."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..backend.checks import check_labels
from ..utils.validation import check_float_targets, check_number
from .base import EPSILON, Loss


class _Crossentropy(Loss):
    fuses_softmax = True

    if TYPE_CHECKING:
        # Each subclass defines them for its kind of targets.
        _fused: Any
        _dense_targets: Any

    def __init__(self, from_logits: bool = False, reduction: str | None = "sum_over_batch_size", name: str | None = None,
                 axis: int = -1, dtype: Any = None) -> None:
        if axis not in (-1, 1):
            raise ValueError(f"fastmlp losses take the classes on the last axis; got axis={axis!r}")
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.from_logits = bool(from_logits)

    def _reduced(self, ops, y_pred, y_true, grad, outputs_are_logits, weights, scale):
        if self.from_logits or outputs_are_logits:
            return self._fused(ops, y_pred, y_true, grad, weights, scale)
        return super()._reduced(ops, y_pred, y_true, grad, outputs_are_logits, weights, scale)

    def per_sample(self, ops, y_pred, y_true, grad, outputs_are_logits=False):
        xp = ops.xp
        if self.from_logits or outputs_are_logits:
            logp = ops.log_softmax(y_pred, xp.empty_like(y_pred))
            targets = self._dense_targets(ops, y_true, y_pred)
            if grad is not None:
                xp.exp(logp, out=grad)
                grad *= targets.sum(axis=1, keepdims=True)
                grad -= targets
            return -(targets * logp).sum(axis=1, dtype=np.float64)
        return self._on_probabilities(ops, y_pred, self._dense_targets(ops, y_true, y_pred), grad)

    @staticmethod
    def _on_probabilities(ops, probs, targets, grad):
        """Keras's cross-entropy of probabilities: normalised by their row sum,
        clipped to [EPSILON, 1 - EPSILON] (no gradient through the clip)."""
        xp = ops.xp
        total = probs.sum(axis=1, keepdims=True)
        normalized = probs / total
        clipped = xp.clip(normalized, EPSILON, 1 - EPSILON)
        values = -(targets * xp.log(clipped)).sum(axis=1, dtype=np.float64)
        if grad is not None:
            inside = (normalized > EPSILON) & (normalized < 1 - EPSILON)
            weighted = xp.where(inside, targets / xp.maximum(normalized, EPSILON), 0)
            # d/dp_j of -sum_k t_k log(p_k / S) = -t_j w_j / S + sum_k t_k w_k / S
            grad[...] = ((weighted * normalized).sum(axis=1, keepdims=True) - weighted) / total
        return values

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits}


class SparseCategoricalCrossentropy(_Crossentropy):
    """Cross-entropy with integer class labels.

    Args:
        from_logits: whether ``y_pred`` holds logits instead of probabilities
            (default False: probabilities, each row scaled to sum to 1 and
            clipped to ``[1e-7, 1 - 1e-7]`` as Keras does).
        ignore_class: only None (Keras's default) is supported.
        axis: the classes' axis; only the last (-1, or 1) is supported.
        reduction, name, dtype: see :class:`Loss`.

    Raises:
        ValueError: for an ``ignore_class``, another ``axis``, labels not of
            shape ``(n,)`` or ``(n, 1)``, labels that are not whole numbers or
            lie outside ``[0, classes)``, or the bad arguments and input
            :class:`Loss` lists.
        TypeError: for labels that are neither integers nor floats, or
            predictions that are not numeric.

    Example:
        >>> scce = fastmlp.losses.SparseCategoricalCrossentropy()
        >>> round(scce([1, 2], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]), 4)
        1.1769
        >>> on_logits = fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True)
        >>> round(on_logits([0, 1], [[2.0, 0.0], [0.0, 1.0]]), 4)
        0.2201
    """

    target_kind = "sparse"

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 reduction: str | None = "sum_over_batch_size", name: str | None = None, axis: int = -1, dtype: Any = None) -> None:
        if ignore_class is not None:
            raise ValueError("fastmlp does not support ignore_class")
        super().__init__(from_logits=from_logits, reduction=reduction, name=name, axis=axis,
                         dtype=dtype)

    def prepare_targets(self, y, num_outputs):
        y = np.asarray(y)
        if y.ndim != 1 and y.shape[1:] != (1,):  # check_labels takes (n,) and (n, 1)
            raise ValueError(
                f"sparse_categorical_crossentropy needs integer labels of shape (n,), got shape {y.shape}"
                + ("; for one-hot targets use categorical_crossentropy" if y.ndim == 2 else "")
            )
        return check_labels(y, num_outputs)

    def _fused(self, ops, logits, labels, grad, weights, scale):
        return ops.softmax_xent_sparse(logits, labels, grad, weights, scale)

    @staticmethod
    def _dense_targets(ops, labels, y_pred):
        return ops.xp.eye(y_pred.shape[1], dtype=np.float32)[labels]

    def get_config(self):
        return {**super().get_config(), "ignore_class": None}


class CategoricalCrossentropy(_Crossentropy):
    """Cross-entropy with one-hot (or probability) targets.

    Args:
        from_logits: whether ``y_pred`` holds logits instead of probabilities
            (default False: probabilities, each row scaled to sum to 1 and
            clipped to ``[1e-7, 1 - 1e-7]`` as Keras does).
        label_smoothing: in [0, 1]: targets become ``t * (1 - s) + s / classes``
            (default 0: no smoothing).
        axis: the classes' axis; only the last (-1, or 1) is supported.
        reduction, name, dtype: see :class:`Loss`.

    Raises:
        ValueError: for ``label_smoothing`` outside [0, 1], another ``axis``,
            integer labels (1-D targets: use
            :class:`SparseCategoricalCrossentropy`), or the bad arguments and
            input :class:`Loss` lists.
        TypeError: for a ``label_smoothing`` that is not a number, or input
            that is not numeric.

    Example:
        >>> cce = fastmlp.losses.CategoricalCrossentropy()
        >>> round(cce([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]), 4)
        1.1769
        >>> smooth = fastmlp.losses.CategoricalCrossentropy(label_smoothing=0.1)
        >>> round(smooth([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]), 4)
        1.4591
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size", name: str | None = None, dtype: Any = None) -> None:
        super().__init__(from_logits=from_logits, reduction=reduction, name=name, axis=axis,
                         dtype=dtype)
        self.label_smoothing = check_number(label_smoothing, "label_smoothing", 0.0, 1.0)

    def prepare_targets(self, y, num_outputs):
        y = np.asarray(y)
        if y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1 and num_outputs > 1):
            raise ValueError(
                f"categorical_crossentropy needs one-hot targets of shape (n, {num_outputs}), got shape "
                f"{y.shape}; for integer labels use sparse_categorical_crossentropy or "
                "fastmlp.utils.to_categorical"
            )
        return check_float_targets(y, num_outputs, "categorical targets")

    def _dense_targets(self, ops, targets, y_pred):
        s = self.label_smoothing
        if not s:
            return targets
        return targets * np.float32(1.0 - s) + np.float32(s / targets.shape[1])

    def _fused(self, ops, logits, targets, grad, weights, scale):
        return ops.softmax_xent_dense(logits, self._dense_targets(ops, targets, logits), grad,
                                      weights, scale)

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing, "axis": -1}
