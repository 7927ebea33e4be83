"""The Loss base class: Keras's reductions and sample weights, the training
interface (:meth:`Loss.value_and_grad`) and the loss registry."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import get_ops
from ..utils.naming import to_snake_case
from ..utils.registry import Registry, joins_registry
from ..utils.types import ArrayLike, Float32Array
from ..utils.validation import (check_float_targets, check_predictions, check_same_length,
                                check_sample_weight)

#: the loss classes by class name and Keras's snake_case names
LOSSES = Registry("loss")

# Keras clips probabilities to [EPSILON, 1 - EPSILON] before taking logs
# (keras.backend.epsilon()).
EPSILON = 1e-7

#: Keras 3's reductions; None and "none" keep one value per sample.
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", None, "none")


class Loss:
    """Base class of fastmlp's losses.

    Called directly, ``loss(y_true, y_pred, sample_weight=None)`` returns the
    reduced loss as a float, as Keras computes it (a NumPy array of
    per-sample values with ``reduction=None``). Inside ``fit`` the model asks
    for the value and its gradient in one call, :meth:`value_and_grad`.

    fastmlp has no automatic differentiation, so a loss brings its own
    gradient. A custom loss subclasses ``Loss`` and implements
    :meth:`per_sample`: the value of each sample, writing d(value_i)/d(y_pred_i)
    into ``grad`` (the reductions and sample weights are applied by the base
    class)::

        class Quartic(fastmlp.losses.Loss):
            def per_sample(self, ops, y_pred, y_true, grad, outputs_are_logits=False):
                diff = y_pred - y_true
                if grad is not None:
                    grad[...] = 4 * diff ** 3 / diff.shape[1]
                return (diff ** 4).mean(axis=1)

        model.compile(optimizer="adam", loss=Quartic())

    (overriding :meth:`value_and_grad` itself works too). Subclasses also set
    ``target_kind``: ``"sparse"`` integer labels or ``"dense"`` arrays shaped
    like the output.

    Args:
        name: the loss's name (default: Keras's default name).
        reduction: ``"sum_over_batch_size"`` (the default: the weighted sum
            divided by the batch size, zero weights included), ``"mean"``
            (the same), ``"sum"``, ``"mean_with_sample_weight"`` (divided by
            the sum of the weights; 0 when they sum to 0) or ``None``/``"none"``
            (per-sample values).
        dtype: None or ``"float32"`` (fastmlp computes in float32).

    Raises:
        ValueError: at construction, for an unknown ``reduction`` or another
            ``dtype``; when called, for ``y_pred`` that is not a non-empty
            ``(batch, outputs)`` array, targets of the wrong shape or holding
            NaN or infinity, ``y_true`` and ``y_pred`` of different lengths,
            or ``sample_weight`` of the wrong shape or not finite.
        TypeError: when called with a ``y_true``, ``y_pred`` or
            ``sample_weight`` that is None or not numeric.

    Example:
        >>> class Quartic(fastmlp.losses.Loss):
        ...     def per_sample(self, ops, y_pred, y_true, grad, outputs_are_logits=False):
        ...         diff = y_pred - y_true
        ...         if grad is not None:
        ...             grad[...] = 4 * diff ** 3 / diff.shape[1]
        ...         return (diff ** 4).mean(axis=1)
        >>> Quartic()([[0.0], [1.0]], [[2.0], [1.0]])
        8.0
        >>> Quartic(reduction=None)([[0.0], [1.0]], [[2.0], [1.0]]).tolist()
        [16.0, 0.0]
    """

    target_kind = "dense"
    #: True when a softmax output may be replaced by logits and the fused kernel
    fuses_softmax = False
    from_logits = False
    #: the name of Keras's function form, also this class's string name
    #: (None: the class name in snake_case)
    function_name: str | None = None
    #: Keras's default name of instances (None: ``function_name``)
    default_name: str | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if joins_registry(cls):
            LOSSES.register(cls, cls.__dict__.get("function_name") or to_snake_case(cls.__name__))

    def __init__(self, name: str | None = None, reduction: str | None = "sum_over_batch_size", dtype: Any = None) -> None:
        if not (reduction is None or (isinstance(reduction, str) and reduction in REDUCTIONS)):
            raise ValueError(f"reduction must be one of {', '.join(map(repr, REDUCTIONS))}; "
                             f"got {reduction!r}")
        if dtype not in (None, "float32"):
            raise ValueError(f"fastmlp losses compute in float32; got dtype={dtype!r}")
        self.name = (name or self.default_name or type(self).__dict__.get("function_name")
                     or to_snake_case(type(self).__name__))
        self.reduction = reduction

    def prepare_targets(self, y, num_outputs):
        """Check ``y`` against the model's output size; return host targets in
        the dtype the kernels take (int32 labels or float32 arrays)."""
        return check_float_targets(y, num_outputs, "targets")

    def per_sample(self, ops, y_pred, y_true, grad, outputs_are_logits=False):
        """The loss of each sample, unweighted and unreduced.

        Args:
            ops: the backend.
            y_pred: (n, outputs) backend float32 predictions.
            y_true: targets as :meth:`prepare_targets` returned them, on the backend.
            grad: a backend float32 array shaped like ``y_pred`` receiving
                d(value_i)/d(y_pred_i) row by row, or None.
            outputs_are_logits: the model emitted the logits of its final softmax.

        Returns:
            A backend array of shape (n,).
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement per_sample (or value_and_grad)")

    def value_and_grad(self, ops, y_pred, y_true, grad, outputs_are_logits=False, sample_weight=None):
        """The reduced loss of a batch, as Keras's ``loss(y_true, y_pred,
        sample_weight)`` computes it, writing d(loss)/d(y_pred) into ``grad``.

        Args:
            ops: the backend.
            y_pred: (n, outputs) backend float32 predictions.
            y_true: what :meth:`prepare_targets` returned, on the backend.
            grad: backend float32 array shaped like ``y_pred``, or None to skip
                the gradient.
            outputs_are_logits: the model emitted the logits of its final softmax.
            sample_weight: backend float32 array of shape (n,), or None.

        Returns:
            The loss as a Python float.
        """
        if self.reduction in (None, "none"):
            raise ValueError(f"loss {self.name!r} has reduction={self.reduction!r} (one value per "
                             "sample); training needs one number: use 'sum_over_batch_size' or 'sum'")
        total = None if sample_weight is None else float(sample_weight.sum(dtype=np.float64))
        scale = self._scale(y_pred.shape[0], total)
        return self._reduced(ops, y_pred, y_true, grad, outputs_are_logits, sample_weight, scale)

    def _scale(self, n, weight_total):
        """What the weighted sum is multiplied by under this reduction."""
        if self.reduction == "sum":
            return 1.0
        if self.reduction == "mean_with_sample_weight" and weight_total is not None:
            return 1.0 / weight_total if weight_total != 0 else 0.0  # Keras's divide_no_nan
        return 1.0 / n

    def _reduced(self, ops, y_pred, y_true, grad, outputs_are_logits, weights, scale):
        """``scale * sum_i w_i * per_sample_i`` as a float; grad rows scaled to match."""
        values = self.per_sample(ops, y_pred, y_true, grad, outputs_are_logits)
        if weights is None:
            loss = float(values.sum(dtype=np.float64)) * scale
            coef = np.float32(scale)
        else:
            w64 = weights.astype(np.float64)
            loss = float((w64 * values).sum()) * scale
            coef = (scale * w64).astype(np.float32)[:, None]
        if grad is not None:
            grad *= coef
        return loss

    def __call__(self, y_true: ArrayLike, y_pred: ArrayLike,
                 sample_weight: ArrayLike | None = None) -> float | Float32Array:
        ops = get_ops()
        pred = check_predictions(ops.to_numpy(y_pred))
        targets = self.prepare_targets(y_true, pred.shape[1])
        n = pred.shape[0]
        check_same_length(targets.shape[0], n, "y_true", "y_pred")
        weights = None if sample_weight is None else check_sample_weight(sample_weight, n)
        dev_pred, dev_true = ops.asarray(pred), ops.asarray(targets, dtype=targets.dtype)
        if self.reduction in (None, "none"):
            values = ops.to_numpy(self.per_sample(ops, dev_pred, dev_true, None)).astype(np.float32)
            return values if weights is None else values * weights
        # Keras divides by the sum of the weight as given: a scalar 2 sums to 2, not 2 * n.
        total = None if weights is None else float(np.sum(np.asarray(sample_weight, np.float64)))
        scale = self._scale(n, total)
        dev_weights = None if weights is None else ops.asarray(weights)
        return self._reduced(ops, dev_pred, dev_true, None, False, dev_weights, scale)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (Keras's names), for :func:`serialize`."""
        return {"name": self.name, "reduction": self.reduction}

