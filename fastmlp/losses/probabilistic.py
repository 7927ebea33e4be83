"""Losses between distributions and counts: KL divergence and Poisson."""

import numpy as np

from .base import EPSILON, Loss
from .regression import _Elementwise


class KLDivergence(Loss):
    """``sum(y_true * log(y_true / y_pred))`` over the outputs, both clipped
    to [EPSILON, 1] (``EPSILON`` = 1e-7, as in Keras; no gradient through
    the clip).

    Args:
        reduction, name, dtype: see :class:`Loss` (default name: ``"kl_divergence"``).

    Raises:
        ValueError: for an unknown ``reduction``, another ``dtype``, or bad
            input (shapes, lengths, NaN targets: see :class:`Loss`).
        TypeError: for input that is None or not numeric.

    Example:
        >>> kld = fastmlp.losses.KLDivergence()
        >>> round(kld([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]), 4)
        0.4581
    """

    function_name = "kl_divergence"

    def per_sample(self, ops, y_pred, y_true, grad, outputs_are_logits=False):
        xp = ops.xp
        t = xp.clip(y_true, np.float32(EPSILON), np.float32(1))
        p = xp.clip(y_pred, np.float32(EPSILON), np.float32(1))
        if grad is not None:
            inside = (y_pred >= EPSILON) & (y_pred <= 1)
            grad[...] = xp.where(inside, -t / p, 0)
        return (t * xp.log(t / p)).sum(axis=1, dtype=np.float64)


class Poisson(_Elementwise):
    """Mean of ``y_pred - y_true * log(y_pred + EPSILON)`` over the outputs
    (``EPSILON`` = 1e-7, as in Keras).

    Args:
        reduction, name, dtype: see :class:`Loss` (default name: ``"poisson"``).

    Raises:
        ValueError: for an unknown ``reduction``, another ``dtype``, or bad
            input (shapes, lengths, NaN targets: see :class:`Loss`).
        TypeError: for input that is None or not numeric.

    Example:
        >>> poisson = fastmlp.losses.Poisson()
        >>> round(poisson([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]]), 4)
        0.5
    """

    def elements(self, ops, y_pred, y_true, want_grad):
        shifted = y_pred + np.float32(EPSILON)
        values = y_pred - y_true * ops.xp.log(shifted)
        return values, (1 - y_true / shifted if want_grad else None)
