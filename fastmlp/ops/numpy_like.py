"""A few of ``keras.ops``'s NumPy-like functions, so Keras programs that use
them for pre- and post-processing port unchanged.

They run on the current backend's array module and follow NumPy's dtype
rules; :mod:`fastmlp.ops` exports them.
"""

import numpy as np

from ..backend import get_ops
from ..backend.checks import check_labels


def _xp():
    return get_ops().xp


def convert_to_tensor(x, dtype=None):
    """``x`` as an array of the current backend (no copy when it already is one).

    Args:
        x: an array-like.
        dtype: the dtype wanted; None keeps NumPy's choice for ``x``.

    Returns:
        An array of the backend's type (a NumPy array on the CPU backends).

    Raises:
        ValueError: ``x`` cannot be converted (ragged lists, strings for a
            numeric ``dtype``).
        TypeError: an unknown ``dtype``.

    Example:
        >>> fastmlp.ops.convert_to_tensor([1, 2], dtype="float32").tolist()
        [1.0, 2.0]
    """
    return _xp().asarray(x, dtype=dtype)


def convert_to_numpy(x):
    """``x`` as a NumPy array on the host (copied from the device on CuPy).

    Args:
        x: an array of any backend, or an array-like.

    Returns:
        A NumPy array.

    Raises:
        ValueError: ``x`` cannot be converted (ragged lists).

    Example:
        >>> fastmlp.ops.convert_to_numpy(fastmlp.ops.ones((2,))).tolist()
        [1.0, 1.0]
    """
    return np.asarray(get_ops().to_numpy(x))


def cast(x, dtype):
    """``x`` converted to ``dtype`` (floats to integers truncate toward zero).

    Args:
        x: an array-like.
        dtype: the new dtype, e.g. ``"int32"`` or ``np.float32``.

    Returns:
        A new array of the current backend.

    Raises:
        TypeError: an unknown ``dtype``.

    Example:
        >>> fastmlp.ops.cast([1.5, -2.7], "int32").tolist()
        [1, -2]
    """
    return _xp().asarray(x).astype(dtype)


def zeros(shape, dtype="float32"):
    """A new array of zeros.

    Args:
        shape: an int or a tuple of ints.
        dtype: the dtype (default float32).

    Returns:
        An array of the current backend.

    Raises:
        ValueError: a negative dimension.
        TypeError: an unknown ``dtype``.

    Example:
        >>> fastmlp.ops.zeros((2, 3)).shape
        (2, 3)
    """
    return _xp().zeros(shape, dtype=dtype)


def ones(shape, dtype="float32"):
    """A new array of ones.

    Args:
        shape: an int or a tuple of ints.
        dtype: the dtype (default float32).

    Returns:
        An array of the current backend.

    Raises:
        ValueError: a negative dimension.
        TypeError: an unknown ``dtype``.

    Example:
        >>> fastmlp.ops.ones(2, dtype="int32").tolist()
        [1, 1]
    """
    return _xp().ones(shape, dtype=dtype)


def argmax(x, axis=-1):
    return _xp().argmax(_xp().asarray(x), axis=axis)


def argmin(x, axis=-1):
    return _xp().argmin(_xp().asarray(x), axis=axis)


def _search_doc(name, which, example):
    """The docstring of ``argmax``/``argmin`` (one text for both)."""
    return f"""The index of the {which} value along ``axis`` (the first, on ties).

    ``axis`` defaults to the last; Keras's default, None, takes the index in
    the flattened array, which ``axis=None`` gives here too.

    Args:
        x: an array-like.
        axis: the axis searched, or None for the flattened array.

    Returns:
        An integer array of ``x``'s shape without ``axis``.

    Raises:
        ValueError: ``x`` is empty, or ``axis`` is out of range
            (``numpy.exceptions.AxisError``).

    Example:
        >>> fastmlp.ops.{name}([[1, 3, 2], [4, 0, 1]]).tolist()
        {example}
    """


argmax.__doc__ = _search_doc("argmax", "largest", "[1, 0]")
argmin.__doc__ = _search_doc("argmin", "smallest", "[0, 1]")


def one_hot(x, num_classes, dtype="float32"):
    """One-hot rows for integer ``x`` (see also ``fastmlp.utils.to_categorical``).

    Args:
        x: integer labels (or whole floats) in ``[0, num_classes)``, any shape.
        num_classes: the length of each one-hot row.
        dtype: the dtype of the rows (default float32).

    Returns:
        An array of shape ``x.shape + (num_classes,)`` on the current backend.

    Raises:
        TypeError: labels that are not numbers.
        ValueError: a label outside ``[0, num_classes)`` or not whole, or
            ``num_classes`` below 1.

    Example:
        >>> fastmlp.ops.one_hot([0, 2], 3).tolist()
        [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    labels = check_labels(convert_to_numpy(x).reshape(-1), num_classes)
    out = np.zeros((labels.size, num_classes), dtype=dtype)
    out[np.arange(labels.size), labels] = 1
    return convert_to_tensor(out.reshape(np.shape(x) + (num_classes,)))


def _reduction(name, example):
    def reduce(x, axis=None, keepdims=False):
        return getattr(_xp(), name)(_xp().asarray(x), axis=axis, keepdims=keepdims)
    reduce.__name__ = name
    reduce.__doc__ = f"""``{name}`` over ``axis`` on the current backend.

    Args:
        x: an array-like.
        axis: an int or tuple of ints, or None (default) for all axes.
        keepdims: keep the reduced axes with length 1.

    Returns:
        An array (0-d for a full reduction); its dtype follows NumPy's rules
        for ``x`` (float64 for a list of Python floats).

    Raises:
        TypeError: values that cannot be reduced (strings).
        ValueError: ``axis`` out of range (``numpy.exceptions.AxisError``).

    Example:
        >>> fastmlp.ops.{name}([[1.0, 2.0], [3.0, 5.0]], axis=0).tolist()
        {example}
    """
    return reduce


def _elementwise_np(name, values, example):
    def apply(x):
        return getattr(_xp(), name)(_xp().asarray(x))
    apply.__name__ = name
    apply.__doc__ = f"""Elementwise ``{name}`` on the current backend.

    Args:
        x: an array-like.

    Returns:
        An array of ``x``'s shape; its dtype follows NumPy's rules for ``x``
        (float64 for a list of Python floats).

    Raises:
        TypeError: values it cannot be computed for (strings).

    Example:
        >>> [round(v, 4) for v in fastmlp.ops.{name}({values}).tolist()]
        {example}
    """
    return apply


mean, sum, max, min = (_reduction(n, out) for n, out in (  # noqa: A001
    ("mean", "[2.0, 3.5]"), ("sum", "[4.0, 7.0]"), ("max", "[3.0, 5.0]"), ("min", "[1.0, 2.0]")))
exp, log, sqrt, square, abs = (_elementwise_np(*spec) for spec in (  # noqa: A001
    ("exp", "[0.0, 4.0]", "[1.0, 54.5982]"), ("log", "[1.0, 4.0]", "[0.0, 1.3863]"),
    ("sqrt", "[0.25, 4.0]", "[0.5, 2.0]"), ("square", "[-3.0, 0.5]", "[9.0, 0.25]"),
    ("abs", "[-3.0, 0.5]", "[3.0, 0.5]")))


def clip(x, x_min, x_max):
    """``x`` with values below ``x_min`` raised to it and above ``x_max`` lowered to it.

    Args:
        x: an array-like.
        x_min: the lower bound (a number, or an array broadcast against ``x``).
        x_max: the upper bound, likewise.

    Returns:
        A new array of ``x``'s shape on the current backend.

    Raises:
        TypeError: values that cannot be compared (strings).

    Example:
        >>> fastmlp.ops.clip([1, 5, 9], 2, 6).tolist()
        [2, 5, 6]
    """
    return _xp().clip(_xp().asarray(x), x_min, x_max)


def matmul(a, b):
    """The matrix product ``a @ b`` (batched over leading axes, as NumPy).

    Args:
        a: an array-like with at least one dimension.
        b: an array-like whose second-to-last axis (or only axis) matches
            ``a``'s last.

    Returns:
        A new array on the current backend.

    Raises:
        ValueError: the inner dimensions differ, or a scalar operand.

    Example:
        >>> fastmlp.ops.matmul([[1, 2]], [[3], [4]]).tolist()
        [[11]]
    """
    return _xp().matmul(_xp().asarray(a), _xp().asarray(b))


def expand_dims(x, axis):
    """``x`` with a new axis of length 1 inserted at ``axis``.

    Args:
        x: an array-like.
        axis: where the new axis goes (negative counts from the end).

    Returns:
        An array (a view where possible) on the current backend.

    Raises:
        ValueError: ``axis`` out of range (``numpy.exceptions.AxisError``).

    Example:
        >>> fastmlp.ops.expand_dims([1, 2], 0).shape
        (1, 2)
    """
    return _xp().expand_dims(_xp().asarray(x), axis)


def reshape(x, new_shape):
    """``x``'s values in a new shape (row-major order).

    Args:
        x: an array-like.
        new_shape: an int or tuple of ints; one entry may be -1 (inferred).

    Returns:
        An array (a view where possible) on the current backend.

    Raises:
        ValueError: ``new_shape`` does not hold ``x``'s number of values.

    Example:
        >>> fastmlp.ops.reshape([1, 2, 3, 4], (2, -1)).tolist()
        [[1, 2], [3, 4]]
    """
    return _xp().reshape(_xp().asarray(x), new_shape)


def equal(a, b):
    """``a == b`` elementwise, broadcast as NumPy.

    Args:
        a: an array-like.
        b: an array-like broadcastable against ``a``.

    Returns:
        A boolean array on the current backend.

    Raises:
        ValueError: shapes that do not broadcast.

    Example:
        >>> fastmlp.ops.equal([1, 2], [1, 3]).tolist()
        [True, False]
    """
    return _xp().equal(_xp().asarray(a), _xp().asarray(b))
