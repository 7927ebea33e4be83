"""Standalone activation layers: Activation, ReLU, Softmax."""

from __future__ import annotations

from typing import Any, Callable

from .. import activations
from .layer import Layer

# The backend kernels (forward, backward) of each activation; ``linear`` has none.
KERNELS = {
    "relu": ("relu_forward", "relu_backward"),
    "sigmoid": ("sigmoid_forward", "sigmoid_backward"),
    "tanh": ("tanh_forward", "tanh_backward"),
    "softmax": ("softmax", "softmax_backward"),
    **{name: (f"{name}_forward", f"{name}_backward")
       for name in ("elu", "selu", "softplus", "leaky_relu", "gelu", "silu", "relu6", "hard_sigmoid",
                    "exponential")},
}

# Activations whose backward kernel takes the input, not the output: their
# derivative is not a function of the output (gelu and silu are not monotonic).
FROM_INPUT = frozenset({"gelu", "silu"})


def activation_forward(layer, name, x):
    """Run activation ``name`` on ``x`` into ``layer``'s output buffer."""
    y = layer.buffer("y", x.shape)
    getattr(layer.ops, KERNELS[name][0])(x, y)
    return y


def activation_backward(layer, name, x, y, dy, key="dx"):
    """The gradient through activation ``name`` whose input was ``x`` and
    output ``y``, into ``layer``'s buffer ``key``."""
    dx = layer.buffer(key, dy.shape)
    getattr(layer.ops, KERNELS[name][1])(x if name in FROM_INPUT else y, dy, dx)
    return dx


class Activation(Layer):
    """Applies an activation function by name (``"relu"``, ``"softmax"``...).

    Args:
        activation: a name from :mod:`fastmlp.activations` (any letter case),
            one of its functions, or None (linear).
        **kwargs: the common layer arguments (``name``, ``input_shape``, ...).

    Raises:
        ValueError: an unknown activation name.
        TypeError: an activation that is neither a name nor a
            :mod:`fastmlp.activations` function, or an unknown keyword argument.

    Example:
        >>> # from Keras 3.15 (torch backend): keras.layers.Activation("tanh")(x)
        >>> y = fastmlp.layers.Activation("tanh")(np.array([[-2.0, 0.0, 1.0, 3.0]]))
        >>> [round(float(v), 4) for v in y[0]]
        [-0.964, 0.0, 0.7616, 0.9951]
    """

    def __init__(self, activation: str | Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.emits_softmax = self.activation == "softmax"

    def forward(self, x, training=False, logits=False):
        self._passthrough = self.activation == "linear" or (logits and self.emits_softmax)
        if self._passthrough:
            return x
        self._x = x
        self._y = activation_forward(self, self.activation, x)
        return self._y

    def backward(self, dy, need_dx=True):
        if not need_dx:
            return None
        if self._passthrough:
            return dy
        return activation_backward(self, self.activation, self._x, self._y, dy)

    def get_config(self):
        return {**super().get_config(), "activation": self.activation}


class _FixedActivation(Activation):
    """An activation layer whose class fixes the function, so its config
    does not name it."""

    def get_config(self):
        config = super().get_config()
        del config["activation"]
        return config


class ReLU(_FixedActivation):
    """``max(x, 0)``. Only Keras's default arguments are supported.

    Args:
        max_value: must be None (no cap).
        negative_slope: must be 0.
        threshold: must be 0.
        **kwargs: the common layer arguments (``name``, ``input_shape``, ...).

    Raises:
        ValueError: any other ``max_value``, ``negative_slope`` or ``threshold``.
        TypeError: an unknown keyword argument.

    Example:
        >>> fastmlp.layers.ReLU()(np.array([[-2.0, 0.0, 1.0, 3.0]])).tolist()
        [[0.0, 0.0, 1.0, 3.0]]
    """

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0, threshold: float = 0.0,
                 **kwargs: Any) -> None:
        if max_value is not None or negative_slope != 0.0 or threshold != 0.0:
            raise ValueError("fastmlp's ReLU supports only max_value=None, negative_slope=0, threshold=0")
        super().__init__("relu", **kwargs)


class Softmax(_FixedActivation):
    """Softmax over the last axis (as a model's last layer, it is folded into
    a cross-entropy loss during training, with the same result).

    Args:
        axis: must be -1 (the last axis).
        **kwargs: the common layer arguments (``name``, ``input_shape``, ...).

    Raises:
        ValueError: any other ``axis``.
        TypeError: an unknown keyword argument.

    Example:
        >>> y = fastmlp.layers.Softmax()(np.array([[0.0, np.log(3.0)]]))
        >>> [round(float(v), 4) for v in y[0]]
        [0.25, 0.75]
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        if axis != -1:
            raise ValueError(f"fastmlp's Softmax supports only axis=-1, got {axis}")
        super().__init__("softmax", **kwargs)


class LeakyReLU(Layer):
    """``x`` where positive, else ``negative_slope * x`` (Keras's default 0.3;
    Keras 2 called it ``alpha``).

    Args:
        negative_slope: the slope for ``x < 0``, a finite number >= 0.
        alpha: Keras 2's name for ``negative_slope``; when given, it wins.
        **kwargs: the common layer arguments (``name``, ``input_shape``, ...).

    Raises:
        ValueError: a negative, NaN or infinite slope, or a string that is
            not a number.
        TypeError: a slope that is neither a number nor a string, or an
            unknown keyword argument.

    Example:
        >>> # from Keras 3.15 (torch backend): keras.layers.LeakyReLU()(x)
        >>> y = fastmlp.layers.LeakyReLU()(np.array([[-2.0, 0.0, 1.0, 3.0]]))
        >>> [round(float(v), 4) for v in y[0]]
        [-0.6, 0.0, 1.0, 3.0]
    """

    def __init__(self, negative_slope: float = 0.3, alpha: float | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        slope = float(negative_slope if alpha is None else alpha)
        if not slope >= 0 or slope != slope or slope == float("inf"):
            raise ValueError(f"LeakyReLU needs a finite negative_slope >= 0, got {slope}")
        self.negative_slope = slope

    def forward(self, x, training=False, logits=False):
        self._y = self.buffer("y", x.shape)
        return self.ops.leaky_relu_forward(x, self._y, self.negative_slope)

    def backward(self, dy, need_dx=True):
        if not need_dx:
            return None
        dx = self.buffer("dx", dy.shape)
        return self.ops.leaky_relu_backward(self._y, dy, dx, self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}
