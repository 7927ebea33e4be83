"""Datasets: real MNIST and Fashion-MNIST with Keras's ``load_data()`` API.

>>> from fastmlp.datasets import mnist
>>> (x_train, y_train), (x_test, y_test) = mnist.load_data()   # doctest: +SKIP

* :mod:`~fastmlp.datasets.mnist`, :mod:`~fastmlp.datasets.fashion_mnist` --
  full datasets, found locally (``path=``, ``$FASTMLP_DATA``, user cache,
  ``/usr/share/datasets``) or downloaded into the cache; SHA-256 verified.
* :mod:`~fastmlp.datasets.mnist_sample` -- a small real MNIST subset shipped in
  the package (works offline, no setup).
"""

from . import fashion_mnist, mnist, mnist_sample
from ._fetch import DatasetNotFoundError, DownloadError, cache_dir, cache_root
from ._idx import ChecksumError, IDXFormatError, read_idx

__all__ = [
    "mnist",
    "fashion_mnist",
    "mnist_sample",
    "DatasetNotFoundError",
    "DownloadError",
    "ChecksumError",
    "IDXFormatError",
    "read_idx",
    "cache_dir",
    "cache_root",
]
