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
    on the CPU backends."""
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
    zero), as ``keras.utils.normalize``."""
    x = np.asarray(x)
    if x.dtype.kind not in "fiu":
        raise TypeError(f"normalize needs numeric input, got dtype {x.dtype}")
    norm = np.atleast_1d(np.linalg.norm(x, ord=order, axis=axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)


def clear_session() -> None:
    """Reset the state Keras's ``clear_session`` resets: the automatic layer
    names start again from ``dense``, ``dense_1``..."""
    naming.reset_names()


__all__ = ["Progbar", "PyDataset", "Sequence", "clear_session", "get_file", "normalize", "set_random_seed", "to_categorical"]
