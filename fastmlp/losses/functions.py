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


# The sections every function form shares (the loss classes hold the formulas).
_TEMPLATE = """{summary}

Passed to ``compile(loss=...)``, it trains with :class:`{cls}`'s gradient.

Args:
    y_true: the targets{targets}.
    y_pred: the predictions, ``(n, outputs)`` (``(n,)`` is one output).
{args}
Returns:
    A float32 NumPy array of shape ``(n,)``, each sample's loss.

Raises:
    ValueError: for {bad_args}``y_pred`` that is not a non-empty
        ``(n, outputs)`` array, {bad_targets}, or ``y_true`` and ``y_pred``
        of different lengths.
    TypeError: for {bad_types}``y_true`` or ``y_pred`` that is None or not
        numeric.

Example:
{example}
"""
_DENSE = dict(targets=", shaped like ``y_pred`` (``(n,)`` for one output)",
              bad_targets="targets of another shape or holding NaN or infinity")
_SMOOTHING = "    label_smoothing: in [0, 1] (default 0: none); see :class:`{cls}`.\n"
_LOGITS = "    from_logits: whether ``y_pred`` holds logits (default False: probabilities).\n"


def _documented(cls, summary, example, args="", bad_args="", bad_types="", **targets):
    """Give the decorated function form of ``cls`` its docstring from the template."""
    def apply(function):
        function.__doc__ = _TEMPLATE.format(
            summary=summary, cls=cls.__name__, args=args.format(cls=cls.__name__),
            bad_args=bad_args, bad_types=bad_types, example=example, **(targets or _DENSE))
        return function
    return apply


def _per_sample(cls: type[Loss], y_true: ArrayLike, y_pred: ArrayLike, **kwargs: Any) -> Float32Array:
    return cast(Float32Array, cls(reduction=None, **kwargs)(y_true, y_pred))  # reduction None: an array


@_documented(
    SparseCategoricalCrossentropy,
    "Per-sample sparse categorical cross-entropy (integer labels), as Keras's function.",
    """    >>> scce = fastmlp.losses.sparse_categorical_crossentropy
    >>> scce([1, 2], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]).astype(float).round(4).tolist()
    [0.0513, 2.3026]
    >>> scce([0, 1], [[2.0, 0.0], [0.0, 1.0]], from_logits=True).astype(float).round(4).tolist()
    [0.1269, 0.3133]""",
    args=_LOGITS,
    bad_types="labels that are neither integers nor floats, or ",
    targets=", integer class labels of shape ``(n,)`` or ``(n, 1)``",
    bad_targets="labels of another shape, not whole numbers or outside ``[0, classes)``")
def sparse_categorical_crossentropy(y_true: ArrayLike, y_pred: ArrayLike, from_logits: bool = False) -> Float32Array:
    return _per_sample(SparseCategoricalCrossentropy, y_true, y_pred, from_logits=from_logits)


@_documented(
    CategoricalCrossentropy,
    "Per-sample categorical cross-entropy (one-hot targets), as Keras's function.",
    """    >>> cce = fastmlp.losses.categorical_crossentropy
    >>> values = cce([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    >>> values.astype(float).round(4).tolist()
    [0.0513, 2.3026]""",
    args=_LOGITS + _SMOOTHING,
    bad_args="``label_smoothing`` outside [0, 1], integer labels (1-D targets), ",
    bad_types="a ``label_smoothing`` that is not a number, or ")
def categorical_crossentropy(y_true: ArrayLike, y_pred: ArrayLike, from_logits: bool = False,
                             label_smoothing: float = 0.0) -> Float32Array:
    return _per_sample(CategoricalCrossentropy, y_true, y_pred, from_logits=from_logits,
                       label_smoothing=label_smoothing)


@_documented(
    BinaryCrossentropy,
    "Per-sample binary cross-entropy, averaged over the outputs, as Keras's function.",
    """    >>> bce = fastmlp.losses.binary_crossentropy
    >>> bce([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]).astype(float).round(4).tolist()
    [0.9163, 0.7136]
    >>> bce([[0.0], [1.0]], [[-2.0], [3.0]], from_logits=True).astype(float).round(4).tolist()
    [0.1269, 0.0486]""",
    args=_LOGITS + _SMOOTHING,
    bad_args="``label_smoothing`` outside [0, 1], ",
    bad_types="a ``label_smoothing`` that is not a number, or ")
def binary_crossentropy(y_true: ArrayLike, y_pred: ArrayLike, from_logits: bool = False,
                        label_smoothing: float = 0.0) -> Float32Array:
    return _per_sample(BinaryCrossentropy, y_true, y_pred, from_logits=from_logits,
                       label_smoothing=label_smoothing)


@_documented(
    BinaryFocalCrossentropy,
    "Per-sample binary focal cross-entropy, averaged over the outputs, as Keras's function.",
    """    >>> focal = fastmlp.losses.binary_focal_crossentropy
    >>> focal([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]).astype(float).round(4).tolist()
    [0.3299, 0.2058]""",
    args=("    apply_class_balancing: whether to weight the classes by ``alpha`` (default False).\n"
          "    alpha: the weight of class 1, in [0, 1] (default 0.25).\n"
          "    gamma: the focusing parameter, >= 0 (default 2).\n" + _LOGITS + _SMOOTHING),
    bad_args="``alpha`` or ``label_smoothing`` outside [0, 1], a negative ``gamma``, ",
    bad_types="an ``alpha``, ``gamma`` or ``label_smoothing`` that is not a number, or ")
def binary_focal_crossentropy(y_true: ArrayLike, y_pred: ArrayLike, apply_class_balancing: bool = False,
                              alpha: float = 0.25, gamma: float = 2.0, from_logits: bool = False,
                              label_smoothing: float = 0.0) -> Float32Array:
    return _per_sample(BinaryFocalCrossentropy, y_true, y_pred,
                       apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                       from_logits=from_logits, label_smoothing=label_smoothing)


@_documented(
    Huber, "Per-sample Huber loss, as Keras's function (see :class:`Huber`).",
    """    >>> fastmlp.losses.huber([[0.0], [0.0]], [[0.5], [3.0]]).tolist()
    [0.125, 2.5]""",
    args="    delta: where the loss turns linear, > 0 (default 1.0).\n",
    bad_args="``delta`` <= 0, ", bad_types="a ``delta`` that is not a number, or ")
def huber(y_true: ArrayLike, y_pred: ArrayLike, delta: float = 1.0) -> Float32Array:
    return _per_sample(Huber, y_true, y_pred, delta=delta)


def _function_form(cls, name, what, example):
    """Keras's two-argument function ``name``: per-sample values of ``cls``."""
    @_documented(cls, f"Per-sample {what}, as Keras's function (see :class:`{cls.__name__}`).",
                 "\n".join("    " + line for line in example.split("\n")))
    def function(y_true, y_pred):
        return _per_sample(cls, y_true, y_pred)

    function.__name__ = function.__qualname__ = name
    return function


_T = "[[0.0, 1.0], [0.0, 0.0]]"  # the examples' targets, as in Keras's documentation
_A, _B = f"{_T}, [[1.0, 1.0], [1.0, 0.0]]", f"{_T}, [[0.6, 0.4], [0.4, 0.6]]"
_ROUND = ".astype(float).round(4).tolist()"
mean_squared_error = _function_form(
    MeanSquaredError, "mean_squared_error", "mean squared error",
    f">>> fastmlp.losses.mean_squared_error({_A}).tolist()\n[0.5, 0.5]")
mean_absolute_error = _function_form(
    MeanAbsoluteError, "mean_absolute_error", "mean absolute error",
    f">>> fastmlp.losses.mean_absolute_error({_A}).tolist()\n[0.5, 0.5]")
mean_absolute_percentage_error = _function_form(
    MeanAbsolutePercentageError, "mean_absolute_percentage_error", "mean absolute percentage error",
    ">>> mape = fastmlp.losses.mean_absolute_percentage_error\n"
    ">>> mape([[1.0, 2.0], [4.0, 5.0]], [[1.5, 2.0], [3.0, 5.0]]).tolist()\n[25.0, 12.5]")
mean_squared_logarithmic_error = _function_form(
    MeanSquaredLogarithmicError, "mean_squared_logarithmic_error", "mean squared logarithmic error",
    f">>> fastmlp.losses.mean_squared_logarithmic_error({_A}){_ROUND}\n[0.2402, 0.2402]")
log_cosh = _function_form(LogCosh, "log_cosh", "log-cosh loss",
                          f">>> fastmlp.losses.log_cosh({_A}){_ROUND}\n[0.2169, 0.2169]")
kl_divergence = _function_form(
    KLDivergence, "kl_divergence", "Kullback-Leibler divergence",
    ">>> kld = fastmlp.losses.kl_divergence\n"
    f">>> kld([[0.2, 0.8], [0.5, 0.5]], [[0.6, 0.4], [0.4, 0.6]]){_ROUND}\n[0.3348, 0.0204]")
poisson = _function_form(Poisson, "poisson", "Poisson loss",
                         f">>> fastmlp.losses.poisson({_T}, [[1.0, 1.0], [0.0, 0.0]]){_ROUND}\n"
                         "[1.0, 0.0]")
hinge = _function_form(Hinge, "hinge", "hinge loss",
                       f">>> fastmlp.losses.hinge({_B}){_ROUND}\n[1.1, 1.5]")
squared_hinge = _function_form(SquaredHinge, "squared_hinge", "squared hinge loss",
                               f">>> fastmlp.losses.squared_hinge({_B}){_ROUND}\n[1.46, 2.26]")
categorical_hinge = _function_form(
    CategoricalHinge, "categorical_hinge", "categorical hinge loss",
    f">>> fastmlp.losses.categorical_hinge({_B}){_ROUND}\n[1.2, 1.6]")


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
