"""Hinge losses for -1/+1 (or 0/1) targets and Keras's categorical hinge."""

import numpy as np

from .base import Loss
from .regression import _Elementwise


def _signs(ops, y_true):
    """Keras's label conversion: when every target is 0 or 1, ``2 * t - 1``;
    otherwise the targets as they are (taken to be -1/+1)."""
    if bool(((y_true == 0) | (y_true == 1)).all()):
        return 2 * y_true - 1
    return y_true


class Hinge(_Elementwise):
    """Mean of ``max(1 - y_true * y_pred, 0)`` over the outputs, for targets
    of -1/+1; as in Keras, targets that are all 0 or 1 become ``2 * t - 1``.

    Args:
        reduction, name, dtype: see :class:`Loss` (default name: ``"hinge"``).

    Raises:
        ValueError: for an unknown ``reduction``, another ``dtype``, or bad
            input (shapes, lengths, NaN targets: see :class:`Loss`).
        TypeError: for input that is None or not numeric.

    Example:
        >>> hinge = fastmlp.losses.Hinge()
        >>> round(hinge([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]), 4)
        1.3
    """

    def elements(self, ops, y_pred, y_true, want_grad):
        t = _signs(ops, y_true)
        margin = 1 - t * y_pred
        values = ops.xp.maximum(margin, np.float32(0))
        return values, (ops.xp.where(margin > 0, -t, 0).astype(np.float32) if want_grad else None)


class SquaredHinge(_Elementwise):
    """Mean of ``max(1 - y_true * y_pred, 0) ** 2`` over the outputs, for
    targets of -1/+1; as in Keras, targets that are all 0 or 1 become ``2 * t - 1``.

    Args:
        reduction, name, dtype: see :class:`Loss` (default name: ``"squared_hinge"``).

    Raises:
        ValueError: for an unknown ``reduction``, another ``dtype``, or bad
            input (shapes, lengths, NaN targets: see :class:`Loss`).
        TypeError: for input that is None or not numeric.

    Example:
        >>> squared_hinge = fastmlp.losses.SquaredHinge()
        >>> round(squared_hinge([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]), 4)
        1.86
    """

    def elements(self, ops, y_pred, y_true, want_grad):
        t = _signs(ops, y_true)
        margin = ops.xp.maximum(1 - t * y_pred, np.float32(0))
        return margin * margin, (np.float32(-2) * t * margin if want_grad else None)


class CategoricalHinge(Loss):
    """``max(neg - pos + 1, 0)`` with ``pos = sum(y_true * y_pred)`` and
    ``neg = max((1 - y_true) * y_pred)``, per sample (one-hot targets).

    Args:
        reduction, name, dtype: see :class:`Loss` (default name: ``"categorical_hinge"``).

    Raises:
        ValueError: for an unknown ``reduction``, another ``dtype``, or bad
            input (shapes, lengths, NaN targets: see :class:`Loss`).
        TypeError: for input that is None or not numeric.

    Example:
        >>> categorical_hinge = fastmlp.losses.CategoricalHinge()
        >>> round(categorical_hinge([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]), 4)
        1.4
    """

    def per_sample(self, ops, y_pred, y_true, grad, outputs_are_logits=False):
        xp = ops.xp
        others = (1 - y_true) * y_pred
        rows = xp.arange(y_pred.shape[0])
        top = others.argmax(axis=1)
        values = xp.maximum(others[rows, top] - (y_true * y_pred).sum(axis=1) + 1, np.float32(0))
        if grad is not None:
            grad[...] = -y_true
            grad[rows, top] += 1 - y_true[rows, top]
            grad *= (values > 0)[:, None]
        return values.astype(np.float64)
