"""Public entry points to fastmlp's kernels, on the current backend.

Inputs may be any array-like of real numbers; they are cast to contiguous
float32 once here, checked, and handed to the backend's kernel. Results are
new arrays of the backend's array type (NumPy on the CPU backends).
"""

import operator

import numpy as np

from .backend import get_ops
from .backend.checks import check_labels


def _float_array(ops, x, name, min_ndim=1):
    xp = ops.xp
    arr = x if isinstance(x, xp.ndarray) else xp.asarray(np.asarray(x) if xp is not np else x)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), got shape {arr.shape}")
    # asarray(order="C"), not ascontiguousarray: the latter turns a 0-d array
    # into shape (1,), so relu(-1.0) would come back as [0.] instead of 0-d.
    return xp.asarray(arr, dtype=np.float32, order="C")


def _rowwise(kernel_name, x, axis):
    """Apply a row-wise kernel along ``axis`` of an array of any rank."""
    ops = get_ops()
    xp = ops.xp
    arr = _float_array(ops, x, "x")
    moved = xp.ascontiguousarray(xp.moveaxis(arr, axis, -1))
    rows = moved.reshape(-1, moved.shape[-1]) if moved.size else moved.reshape(0, moved.shape[-1])
    out = xp.empty_like(rows)
    if rows.shape[0] and rows.shape[1]:
        getattr(ops, kernel_name)(rows, out)
    return xp.moveaxis(out.reshape(moved.shape), -1, axis)


def softmax(x, axis=-1):
    """Softmax along ``axis`` (rows sum to 1), stable for large inputs."""
    return _rowwise("softmax", x, axis)


def log_softmax(x, axis=-1):
    """Log-softmax along ``axis``, stable for large inputs."""
    return _rowwise("log_softmax", x, axis)


def _elementwise(kernel_name, x):
    ops = get_ops()
    arr = _float_array(ops, x, "x", min_ndim=0)
    # The kernels see a flat view (no copy: arr is C-contiguous); a 0-d input
    # comes back 0-d, as from NumPy.
    flat = arr.reshape(-1)
    out = ops.xp.empty_like(flat)
    getattr(ops, kernel_name)(flat, out)
    return out.reshape(arr.shape)


def relu(x):
    """``max(x, 0)`` elementwise."""
    return _elementwise("relu_forward", x)


def sigmoid(x):
    """``1 / (1 + exp(-x))`` elementwise."""
    return _elementwise("sigmoid_forward", x)


def tanh(x):
    """Hyperbolic tangent elementwise."""
    return _elementwise("tanh_forward", x)


def elu(x):
    """``x`` where positive, else ``exp(x) - 1``."""
    return _elementwise("elu_forward", x)


def selu(x):
    """Scaled ELU with Keras's constants."""
    return _elementwise("selu_forward", x)


def softplus(x):
    """``log(1 + exp(x))``."""
    return _elementwise("softplus_forward", x)


def leaky_relu(x):
    """``x`` where positive, else ``0.2 * x``."""
    return _elementwise("leaky_relu_forward", x)


def gelu(x, approximate=False):
    """GELU: exact ``x * Phi(x)`` by default, Keras's tanh form with ``approximate``."""
    if not approximate:
        return _elementwise("gelu_forward", x)
    xp = get_ops().xp
    arr = _float_array(get_ops(), x, "x", min_ndim=0)
    inner = np.float32(np.sqrt(2 / np.pi)) * (arr + np.float32(0.044715) * arr ** 3)
    return (np.float32(0.5) * arr * (1 + xp.tanh(inner))).astype(np.float32)


def silu(x):
    """``x * sigmoid(x)`` (Keras's ``silu``, alias ``swish``)."""
    return _elementwise("silu_forward", x)


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return _elementwise("relu6_forward", x)


def hard_sigmoid(x):
    """Keras 3's ``relu6(x + 3) / 6``."""
    return _elementwise("hard_sigmoid_forward", x)


def exponential(x):
    """``exp(x)``."""
    return _elementwise("exponential_forward", x)


def dense(x, kernel, bias=None, activation=None):
    """The fused dense layer ``activation(x @ kernel + bias)`` for a 2-D ``x``;
    ``activation`` is None/``"linear"`` or ``"relu"``."""
    ops = get_ops()
    activation = "linear" if activation is None else activation
    if activation not in ("linear", "relu"):
        raise ValueError(f"dense fuses only 'linear' and 'relu', got {activation!r}")
    x = _float_array(ops, x, "x", min_ndim=2)
    kernel = _float_array(ops, kernel, "kernel", min_ndim=2)
    if x.ndim != 2 or kernel.ndim != 2:
        raise ValueError(f"dense needs 2-D x and kernel, got shapes {x.shape} and {kernel.shape}")
    if x.shape[1] != kernel.shape[0]:
        raise ValueError(f"x has {x.shape[1]} features but kernel expects {kernel.shape[0]}")
    if bias is not None:
        bias = _float_array(ops, bias, "bias")
        if bias.shape != (kernel.shape[1],):
            raise ValueError(f"bias must have shape ({kernel.shape[1]},), got {bias.shape}")
    out = ops.alloc((x.shape[0], kernel.shape[1]))
    return ops.dense_forward(x, kernel, bias, activation, out)


def _logits_2d(ops, logits):
    logits = _float_array(ops, logits, "logits", min_ndim=2)
    if logits.ndim != 2 or logits.shape[0] == 0 or logits.shape[1] == 0:
        raise ValueError(f"logits must be a non-empty (batch, classes) array, got shape {logits.shape}")
    return logits


def sparse_softmax_cross_entropy(logits, labels):
    """Fused softmax cross-entropy with integer labels.

    Returns ``(mean_loss, dlogits)`` where ``dlogits = (softmax - onehot) / batch``.
    """
    ops = get_ops()
    logits = _logits_2d(ops, logits)
    labels = check_labels(labels, logits.shape[1])
    if labels.shape != (logits.shape[0],):
        raise ValueError(f"labels shape {labels.shape} does not match {logits.shape[0]} rows of logits")
    dlogits = ops.alloc(logits.shape)
    loss = ops.softmax_xent_sparse(logits, ops.xp.asarray(labels), dlogits)
    return loss, dlogits


def softmax_cross_entropy(logits, targets):
    """Fused softmax cross-entropy with one-hot or probability targets.

    Returns ``(mean_loss, dlogits)``.
    """
    ops = get_ops()
    logits = _logits_2d(ops, logits)
    targets = _float_array(ops, targets, "targets", min_ndim=2)
    if targets.shape != logits.shape:
        raise ValueError(f"targets shape {targets.shape} does not match logits shape {logits.shape}")
    dlogits = ops.alloc(logits.shape)
    loss = ops.softmax_xent_dense(logits, targets, dlogits)
    return loss, dlogits


def dropout(x, rate, seed, step=0):
    """Inverted dropout with a counter-based mask keyed by ``(seed, step)``.

    Returns ``(out, mask)``; ``mask`` is uint8 (1 = kept) and is the same on every
    backend for the same seed and step.
    """
    ops = get_ops()
    x = _float_array(ops, x, "x", min_ndim=0)
    rate = float(rate)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
    try:
        seed, step = operator.index(seed), operator.index(step)
    except TypeError:
        raise TypeError(f"dropout seed and step must be integers, got {seed!r} and {step!r}") from None
    flat = x.reshape(-1)
    mask = ops.alloc(flat.shape, dtype=np.uint8)
    out = ops.xp.empty_like(flat)
    ops.dropout_forward(flat, rate, seed, step, mask, out)
    return out.reshape(x.shape), mask.reshape(x.shape)


# ---------------------------------------------------------------- array helpers
# A few of keras.ops's NumPy-like functions, so Keras programs that use them
# for pre- and post-processing port unchanged. They run on the current
# backend's array module.


def _xp():
    return get_ops().xp


def convert_to_tensor(x, dtype=None):
    """``x`` as an array of the current backend."""
    return _xp().asarray(x, dtype=dtype)


def convert_to_numpy(x):
    """``x`` as a NumPy array on the host."""
    return np.asarray(get_ops().to_numpy(x))


def cast(x, dtype):
    return _xp().asarray(x).astype(dtype)


def zeros(shape, dtype="float32"):
    return _xp().zeros(shape, dtype=dtype)


def ones(shape, dtype="float32"):
    return _xp().ones(shape, dtype=dtype)


def argmax(x, axis=-1):
    return _xp().argmax(_xp().asarray(x), axis=axis)


def argmin(x, axis=-1):
    return _xp().argmin(_xp().asarray(x), axis=axis)


def one_hot(x, num_classes, dtype="float32"):
    """One-hot rows for integer ``x`` (see also ``fastmlp.utils.to_categorical``)."""
    labels = check_labels(convert_to_numpy(x).reshape(-1), num_classes)
    out = np.zeros((labels.size, num_classes), dtype=dtype)
    out[np.arange(labels.size), labels] = 1
    return convert_to_tensor(out.reshape(np.shape(x) + (num_classes,)))


def _reduction(name):
    def reduce(x, axis=None, keepdims=False):
        return getattr(_xp(), name)(_xp().asarray(x), axis=axis, keepdims=keepdims)
    reduce.__name__ = name
    reduce.__doc__ = f"``{name}`` over ``axis`` on the current backend."
    return reduce


def _elementwise_np(name):
    def apply(x):
        return getattr(_xp(), name)(_xp().asarray(x))
    apply.__name__ = name
    apply.__doc__ = f"Elementwise ``{name}`` on the current backend."
    return apply


mean, sum, max, min = (_reduction(n) for n in ("mean", "sum", "max", "min"))  # noqa: A001
exp, log, sqrt, square, abs = (_elementwise_np(n) for n in ("exp", "log", "sqrt", "square", "abs"))  # noqa: A001


def clip(x, x_min, x_max):
    return _xp().clip(_xp().asarray(x), x_min, x_max)


def matmul(a, b):
    return _xp().matmul(_xp().asarray(a), _xp().asarray(b))


def expand_dims(x, axis):
    return _xp().expand_dims(_xp().asarray(x), axis)


def reshape(x, new_shape):
    return _xp().reshape(_xp().asarray(x), new_shape)


def equal(a, b):
    return _xp().equal(_xp().asarray(a), _xp().asarray(b))


__all__ = [
    "abs", "argmax", "argmin", "cast", "clip", "convert_to_numpy", "convert_to_tensor", "dense",
    "dropout", "elu", "equal", "exp", "expand_dims", "log", "log_softmax", "matmul", "max", "mean", "min",
    "one_hot", "ones", "leaky_relu", "relu", "reshape", "selu", "sigmoid", "softmax",
    "softplus", "softmax_cross_entropy",
    "sparse_softmax_cross_entropy", "sqrt", "square", "sum", "tanh", "zeros",
]
