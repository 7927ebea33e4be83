import hashlib

import numpy as np
import pytest

from fastmlp.datasets import _fetch
from fastmlp.datasets._idx import idx_bytes


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No dataset from the machine, the environment or the network: an empty
    cache and system folder under tmp_path, no mirrors, a short download timeout."""
    for var in ("FASTMLP_DATA", "FASTMLP_DATASET_MIRRORS", "FASTMLP_OFFLINE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("FASTMLP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(_fetch, "SYSTEM_DIRS", [str(tmp_path / "system")])
    monkeypatch.setattr(_fetch, "MIRRORS", {"mnist": [], "fashion-mnist": []})  # never the real network
    monkeypatch.setattr(_fetch, "DOWNLOAD_TIMEOUT", 5.0)


@pytest.fixture
def make_fake(monkeypatch):
    """``make_fake(name="mnist", seed=0, n_train=12, n_test=5)``: a small random
    dataset (the four IDX arrays by file name), its digests put in the digest table."""
    def make(name="mnist", seed=0, n_train=12, n_test=5):
        rng = np.random.default_rng(seed)
        arrays = {
            "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            "train-labels-idx1-ubyte": rng.integers(0, 10, (n_train,), dtype=np.uint8),
            "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            "t10k-labels-idx1-ubyte": rng.integers(0, 10, (n_test,), dtype=np.uint8),
        }
        digests = {k: hashlib.sha256(idx_bytes(a)).hexdigest() for k, a in arrays.items()}
        monkeypatch.setitem(_fetch.IDX_SHA256, name, digests)
        return arrays
    return make


def _assert_matches(result, arrays):
    (xtr, ytr), (xte, yte) = result
    for got, base in zip((xtr, ytr, xte, yte), _fetch.IDX_FILES):
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, arrays[base])


@pytest.fixture
def assert_matches():
    """``assert_matches(load_data(), arrays)``: the loaded arrays are ``arrays``, as uint8."""
    return _assert_matches
