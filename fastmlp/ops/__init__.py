"""Public entry points to fastmlp's kernels, on the current backend.

Inputs may be any array-like of real numbers; they are cast to contiguous
float32 once here, checked, and handed to the backend's kernel. Results are
new arrays of the backend's array type (NumPy on the CPU backends).

A few of ``keras.ops``'s NumPy-like functions (``mean``, ``argmax``,
``one_hot``...) come from :mod:`fastmlp.ops.numpy_like`, so Keras programs that
use them for pre- and post-processing port unchanged.
"""

import operator

import numpy as np

from ..backend import get_ops
from ..backend.checks import check_labels
from .numpy_like import (  # noqa: F401 (public here)
    abs, argmax, argmin, cast, clip, convert_to_numpy, convert_to_tensor, equal, exp, expand_dims, log,
    matmul, max, mean, min, one_hot, ones, reshape, sqrt, square, sum, zeros)


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
    """Softmax along ``axis`` (rows sum to 1), stable for large inputs.

    Args:
        x: array-like of real numbers with at least one dimension.
        axis: the axis normalised over (default: the last).

    Returns:
        A new float32 array of ``x``'s shape.

    Raises:
        TypeError: ``x`` does not hold real numbers.
        ValueError: ``x`` is a scalar.
        numpy.exceptions.AxisError: ``axis`` is out of range (a ValueError).

    Example:
        >>> [round(p, 4) for p in fastmlp.ops.softmax([1.0, 2.0, 3.0]).tolist()]
        [0.09, 0.2447, 0.6652]
    """
    return _rowwise("softmax", x, axis)


def log_softmax(x, axis=-1):
    """Log-softmax along ``axis``, stable for large inputs.

    Args:
        x: array-like of real numbers with at least one dimension.
        axis: the axis normalised over (default: the last).

    Returns:
        A new float32 array of ``x``'s shape.

    Raises:
        TypeError: ``x`` does not hold real numbers.
        ValueError: ``x`` is a scalar.
        numpy.exceptions.AxisError: ``axis`` is out of range (a ValueError).

    Example:
        >>> [round(p, 4) for p in fastmlp.ops.log_softmax([1.0, 2.0, 3.0]).tolist()]
        [-2.4076, -1.4076, -0.4076]
    """
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


def _activation_doc(example):
    """Complete an elementwise activation's one-line docstring with the
    sections the seven share (one text, not seven copies) and its example:
    ``example`` is what it prints for the inputs ``[-1.0, 0.0, 2.0]``."""
    def attach(func):
        func.__doc__ = f"""{func.__doc__}

    Args:
        x: array-like of real numbers, any shape (a scalar gives a 0-d array).

    Returns:
        A new float32 array of ``x``'s shape, on the current backend.

    Raises:
        TypeError: ``x`` does not hold real numbers.

    Example:
        >>> [round(v, 4) for v in fastmlp.ops.{func.__name__}([-1.0, 0.0, 2.0]).tolist()]
        {example}
    """
        return func
    return attach


# Example values agree with Keras 3.15 (torch backend): keras.ops.<name>([-1., 0., 2.]).
@_activation_doc("[0.0, 0.0, 2.0]")
def relu(x):
    """``max(x, 0)`` elementwise."""
    return _elementwise("relu_forward", x)


@_activation_doc("[0.2689, 0.5, 0.8808]")
def sigmoid(x):
    """``1 / (1 + exp(-x))`` elementwise."""
    return _elementwise("sigmoid_forward", x)


@_activation_doc("[-0.7616, 0.0, 0.964]")
def tanh(x):
    """Hyperbolic tangent elementwise."""
    return _elementwise("tanh_forward", x)


@_activation_doc("[-0.6321, 0.0, 2.0]")
def elu(x):
    """``x`` where positive, else ``exp(x) - 1``."""
    return _elementwise("elu_forward", x)


@_activation_doc("[-1.1113, 0.0, 2.1014]")
def selu(x):
    """Scaled ELU with Keras's constants."""
    return _elementwise("selu_forward", x)


@_activation_doc("[0.3133, 0.6931, 2.1269]")
def softplus(x):
    """``log(1 + exp(x))``."""
    return _elementwise("softplus_forward", x)


@_activation_doc("[-0.2, 0.0, 2.0]")
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
    """The fused dense layer ``activation(x @ kernel + bias)`` in one kernel call.

    Args:
        x: array-like of shape ``(batch, in_features)``.
        kernel: array-like of shape ``(in_features, units)``.
        bias: array-like of shape ``(units,)``, or None for no bias.
        activation: None or ``"linear"`` (none), or ``"relu"``; the only
            activations fused.

    Returns:
        A new float32 array of shape ``(batch, units)``.

    Raises:
        TypeError: an array that does not hold real numbers.
        ValueError: another ``activation``, or shapes that are not 2-D or do
            not match.

    Example:
        >>> fastmlp.ops.dense([[1.0, -2.0]], [[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], "relu").tolist()
        [[1.5, 0.0]]
    """
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
    """Fused softmax cross-entropy with integer labels, and its gradient.

    The loss is Keras's
    ``SparseCategoricalCrossentropy(from_logits=True)(labels, logits)``.

    Args:
        logits: array-like of shape ``(batch, classes)``, non-empty.
        labels: integers (or whole floats) in ``[0, classes)``, shape
            ``(batch,)`` or ``(batch, 1)``.

    Returns:
        ``(mean_loss, dlogits)``: the mean loss (a Python float) and its
        gradient ``(softmax(logits) - onehot) / batch``, float32 of the
        shape of ``logits``.

    Raises:
        TypeError: non-numeric ``logits``, or labels that are not integers.
        ValueError: ``logits`` not a non-empty 2-D array, a label outside
            ``[0, classes)`` or not whole, or one label per row not given.

    Example:
        >>> loss, dlogits = fastmlp.ops.sparse_softmax_cross_entropy([[1.0, 2.0, 3.0]], [2])
        >>> round(loss, 4), dlogits.shape  # Keras 3.15 (torch): 0.4076
        (0.4076, (1, 3))
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
    """Fused softmax cross-entropy with one-hot or probability targets, and its gradient.

    The loss is Keras's
    ``CategoricalCrossentropy(from_logits=True)(targets, logits)``.

    Args:
        logits: array-like of shape ``(batch, classes)``, non-empty.
        targets: array-like of the same shape: one-hot rows or probabilities.

    Returns:
        ``(mean_loss, dlogits)``: the mean loss (a Python float) and its
        gradient ``(softmax(logits) - targets) / batch``, float32 of the
        shape of ``logits``.

    Raises:
        TypeError: an array that does not hold real numbers.
        ValueError: ``logits`` not a non-empty 2-D array, or ``targets`` of
            another shape.

    Example:
        >>> loss, _ = fastmlp.ops.softmax_cross_entropy([[1.0, 2.0, 3.0]], [[0.0, 0.5, 0.5]])
        >>> round(loss, 4)  # Keras 3.15 (torch): 0.9076
        0.9076
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

    Kept entries are scaled by ``1 / (1 - rate)`` so the expected sum is
    unchanged; the mask is a function of ``(seed, step)`` alone, the same on
    every backend.

    Args:
        x: array-like of real numbers, any shape.
        rate: the fraction of entries dropped, in ``[0, 1)``.
        seed: an integer key of the mask.
        step: an integer counter (e.g. the training step), so that each step
            draws a new mask from one seed.

    Returns:
        ``(out, mask)``: float32 ``out`` and uint8 ``mask`` (1 = kept), both of
        ``x``'s shape.

    Raises:
        TypeError: ``x`` not real numbers, or ``seed``/``step`` not integers.
        ValueError: ``rate`` outside ``[0, 1)``.

    Example:
        >>> out, mask = fastmlp.ops.dropout([1.0, 2.0, 3.0, 4.0], 0.5, seed=0)
        >>> out.tolist(), mask.tolist()
        ([0.0, 4.0, 6.0, 8.0], [0, 1, 1, 1])
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


__all__ = [
    "abs", "argmax", "argmin", "cast", "clip", "convert_to_numpy", "convert_to_tensor", "dense",
    "dropout", "elu", "equal", "exp", "expand_dims", "log", "log_softmax", "matmul", "max", "mean", "min",
    "one_hot", "ones", "leaky_relu", "relu", "reshape", "selu", "sigmoid", "softmax",
    "softplus", "softmax_cross_entropy",
    "sparse_softmax_cross_entropy", "sqrt", "square", "sum", "tanh", "zeros",
]
