"""Keras 3 -> fastmlp: ``.keras`` and ``.weights.h5`` files written by real
Keras load here and predict Keras's values.

The files and every expected number in keras_fixtures/keras_expected.json come
from Keras 3.15.1 (torch backend), written by
keras_fixtures/make_fixtures.py (its docstring says how to rerun it).
"""

import json
import os
import shutil

import numpy as np
import pytest

import fastmlp
from fastmlp.models import ModelFileError

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras_fixtures")
with open(os.path.join(HERE, "keras_expected.json")) as _f:
    EXPECTED = json.load(_f)
X = np.array(EXPECTED["x"], "float32")
Y = np.array(EXPECTED["y"])
INPUTS = {"k_clf": X, "k_reg": X * 3 + 1, "k_nested": X, "k_custom": X}


def fixture(name):
    return os.path.join(HERE, name)


@pytest.mark.parametrize("name", ["k_clf", "k_reg", "k_nested"])
def test_keras_archive_loads_and_predicts_as_keras(name):
    model = fastmlp.saving.load_model(fixture(f"{name}.keras"))
    got = model.predict(INPUTS[name], verbose=0)
    np.testing.assert_allclose(got, np.array(EXPECTED[name]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["k_clf", "k_reg"])
def test_keras_weights_file_loads_into_the_same_architecture(name):
    model = fastmlp.saving.load_model(fixture(f"{name}.keras"), compile=False)
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    model.load_weights(fixture(f"{name}.weights.h5"))
    np.testing.assert_allclose(model.predict(INPUTS[name], verbose=0), np.array(EXPECTED[name]),
                               rtol=1e-5, atol=1e-6)


def test_loaded_architecture_names_and_compile_settings():
    clf = fastmlp.saving.load_model(fixture("k_clf.keras"))
    assert clf.name == "clf"
    assert [type(layer).__name__ for layer in clf.layers] == ["Dense", "Dropout", "Dense"]
    assert clf.compiled and isinstance(clf.optimizer, fastmlp.optimizers.Adam)
    assert clf.optimizer.iterations == 6  # 2 epochs of 3 batches in Keras
    assert type(clf.loss).__name__ == "SparseCategoricalCrossentropy"
    reg = fastmlp.saving.load_model(fixture("k_reg.keras"))
    norm = reg.layers[0]
    assert isinstance(norm, fastmlp.layers.Normalization)
    np.testing.assert_allclose(norm.mean.numpy().reshape(-1), (X * 3 + 1).mean(0), rtol=1e-5, atol=1e-5)
    assert reg.optimizer.momentum == pytest.approx(0.9)


def test_uncompiled_load():
    model = fastmlp.saving.load_model(fixture("k_clf.keras"), compile=False)
    assert not model.compiled


@pytest.mark.parametrize("name", ["adam", "sgd", "rmsprop", "adamw"])
def test_optimizer_state_resumes_training_as_keras(name):
    """Keras trained two epochs, saved, then trained one more; fastmlp loads
    the saved file (optimizer state and iteration count) and trains the same
    epoch: the weights must agree with Keras's."""
    model = fastmlp.saving.load_model(fixture(f"k_opt_{name}.keras"))
    assert model.optimizer.iterations == 6
    model.fit(X, Y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    want = EXPECTED[f"k_opt_{name}"]
    assert model.optimizer.iterations == want["iterations"]
    for got, expected in zip(model.get_weights(), want["weights_after"]):
        np.testing.assert_allclose(got, np.array(expected, "float32"), rtol=1e-5, atol=1e-6)


def test_content_not_name_decides(tmp_path):
    copy = tmp_path / "model.bin"
    shutil.copy(fixture("k_clf.keras"), copy)
    model = fastmlp.saving.load_model(copy)
    np.testing.assert_allclose(model.predict(X, verbose=0), np.array(EXPECTED["k_clf"]), rtol=1e-5, atol=1e-6)
    weights = tmp_path / "weights.data"
    shutil.copy(fixture("k_clf.weights.h5"), weights)
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    model.load_weights(weights)
    np.testing.assert_allclose(model.predict(X, verbose=0), np.array(EXPECTED["k_clf"]), rtol=1e-5, atol=1e-6)


def test_a_layer_fastmlp_lacks_is_named():
    with pytest.raises(ModelFileError, match="Conv1D"):
        fastmlp.saving.load_model(fixture("k_conv.keras"))


def test_custom_objects_supply_a_custom_layer():
    with pytest.raises(ModelFileError, match="custom layer .Fixture>ScaledDense.*custom_objects"):
        fastmlp.saving.load_model(fixture("k_custom.keras"))

    class ScaledDense(fastmlp.layers.Dense):
        """fastmlp's version of the fixture's layer: Dense, output doubled."""

        def forward(self, x, training=False, logits=False):
            return super().forward(x, training=training, logits=logits) * 2

    model = fastmlp.saving.load_model(fixture("k_custom.keras"),
                                      custom_objects={"Fixture>ScaledDense": ScaledDense})
    assert type(model.layers[0]) is ScaledDense
    np.testing.assert_allclose(model.predict(X, verbose=0), np.array(EXPECTED["k_custom"]), rtol=1e-5, atol=1e-6)


def test_weights_of_another_architecture_are_refused_and_nothing_changes():
    model = fastmlp.Sequential([fastmlp.Input((4,)), fastmlp.layers.Dense(5), fastmlp.layers.Dense(3)])
    before = model.get_weights()
    with pytest.raises(ModelFileError, match=r"layer 'dense.*\(5,\)|\(4, 5\)"):
        model.load_weights(fixture("k_clf.weights.h5"))
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
