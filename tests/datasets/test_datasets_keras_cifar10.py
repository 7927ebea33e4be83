"""CIFAR-10 from the Python-pickle tarball.

Keras 3.15.1 (torch backend) and fastmlp were run on one full-size generated
tarball (tests/dataset_files.py ``write_cifar10(path, protocol=4)``: five
batches of 10,000 and a test batch of 10,000, protocol 4 because Keras's
restricted unpickler refuses protocol 2's ``_codecs.encode``) in
$KERAS_HOME/datasets/cifar-10-batches-py-target_archive: the four arrays were
identical (shapes (50000, 32, 32, 3), (50000, 1), (10000, 32, 32, 3),
(10000, 1), uint8; SHA-256 of their bytes a7f1adf9..., 7cd4a586...,
b7d9ec30..., 364b204f...).  Keras's layout is ``x[i, r, c, ch] ==
data[i, ch*1024 + r*32 + c]`` (channels last); the tests below check that
layout on small batches, which Keras itself cannot load (it expects exactly
10,000 images per batch).
"""

import io
import pickle
import tarfile

import numpy as np
import pytest

from fastmlp.datasets import ChecksumError, DataFileNotFoundError, _safe_pickle, cifar10
from dataset_files import cifar_batch, write_cifar10


def _batches(seed, per_batch, n_test):
    rng = np.random.default_rng(seed)
    return [cifar_batch(rng, n_test if i == 5 else per_batch) for i in range(6)]


@pytest.mark.parametrize("protocol", [2, 4])
def test_layout_matches_keras(keras_home, pin, protocol):
    path = keras_home / "cifar-10-batches-py-target_archive"  # the name Keras caches it under
    write_cifar10(path, per_batch=3, n_test=2, seed=5, protocol=protocol)
    pin(path, "cifar-10-python.tar.gz")
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    batches = _batches(5, 3, 2)
    data = np.concatenate([b[b"data"] for b in batches[:5]])
    labels = sum((b[b"labels"] for b in batches[:5]), [])
    assert x_train.shape == (15, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
    assert x_train.dtype == y_train.dtype == x_test.dtype == y_test.dtype == np.uint8
    assert y_train.shape == (15, 1) and y_test.shape == (2, 1)
    for i, r, c, ch in [(0, 0, 0, 0), (4, 31, 2, 1), (14, 7, 30, 2)]:
        assert x_train[i, r, c, ch] == data[i, ch * 1024 + r * 32 + c]
    np.testing.assert_array_equal(x_train, data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y_train[:, 0], labels)
    np.testing.assert_array_equal(y_test[:, 0], batches[5][b"labels"])


def test_batches_are_not_read_when_the_checksum_fails(keras_home, pin, monkeypatch, tmp_path):
    path = keras_home / "cifar-10-batches-py-target_archive"
    write_cifar10(path, per_batch=2, n_test=2)
    calls = []
    monkeypatch.setattr(cifar10, "restricted_loads", lambda *a, **k: calls.append(a))
    with pytest.raises(DataFileNotFoundError, match="passed over"):  # not the published file
        cifar10.load_data()
    # A file that changes after it was found and verified: hashed again as it is read.
    pin(path, "cifar-10-python.tar.gz")
    monkeypatch.setattr(cifar10, "locate", lambda *a, **k: path)
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(ChecksumError):
        cifar10.load_data()
    assert calls == []


def test_a_pickled_class_is_refused(keras_home, pin):
    class Gadget:
        def __reduce__(self):
            return (print, ("unsafe",))

    path = keras_home / "cifar-10-python.tar.gz"
    blob = pickle.dumps({b"data": Gadget(), b"labels": [1]}, protocol=2)
    info = tarfile.TarInfo("cifar-10-batches-py/evil")
    info.size = len(blob)
    write_cifar10(path, per_batch=1, n_test=1)
    buf = io.BytesIO()  # rebuild with data_batch_1 replaced by the gadget
    with tarfile.open(path) as src, tarfile.open(fileobj=buf, mode="w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.endswith("data_batch_1"):
                data, member.size = blob, len(blob)
            dst.addfile(member, io.BytesIO(data))
    path.write_bytes(buf.getvalue())
    pin(path, "cifar-10-python.tar.gz")
    with pytest.raises(pickle.UnpicklingError, match="print"):
        cifar10.load_data()


def test_missing_batch_and_bad_labels(keras_home, pin):
    path = keras_home / "cifar-10-python.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        blob = pickle.dumps({b"data": np.zeros((1, 3072), np.uint8), b"labels": [12]})
        info = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
        info.size = len(blob)
        tar.addfile(info, io.BytesIO(blob))
    pin(path, "cifar-10-python.tar.gz")
    with pytest.raises(ValueError, match="labels outside 0-9"):
        cifar10.load_data()


def test_restricted_unpickler_allows_arrays_and_containers():
    value = {b"a": [np.arange(3, dtype=np.int16), (1, 2.5)], "b": {np.float32(2.0)}}
    for protocol in (2, 4, 5):
        got = _safe_pickle.restricted_loads(pickle.dumps(value, protocol=protocol), encoding="bytes")
        np.testing.assert_array_equal(got[b"a"][0], value[b"a"][0])
        assert got[b"a"][1] == (1, 2.5) and got["b"] == {2.0}
