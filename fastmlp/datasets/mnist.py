"""MNIST handwritten digits, loaded like ``keras.datasets.mnist``.

60,000 training and 10,000 test images, 28x28 uint8 grey levels, labels 0-9.
See :mod:`fastmlp.datasets._fetch` for where the files are looked for.
"""

from __future__ import annotations

from typing import Optional

from ..utils.types import DatasetSplits
from ._fetch import PathLike, load_dataset

NAME = "mnist"

#: Human-readable class names, indexed by label.
CLASS_NAMES = [str(i) for i in range(10)]


def load_data(path: Optional[PathLike] = None, *, download: bool = True) -> DatasetSplits:
    """Load MNIST.

    Returns ``((x_train, y_train), (x_test, y_test))``: uint8 arrays of shapes
    (60000, 28, 28), (60000,), (10000, 28, 28), (10000,) -- exactly Keras's.

    ``path`` may be a directory holding the four IDX files (raw or ``.gz``) or a
    Keras ``mnist.npz`` file; a bare name that does not exist (Keras's default
    ``"mnist.npz"``) is ignored.  Otherwise ``$FASTMLP_DATA/mnist/``, the user
    cache, ``/usr/share/datasets/mnist/`` are searched, and finally (unless
    ``download=False`` or ``$FASTMLP_OFFLINE`` is set) the data is downloaded
    into the cache.  Every file is SHA-256 checked.

    Raises :class:`~fastmlp.datasets.DatasetNotFoundError` (a FileNotFoundError)
    when the data is nowhere to be had, :class:`~fastmlp.datasets.ChecksumError`
    (a ValueError) for a file with the wrong digest.
    """
    return load_dataset(NAME, path, download=download)
