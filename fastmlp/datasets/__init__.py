"""Datasets: real MNIST and Fashion-MNIST with Keras's ``load_data()`` API.

>>> from fastmlp.datasets import mnist
>>> (x_train, y_train), (x_test, y_test) = mnist.load_data()   # doctest: +SKIP

* :mod:`~fastmlp.datasets.mnist`, :mod:`~fastmlp.datasets.fashion_mnist` --
  full datasets, found locally (``path=``, ``$FASTMLP_DATA``, user cache,
  ``/usr/share/datasets``) or downloaded into the cache; SHA-256 verified.
* :mod:`~fastmlp.datasets.imdb`, :mod:`~fastmlp.datasets.reuters`,
  :mod:`~fastmlp.datasets.boston_housing`, :mod:`~fastmlp.datasets.california_housing`,
  :mod:`~fastmlp.datasets.cifar10` -- Keras's files, processed as Keras does,
  found in ``$FASTMLP_DATA``, fastmlp's cache or Keras's own cache
  (``$KERAS_HOME/datasets``, ``~/.keras/datasets``), or downloaded; verified
  against Keras's pinned digests.
* :mod:`~fastmlp.datasets.mnist_sample` -- a small real MNIST subset shipped in
  the package (works offline, no setup).
"""

from ..utils.file_cache import DataFileNotFoundError
from . import boston_housing, california_housing, cifar10, fashion_mnist, imdb, mnist, mnist_sample, reuters
from ._fetch import DatasetNotFoundError, DownloadError, cache_dir, cache_root
from ._idx import ChecksumError, IDXFormatError, read_idx

__all__ = [
    "mnist",
    "fashion_mnist",
    "mnist_sample",
    "imdb",
    "reuters",
    "boston_housing",
    "california_housing",
    "cifar10",
    "DataFileNotFoundError",
    "DatasetNotFoundError",
    "DownloadError",
    "ChecksumError",
    "IDXFormatError",
    "read_idx",
    "cache_dir",
    "cache_root",
]
