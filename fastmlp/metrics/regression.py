"""Regression metrics: the running (weighted) mean of per-sample errors."""

import numpy as np

from .base import _MeanOfValues, dense_targets


class MeanSquaredError(_MeanOfValues):
    """The weighted mean over samples of ``mean((y_pred - y_true) ** 2)`` over outputs.

    Args:
        name: the name in logs (default ``"mean_squared_error"``).
        dtype: see :class:`Metric`.

    Raises:
        ValueError: for a bad ``dtype``; in ``update_state``, for the bad input that
            :class:`Metric` lists.
        TypeError: for a ``name`` that is not a string; in ``update_state``, for input
            that is None or not numeric.

    Example:
        >>> mse = fastmlp.metrics.MeanSquaredError()
        >>> mse([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])
        0.25
    """

    def values(self, ops, y_true, y_pred):
        diff = (y_pred - dense_targets(self, y_true, y_pred)).astype(np.float64)
        return (diff * diff).mean(axis=1)


class MeanAbsoluteError(_MeanOfValues):
    """The weighted mean over samples of ``mean(|y_pred - y_true|)`` over outputs.

    Args:
        name: the name in logs (default ``"mean_absolute_error"``).
        dtype: see :class:`Metric`.

    Raises:
        ValueError: for a bad ``dtype``; in ``update_state``, for the bad input that
            :class:`Metric` lists.
        TypeError: for a ``name`` that is not a string; in ``update_state``, for input
            that is None or not numeric.

    Example:
        >>> mae = fastmlp.metrics.MeanAbsoluteError()
        >>> mae([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])
        0.25
    """

    def values(self, ops, y_true, y_pred):
        return abs((y_pred - dense_targets(self, y_true, y_pred)).astype(np.float64)).mean(axis=1)


class RootMeanSquaredError(MeanSquaredError):
    """The square root of the running weighted mean squared error.

    Args:
        name: the name in logs (default ``"root_mean_squared_error"``).
        dtype: see :class:`Metric`.

    Raises:
        ValueError: for a bad ``dtype``; in ``update_state``, for the bad input that
            :class:`Metric` lists.
        TypeError: for a ``name`` that is not a string; in ``update_state``, for input
            that is None or not numeric.

    Example:
        >>> rmse = fastmlp.metrics.RootMeanSquaredError()
        >>> rmse([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])
        0.5
    """

    def result(self):
        return float(np.sqrt(super().result()))
