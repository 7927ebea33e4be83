"""Loaders: search order, FASTMLP_DATA, cache, system dirs, .npz, checksums, the
offline error, the bundled sample, and (when FASTMLP_DATA is set) the real data."""

import hashlib
import io
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from fastmlp.datasets import (
    ChecksumError,
    DatasetNotFoundError,
    _fetch,
    fashion_mnist,
    mnist,
    mnist_sample,
)
from fastmlp.datasets._idx import idx_bytes, write_idx

# Captured before the autouse fixture clears the variable for the synthetic tests.
REAL_DATA = os.environ.get("FASTMLP_DATA")
needs_real = pytest.mark.skipif(not REAL_DATA, reason="FASTMLP_DATA is not set (real MNIST files)")
ROOT = Path(__file__).resolve().parents[2]


def write_dir(d, arrays, gz=True, names=None):
    d.mkdir(parents=True, exist_ok=True)
    for base, a in arrays.items():
        fname = (names or {}).get(base, base) + (".gz" if gz else "")
        write_idx(d / fname, a, compress=gz)
    return d


# ----------------------------------------------------------------------------- path=


@pytest.mark.parametrize("gz", [True, False])
def test_path_directory(tmp_path, gz, make_fake, assert_matches):
    arrays = make_fake()
    d = write_dir(tmp_path / "mine", arrays, gz=gz)
    assert_matches(mnist.load_data(path=d), arrays)
    assert_matches(mnist.load_data(path=str(d)), arrays)
    assert _fetch.find_dataset("mnist", d).source == "path"


def test_path_directory_kaggle_spelling_and_mixed_compression(tmp_path, make_fake, assert_matches):
    arrays = make_fake()
    d = tmp_path / "k"
    d.mkdir()
    for i, (base, a) in enumerate(arrays.items()):
        name = base.replace("-idx", ".idx") + (".gz" if i % 2 else "")
        write_idx(d / name, a, compress=bool(i % 2))
    assert_matches(mnist.load_data(path=d), arrays)


def test_path_existing_dir_without_data_is_an_error(monkeypatch, tmp_path, make_fake):
    arrays = make_fake()
    write_dir(tmp_path / "data" / "mnist", arrays)
    monkeypatch.setenv("FASTMLP_DATA", str(tmp_path / "data"))
    d = tmp_path / "partial"
    d.mkdir()
    write_idx(d / "train-labels-idx1-ubyte.gz", arrays["train-labels-idx1-ubyte"])
    with pytest.raises(DatasetNotFoundError) as ei:
        mnist.load_data(path=d)  # explicit, existing path: no silent fallback
    msg = str(ei.value)
    assert str(d) in msg and "missing" in msg and "train-images-idx3-ubyte" in msg


def test_path_missing_with_directory_is_an_error(tmp_path, make_fake):
    make_fake()
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        mnist.load_data(path=tmp_path / "nope" / "mnist.npz")


def test_keras_default_bare_name_is_ignored(monkeypatch, tmp_path, make_fake, assert_matches):
    arrays = make_fake()
    write_dir(tmp_path / "data" / "mnist", arrays)
    monkeypatch.setenv("FASTMLP_DATA", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    assert_matches(mnist.load_data(path="mnist.npz"), arrays)  # Keras's own default argument


def test_path_npz_checked_by_content(tmp_path, make_fake, assert_matches):
    arrays = make_fake()
    p = tmp_path / "my-mnist.npz"
    xtr, ytr, xte, yte = (arrays[b] for b in _fetch.IDX_FILES)
    np.savez_compressed(p, x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
    assert_matches(mnist.load_data(path=p), arrays)
    # Same arrays, one pixel changed: neither the published file digest nor the IDX digests match.
    xtr2 = xtr.copy()
    xtr2[0, 0, 0] ^= 1
    bad = tmp_path / "mnist.npz"
    np.savez_compressed(bad, x_train=xtr2, y_train=ytr, x_test=xte, y_test=yte)
    with pytest.raises(ChecksumError) as ei:
        mnist.load_data(path=bad)
    msg = str(ei.value)
    assert str(bad) in msg and "train-images-idx3-ubyte" in msg
    assert _fetch.NPZ_SHA256["mnist"]["mnist.npz"] in msg  # the expected (published) digest
    assert hashlib.sha256(bad.read_bytes()).hexdigest() in msg


def test_path_npz_accepted_by_published_file_digest(monkeypatch, tmp_path, make_fake):
    make_fake()  # IDX digests that this npz's arrays do NOT match
    p = tmp_path / "mnist.npz"
    z = np.zeros((3, 28, 28), np.uint8)
    np.savez(p, x_train=z, y_train=np.zeros(3, np.uint8), x_test=z[:1], y_test=np.zeros(1, np.uint8))
    monkeypatch.setitem(_fetch.NPZ_SHA256, "mnist", {"mnist.npz": hashlib.sha256(p.read_bytes()).hexdigest()})
    (xtr, ytr), (xte, yte) = mnist.load_data(path=p)
    assert xtr.shape == (3, 28, 28) and yte.shape == (1,)


def test_path_non_npz_file_is_an_error(tmp_path, make_fake):
    make_fake()
    p = tmp_path / "train-images-idx3-ubyte"
    p.write_bytes(b"\x00\x00\x08\x03")
    with pytest.raises(DatasetNotFoundError, match="not an .npz"):
        mnist.load_data(path=p)


# ----------------------------------------------------------------------------- search order


def test_search_order(monkeypatch, tmp_path, make_fake, assert_matches):
    arrays = make_fake(name="fashion-mnist")
    env_dir = write_dir(tmp_path / "data" / "fashion-mnist", arrays)
    cache = write_dir(tmp_path / "cache" / "datasets" / "fashion-mnist", arrays, gz=False)
    system = write_dir(tmp_path / "system" / "fashion-mnist", arrays)
    monkeypatch.setenv("FASTMLP_DATA", str(tmp_path / "data"))

    explicit = write_dir(tmp_path / "explicit", arrays)
    found = _fetch.find_dataset("fashion-mnist", explicit, download=False)
    assert (found.source, found.directory) == ("path", explicit)

    found = _fetch.find_dataset("fashion-mnist", download=False)
    assert (found.source, found.directory) == ("FASTMLP_DATA", env_dir)
    assert_matches(fashion_mnist.load_data(), arrays)

    monkeypatch.delenv("FASTMLP_DATA")
    found = _fetch.find_dataset("fashion-mnist", download=False)
    assert (found.source, found.directory) == ("cache", cache)
    assert_matches(fashion_mnist.load_data(), arrays)

    for f in cache.iterdir():
        f.unlink()
    found = _fetch.find_dataset("fashion-mnist", download=False)
    assert (found.source, found.directory) == ("system", system)  # e.g. Debian's /usr/share/datasets
    assert_matches(fashion_mnist.load_data(), arrays)


def test_fastmlp_data_several_roots_and_per_dataset_folders(monkeypatch, tmp_path, make_fake, assert_matches):
    a_mnist = make_fake("mnist", seed=1)
    a_fashion = make_fake("fashion-mnist", seed=2)
    write_dir(tmp_path / "r1" / "mnist", a_mnist)
    write_dir(tmp_path / "r2" / "fashion-mnist", a_fashion)
    monkeypatch.setenv("FASTMLP_DATA", os.pathsep.join([str(tmp_path / "r1"), str(tmp_path / "r2")]))
    assert_matches(mnist.load_data(), a_mnist)
    assert_matches(fashion_mnist.load_data(), a_fashion)


def test_incomplete_dir_is_skipped_and_reported(monkeypatch, tmp_path, make_fake):
    arrays = make_fake()
    d = tmp_path / "data" / "mnist"
    d.mkdir(parents=True)
    write_idx(d / "t10k-labels-idx1-ubyte", arrays["t10k-labels-idx1-ubyte"])
    monkeypatch.setenv("FASTMLP_DATA", str(tmp_path / "data"))
    system = write_dir(tmp_path / "system" / "mnist", arrays)
    assert _fetch.find_dataset("mnist", download=False).directory == system
    for f in system.iterdir():
        f.unlink()
    with pytest.raises(DatasetNotFoundError) as ei:
        mnist.load_data(download=False)
    assert f"{d}: incomplete, missing train-images-idx3-ubyte[.gz]" in str(ei.value)


def test_checksum_mismatch_is_an_error_not_a_fallback(monkeypatch, tmp_path, make_fake):
    arrays = make_fake()
    d = write_dir(tmp_path / "data" / "mnist", arrays)
    write_dir(tmp_path / "system" / "mnist", arrays)  # a good copy further down must not hide it
    monkeypatch.setenv("FASTMLP_DATA", str(tmp_path / "data"))
    bad = arrays["train-labels-idx1-ubyte"].copy()
    bad[0] = (bad[0] + 1) % 10
    write_idx(d / "train-labels-idx1-ubyte.gz", bad)
    with pytest.raises(ChecksumError) as ei:
        mnist.load_data()
    msg = str(ei.value)
    assert str(d / "train-labels-idx1-ubyte.gz") in msg
    assert _fetch.IDX_SHA256["mnist"]["train-labels-idx1-ubyte"] in msg
    assert hashlib.sha256(idx_bytes(bad)).hexdigest() in msg


def test_cache_root_locations(monkeypatch, tmp_path):
    monkeypatch.setenv("FASTMLP_CACHE_DIR", str(tmp_path / "c"))
    assert _fetch.cache_dir("mnist") == tmp_path / "c" / "datasets" / "mnist"
    monkeypatch.delenv("FASTMLP_CACHE_DIR")
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert _fetch.cache_dir("fashion-mnist") == tmp_path / "xdg" / "fastmlp" / "datasets" / "fashion-mnist"
        monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # the XDG spec says: ignore
        assert _fetch.cache_root() == Path.home() / ".cache" / "fastmlp"
        monkeypatch.delenv("XDG_CACHE_HOME")
        assert _fetch.cache_root() == Path.home() / ".cache" / "fastmlp"


# ----------------------------------------------------------------------------- nothing found


def test_offline_error_lists_every_place_and_remedy(monkeypatch, tmp_path, make_fake):
    make_fake("fashion-mnist")
    monkeypatch.setenv("FASTMLP_OFFLINE", "1")
    with pytest.raises(DatasetNotFoundError) as ei:
        fashion_mnist.load_data()
    err = ei.value
    assert isinstance(err, FileNotFoundError) and isinstance(err, OSError)
    msg = str(err)
    assert "FASTMLP_DATA is not set" in msg
    assert str(tmp_path / "cache" / "datasets" / "fashion-mnist") in msg
    assert str(tmp_path / "system" / "fashion-mnist") in msg
    assert "FASTMLP_OFFLINE" in msg
    for remedy in ("set FASTMLP_DATA", "path=", "apt-get install dataset-fashion-mnist", "go online"):
        assert remedy in msg
    assert len(err.searched) == 4  # FASTMLP_DATA, cache, system, download
    assert err.__cause__ is None and err.__context__ is None  # one error, not a chain


def test_no_download_flag(monkeypatch, tmp_path, make_fake):
    make_fake()
    monkeypatch.setenv("FASTMLP_DATA", str(tmp_path / "empty"))
    with pytest.raises(DatasetNotFoundError) as ei:
        mnist.load_data(download=False)
    msg = str(ei.value)
    assert f"{tmp_path / 'empty' / 'mnist'}: does not exist" in msg
    assert "download=False" in msg


def test_class_names():
    assert fashion_mnist.CLASS_NAMES == [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]
    assert mnist.CLASS_NAMES == [str(i) for i in range(10)]


# ----------------------------------------------------------------------------- bundled sample


def test_bundled_sample_loads_and_matches_checksum():
    p = ROOT / "fastmlp" / "datasets" / "data" / "mnist-sample.npz"
    assert hashlib.sha256(p.read_bytes()).hexdigest() == mnist_sample.SHA256
    (xtr, ytr), (xte, yte) = mnist_sample.load_data()
    n, m = mnist_sample.N_TRAIN, mnist_sample.N_TEST
    assert xtr.shape == (n, 28, 28) and ytr.shape == (n,)
    assert xte.shape == (m, 28, 28) and yte.shape == (m,)
    assert all(a.dtype == np.uint8 for a in (xtr, ytr, xte, yte))
    assert list(ytr[:10]) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert list(yte[:5]) == [7, 2, 1, 0, 4]
    assert set(np.unique(ytr)) == set(range(10))
    assert p.stat().st_size < 1_000_000


def test_bundled_sample_tampering_detected(monkeypatch):
    data = bytearray(mnist_sample._read_bytes())
    data[-100] ^= 0xFF
    monkeypatch.setattr(mnist_sample, "_read_bytes", lambda: bytes(data))
    with pytest.raises(ChecksumError, match="mnist-sample.npz"):
        mnist_sample.load_data()


# ----------------------------------------------------------------------------- real data


@needs_real
def test_real_mnist(monkeypatch):
    monkeypatch.setenv("FASTMLP_DATA", REAL_DATA)
    t = time.perf_counter()
    (xtr, ytr), (xte, yte) = mnist.load_data()
    elapsed = time.perf_counter() - t
    assert xtr.shape == (60000, 28, 28) and ytr.shape == (60000,)
    assert xte.shape == (10000, 28, 28) and yte.shape == (10000,)
    assert all(a.dtype == np.uint8 for a in (xtr, ytr, xte, yte))
    assert list(ytr[:10]) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert list(yte[:5]) == [7, 2, 1, 0, 4]
    x = xtr.astype(np.float32) / 255.0
    assert abs(x.mean() - 0.1307) < 1e-3 and abs(x.std() - 0.3081) < 1e-3
    assert elapsed < 3.0, f"loading MNIST took {elapsed:.2f} s"


@needs_real
def test_real_fashion_mnist(monkeypatch):
    monkeypatch.setenv("FASTMLP_DATA", REAL_DATA)
    (xtr, ytr), (xte, yte) = fashion_mnist.load_data()
    assert xtr.shape == (60000, 28, 28) and xte.shape == (10000, 28, 28)
    assert ytr.dtype == np.uint8
    assert np.bincount(ytr).tolist() == [6000] * 10
    assert np.bincount(yte).tolist() == [1000] * 10


@needs_real
def test_sample_is_reproducible_from_real_data(monkeypatch):
    import importlib.util

    monkeypatch.setenv("FASTMLP_DATA", REAL_DATA)
    # the script puts the checkout on sys.path; later tests (and their worker
    # processes, which copy it) must keep importing the fastmlp under test
    monkeypatch.setattr(sys, "path", list(sys.path))
    spec = importlib.util.spec_from_file_location("make_mnist_sample", ROOT / "scripts" / "make_mnist_sample.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    arrays = script.sample_arrays()
    (xtr, ytr), (xte, yte) = mnist_sample.load_data()
    for key, got in zip(("x_train", "y_train", "x_test", "y_test"), (xtr, ytr, xte, yte)):
        np.testing.assert_array_equal(arrays[key], got)
    data = script.npz_bytes(arrays)
    assert hashlib.sha256(data).hexdigest() == mnist_sample.SHA256  # byte-for-byte reproducible
    with np.load(io.BytesIO(data)) as z:
        assert z.files == ["x_train", "y_train", "x_test", "y_test"]
