"""Gradients through the new layers and activations, via the public API (one
SGD(learning_rate=1) step moves each weight by minus its gradient), against
float64 central differences of an independent float64 model.

Tolerances: float32 forward/backward against a float64 reference on O(1)
data: rtol 1e-3, atol 1e-4 (as in tests/activations)."""

import math

import numpy as np
import pytest

import fastmlp

L = fastmlp.layers
_erf = np.vectorize(math.erf)
ACT64 = {
    "gelu": lambda v: 0.5 * v * (1 + _erf(v / np.sqrt(2))),
    "silu": lambda v: v / (1 + np.exp(-v)),
    "relu6": lambda v: np.clip(v, 0, 6),
    "hard_sigmoid": lambda v: np.clip(v / 6 + 0.5, 0, 1),
    "exponential": np.exp,
}


def _layer_norm64(h, gamma, beta, eps=1e-3):
    mean = h.mean(axis=1, keepdims=True)
    var = h.var(axis=1, keepdims=True)
    return (h - mean) / np.sqrt(var + eps) * gamma + beta


def _check(model, forward64, x, y):
    model.compile(optimizer=fastmlp.optimizers.SGD(learning_rate=1.0), loss="mse")
    weights = [w.astype(np.float64) for w in model.get_weights()]
    trainable = [w.path for w in model.trainable_weights]
    paths = [w.path for w in model.weights]

    def loss(ws):
        return np.mean((forward64(ws, x) - y) ** 2)

    before = model.get_weights()
    model.train_on_batch(x.astype(np.float32), y.astype(np.float32))
    after = model.get_weights()
    h = 1e-6
    for i, w in enumerate(weights):
        if paths[i] not in trainable:
            np.testing.assert_array_equal(after[i], before[i])
            continue
        numeric = np.zeros_like(w)
        for idx in np.ndindex(w.shape):
            up = [v.copy() for v in weights]
            down = [v.copy() for v in weights]
            up[i][idx] += h
            down[i][idx] -= h
            numeric[idx] = (loss(up) - loss(down)) / (2 * h)
        np.testing.assert_allclose(before[i] - after[i], numeric, rtol=1e-3, atol=1e-4, err_msg=paths[i])


@pytest.mark.parametrize("name", sorted(ACT64))
def test_dense_and_activation_layer_gradients(backend, name):
    fastmlp.utils.set_random_seed(5)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(6, 4))
    y = rng.normal(size=(6, 1))
    model = fastmlp.Sequential([fastmlp.Input((4,)), L.Dense(5, activation=name), L.Dense(3),
                                L.Activation(name), L.Dense(1)])
    w = model.get_weights()
    w[1][:] = 0.05  # away from relu6's and hard_sigmoid's kinks in the first layer
    model.set_weights(w)
    act = ACT64[name]

    def forward64(ws, xs):
        return act(act(xs @ ws[0] + ws[1]) @ ws[2] + ws[3]) @ ws[4] + ws[5]

    _check(model, forward64, x, y)


def test_normalization_layer_normalization_identity_gradients(backend):
    fastmlp.utils.set_random_seed(6)
    rng = np.random.default_rng(6)
    x = rng.normal(size=(7, 3)) * 3 + 1
    y = rng.normal(size=(7, 1))
    norm = L.Normalization()
    norm.adapt(x)
    model = fastmlp.Sequential([fastmlp.Input((3,)), norm, L.Dense(4), L.LayerNormalization(),
                                L.Identity(), L.GaussianNoise(0.5), L.GaussianDropout(0.3), L.Dense(1)])
    w = model.get_weights()
    # weights: mean, variance, count, kernel, bias, gamma, beta, kernel, bias
    w[5] = rng.normal(size=4).astype(np.float32)  # gamma away from 1, beta away from 0
    w[6] = rng.normal(size=4).astype(np.float32)
    model.set_weights(w)
    np.testing.assert_allclose(w[0], x.mean(0), rtol=1e-6)
    np.testing.assert_allclose(w[1], x.var(0), rtol=1e-6)

    def forward64(ws, xs):
        h = (xs - ws[0]) / np.sqrt(ws[1]) @ ws[3] + ws[4]
        return _layer_norm64(h, ws[5], ws[6]) @ ws[7] + ws[8]

    # GaussianNoise/GaussianDropout are active in training: compare at inference, where they
    # are the identity, by checking the training step on a model without them below
    plain = fastmlp.Sequential([fastmlp.Input((3,)), model.layers[0], model.layers[1], model.layers[2],
                                model.layers[3], model.layers[-1]])
    _check(plain, forward64, x, y)
    np.testing.assert_allclose(model.predict(x.astype(np.float32), verbose=0), forward64(
        [v.astype(np.float64) for v in model.get_weights()], x), rtol=1e-4, atol=1e-5)


def test_gaussian_dropout_gradient_is_its_noise_factor(backend):
    layer = L.GaussianDropout(0.4, seed=11)
    x = np.arange(1, 13, dtype=np.float32).reshape(3, 4)
    layer(x)  # build
    y = layer.ops.to_numpy(layer.forward(layer.ops.asarray(x), training=True))
    dx = layer.ops.to_numpy(layer.backward(layer.ops.asarray(np.ones_like(x))))
    np.testing.assert_allclose(dx, y / x, rtol=1e-6)
