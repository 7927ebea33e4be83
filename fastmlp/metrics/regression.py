"""Regression metrics: the running (weighted) mean of per-sample errors."""

import numpy as np

from .base import _MeanOfValues, dense_targets


class MeanSquaredError(_MeanOfValues):
    """The weighted mean over samples of ``mean((y_pred - y_true) ** 2)`` over outputs."""

    def values(self, ops, y_true, y_pred):
        diff = (y_pred - dense_targets(self, y_true, y_pred)).astype(np.float64)
        return (diff * diff).mean(axis=1)


class MeanAbsoluteError(_MeanOfValues):
    """The weighted mean over samples of ``mean(|y_pred - y_true|)`` over outputs."""

    def values(self, ops, y_true, y_pred):
        return abs((y_pred - dense_targets(self, y_true, y_pred)).astype(np.float64)).mean(axis=1)


class RootMeanSquaredError(MeanSquaredError):
    """The square root of the running weighted mean squared error."""

    def result(self):
        return float(np.sqrt(super().result()))
