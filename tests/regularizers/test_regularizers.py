"""Regularizers: penalties in the loss, their gradients, the config round trip."""

import numpy as np
import pytest

import fastmlp


@pytest.mark.parametrize("regularizer", ["l1", "l2", "l1_l2"])
def test_regularizer_penalty_and_gradient(backend, regularizer):
    """Keras's penalties are added to the reported loss and their gradients to
    the weights' (checked with SGD(learning_rate=1.0) against the formulas)."""
    fastmlp.utils.set_random_seed(9)
    rng = np.random.default_rng(9)
    x = rng.normal(size=(6, 5)).astype(np.float32)
    y = rng.integers(0, 3, size=6)
    reg = {"l1": fastmlp.regularizers.L1(0.01), "l2": fastmlp.regularizers.L2(0.02),
           "l1_l2": fastmlp.regularizers.L1L2(l1=0.01, l2=0.02)}[regularizer]
    l1, l2 = reg.l1, reg.l2

    def build(kernel_regularizer):
        fastmlp.utils.set_random_seed(9)
        model = fastmlp.Sequential([
            fastmlp.layers.Dense(4, activation="tanh", input_shape=(5,), kernel_regularizer=kernel_regularizer),
            fastmlp.layers.Dense(3)])
        model.compile(optimizer=fastmlp.optimizers.SGD(learning_rate=1.0),
                      loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True))
        return model

    plain, regularized = build(None), build(reg)
    w0 = plain.get_weights()[0].astype(np.float64)
    penalty = l1 * np.abs(w0).sum() + l2 * (w0 ** 2).sum()
    assert regularized.test_on_batch(x, y) == pytest.approx(plain.test_on_batch(x, y) + penalty, rel=1e-6)
    plain.train_on_batch(x, y)
    regularized.train_on_batch(x, y)
    moved = w0 - regularized.get_weights()[0]
    expected = (w0 - plain.get_weights()[0]) + l1 * np.sign(w0) + 2 * l2 * w0
    np.testing.assert_allclose(moved, expected, rtol=1e-5, atol=1e-6)
    clone = fastmlp.models.model_from_json(regularized.to_json())
    assert clone.layers[0].kernel_regularizer.get_config() == reg.get_config()
