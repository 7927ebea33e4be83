"""A small real MNIST subset shipped inside the package (no download, no setup).

``data/mnist-sample.npz`` holds the first :data:`N_TRAIN` training and the first
:data:`N_TEST` test images of MNIST, with their labels (arrays ``x_train``,
``y_train``, ``x_test``, ``y_test``, uint8), as read by
:func:`fastmlp.datasets.mnist.load_data` from the published IDX files.  It is
made by ``scripts/make_mnist_sample.py``.

Integrity: the archive is written *reproducibly* (fixed member order, fixed
1980-01-01 timestamps, fixed zip attributes, deflate level 9), so the file bytes
themselves are stable, and :func:`load_data` checks the SHA-256 of the file
bytes against :data:`SHA256` before using it.  (The script also checks the
array contents, which do not depend on the zlib build.)
"""

from __future__ import annotations

import hashlib
import io
from importlib import resources

import numpy as np

from ..utils.types import DatasetSplits
from ._idx import ChecksumError

#: Package-relative location of the archive.
RESOURCE = "data/mnist-sample.npz"

#: Number of training / test images in the sample (the first ones of each split).
N_TRAIN = 3000
N_TEST = 1000

#: SHA-256 of the archive file bytes.
SHA256 = "866343774676fd10f6fa928ab011126867e762e1c0fd6ffdf989947dbfb9daee"

#: Same labels as :data:`fastmlp.datasets.mnist.CLASS_NAMES`.
CLASS_NAMES = [str(i) for i in range(10)]

_KEYS = ("x_train", "y_train", "x_test", "y_test")


def _read_bytes() -> bytes:
    return resources.files(__package__).joinpath(RESOURCE).read_bytes()


def load_data() -> DatasetSplits:
    """Load the bundled MNIST sample.

    Returns ``((x_train, y_train), (x_test, y_test))``: uint8 arrays of shapes
    (N_TRAIN, 28, 28), (N_TRAIN,), (N_TEST, 28, 28), (N_TEST,).
    Raises :class:`~fastmlp.datasets.ChecksumError` if the shipped file was altered.
    """
    data = _read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != SHA256:
        raise ChecksumError(f"{__package__}/{RESOURCE}", SHA256, actual, what="file")
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        xtr, ytr, xte, yte = (np.array(z[k]) for k in _KEYS)
    return (xtr, ytr), (xte, yte)
