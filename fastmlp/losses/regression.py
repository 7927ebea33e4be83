"""Regression losses, each the mean over the outputs of an elementwise
function of ``y_pred`` and ``y_true``; the value and its gradient in one pass."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..utils.validation import check_number
from .base import EPSILON, Loss


class _Elementwise(Loss):
    """A loss ``mean_j f(y_pred[:, j], y_true[:, j])``: subclasses give
    ``elements`` (f and df/dy_pred, elementwise)."""

    def elements(self, ops, y_pred, y_true, want_grad):
        raise NotImplementedError

    def per_sample(self, ops, y_pred, y_true, grad, outputs_are_logits=False):
        values, d = self.elements(ops, y_pred, y_true, grad is not None)
        if grad is not None:
            ops.xp.divide(d, np.float32(y_pred.shape[1]), out=grad)
        return values.mean(axis=1, dtype=np.float64)


class MeanSquaredError(_Elementwise):
    """Mean of ``(y_true - y_pred) ** 2`` over the outputs.

    Args:
        reduction, name, dtype: see :class:`Loss` (default name: ``"mean_squared_error"``).

    Raises:
        ValueError: for an unknown ``reduction``, another ``dtype``, or bad
            input (shapes, lengths, NaN targets: see :class:`Loss`).
        TypeError: for input that is None or not numeric.

    Example:
        >>> mse = fastmlp.losses.MeanSquaredError()
        >>> mse([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])
        0.5
        >>> # Keras's default reduction divides by the batch size, zero weights included:
        >>> mse([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]], sample_weight=[1, 0])
        0.25
        >>> total = fastmlp.losses.MeanSquaredError(reduction="sum")
        >>> total([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])
        1.0
    """

    def elements(self, ops, y_pred, y_true, want_grad):
        diff = y_pred - y_true
        return diff * diff, (2 * diff if want_grad else None)


class MeanAbsoluteError(_Elementwise):
    """Mean of ``|y_true - y_pred|`` over the outputs.

    Args:
        reduction, name, dtype: see :class:`Loss` (default name: ``"mean_absolute_error"``).

    Raises:
        ValueError: for an unknown ``reduction``, another ``dtype``, or bad
            input (shapes, lengths, NaN targets: see :class:`Loss`).
        TypeError: for input that is None or not numeric.

    Example:
        >>> mae = fastmlp.losses.MeanAbsoluteError()
        >>> mae([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])
        0.5
    """

    def elements(self, ops, y_pred, y_true, want_grad):
        diff = y_pred - y_true
        return abs(diff), (ops.xp.sign(diff) if want_grad else None)


class MeanAbsolutePercentageError(_Elementwise):
    """``100 * mean(|y_true - y_pred| / max(|y_true|, EPSILON))`` over the
    outputs (``EPSILON`` = 1e-7, as in Keras).

    Args:
        reduction, name, dtype: see :class:`Loss` (default name:
            ``"mean_absolute_percentage_error"``).

    Raises:
        ValueError: for an unknown ``reduction``, another ``dtype``, or bad
            input (shapes, lengths, NaN targets: see :class:`Loss`).
        TypeError: for input that is None or not numeric.

    Example:
        >>> mape = fastmlp.losses.MeanAbsolutePercentageError()
        >>> mape([[1.0, 2.0], [4.0, 5.0]], [[1.5, 2.0], [3.0, 5.0]])
        18.75
    """

    def elements(self, ops, y_pred, y_true, want_grad):
        denom = ops.xp.maximum(abs(y_true), np.float32(EPSILON))
        diff = y_pred - y_true
        values = np.float32(100) * abs(diff / denom)
        return values, (np.float32(100) * ops.xp.sign(diff) / denom if want_grad else None)


class MeanSquaredLogarithmicError(_Elementwise):
    """Mean of ``(log(max(y_pred, EPSILON) + 1) - log(max(y_true, EPSILON) + 1)) ** 2``
    over the outputs (``EPSILON`` = 1e-7, as in Keras).

    Args:
        reduction, name, dtype: see :class:`Loss` (default name:
            ``"mean_squared_logarithmic_error"``).

    Raises:
        ValueError: for an unknown ``reduction``, another ``dtype``, or bad
            input (shapes, lengths, NaN targets: see :class:`Loss`).
        TypeError: for input that is None or not numeric.

    Example:
        >>> msle = fastmlp.losses.MeanSquaredLogarithmicError()
        >>> round(msle([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]), 4)
        0.2402
    """

    def elements(self, ops, y_pred, y_true, want_grad):
        xp = ops.xp
        p1 = xp.maximum(y_pred, np.float32(EPSILON)) + 1
        diff = xp.log(p1) - xp.log(xp.maximum(y_true, np.float32(EPSILON)) + 1)
        if not want_grad:
            return diff * diff, None
        return diff * diff, xp.where(y_pred > EPSILON, 2 * diff / p1, 0).astype(np.float32)


class Huber(_Elementwise):
    """Quadratic for errors up to ``delta``, linear beyond:
    ``0.5 * e ** 2`` if ``|e| <= delta`` else ``delta * |e| - 0.5 * delta ** 2``.

    Args:
        delta: where the loss turns linear, > 0 (default 1.0).
        reduction, name, dtype: see :class:`Loss` (default name:
            ``"huber_loss"``, as in Keras).

    Raises:
        ValueError: for ``delta`` <= 0, an unknown ``reduction``, another
            ``dtype``, or bad input (shapes, lengths, NaN targets: see
            :class:`Loss`).
        TypeError: for a ``delta`` that is not a number, or input that is None
            or not numeric.

    Example:
        >>> huber = fastmlp.losses.Huber()
        >>> huber([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])
        0.25
        >>> fastmlp.losses.Huber(delta=0.5)([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])
        0.1875
    """

    default_name = "huber_loss"  # Keras's default name (its function is ``huber``)

    def __init__(self, delta: float = 1.0, reduction: str | None = "sum_over_batch_size", name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.delta = check_number(delta, "delta", 0.0, low_open=True)

    def elements(self, ops, y_pred, y_true, want_grad):
        xp = ops.xp
        delta = np.float32(self.delta)
        err = y_pred - y_true
        abs_err = abs(err)
        half = np.float32(0.5)
        values = xp.where(abs_err <= delta, half * err * err, delta * abs_err - half * delta * delta)
        return values, (xp.clip(err, -delta, delta) if want_grad else None)

    def get_config(self):
        # Keras 3.15 leaves delta out of Huber's config (so its round trip
        # forgets it); fastmlp keeps it.
        return {**super().get_config(), "delta": self.delta}


class LogCosh(_Elementwise):
    """Mean of ``log(cosh(y_pred - y_true))`` over the outputs, as Keras
    computes it: ``x + softplus(-2x) - log(2)``.

    Args:
        reduction, name, dtype: see :class:`Loss` (default name: ``"log_cosh"``).

    Raises:
        ValueError: for an unknown ``reduction``, another ``dtype``, or bad
            input (shapes, lengths, NaN targets: see :class:`Loss`).
        TypeError: for input that is None or not numeric.

    Example:
        >>> log_cosh = fastmlp.losses.LogCosh()
        >>> round(log_cosh([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]), 4)
        0.2169
    """

    def elements(self, ops, y_pred, y_true, want_grad):
        xp = ops.xp
        x = y_pred - y_true
        values = x + xp.logaddexp(np.float32(0), np.float32(-2) * x) - np.float32(np.log(2.0))
        return values, (xp.tanh(x) if want_grad else None)
