"""Losses with Keras's names.

Called directly, a loss returns a Python float: ``loss_fn(y_true, y_pred)``.
Inside ``fit`` the model asks a loss for its value and its gradient in one
call (:meth:`Loss.value_and_grad`); cross-entropies on a softmax output are
computed by the fused softmax-cross-entropy kernel from the logits.
"""

import numpy as np

from .backend import get_ops
from .backend.checks import check_labels
from .utils.naming import to_snake_case
from .utils.registry import Registry, joins_registry, serialize  # noqa: F401 (serialize is public here)
from .utils.validation import check_float_targets, check_predictions, check_same_length

#: the loss classes by class name and Keras's snake_case names
LOSSES = Registry("loss")

# Keras clips probabilities to [EPSILON, 1 - EPSILON] before taking logs.
EPSILON = 1e-7


class Loss:
    """Base class. Subclasses set ``target_kind`` (``"sparse"`` integer labels
    or ``"dense"`` arrays shaped like the output) and implement
    ``value_and_grad``."""

    target_kind = "dense"
    #: True when a softmax output may be replaced by logits and the fused kernel
    fuses_softmax = False
    from_logits = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if joins_registry(cls):
            LOSSES.register(cls, to_snake_case(cls.__name__))

    def __init__(self, name=None, reduction="sum_over_batch_size"):
        if reduction not in ("sum_over_batch_size", "auto", None):
            raise ValueError(f"fastmlp losses support reduction='sum_over_batch_size', got {reduction!r}")
        self.name = name or to_snake_case(type(self).__name__)

    def prepare_targets(self, y, num_outputs):
        """Check ``y`` against the model's output size; return host targets in
        the dtype the kernels take (int32 labels or float32 arrays)."""
        return check_float_targets(y, num_outputs, "targets")

    def value_and_grad(self, ops, y_pred, y_true, grad, outputs_are_logits=False):
        """The mean loss over the batch, writing d(loss)/d(y_pred) into
        ``grad`` (skipped when ``grad`` is None). With ``outputs_are_logits``
        the model emitted the logits of its final softmax."""
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        if sample_weight is not None:
            raise NotImplementedError("fastmlp losses do not take sample_weight")
        ops = get_ops()
        y_pred = check_predictions(ops.to_numpy(y_pred))
        targets = self.prepare_targets(y_true, y_pred.shape[1])
        check_same_length(targets.shape[0], y_pred.shape[0], "y_true", "y_pred")
        y_pred = ops.asarray(y_pred)
        return self.value_and_grad(ops, y_pred, ops.asarray(targets, dtype=targets.dtype), None)

    def get_config(self):
        return {"name": self.name}


class _Crossentropy(Loss):
    fuses_softmax = True

    def __init__(self, from_logits=False, name=None, reduction="sum_over_batch_size", **kwargs):
        if kwargs.pop("ignore_class", None) is not None:
            raise ValueError("fastmlp does not support ignore_class")
        if kwargs.get("label_smoothing", 0):
            raise ValueError("fastmlp does not support label_smoothing")
        kwargs.pop("label_smoothing", None)
        kwargs.pop("axis", None)
        if kwargs:
            raise TypeError(f"unexpected argument(s): {', '.join(sorted(kwargs))}")
        super().__init__(name=name, reduction=reduction)
        self.from_logits = bool(from_logits)

    def value_and_grad(self, ops, y_pred, y_true, grad, outputs_are_logits=False):
        if self.from_logits or outputs_are_logits:
            return self._fused(ops, y_pred, y_true, grad)
        return self._on_probabilities(ops, y_pred, y_true, grad)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits}


class SparseCategoricalCrossentropy(_Crossentropy):
    """Cross-entropy with integer class labels."""

    target_kind = "sparse"

    def prepare_targets(self, y, num_outputs):
        y = np.asarray(y)
        if y.ndim != 1 and y.shape[1:] != (1,):  # check_labels takes (n,) and (n, 1)
            raise ValueError(
                f"sparse_categorical_crossentropy needs integer labels of shape (n,), got shape {y.shape}"
                + ("; for one-hot targets use categorical_crossentropy" if y.ndim == 2 else "")
            )
        return check_labels(y, num_outputs)

    def _fused(self, ops, logits, labels, grad):
        return ops.softmax_xent_sparse(logits, labels, grad)

    def _on_probabilities(self, ops, probs, labels, grad):
        xp = ops.xp
        n = probs.shape[0]
        total = probs.sum(axis=1, keepdims=True)
        rows = xp.arange(n)
        picked = probs[rows, labels][:, None] / total
        clipped = xp.clip(picked, EPSILON, 1 - EPSILON)
        loss = float(-xp.log(clipped).astype(np.float64).mean())
        if grad is not None:
            # d/dp of -log(p_y / sum(p)): 1/sum(p) everywhere, -1/p_y at the label
            # (zero through the clip, as in Keras).
            grad[...] = 1.0 / total
            inside = (picked > EPSILON) & (picked < 1 - EPSILON)
            grad[rows, labels] -= (inside / (picked * total))[:, 0]
            grad *= inside / np.float32(n)
        return loss


class CategoricalCrossentropy(_Crossentropy):
    """Cross-entropy with one-hot (or probability) targets."""

    def prepare_targets(self, y, num_outputs):
        y = np.asarray(y)
        if y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1 and num_outputs > 1):
            raise ValueError(
                f"categorical_crossentropy needs one-hot targets of shape (n, {num_outputs}), got shape "
                f"{y.shape}; for integer labels use sparse_categorical_crossentropy or "
                "fastmlp.utils.to_categorical"
            )
        return check_float_targets(y, num_outputs, "categorical targets")

    def _fused(self, ops, logits, targets, grad):
        return ops.softmax_xent_dense(logits, targets, grad)

    def _on_probabilities(self, ops, probs, targets, grad):
        xp = ops.xp
        n = probs.shape[0]
        total = probs.sum(axis=1, keepdims=True)
        normalized = probs / total
        clipped = xp.clip(normalized, EPSILON, 1 - EPSILON)
        loss = float(-(targets * xp.log(clipped)).astype(np.float64).sum() / n)
        if grad is not None:
            inside = (normalized > EPSILON) & (normalized < 1 - EPSILON)
            weighted = xp.where(inside, targets / xp.maximum(normalized, EPSILON), 0)
            # d/dp_j of -sum_k t_k log(p_k / S) = -t_j w_j / S + sum_k t_k w_k / S
            grad[...] = ((weighted * normalized).sum(axis=1, keepdims=True) - weighted) / total / np.float32(n)
        return loss


class MeanSquaredError(Loss):
    """Mean of ``(y_true - y_pred) ** 2`` over outputs and batch."""

    def value_and_grad(self, ops, y_pred, y_true, grad, outputs_are_logits=False):
        diff = y_pred - y_true
        loss = float((diff.astype(np.float64) ** 2).mean())
        if grad is not None:
            ops.xp.multiply(diff, np.float32(2.0 / diff.size), out=grad)
        return loss


class MeanAbsoluteError(Loss):
    """Mean of ``|y_true - y_pred|`` over outputs and batch."""

    def value_and_grad(self, ops, y_pred, y_true, grad, outputs_are_logits=False):
        diff = y_pred - y_true
        loss = float(abs(diff).mean(dtype=np.float64))
        if grad is not None:
            ops.xp.sign(diff, out=grad)
            grad /= np.float32(diff.size)
        return loss


class BinaryCrossentropy(Loss):
    """Binary cross-entropy on probabilities (or logits with ``from_logits``)."""

    def __init__(self, from_logits=False, name=None, reduction="sum_over_batch_size"):
        super().__init__(name=name, reduction=reduction)
        self.from_logits = bool(from_logits)

    def value_and_grad(self, ops, y_pred, y_true, grad, outputs_are_logits=False):
        xp = ops.xp
        size = y_pred.size
        if self.from_logits:
            # log(1 + exp(-|z|)) + max(z, 0) - z*t, stable for large |z|
            z = y_pred
            loss = float((xp.logaddexp(0, z) - z * y_true).astype(np.float64).mean())
            if grad is not None:
                ops.sigmoid_forward(z, grad)
                grad -= y_true
                grad /= np.float32(size)
            return loss
        p = xp.clip(y_pred, EPSILON, 1 - EPSILON)
        loss = float(-(y_true * xp.log(p) + (1 - y_true) * xp.log(1 - p)).astype(np.float64).mean())
        if grad is not None:
            inside = (y_pred > EPSILON) & (y_pred < 1 - EPSILON)
            grad[...] = xp.where(inside, (p - y_true) / (p * (1 - p)), 0) / np.float32(size)
        return loss

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits}


LOSSES.register(MeanSquaredError, "mse")
LOSSES.register(MeanAbsoluteError, "mae")


def get(identifier):
    """A loss object from a name (``"mse"``, ``"MeanSquaredError"``, any letter
    case), a class, an instance or one of this module's loss functions.

    Returns:
        A :class:`Loss`; given by name, it is named as it was given.
    """
    cls = _CLASS_OF_FUNCTION.get(identifier) if callable(identifier) else None
    if cls is not None:
        return cls()
    loss = LOSSES.get(identifier, Loss)
    if isinstance(identifier, str) and identifier.lower() != type(loss).__name__.lower():
        loss.name = identifier
    return loss


def deserialize(config):
    """Rebuild a loss saved by :func:`serialize`."""
    return LOSSES.deserialize(config)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Functional form: the mean sparse categorical cross-entropy as a float."""
    return SparseCategoricalCrossentropy(from_logits=from_logits)(y_true, y_pred)


def categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Functional form: the mean categorical cross-entropy as a float."""
    return CategoricalCrossentropy(from_logits=from_logits)(y_true, y_pred)


def mean_squared_error(y_true, y_pred):
    """Functional form: the mean squared error as a float."""
    return MeanSquaredError()(y_true, y_pred)


mse = mean_squared_error


def mean_absolute_error(y_true, y_pred):
    """Functional form: the mean absolute error as a float."""
    return MeanAbsoluteError()(y_true, y_pred)


mae = mean_absolute_error


def binary_crossentropy(y_true, y_pred, from_logits=False):
    """Functional form: the mean binary cross-entropy as a float."""
    return BinaryCrossentropy(from_logits=from_logits)(y_true, y_pred)


# The functional forms passed as ``loss=`` train with their class's fused gradient.
_CLASS_OF_FUNCTION = {
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy,
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
    binary_crossentropy: BinaryCrossentropy,
}
