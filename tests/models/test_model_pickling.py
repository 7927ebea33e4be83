"""Pickling and deep-copying models (fastmlp/models/pickling.py).

A model's weights are views into one parameter buffer; a copy made by
Python's default pickling kept the weights apart from the buffer, so it
predicted the same but training it changed nothing. A built model now
travels as its model file's bytes.
"""

import copy
import pickle

import numpy as np
import pytest

import fastmlp


def _trained(dropout=0.0):
    layers = [fastmlp.Input((6,)), fastmlp.layers.Dense(8, activation="relu")]
    if dropout:
        layers.append(fastmlp.layers.Dropout(dropout))
    layers.append(fastmlp.layers.Dense(3, activation="softmax"))
    model = fastmlp.Sequential(layers)
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    return model, x, y


@pytest.mark.parametrize("copier", [lambda m: pickle.loads(pickle.dumps(m)), copy.deepcopy],
                         ids=["pickle", "deepcopy"])
def test_a_copied_model_predicts_the_same_and_trains(copier):
    model, x, y = _trained(dropout=0.25)
    twin = copier(model)
    assert type(twin) is type(model) and twin.name == model.name
    np.testing.assert_array_equal(twin.predict(x, verbose=0), model.predict(x, verbose=0))
    assert twin.optimizer.iterations == model.optimizer.iterations
    # Same weights, optimizer state, shuffle seed and dropout streams: one more epoch matches.
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    before = [w.copy() for w in twin.get_weights()]
    twin.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert not np.allclose(twin.get_weights()[0], before[0])
    for a, b in zip(twin.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_training_the_copy_leaves_the_original_alone():
    model, x, y = _trained()
    weights = [w.copy() for w in model.get_weights()]
    twin = copy.deepcopy(model)
    twin.fit(x, y, epochs=2, verbose=0)
    for a, b in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(a, b)


def test_an_unbuilt_model_pickles_and_builds_later():
    model = fastmlp.Sequential([fastmlp.layers.Dense(4, activation="relu"), fastmlp.layers.Dense(2)])
    model.compile(loss="mse", optimizer="sgd")
    twin = pickle.loads(pickle.dumps(model))
    assert not twin.built and twin.compiled
    x = np.ones((8, 3), np.float32)
    history = twin.fit(x, np.zeros((8, 2), np.float32), epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_a_model_with_a_class_the_file_cannot_name_refuses_to_pickle():
    class Twice(fastmlp.layers.Layer):
        def compute_output_shape(self, input_shape):
            return input_shape

        def forward(self, x, training=False, logits=False):
            return x * 2

        def backward(self, dy, need_dx=True):
            return dy * 2

    model = fastmlp.Sequential([fastmlp.Input((3,)), Twice(), fastmlp.layers.Dense(2)])
    with pytest.raises(TypeError, match="Twice"):
        pickle.dumps(model)
