"""Keras's legacy HDF5 model format (``model.save("m.h5")``), both ways.

Keras -> fastmlp: ``keras_fixtures/h5_*.h5`` were written by Keras 3.15
(torch backend) with ``keras_fixtures/make_h5_fixtures.py``, which also wrote
Keras's predictions on the same rows to ``h5_expected.json``. fastmlp ->
Keras: the files fastmlp writes are loaded by real Keras in a child process
with the interpreter named by ``FASTMLP_KERAS_PYTHON`` (skipped when unset).
"""

import json
import os
import shutil
import subprocess

import h5py
import numpy as np
import pytest

import fastmlp
from fastmlp.models import ModelFileError

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras_fixtures")
with open(os.path.join(HERE, "h5_expected.json")) as _f:
    EXPECTED = json.load(_f)
X = np.array(EXPECTED["x"], np.float32)
FIXTURES = ["h5_classifier.h5", "h5_regressor.h5"]
KERAS_PYTHON = os.environ.get("FASTMLP_KERAS_PYTHON")
needs_keras = pytest.mark.skipif(not KERAS_PYTHON, reason="set FASTMLP_KERAS_PYTHON to an interpreter "
                                 "with Keras 3 to check fastmlp's .h5 files in real Keras")


def fixture(name):
    return os.path.join(HERE, name)


def layout(path):
    """``{path: (kind, shape, dtype, weight_names)}`` of every object in an HDF5 file."""
    out = {}
    with h5py.File(path, "r") as h5:
        def visit(name, obj):
            names = [str(n) for n in obj.attrs.get("weight_names", [])]
            out[name] = (type(obj).__name__, getattr(obj, "shape", None), str(getattr(obj, "dtype", "")), names)
        h5.visititems(visit)
        out["/"] = sorted(h5.attrs)
        out["layer_names"] = [str(n) for n in h5["model_weights"].attrs["layer_names"]]
    return out


# ------------------------------------------------------------ Keras -> fastmlp
@pytest.mark.parametrize("name", FIXTURES)
def test_keras_h5_predicts_as_keras(name):
    model = fastmlp.saving.load_model(fixture(name))
    # Keras's predictions (h5_expected.json); float32 sums of a few terms
    np.testing.assert_allclose(model.predict(X, verbose=0), np.array(EXPECTED[name]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, optimizer, slots", [
    ("h5_classifier.h5", fastmlp.optimizers.Adam, ("momentum", "velocity")),
    ("h5_regressor.h5", fastmlp.optimizers.RMSprop, ("velocity", "momentum"))])
def test_keras_h5_restores_compile_and_optimizer_state(name, optimizer, slots):
    model = fastmlp.saving.load_model(fixture(name))
    assert model.compiled and type(model.optimizer) is optimizer
    assert model.optimizer.iterations == EXPECTED["iterations"][name]
    # every slot of every trainable weight equals the file's dataset of Keras's name
    flat = model.optimizer.state_arrays()
    fast_slot = {"momentum": "m", "velocity": "v"} if optimizer is fastmlp.optimizers.Adam else {}
    offset = 0
    with h5py.File(fixture(name), "r") as h5:
        group = h5["optimizer_weights"]
        opt_name = str(group.attrs["weight_names"][0]).split("/")[0]
        for variable in model.trainable_weights:
            size = int(np.prod(variable.shape))
            for slot in slots:
                saved = group[f"{opt_name}/{variable.path.replace('/', '_')}_{slot}"][()]
                got = flat[f"0/{fast_slot.get(slot, slot)}"][offset:offset + size].reshape(variable.shape)
                np.testing.assert_array_equal(got, saved)
            offset += size
    assert offset == model.optimizer.state_arrays()[f"0/{fast_slot.get(slots[0], slots[0])}"].size


def test_keras_h5_without_compile():
    model = fastmlp.saving.load_model(fixture("h5_classifier.h5"), compile=False)
    assert not model.compiled
    np.testing.assert_allclose(model.predict(X, verbose=0), np.array(EXPECTED["h5_classifier.h5"]),
                               rtol=1e-5, atol=1e-6)


def test_load_weights_from_a_keras_h5_into_a_new_model():
    model = fastmlp.Sequential([fastmlp.Input((4,)), fastmlp.layers.Dense(8, activation="relu"),
                                fastmlp.layers.Dropout(0.25), fastmlp.layers.Dense(3, activation="softmax")])
    model.load_weights(fixture("h5_classifier.h5"))  # matched by layer order, as Keras does
    np.testing.assert_allclose(model.predict(X, verbose=0), np.array(EXPECTED["h5_classifier.h5"]),
                               rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------ fastmlp -> file
@pytest.mark.parametrize("name", FIXTURES)
def test_fastmlp_writes_keras_layout(tmp_path, name):
    out = tmp_path / name
    fastmlp.saving.load_model(fixture(name)).save(out)
    ours, keras = layout(out), layout(fixture(name))
    if name == "h5_regressor.h5":
        # Keras names a variable by the model it was built in: the fixture's
        # Normalization was adapted before the Sequential existed; a model
        # built from the config (Keras's load_model, as fastmlp's) writes
        # "regressor/normalization/mean" (checked with Keras 3.15: load, save)
        keras = {key.replace("normalization/normalization", "normalization/regressor/normalization"):
                 (v[0], v[1], v[2], [n.replace("normalization/", "regressor/normalization/") for n in v[3]])
                 if key == "model_weights/normalization" else v for key, v in keras.items()}
        keras["model_weights/normalization/regressor"] = ("Group", None, "", [])
    assert ours == keras


def test_round_trip_keeps_predictions_and_training(tmp_path):
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    y = (x.sum(axis=1) > 0).astype("int64")
    model = fastmlp.Sequential([fastmlp.Input((4,)), fastmlp.layers.Dense(6, activation="relu"),
                                fastmlp.layers.Dense(2, activation="softmax")])
    model.compile(fastmlp.optimizers.Adam(0.05), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    model.save(tmp_path / "m.hdf5")
    loaded = fastmlp.saving.load_model(tmp_path / "m.hdf5")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.optimizer.iterations == model.optimizer.iterations == 8
    for a, b in ((model, x), (loaded, x)):
        a.fit(b, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    for got, want in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_a_fastmlp_archive_under_an_h5_name_still_loads(tmp_path):
    model = fastmlp.Sequential([fastmlp.Input((3,)), fastmlp.layers.Dense(2)])
    model.save(tmp_path / "m.fastmlp")
    shutil.copy(tmp_path / "m.fastmlp", tmp_path / "old.h5")  # saved as .h5 before this format existed
    loaded = fastmlp.saving.load_model(tmp_path / "old.h5")
    for got, want in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)


def test_overwrite_false_and_a_failed_save(tmp_path, monkeypatch):
    model = fastmlp.Sequential([fastmlp.Input((3,)), fastmlp.layers.Dense(2)])
    model.save(tmp_path / "m.h5")
    old = (tmp_path / "m.h5").read_bytes()
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "m.h5", overwrite=False)
    from fastmlp.models.keras_files import legacy_h5

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(legacy_h5, "_write_group", broken)
    with pytest.raises(RuntimeError):
        model.save(tmp_path / "m.h5")
    assert (tmp_path / "m.h5").read_bytes() == old
    assert sorted(os.listdir(tmp_path)) == ["m.h5"]


# ------------------------------------------------------------ fastmlp -> Keras
CHILD = r"""
import json, sys
import numpy as np
import keras
d = sys.argv[1]
x = np.array(json.load(open(f"{d}/x.json")), "float32")
out = {}
for name in ("clf", "reg"):
    m = keras.saving.load_model(f"{d}/{name}.h5")
    out[name] = {"pred": m.predict(x, verbose=0).tolist(), "compiled": bool(m.compiled),
                 "optimizer": type(m.optimizer).__name__, "iterations": int(m.optimizer.iterations)}
print(json.dumps(out))
"""


@needs_keras
def test_fastmlp_h5_predicts_the_same_in_keras(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(16, 4)).astype("float32")
    clf = fastmlp.Sequential([fastmlp.Input((4,)), fastmlp.layers.Dense(8, activation="relu"),
                              fastmlp.layers.Dropout(0.25), fastmlp.layers.Dense(3, activation="softmax")])
    clf.compile(fastmlp.optimizers.Adam(0.05), "sparse_categorical_crossentropy", metrics=["accuracy"])
    clf.fit(x, rng.integers(0, 3, 16), epochs=2, batch_size=8, verbose=0)
    norm = fastmlp.layers.Normalization()
    norm.adapt(x * 3 + 1)
    reg = fastmlp.Sequential([fastmlp.Input((4,)), norm, fastmlp.layers.Dense(5, activation="tanh"),
                              fastmlp.layers.Dense(1)])
    reg.compile(fastmlp.optimizers.RMSprop(0.01, momentum=0.5), "mse")
    reg.fit(x, x[:, :1], epochs=1, batch_size=8, verbose=0)
    clf.save(tmp_path / "clf.h5")
    reg.save(tmp_path / "reg.h5")
    (tmp_path / "x.json").write_text(json.dumps(x.tolist()))
    env = {**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "torch")}
    done = subprocess.run([KERAS_PYTHON, "-c", CHILD, str(tmp_path)], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for name, model, optimizer in (("clf", clf, "Adam"), ("reg", reg, "RMSprop")):
        got = result[name]
        np.testing.assert_allclose(np.array(got["pred"]), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
        assert got["compiled"] and got["optimizer"] == optimizer
        assert got["iterations"] == model.optimizer.iterations
