"""IMDB and Reuters: Keras's processing reproduced on the same files.

The inputs and Keras's outputs are in data/keras_3_15_tiny_datasets.json: the
inputs written by tests/dataset_files.py (write_tiny), the outputs from Keras
3.15.1 (torch backend) running ``keras.datasets.<name>.load_data(**kwargs)``
for each case on those very files (placed in $KERAS_HOME/datasets, Keras's hash
check patched to accept them), serialised with ``ndarray.tolist()``.
"""

import json
import os
import pickle

import numpy as np
import pytest

from fastmlp.datasets import ChecksumError, DataFileNotFoundError, imdb, reuters

BAKED = json.load(open(os.path.join(os.path.dirname(__file__), "data", "keras_3_15_tiny_datasets.json")))


def _array(spec):
    if spec["dtype"] == "object":
        out = np.empty(len(spec["values"]), dtype=object)
        out[:] = spec["values"]
        return out
    return np.array(spec["values"], dtype=spec["dtype"])


def write_inputs(folder, name, pin):
    """Write the baked input ``name`` (e.g. "imdb") as ``<folder>/<name>.npz``, pinned."""
    path = folder / f"{name}.npz"
    np.savez(path, **{k: _array(v) for k, v in BAKED["inputs"][name].items()})
    return pin(path)


def assert_same_as_keras(result, expected):
    """``result`` ((x, y), (x, y)) equals Keras's serialised output: shapes, dtypes, values."""
    (a, b), (c, d) = result
    for got, want in zip((a, b, c, d), expected):
        assert list(got.shape) == want["shape"]
        if "dtype" in want:
            assert str(got.dtype) == want["dtype"]
        else:
            assert got.dtype == object
        assert got.tolist() == want["values"]


@pytest.mark.parametrize("case", range(len(BAKED["keras"]["imdb"])))
def test_imdb_matches_keras(keras_home, pin, case):
    write_inputs(keras_home, "imdb", pin)
    kwargs, expected = BAKED["keras"]["imdb"][case]
    assert_same_as_keras(imdb.load_data(**kwargs), expected)


@pytest.mark.parametrize("case", range(len(BAKED["keras"]["reuters"])))
def test_reuters_matches_keras(keras_home, pin, case):
    write_inputs(keras_home, "reuters", pin)
    kwargs, expected = BAKED["keras"]["reuters"][case]
    assert_same_as_keras(reuters.load_data(**kwargs), expected)


def test_the_baked_cases_cover_keras_quirks():
    cases = {json.dumps(kw, sort_keys=True) for kw, _ in BAKED["keras"]["imdb"]}
    assert '{"maxlen": 6}' in cases and '{"num_words": 15, "oov_char": null, "skip_top": 4}' in cases
    # Keras's surprise, baked above: with num_words=None the largest word index itself is out of
    # vocabulary (the bound is `w < max`), so it appears as oov_char=2 in its review.
    x_train, _, x_test, _ = BAKED["keras"]["imdb"][0][1]  # the default call
    largest = max(max(s) for s in BAKED["inputs"]["imdb"]["x_train"]["values"]
                  + BAKED["inputs"]["imdb"]["x_test"]["values"]) + 3
    inputs = BAKED["inputs"]["imdb"]["x_train"]["values"] + BAKED["inputs"]["imdb"]["x_test"]["values"]
    assert sum(s.count(largest - 3) for s in inputs) == 1  # once in the file ...
    assert all(w < largest for s in x_train["values"] + x_test["values"] for w in s)  # ... and gone after


def test_word_index_and_label_names(keras_home, pin):
    from dataset_files import write_word_index

    for name, size in BAKED["inputs"]["word_index_sizes"].items():
        write_word_index(keras_home / f"{name}_word_index.json", vocab=size)
        pin(keras_home / f"{name}_word_index.json")  # md5-pinned, as Keras pins these two
    assert len(imdb.get_word_index()) == BAKED["keras"]["imdb_word_index_len"]
    assert reuters.get_word_index()["w7"] == 7
    assert list(reuters.get_label_names()) == BAKED["keras"]["reuters_labels"]


def test_found_in_fastmlp_data_folder_and_by_path(monkeypatch, tmp_path, pin):
    data = tmp_path / "data"
    (data / "imdb").mkdir(parents=True)
    path = write_inputs(data / "imdb", "imdb", pin)
    monkeypatch.setenv("FASTMLP_DATA", str(data))
    kwargs, expected = BAKED["keras"]["imdb"][1]
    assert_same_as_keras(imdb.load_data(**kwargs), expected)
    monkeypatch.delenv("FASTMLP_DATA")
    assert_same_as_keras(imdb.load_data(path=str(path), **kwargs), expected)


def test_wrong_digest_is_refused_before_reading(keras_home, pin, monkeypatch):
    path = write_inputs(keras_home, "reuters", pin)
    from fastmlp.datasets import _keras_files

    monkeypatch.setitem(_keras_files.KERAS_FILES, "reuters.npz",
                        (_keras_files.KERAS_FILES["reuters.npz"][0], "0" * 64))
    monkeypatch.setenv("FASTMLP_OFFLINE", "1")
    with pytest.raises(DataFileNotFoundError) as info:
        reuters.load_data()
    assert str(path) in str(info.value) and "passed over" in str(info.value)
    with pytest.raises(ChecksumError, match="SHA-256 mismatch"):
        reuters.load_data(path=str(path))


def test_nowhere_offline_lists_the_places(monkeypatch, tmp_path):
    monkeypatch.setenv("FASTMLP_OFFLINE", "1")
    with pytest.raises(DataFileNotFoundError) as info:
        imdb.load_data()
    msg = str(info.value)
    assert "imdb.npz" in msg and ".keras" in msg and "FASTMLP_OFFLINE" in msg
    with pytest.raises(FileNotFoundError, match="no such file"):
        imdb.load_data(path=str(tmp_path / "missing" / "imdb.npz"))


def test_a_malicious_pickle_is_refused_even_with_the_right_digest(keras_home, pin):
    class Gadget:
        def __reduce__(self):
            return (os.system, ("echo unsafe",))

    x = np.empty(2, dtype=object)
    x[:] = [[1, 2], Gadget()]
    np.savez(keras_home / "reuters.npz", x=x, y=np.array([0, 1]))
    pin(keras_home / "reuters.npz")
    with pytest.raises(pickle.UnpicklingError, match="refusing to load"):
        reuters.load_data()


@pytest.mark.parametrize("kwargs, match", [
    ({"num_words": -1}, "num_words"), ({"skip_top": 1.5}, "skip_top"), ({"maxlen": 2}, "no sequence was kept"),
    ({"index_from": -3}, "index_from"), ({"test_split": 1.5}, "test_split"),
])
def test_bad_arguments(keras_home, pin, kwargs, match):
    write_inputs(keras_home, "reuters", pin)
    with pytest.raises(ValueError, match=match):
        reuters.load_data(**kwargs)


def test_imdb_maxlen_too_small(keras_home, pin):
    write_inputs(keras_home, "imdb", pin)
    with pytest.raises(ValueError, match="Increase maxlen"):
        imdb.load_data(maxlen=1)
    assert imdb.load_data(unknown_keyword=1)[0][0].dtype == object  # **kwargs are ignored, as in Keras
