"""Small helpers with Keras's names."""

from __future__ import annotations

import random as _py_random
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import random as _random
from . import naming
from .file_cache import get_file
from .progbar import Progbar
from .py_dataset import PyDataset

if TYPE_CHECKING:
    from .types import ArrayLike

# Keras 3 keeps Keras 2's name for the same class.
Sequence = PyDataset


def set_random_seed(seed: int) -> None:
    """Seed every generator fastmlp uses (and Python's and NumPy's global ones,
    as Keras does), so initialisation, shuffling and dropout repeat bit for bit
    on the CPU backends.

    Args:
        seed: a non-negative integer (NumPy's global generator gets
            ``seed % 2**32``).

    Returns:
        None.

    Raises:
        TypeError: ``seed`` is not an integer (a bool counts as not one).
        ValueError: ``seed`` is negative.

    Example:
        >>> def first_kernel():
        ...     model = fastmlp.Sequential([fastmlp.Input((2,)), fastmlp.layers.Dense(3)])
        ...     return model.get_weights()[0]
        >>> fastmlp.utils.set_random_seed(7)
        >>> a = first_kernel()
        >>> fastmlp.utils.set_random_seed(7)
        >>> bool(np.array_equal(a, first_kernel()))
        True
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    seed = int(seed)
    _py_random.seed(seed)
    np.random.seed(seed % 2**32)
    _random.seed(seed)


def to_categorical(y: ArrayLike, num_classes: int | None = None, dtype: Any = "float32") -> np.ndarray:
    """One-hot encode integer class labels: ``(n,)`` -> ``(n, num_classes)``.

    Like Keras, a trailing axis of size 1 is dropped first and any leading shape
    is kept.

    Args:
        y: integer class labels (any shape; floats with integral values and
            bools are accepted too).
        num_classes: the number of classes; None (the default) uses
            ``max(y) + 1``.
        dtype: the dtype of the result (default ``"float32"``).

    Returns:
        An array of shape ``y.shape + (num_classes,)`` (after dropping a
        trailing axis of size 1) holding 1 at each label's index, 0 elsewhere.

    Raises:
        TypeError: labels of a non-numeric dtype.
        ValueError: non-integral or non-finite float labels, a negative
            label, or a label ``>= num_classes``.

    Example:
        >>> fastmlp.utils.to_categorical([0, 2, 1]).tolist()
        [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
        >>> fastmlp.utils.to_categorical([[1], [0]], num_classes=3).tolist()
        [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
        >>> fastmlp.utils.to_categorical(np.array([[0, 1], [2, 0]])).shape
        (2, 2, 3)
    """
    y = np.asarray(y)
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise ValueError("to_categorical needs integer class labels; got non-integral values")
        y = y.astype(np.int64)
    elif y.dtype.kind not in "iub":
        raise TypeError(f"to_categorical needs integer class labels, got dtype {y.dtype}")
    if y.dtype.kind == "b":
        y = y.astype(np.int64)  # a bool index array would act as a mask, not as labels
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y.reshape(y.shape[:-1])
    if y.size and y.min() < 0:
        raise ValueError(f"to_categorical got a negative label: {int(y.min())}")
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    elif y.size and y.max() >= num_classes:
        raise ValueError(f"label {int(y.max())} is outside [0, {num_classes})")
    flat = y.reshape(-1)
    out = np.zeros((flat.size, num_classes), dtype=dtype)
    out[np.arange(flat.size), flat] = 1
    return out.reshape(y.shape + (num_classes,))


def normalize(x: ArrayLike, axis: int = -1, order: int = 2) -> np.ndarray:
    """``x`` divided by its ``order``-norm along ``axis`` (zero vectors stay
    zero), as ``keras.utils.normalize``.

    One difference: for NumPy input Keras 3.15 treats ``axis=0`` as ``-1``
    when it divides (its ``axis or -1``), so its result is not normalized
    along axis 0; fastmlp divides along the ``axis`` given.

    Args:
        x: a numeric array.
        axis: the axis along which the norm is taken (default -1).
        order: the norm's order, as ``np.linalg.norm``'s ``ord`` (default
            2, the Euclidean norm).

    Returns:
        A new float array of ``x``'s shape (float32 input stays float32,
        integers give float64).

    Raises:
        TypeError: ``x`` is not numeric.

    Example:
        >>> fastmlp.utils.normalize(np.array([[3.0, 4.0], [0.0, 0.0]])).tolist()
        [[0.6, 0.8], [0.0, 0.0]]
        >>> fastmlp.utils.normalize(np.array([[1.0, 3.0]]), order=1).tolist()
        [[0.25, 0.75]]
    """
    x = np.asarray(x)
    if x.dtype.kind not in "fiu":
        raise TypeError(f"normalize needs numeric input, got dtype {x.dtype}")
    norm = np.atleast_1d(np.linalg.norm(x, ord=order, axis=axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)


def clear_session() -> None:
    """Reset the state Keras's ``clear_session`` resets: the automatic layer
    names start again from ``dense``, ``dense_1``...

    Returns:
        None.

    Raises:
        Nothing: it takes no input.

    Example:
        >>> fastmlp.utils.clear_session()
        >>> fastmlp.layers.Dense(2).name, fastmlp.layers.Dense(2).name
        ('dense', 'dense_1')
    """
    naming.reset_names()


__all__ = ["Progbar", "PyDataset", "Sequence", "clear_session", "get_file", "normalize", "set_random_seed", "to_categorical"]
