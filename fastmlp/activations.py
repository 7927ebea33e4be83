"""Activation functions by Keras's names.

Each function takes an array and returns a new float32 array on the current
backend. Layers refer to activations by name (:func:`get`) and run them
through the backend's fused kernels.
"""

import inspect

from . import ops as _ops
from .utils.registry import Registry

# The sections every elementwise activation shares, written once; a function's
# own docstring holds its summary and its example.
_ELEMENTWISE_SECTIONS = """Args:
    x: an array-like of real numbers (any shape, 0-d included).

Returns:
    A float32 array of ``x``'s shape{values}.

Raises:
    TypeError: ``x`` does not hold real numbers (strings, None, objects).

"""


def _elementwise_doc(values=""):
    """Decorator: put the shared Args/Returns/Raises sections, with
    ``values`` (the output's range) after Returns' text, before the
    function's ``Example:``."""
    def document(fn):
        if fn.__doc__:  # (None under python -OO)
            summary, example = inspect.cleandoc(fn.__doc__).split("\nExample:", 1)
            fn.__doc__ = f"{summary.rstrip()}\n\n{_ELEMENTWISE_SECTIONS.format(values=values)}Example:{example}"
        return fn
    return document


@_elementwise_doc()
def linear(x):
    """The identity, as a new float32 array.

    Example:
        >>> fastmlp.activations.linear([-1, 0, 2]).tolist()
        [-1.0, 0.0, 2.0]
    """
    return _ops._float_array(_ops.get_ops(), x, "x", min_ndim=0).copy()


@_elementwise_doc()
def relu(x):
    """``max(x, 0)`` elementwise (Keras's defaults: no cap, no threshold).

    Example:
        >>> fastmlp.activations.relu(np.array([-1.0, 0.0, 2.0])).tolist()
        [0.0, 0.0, 2.0]
    """
    return _ops.relu(x)


@_elementwise_doc(", values in [0, 1]")
def sigmoid(x):
    """``1 / (1 + exp(-x))`` elementwise.

    Example:
        >>> # values from Keras 3.15 (torch backend): keras.activations.sigmoid
        >>> [round(float(v), 4) for v in fastmlp.activations.sigmoid(np.array([-1.0, 0.0, 2.0]))]
        [0.2689, 0.5, 0.8808]
    """
    return _ops.sigmoid(x)


@_elementwise_doc(", values in [-1, 1]")
def tanh(x):
    """Hyperbolic tangent elementwise.

    Example:
        >>> [round(float(v), 4) for v in fastmlp.activations.tanh(np.array([-1.0, 0.0, 2.0]))]
        [-0.7616, 0.0, 0.964]
    """
    return _ops.tanh(x)


@_elementwise_doc()
def elu(x):
    """``x`` where positive, else ``exp(x) - 1`` (Keras's ``alpha=1``).

    Example:
        >>> [round(float(v), 4) for v in fastmlp.activations.elu(np.array([-1.0, 0.0, 2.0]))]
        [-0.6321, 0.0, 2.0]
    """
    return _ops.elu(x)


@_elementwise_doc()
def selu(x):
    """Scaled ELU (Klambauer et al.): ``scale * elu(x, alpha)`` with Keras's
    constants ``alpha = 1.6733``, ``scale = 1.0507``.

    Example:
        >>> # values from Keras 3.15 (torch backend): keras.activations.selu
        >>> [round(float(v), 4) for v in fastmlp.activations.selu(np.array([-1.0, 0.0, 2.0]))]
        [-1.1113, 0.0, 2.1014]
    """
    return _ops.selu(x)


@_elementwise_doc(", values >= 0")
def softplus(x):
    """``log(1 + exp(x))`` elementwise, stable for large ``|x|``.

    Example:
        >>> [round(float(v), 4) for v in fastmlp.activations.softplus(np.array([-1.0, 0.0, 2.0]))]
        [0.3133, 0.6931, 2.1269]
    """
    return _ops.softplus(x)


@_elementwise_doc()
def leaky_relu(x):
    """``x`` where positive, else ``0.2 * x`` (the function's default slope
    in Keras 3; the :class:`~fastmlp.layers.LeakyReLU` layer's is 0.3).

    Example:
        >>> [round(float(v), 4) for v in fastmlp.activations.leaky_relu(np.array([-1.0, 0.0, 2.0]))]
        [-0.2, 0.0, 2.0]
    """
    return _ops.leaky_relu(x)


def gelu(x, approximate=False):
    """Gaussian error linear unit: ``x * Phi(x)`` with ``Phi`` the standard
    normal CDF (erf form).

    Args:
        x: an array-like of real numbers (any shape, 0-d included).
        approximate: False (Keras's default) for the exact erf form, True for
            the tanh approximation. Layers always run the exact form.

    Returns:
        A float32 array of ``x``'s shape.

    Raises:
        TypeError: ``x`` does not hold real numbers (strings, None, objects).

    Example:
        >>> # values from Keras 3.15 (torch backend): keras.activations.gelu
        >>> x = np.array([-1.0, 0.0, 2.0])
        >>> [round(float(v), 4) for v in fastmlp.activations.gelu(x)]
        [-0.1587, 0.0, 1.9545]
        >>> [round(float(v), 4) for v in fastmlp.activations.gelu(x, approximate=True)]
        [-0.1588, 0.0, 1.9546]
    """
    return _ops.gelu(x, approximate=approximate)


@_elementwise_doc()
def silu(x):
    """``x * sigmoid(x)``; also registered (and exported) as ``swish``.

    Example:
        >>> [round(float(v), 4) for v in fastmlp.activations.silu(np.array([-1.0, 0.0, 2.0]))]
        [-0.2689, 0.0, 1.7616]
        >>> fastmlp.activations.swish is fastmlp.activations.silu
        True
    """
    return _ops.silu(x)


@_elementwise_doc(", values in [0, 6]")
def relu6(x):
    """``min(max(x, 0), 6)`` elementwise.

    Example:
        >>> fastmlp.activations.relu6(np.array([-1.0, 3.0, 8.0])).tolist()
        [0.0, 3.0, 6.0]
    """
    return _ops.relu6(x)


@_elementwise_doc(", values in [0, 1]")
def hard_sigmoid(x):
    """Keras 3's ``relu6(x + 3) / 6``: 0 for ``x <= -3``, 1 for ``x >= 3``
    (Keras 2 used slope 0.2 and cut-offs at +-2.5).

    Example:
        >>> # values from Keras 3.15 (torch backend): keras.activations.hard_sigmoid
        >>> fastmlp.activations.hard_sigmoid(np.array([-3.0, 0.0, 3.0])).tolist()
        [0.0, 0.5, 1.0]
        >>> round(float(fastmlp.activations.hard_sigmoid(-1.0)), 4)
        0.3333
    """
    return _ops.hard_sigmoid(x)


@_elementwise_doc(" (inf where ``exp`` overflows float32)")
def exponential(x):
    """``exp(x)`` elementwise.

    Example:
        >>> [round(float(v), 4) for v in fastmlp.activations.exponential(np.array([-1.0, 0.0, 2.0]))]
        [0.3679, 1.0, 7.3891]
    """
    return _ops.exponential(x)


def softmax(x, axis=-1):
    """Softmax along ``axis``: ``exp(x - max) / sum(exp(x - max))``, so each
    slice along ``axis`` sums to 1, stable for large inputs.

    Args:
        x: an array-like of real numbers with at least one dimension.
        axis: the axis normalized over (default the last).

    Returns:
        A float32 array of ``x``'s shape.

    Raises:
        TypeError: ``x`` does not hold real numbers (strings, None, objects).
        ValueError: ``x`` is 0-d, or ``axis`` is out of range (NumPy's
            ``AxisError``, a ValueError).

    Example:
        >>> y = fastmlp.activations.softmax(np.array([[1.0, 1.0], [0.0, np.log(3.0)]]))
        >>> [[round(float(v), 4) for v in row] for row in y]
        [[0.5, 0.5], [0.25, 0.75]]
        >>> fastmlp.activations.softmax(np.zeros((2, 4)), axis=0).tolist()[0]
        [0.5, 0.5, 0.5, 0.5]
    """
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
    this module's functions.

    Layers store activations by name (Keras's ``activations.get`` returns the
    function instead; ``get(None)`` is ``linear`` in both).

    Args:
        identifier: None, a name in any letter case (``"ReLU"``, ``"swish"``)
            or a function of this module.

    Returns:
        The registered name of the function, a str (``"silu"`` for ``"swish"``).

    Raises:
        ValueError: an unknown name (the message lists the valid ones).
        TypeError: anything else (a number, a function not from this module).

    Example:
        >>> fastmlp.activations.get("ReLU"), fastmlp.activations.get(None)
        ('relu', 'linear')
        >>> fastmlp.activations.get(fastmlp.activations.swish)
        'silu'
    """
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
