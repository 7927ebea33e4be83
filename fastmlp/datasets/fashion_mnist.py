"""Fashion-MNIST (Zalando), loaded like ``keras.datasets.fashion_mnist``.

60,000 training and 10,000 test images, 28x28 uint8 grey levels, 10 clothing
classes (see :data:`CLASS_NAMES`).  On Debian/Ubuntu, ``apt-get install
dataset-fashion-mnist`` puts the files in ``/usr/share/datasets/fashion-mnist/``,
which is searched.  See :mod:`fastmlp.datasets._fetch` for the full search order.
"""

from __future__ import annotations

from typing import Optional

from ..utils.types import DatasetSplits
from ._fetch import PathLike, load_dataset

NAME = "fashion-mnist"

#: Human-readable class names, indexed by label.
CLASS_NAMES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]


def load_data(path: Optional[PathLike] = None, *, download: bool = True) -> DatasetSplits:
    """Load Fashion-MNIST.

    Returns ``((x_train, y_train), (x_test, y_test))``: uint8 arrays of shapes
    (60000, 28, 28), (60000,), (10000, 28, 28), (10000,) -- exactly Keras's.

    ``path`` may be a directory holding the four IDX files (raw or ``.gz``) or
    an ``.npz`` with arrays ``x_train, y_train, x_test, y_test``.  Otherwise
    ``$FASTMLP_DATA/fashion-mnist/``, the user cache,
    ``/usr/share/datasets/fashion-mnist/`` are searched, and finally (unless
    ``download=False`` or ``$FASTMLP_OFFLINE`` is set) the data is downloaded
    into the cache.  Every file is SHA-256 checked.
    """
    return load_dataset(NAME, path, download=download)
