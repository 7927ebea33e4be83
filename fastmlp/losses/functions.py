"""Keras's function forms of the losses: ``fn(y_true, y_pred)`` returns the
loss of each sample as a NumPy float32 array of shape (n,), as Keras's do.
Passed to ``compile(loss=...)``, a function trains with its class's gradient."""

from __future__ import annotations

from typing import Any, cast

from ..utils.types import ArrayLike, Float32Array
from .base import Loss
from .binary import BinaryCrossentropy, BinaryFocalCrossentropy
from .crossentropy import CategoricalCrossentropy, SparseCategoricalCrossentropy
from .hinge import CategoricalHinge, Hinge, SquaredHinge
from .probabilistic import KLDivergence, Poisson
from .regression import (Huber, LogCosh, MeanAbsoluteError, MeanAbsolutePercentageError,
                         MeanSquaredError, MeanSquaredLogarithmicError)


def _per_sample(cls: type[Loss], y_true: ArrayLike, y_pred: ArrayLike, **kwargs: Any) -> Float32Array:
    return cast(Float32Array, cls(reduction=None, **kwargs)(y_true, y_pred))  # reduction None: an array


def sparse_categorical_crossentropy(y_true: ArrayLike, y_pred: ArrayLike, from_logits: bool = False) -> Float32Array:
    """Per-sample sparse categorical cross-entropy (integer labels)."""
    return _per_sample(SparseCategoricalCrossentropy, y_true, y_pred, from_logits=from_logits)


def categorical_crossentropy(y_true: ArrayLike, y_pred: ArrayLike, from_logits: bool = False,
                             label_smoothing: float = 0.0) -> Float32Array:
    """Per-sample categorical cross-entropy (one-hot targets)."""
    return _per_sample(CategoricalCrossentropy, y_true, y_pred, from_logits=from_logits,
                       label_smoothing=label_smoothing)


def binary_crossentropy(y_true: ArrayLike, y_pred: ArrayLike, from_logits: bool = False,
                        label_smoothing: float = 0.0) -> Float32Array:
    """Per-sample binary cross-entropy, averaged over the outputs."""
    return _per_sample(BinaryCrossentropy, y_true, y_pred, from_logits=from_logits,
                       label_smoothing=label_smoothing)


def binary_focal_crossentropy(y_true: ArrayLike, y_pred: ArrayLike, apply_class_balancing: bool = False,
                              alpha: float = 0.25, gamma: float = 2.0, from_logits: bool = False,
                              label_smoothing: float = 0.0) -> Float32Array:
    """Per-sample binary focal cross-entropy (see :class:`BinaryFocalCrossentropy`)."""
    return _per_sample(BinaryFocalCrossentropy, y_true, y_pred,
                       apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                       from_logits=from_logits, label_smoothing=label_smoothing)


def _function_form(cls, name, what):
    """Keras's two-argument function ``name``: per-sample values of ``cls``."""
    def function(y_true, y_pred):
        return _per_sample(cls, y_true, y_pred)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"Per-sample {what} of ``y_pred`` against ``y_true`` (a NumPy float32 array)."
    return function


def huber(y_true: ArrayLike, y_pred: ArrayLike, delta: float = 1.0) -> Float32Array:
    """Per-sample Huber loss."""
    return _per_sample(Huber, y_true, y_pred, delta=delta)


mean_squared_error = _function_form(MeanSquaredError, "mean_squared_error", "mean squared error")
mean_absolute_error = _function_form(MeanAbsoluteError, "mean_absolute_error", "mean absolute error")
mean_absolute_percentage_error = _function_form(
    MeanAbsolutePercentageError, "mean_absolute_percentage_error", "mean absolute percentage error")
mean_squared_logarithmic_error = _function_form(
    MeanSquaredLogarithmicError, "mean_squared_logarithmic_error", "mean squared logarithmic error")
log_cosh = _function_form(LogCosh, "log_cosh", "log-cosh loss")
kl_divergence = _function_form(KLDivergence, "kl_divergence", "Kullback-Leibler divergence")
poisson = _function_form(Poisson, "poisson", "Poisson loss")
hinge = _function_form(Hinge, "hinge", "hinge loss")
squared_hinge = _function_form(SquaredHinge, "squared_hinge", "squared hinge loss")
categorical_hinge = _function_form(CategoricalHinge, "categorical_hinge", "categorical hinge loss")


# Keras's short names.
mse = mean_squared_error
mae = mean_absolute_error
mape = mean_absolute_percentage_error
msle = mean_squared_logarithmic_error
kld = kl_divergence
bce = binary_crossentropy

#: each function form and the class that trains it
CLASS_OF_FUNCTION = {
    fn: cls for fn, cls in [
        (sparse_categorical_crossentropy, SparseCategoricalCrossentropy),
        (categorical_crossentropy, CategoricalCrossentropy),
        (binary_crossentropy, BinaryCrossentropy),
        (binary_focal_crossentropy, BinaryFocalCrossentropy),
        (mean_squared_error, MeanSquaredError),
        (mean_absolute_error, MeanAbsoluteError),
        (mean_absolute_percentage_error, MeanAbsolutePercentageError),
        (mean_squared_logarithmic_error, MeanSquaredLogarithmicError),
        (huber, Huber),
        (log_cosh, LogCosh),
        (kl_divergence, KLDivergence),
        (poisson, Poisson),
        (hinge, Hinge),
        (squared_hinge, SquaredHinge),
        (categorical_hinge, CategoricalHinge),
    ]
}
