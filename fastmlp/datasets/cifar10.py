"""CIFAR-10 small colour images, loaded like ``keras.datasets.cifar10``.

50,000 training and 10,000 test 32x32 RGB images (uint8), 10 classes
(:data:`CLASS_NAMES`).  The file is the Python-pickle tarball
``cifar-10-python.tar.gz`` (in Keras's cache it is called
``cifar-10-batches-py-target_archive``); see :mod:`fastmlp.datasets._keras_files`
for where it is looked for.

The pickled batches are read straight from the tarball, and only after the
tarball's SHA-256 matches the published one -- hashed and then read through
the same open file, so a file swapped in between is not read -- and they are
unpickled with a restricted unpickler that rebuilds NumPy arrays and builtin
containers only.
"""

from __future__ import annotations

import hashlib
import tarfile

import numpy as np

from ..utils.download import ChecksumError
from ..utils.types import DatasetSplits
from . import _keras_files
from ._keras_files import locate
from ._safe_pickle import restricted_loads

CLASS_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

_FOLDER = "cifar-10-batches-py"
_TRAIN = [f"data_batch_{i}" for i in range(1, 6)]
_TEST = "test_batch"


def _batch(archive: tarfile.TarFile, name: str, label: str):
    """``(data (n, 3, 32, 32) uint8, labels (n,))`` of one pickled batch."""
    member = f"{_FOLDER}/{name}"
    try:
        info = archive.getmember(member)
    except KeyError:
        raise ValueError(f"{label}: the tarball has no {member}") from None
    if not info.isreg():
        raise ValueError(f"{label}: {member} is not a regular file")
    extracted = archive.extractfile(info)
    assert extracted is not None  # a regular member (checked above) always extracts
    with extracted as f:
        d = restricted_loads(f.read(), encoding="bytes")
    if not isinstance(d, dict):
        raise ValueError(f"{label}: {member} holds a {type(d).__name__}, not a batch dictionary")
    d = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in d.items()}
    data, labels = d.get("data"), d.get("labels")
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or labels is None:
        raise ValueError(f"{label}: {member} is not a CIFAR-10 batch (data of shape (n, 3072) and labels)")
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or (labels.size and not 0 <= labels.min() <= labels.max() <= 9):
        raise ValueError(f"{label}: {member} has labels outside 0-9")
    if len(labels) != len(data):
        raise ValueError(f"{label}: {member} has {len(data)} images but {len(labels)} labels")
    return data.astype(np.uint8, copy=False).reshape(len(data), 3, 32, 32), labels


def load_data() -> DatasetSplits:
    """Load CIFAR-10.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape
        ``(n, 32, 32, 3)`` (channels last, as Keras's default) and uint8
        labels of shape ``(n, 1)``.

    Raises:
        ChecksumError: the tarball is not the published one (nothing in it is read).
        ValueError: the tarball lacks a batch, or a batch is malformed.
        pickle.UnpicklingError: a batch names anything but NumPy arrays and containers.
    """
    name = "cifar-10-python.tar.gz"
    path = locate(name, name, aliases=("cifar-10-batches-py-target_archive",))
    digest = _keras_files.KERAS_FILES[name][1]
    with open(path, "rb") as f:
        h = hashlib.sha256()
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
        if h.hexdigest() != digest:  # changed since it was found
            raise ChecksumError(path, digest, h.hexdigest(), what="file")
        f.seek(0)
        with tarfile.open(fileobj=f, mode="r:*") as archive:
            train = [_batch(archive, n, str(path)) for n in _TRAIN]
            x_test, y_test = _batch(archive, _TEST, str(path))
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train]).astype(np.uint8).reshape(-1, 1)
    y_test = y_test.astype(np.uint8).reshape(-1, 1)
    return (x_train.transpose(0, 2, 3, 1), y_train), (x_test.transpose(0, 2, 3, 1), y_test)
