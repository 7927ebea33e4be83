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


def gelu(x, approximate=False):
    """Gaussian error linear unit: ``x * Phi(x)`` (erf form, Keras's default),
    or the tanh approximation with ``approximate=True`` (layers run the exact form)."""
    return _ops.gelu(x, approximate=approximate)


def silu(x):
    """``x * sigmoid(x)``; also registered as ``swish``."""
    return _ops.silu(x)


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return _ops.relu6(x)


def hard_sigmoid(x):
    """Keras 3's ``relu6(x + 3) / 6``: 0 for ``x <= -3``, 1 for ``x >= 3``."""
    return _ops.hard_sigmoid(x)


def exponential(x):
    """``exp(x)``."""
    return _ops.exponential(x)


def softmax(x, axis=-1):
    """Softmax along ``axis``."""
    return _ops.softmax(x, axis=axis)


#: the activation functions by name; layers hold the name and run the
#: backend's kernel for it
ACTIVATIONS = Registry("activation")
for _fn in (linear, relu, sigmoid, tanh, softmax, elu, selu, softplus, leaky_relu, gelu, silu, relu6,
            hard_sigmoid, exponential):
    ACTIVATIONS.register(_fn)
ACTIVATIONS.register(silu, "swish")
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


__all__ = ["elu", "exponential", "gelu", "get", "hard_sigmoid", "leaky_relu", "linear", "relu", "relu6",
           "selu", "sigmoid", "silu", "softmax", "softplus", "swish", "tanh"]

swish = silu
