"""The two seed programs of the API contract, on the real data."""

import os

import numpy as np
import pytest

import fastmlp

needs_data = pytest.mark.skipif(not os.environ.get("FASTMLP_DATA"),
                                reason="FASTMLP_DATA is not set (CI sets it)")


@needs_data
def test_mnist_seed_program_reaches_97_5_percent():
    fastmlp.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = fastmlp.datasets.mnist.load_data()
    x_train, x_test = x_train / 255.0, x_test / 255.0
    model = fastmlp.Sequential([
        fastmlp.layers.Flatten(input_shape=(28, 28)),
        fastmlp.layers.Dense(128, activation="relu"),
        fastmlp.layers.Dropout(0.2),
        fastmlp.layers.Dense(10),
    ])
    logits = model(x_train[:1])
    assert logits.shape == (1, 10) and logits.dtype == np.float32
    np.testing.assert_allclose(fastmlp.ops.softmax(logits).sum(axis=1), 1.0, rtol=1e-6)
    loss_fn = fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True)
    untrained = loss_fn(y_train[:1], logits)
    assert isinstance(untrained, float) and 1.0 < untrained < 4.0
    model.compile(optimizer="adam", loss=loss_fn, metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=5, verbose=0)
    assert len(history.history["loss"]) == 5
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    assert acc >= 0.975, acc
    probability_model = fastmlp.Sequential([model, fastmlp.layers.Softmax()])
    probs = probability_model(x_test[:5])
    assert probs.shape == (5, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    predicted = np.argmax(model.predict(x_test, verbose=0), axis=1)
    assert (predicted == y_test).mean() == pytest.approx(acc, abs=1e-6)


@needs_data
def test_fashion_mnist_seed_program_reaches_0_86():
    fastmlp.utils.set_random_seed(0)
    (train_images, train_labels), (test_images, test_labels) = fastmlp.datasets.fashion_mnist.load_data()
    train_images, test_images = train_images / 255.0, test_images / 255.0
    model = fastmlp.Sequential([
        fastmlp.layers.Flatten(input_shape=(28, 28)),
        fastmlp.layers.Dense(128, activation="relu"),
        fastmlp.layers.Dense(10),
    ])
    model.compile(optimizer="adam",
                  loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(train_images, train_labels, epochs=10, verbose=0)
    test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)
    assert test_acc >= 0.86, test_acc


def test_second_seed_style_add_input_dim_softmax_sgd():
    fastmlp.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    centers = rng.normal(0, 1, size=(10, 100))
    labels = rng.integers(0, 10, size=512)
    x = (centers[labels] + rng.normal(0, 0.5, size=(512, 100))).astype(np.float32)
    y = fastmlp.utils.to_categorical(labels, 10)
    model = fastmlp.Sequential()
    model.add(fastmlp.layers.Dense(units=64, activation="relu", input_dim=100))
    model.add(fastmlp.layers.Dense(units=10, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    assert model.count_params() == 100 * 64 + 64 + 64 * 10 + 10
    assert len(model.stores()) == 1  # one parameter buffer for the whole model
    history = model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > history.history["accuracy"][0]
    loss, acc = model.evaluate(x, y, verbose=0)
    probs = model.predict(x[:4], verbose=0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert acc > 0.9
