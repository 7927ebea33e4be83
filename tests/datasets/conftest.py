import hashlib

import numpy as np
import pytest

from fastmlp.datasets import _fetch, _keras_files
from fastmlp.utils import file_cache
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
    # Keras's loaders' files: no Keras cache of the machine's (~/.keras, $KERAS_HOME), no system folder.
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(file_cache, "SYSTEM_DIRS", [str(tmp_path / "system")])
    # Never Keras's real servers: each published file's URL points at a closed local port.
    monkeypatch.setattr(_keras_files, "KERAS_FILES", {
        name: ("http://127.0.0.1:9/" + name, digest) for name, (_, digest) in _keras_files.KERAS_FILES.items()})


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


@pytest.fixture
def keras_home(monkeypatch, tmp_path):
    """``$KERAS_HOME/datasets`` (empty, created) with KERAS_HOME set to its parent."""
    home = tmp_path / "keras_home"
    (home / "datasets").mkdir(parents=True)
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home / "datasets"


@pytest.fixture
def pin(monkeypatch):
    """``pin(path, published=None)``: make the file at ``path`` the "published"
    Keras file ``published`` (default: its name) for this test, by digest."""
    def pin_file(path, published=None):
        published = published or path.name
        url, digest = _keras_files.KERAS_FILES[published]
        algo = hashlib.sha256 if len(digest) == 64 else hashlib.md5
        monkeypatch.setitem(_keras_files.KERAS_FILES, published, (url, algo(path.read_bytes()).hexdigest()))
        return path
    return pin_file
