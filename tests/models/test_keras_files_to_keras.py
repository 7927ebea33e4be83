"""fastmlp -> Keras 3: ``.keras`` and ``.weights.h5`` files written here load
in real Keras, predict fastmlp's values, load compiled and train on.

Keras is not a dependency: the checks run in a child process with the
interpreter named by ``FASTMLP_KERAS_PYTHON`` (one with Keras 3, e.g.
``FASTMLP_KERAS_PYTHON=/tmp/kvenv/bin/python`` with ``KERAS_BACKEND=torch``),
and are skipped when it is not set. The format itself (groups, names,
shapes) is checked here without Keras.
"""

import json
import os
import subprocess
import sys
import zipfile

import h5py
import numpy as np
import pytest

import fastmlp

KERAS_PYTHON = os.environ.get("FASTMLP_KERAS_PYTHON")
needs_keras = pytest.mark.skipif(not KERAS_PYTHON, reason="set FASTMLP_KERAS_PYTHON to an interpreter "
                                 "with Keras 3 to check fastmlp's files in real Keras")
rng = np.random.default_rng(3)
X = rng.normal(size=(24, 4)).astype("float32")
Y = rng.integers(0, 3, 24)
YR = (X @ np.array([1.0, -2.0, 0.5, 3.0], "float32") + 2.0).astype("float32")
OPTIMIZERS = {"adam": lambda: fastmlp.optimizers.Adam(0.05),
              "sgd": lambda: fastmlp.optimizers.SGD(0.05, momentum=0.9),
              "rmsprop": lambda: fastmlp.optimizers.RMSprop(0.01, momentum=0.5),
              "adamw": lambda: fastmlp.optimizers.AdamW(0.05, weight_decay=0.1)}

# Runs in the Keras interpreter: loads each file, compares with fastmlp's
# numbers, and reports the largest differences as JSON on stdout.
CHILD = r"""
import json, sys
import numpy as np
import keras
d = sys.argv[1]
e = json.load(open(f"{d}/expected.json"))
x, y, yr = (np.array(e[k], "float32") for k in ("x", "y", "y_reg"))
out = {}
for name, xin, target in (("clf", x, y), ("reg", x * 3 + 1, yr)):
    m = keras.saving.load_model(f"{d}/{name}.keras")
    out[name + ".keras"] = float(np.abs(m.predict(xin, verbose=0) - np.array(e[name])).max())
    out[name + ".compiled"] = bool(m.compiled) and m.optimizer is not None
    out[name + ".iterations"] = int(m.optimizer.iterations)
    h = m.fit(xin, target, epochs=1, batch_size=8, verbose=0)
    out[name + ".trained_loss"] = float(h.history["loss"][0])
    w = keras.saving.load_model(f"{d}/{name}.keras", compile=False)
    w.set_weights([v * 0 for v in w.get_weights()])
    w.load_weights(f"{d}/{name}.weights.h5")
    out[name + ".weights.h5"] = float(np.abs(w.predict(xin, verbose=0) - np.array(e[name])).max())
for name in e["optimizers"]:
    m = keras.saving.load_model(f"{d}/opt_{name}.keras")
    out[f"opt_{name}.iterations"] = int(m.optimizer.iterations)
    m.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    want = e["optimizers"][name]
    out[f"opt_{name}.resumed"] = max(float(np.abs(a - np.array(b)).max())
                                     for a, b in zip(m.get_weights(), want))
print(json.dumps(out))
"""


def classifier():
    model = fastmlp.Sequential([fastmlp.Input((4,)), fastmlp.layers.Dense(8, activation="relu"),
                                fastmlp.layers.Dropout(0.25), fastmlp.layers.Dense(3, activation="softmax")],
                               name="clf")
    model.compile(optimizer=fastmlp.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(X, Y, epochs=2, batch_size=8, verbose=0)
    return model


def regressor():
    norm = fastmlp.layers.Normalization()
    norm.adapt(X * 3 + 1)
    model = fastmlp.Sequential([fastmlp.Input((4,)), norm, fastmlp.layers.Dense(1)], name="reg")
    model.compile(optimizer=fastmlp.optimizers.SGD(0.01, momentum=0.9), loss="mse")
    model.fit(X * 3 + 1, YR, epochs=2, batch_size=8, verbose=0)
    return model


def write_all(folder):
    """fastmlp writes the files and its own numbers for the Keras side."""
    expected = {"x": X.tolist(), "y": Y.tolist(), "y_reg": YR.tolist(), "optimizers": {}}
    for name, model, xin in (("clf", classifier(), X), ("reg", regressor(), X * 3 + 1)):
        model.save(folder / f"{name}.keras")
        model.save_weights(folder / f"{name}.weights.h5")
        expected[name] = model.predict(xin, verbose=0).tolist()
    for name, make in OPTIMIZERS.items():
        model = fastmlp.Sequential([fastmlp.Input((4,)), fastmlp.layers.Dense(3, activation="softmax")])
        model.compile(optimizer=make(), loss="sparse_categorical_crossentropy")
        model.fit(X, Y, epochs=2, batch_size=8, shuffle=False, verbose=0)
        model.save(folder / f"opt_{name}.keras")
        model.fit(X, Y, epochs=1, batch_size=8, shuffle=False, verbose=0)
        expected["optimizers"][name] = [w.tolist() for w in model.get_weights()]
    (folder / "expected.json").write_text(json.dumps(expected))


@needs_keras
def test_fastmlp_files_load_in_keras(tmp_path):
    write_all(tmp_path)
    env = {**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "torch")}
    run = subprocess.run([KERAS_PYTHON, "-c", CHILD, str(tmp_path)], capture_output=True, text=True,
                         env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    print(json.dumps(got, indent=1))  # the measured differences, for the record
    for key in ("clf.keras", "clf.weights.h5", "reg.keras", "reg.weights.h5"):
        assert got[key] <= 1e-5, (key, got[key])
    for name in ("clf", "reg"):
        assert got[f"{name}.compiled"]
        assert got[f"{name}.iterations"] == 6  # 2 epochs of 3 batches, carried over
        assert np.isfinite(got[f"{name}.trained_loss"])
    for name in OPTIMIZERS:
        assert got[f"opt_{name}.iterations"] == 6
        assert got[f"opt_{name}.resumed"] <= 1e-5, (name, got[f"opt_{name}.resumed"])


def test_layout_is_keras_s(tmp_path):
    """Group names by layer class (not layer name), vars datasets in Keras's
    order, the optimizer's iteration, learning rate and per-variable slots."""
    model = regressor()
    model.save(tmp_path / "reg.keras")
    with zipfile.ZipFile(tmp_path / "reg.keras") as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        config = json.loads(archive.read("config.json"))
    assert config["class_name"] == "Sequential"
    assert [layer["class_name"] for layer in config["config"]["layers"]] == ["InputLayer", "Normalization",
                                                                             "Dense"]
    assert config["compile_config"]["optimizer"]["class_name"] == "SGD"
    model.save_weights(tmp_path / "reg.weights.h5")
    with h5py.File(tmp_path / "reg.weights.h5") as h5:
        assert h5["layers/normalization/vars"].attrs["name"] == model.layers[0].name
        assert [h5[f"layers/normalization/vars/{i}"].shape for i in range(3)] == [(4,), (4,), ()]
        assert h5["layers/dense/vars/0"].shape == (4, 1)
        assert h5["optimizer/vars/0"][()] == 6
        np.testing.assert_allclose(h5["optimizer/vars/1"][()], 0.01, rtol=1e-6)
        assert [h5[f"optimizer/vars/{i}"].shape for i in (2, 3)] == [(4, 1), (1,)]


def test_round_trip_in_fastmlp(tmp_path):
    """fastmlp reads back what it wrote: predictions, optimizer state and the next epoch."""
    model = classifier()
    model.save(tmp_path / "m.keras")
    loaded = fastmlp.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)
    assert loaded.optimizer.iterations == model.optimizer.iterations
    for key, value in model.optimizer.state_arrays().items():
        np.testing.assert_array_equal(loaded.optimizer.state_arrays()[key], value)


def test_other_names_keep_fastmlp_s_format(tmp_path):
    model = classifier()
    model.save(tmp_path / "m.fastmlp")
    with zipfile.ZipFile(tmp_path / "m.fastmlp") as archive:
        assert "fastmlp.json" in archive.namelist()


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-s"]))
