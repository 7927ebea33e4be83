"""Dense: ``activation(x @ kernel + bias)`` on the fused kernels."""

from __future__ import annotations

from typing import Any, Callable

from .. import activations, initializers, regularizers
from ..utils.types import Identifier
from .activation import KERNELS, activation_backward
from .layer import Layer, deserialize_entries

# Activations the dense kernel fuses into its GEMM epilogue.
_FUSED = ("linear", "relu")


class Dense(Layer):
    """A fully connected layer.

    ``relu`` and ``linear`` run fused into the dense kernel; ``sigmoid``,
    ``tanh`` and ``softmax`` run as a second pass (and a final softmax is
    folded into the cross-entropy during training).

    Args:
        units: the number of outputs, a positive integer.
        activation: an activation name or function (None is linear).
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializer names or objects.
        kernel_regularizer, bias_regularizer: L1/L2 penalties, or None.
        activity_regularizer: not supported (must be None).
        **kwargs: the common layer arguments (``name``, ``input_shape``, ...).

    Raises:
        TypeError: ``units`` that is not an integer.
        ValueError: ``units`` below 1, an unknown name, an
            ``activity_regularizer``, or non-flat inputs when built.

    Example:
        >>> layer = fastmlp.layers.Dense(128, activation="relu")
    """

    def __init__(self, units: int, activation: str | Callable[..., Any] | None = None, use_bias: bool = True,
                 kernel_initializer: Identifier = "glorot_uniform",
                 bias_initializer: Identifier = "zeros",
                 kernel_regularizer: Identifier | None = None,
                 bias_regularizer: Identifier | None = None,
                 activity_regularizer: Any = None, **kwargs: Any) -> None:
        if activity_regularizer is not None:
            raise ValueError("fastmlp's Dense does not support activity_regularizer")
        if isinstance(units, bool) or not isinstance(units, int) and not hasattr(units, "__index__"):
            raise TypeError(f"Dense units must be a positive integer, got {units!r}")
        units = int(units)
        if units <= 0:
            raise ValueError(f"Dense units must be a positive integer, got {units}")
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        # Keras's add_weight draws a weight whose initializer is None from
        # glorot_uniform (checked with Keras 3.15: Dense(bias_initializer=None)).
        self.kernel_initializer = initializers.get(kernel_initializer or "glorot_uniform")
        self.bias_initializer = initializers.get(bias_initializer or "glorot_uniform")
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.emits_softmax = self.activation == "softmax"

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ValueError(
                f"Dense layer {self.name!r} needs flat inputs (features,), got per-sample shape "
                f"{input_shape}; put a Flatten layer before it"
            )
        return (self.units,)

    def param_specs(self):
        specs: list[tuple[str, tuple[int, ...], Any]] = [
            ("kernel", (self.input_shape_[0], self.units), self.kernel_initializer)]
        if self.use_bias:
            specs.append(("bias", (self.units,), self.bias_initializer))
        return specs

    def regularizers(self):
        """``{weight name: regularizer}`` for the regularized weights."""
        found = {"kernel": self.kernel_regularizer,
                 "bias": self.bias_regularizer if self.use_bias else None}
        return {name: reg for name, reg in found.items() if reg is not None}

    @property
    def kernel(self):
        """The kernel as a :class:`~fastmlp.layers.variable.Variable` (None before build)."""
        return self._variable("kernel")

    @property
    def bias(self):
        """The bias as a Variable (None before build or without a bias)."""
        return self._variable("bias")

    def forward(self, x, training=False, logits=False):
        ops = self.ops
        n = x.shape[0]
        act = "linear" if logits and self.emits_softmax else self.activation
        self._x = x
        self._act = act
        y = self.buffer("y", (n, self.units))
        if act in _FUSED:
            ops.dense_forward(x, self._weights["kernel"], self._weights.get("bias"), act, y)
            self._y = y
            return y
        z = self.buffer("z", (n, self.units))
        ops.dense_forward(x, self._weights["kernel"], self._weights.get("bias"), "linear", z)
        getattr(ops, KERNELS[act][0])(z, y)
        self._z = z
        self._y = y
        return y

    def backward(self, dy, need_dx=True):
        ops = self.ops
        act = self._act
        if act not in _FUSED:
            dy, act = activation_backward(self, act, self._z, self._y, dy, key="dz"), "linear"
        dx = self.buffer("dx", self._x.shape) if need_dx else None
        ops.dense_backward(self._x, self._weights["kernel"], self._y, dy, act,
                           self._grads["kernel"], self._grads.get("bias"), dx)
        return dx

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self.activation,
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            **{f"{name}_regularizer": regularizers.serialize(reg)
               for name, reg in self.regularizers().items()},
        }

    @classmethod
    def from_config(cls, config):
        config = deserialize_entries(config, ("kernel_initializer", "bias_initializer"),
                                     initializers.deserialize)
        return cls(**deserialize_entries(config, ("kernel_regularizer", "bias_regularizer"),
                                         regularizers.deserialize))
