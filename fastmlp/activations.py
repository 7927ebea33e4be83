"""Activation functions by Keras's names.

Each function takes an array and returns a new float32 array on the current
backend. Layers refer to activations by name (:func:`get`) and run them
through the backend's fused kernels.
"""

from . import ops as _ops
from .utils.registry import Registry


def linear(x):
    """The identity (as float32)."""
    return _ops._float_array(_ops.get_ops(), x, "x", min_ndim=0).copy()


def relu(x):
    """``max(x, 0)``."""
    return _ops.relu(x)


def sigmoid(x):
    """``1 / (1 + exp(-x))``."""
    return _ops.sigmoid(x)


def tanh(x):
    """Hyperbolic tangent."""
    return _ops.tanh(x)


def elu(x):
    """``x`` where positive, else ``exp(x) - 1``."""
    return _ops.elu(x)


def selu(x):
    """Scaled ELU (Klambauer et al.)."""
    return _ops.selu(x)


def softplus(x):
    """``log(1 + exp(x))``."""
    return _ops.softplus(x)


def leaky_relu(x):
    """``x`` where positive, else ``0.2 * x``."""
    return _ops.leaky_relu(x)


def softmax(x, axis=-1):
    """Softmax along ``axis``."""
    return _ops.softmax(x, axis=axis)


#: the activation functions by name; layers hold the name and run the
#: backend's kernel for it
ACTIVATIONS = Registry("activation")
for _fn in (linear, relu, sigmoid, tanh, softmax, elu, selu, softplus, leaky_relu):
    ACTIVATIONS.register(_fn)
NAMES = tuple(ACTIVATIONS.names())


def get(identifier):
    """The canonical name of an activation given as None, a name or one of
    this module's functions."""
    if identifier is None:
        return "linear"
    if isinstance(identifier, str):
        return ACTIVATIONS.lookup(identifier).__name__
    if ACTIVATIONS.holds(identifier):
        return identifier.__name__
    raise TypeError(
        f"activation must be a name ({', '.join(NAMES)}) or a fastmlp.activations function, "
        f"got {identifier!r}"
    )


__all__ = ["elu", "get", "leaky_relu", "linear", "relu", "selu", "sigmoid", "softmax", "softplus",
           "tanh"]
