"""Losses: the fused probability cross-entropy, the regression losses."""

import numpy as np
import pytest

import fastmlp


def test_categorical_probability_loss_matches_unfused_definition(backend, mlp):
    """A softmax output trained with probability cross-entropy goes through
    the fused kernel, yet reports the loss as Keras defines it on probabilities."""
    fastmlp.utils.set_random_seed(5)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(16, 5)).astype(np.float32)
    y = fastmlp.utils.to_categorical(rng.integers(0, 3, size=16), 3)
    model = mlp(inputs=5, hidden=7, output_activation="softmax")
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    probs = model.predict(x, verbose=0).astype(np.float64)
    expected = -(y * np.log(np.clip(probs, 1e-7, 1 - 1e-7))).sum(axis=1).mean()
    assert model.test_on_batch(x, y) == pytest.approx(expected, rel=1e-5)
    assert fastmlp.losses.CategoricalCrossentropy()(y, probs) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("loss", ["mse", "mae"])
def test_regression_with_mse_or_mae_and_mae_metric(backend, loss):
    """The Keras regression recipe: linear output, mse/mae loss, mae metric."""
    fastmlp.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 8)).astype(np.float32)
    y = x @ rng.normal(size=8) + 0.5
    model = fastmlp.Sequential([fastmlp.layers.Dense(16, activation="relu", input_shape=(8,)),
                                fastmlp.layers.Dense(1)])
    model.compile(optimizer="rmsprop", loss=loss, metrics=["mae"])
    history = model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert history.history["mae"][-1] < 0.5 * history.history["mae"][0]
    _, mae = model.evaluate(x, y, verbose=0)
    predictions = model.predict(x, verbose=0)[:, 0]
    assert mae == pytest.approx(np.abs(predictions - y).mean(), rel=1e-4)
    mse = fastmlp.metrics.MeanSquaredError()
    mse.update_state(y, predictions)
    assert mse.result() == pytest.approx(((predictions - y) ** 2).mean(), rel=1e-4)
