"""Gradients through the public API, and agreement between the CPU backends."""

import numpy as np
import pytest

import fastmlp
from fastmlp.backend import CompiledExtensionMissing


def _mlp(hidden_activation="relu", output_activation=None, dropout=0.0):
    layers = [fastmlp.layers.Dense(7, activation=hidden_activation, input_shape=(5,))]
    if dropout:
        layers.append(fastmlp.layers.Dropout(dropout))
    layers.append(fastmlp.layers.Dense(3, activation=output_activation))
    return fastmlp.Sequential(layers)


SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805
# float64 definitions of the hidden activations, written independently of the library
HIDDEN64 = {
    "relu": lambda v: np.maximum(v, 0),
    "tanh": np.tanh,
    "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
    "elu": lambda v: np.where(v > 0, v, np.expm1(np.minimum(v, 0))),
    "selu": lambda v: SELU_SCALE * np.where(v > 0, v, SELU_ALPHA * np.expm1(np.minimum(v, 0))),
    "softplus": lambda v: np.log1p(np.exp(v)),
    "leaky_relu": lambda v: np.where(v > 0, v, 0.2 * v),
}


def _forward64(weights, x, hidden_activation, output_activation):
    w1, b1, w2, b2 = (w.astype(np.float64) for w in weights)
    h = x @ w1 + b1
    h = HIDDEN64[hidden_activation](h)
    z = h @ w2 + b2
    if output_activation == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return z


def _loss64(weights, x, y, hidden_activation, output_activation, from_logits):
    out = _forward64(weights, x, hidden_activation, output_activation)
    if from_logits:
        out = out - out.max(axis=1, keepdims=True)
        logp = out - np.log(np.exp(out).sum(axis=1, keepdims=True))
    else:
        logp = np.log(out)
    return -logp[np.arange(len(y)), y].mean()


@pytest.mark.parametrize("hidden_activation", sorted(HIDDEN64))
@pytest.mark.parametrize("output_activation,from_logits", [(None, True), ("softmax", False)])
def test_public_api_gradients_match_finite_differences(backend, hidden_activation, output_activation,
                                                       from_logits):
    """One train_on_batch with SGD(learning_rate=1.0) moves each weight by
    minus its gradient; compare with float64 central differences of the loss."""
    fastmlp.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 5))
    y = rng.integers(0, 3, size=6)
    model = _mlp(hidden_activation, output_activation)
    model.compile(optimizer=fastmlp.optimizers.SGD(learning_rate=1.0),
                  loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=from_logits))
    # Shift the ReLU's inputs away from its kink so differences are well defined.
    weights = model.get_weights()
    weights[1][:] = 0.05
    model.set_weights(weights)
    x32 = x.astype(np.float32)
    model.train_on_batch(x32, y)
    grads = [before - after for before, after in zip(weights, model.get_weights())]

    h = 1e-4
    x64 = x32.astype(np.float64)
    for w_index, grad in enumerate(grads):
        numeric = np.zeros_like(grad, dtype=np.float64)
        for idx in np.ndindex(grad.shape):
            plus = [w.astype(np.float64) for w in weights]
            minus = [w.astype(np.float64) for w in weights]
            plus[w_index][idx] += h
            minus[w_index][idx] -= h
            numeric[idx] = (_loss64(plus, x64, y, hidden_activation, output_activation, from_logits)
                            - _loss64(minus, x64, y, hidden_activation, output_activation, from_logits)) / (2 * h)
        # float32 forward/backward against float64 differences: ~1e-6 relative
        # rounding of O(1) values, so 1e-4 absolute is a comfortable bound.
        np.testing.assert_allclose(grad, numeric, rtol=1e-3, atol=1e-4)


def test_categorical_probability_loss_matches_unfused_definition(backend):
    """A softmax output trained with probability cross-entropy goes through
    the fused kernel, yet reports the loss as Keras defines it on probabilities."""
    fastmlp.utils.set_random_seed(5)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(16, 5)).astype(np.float32)
    y = fastmlp.utils.to_categorical(rng.integers(0, 3, size=16), 3)
    model = _mlp("relu", "softmax")
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    probs = model.predict(x, verbose=0).astype(np.float64)
    expected = -(y * np.log(np.clip(probs, 1e-7, 1 - 1e-7))).sum(axis=1).mean()
    assert model.test_on_batch(x, y) == pytest.approx(expected, rel=1e-5)
    assert fastmlp.losses.CategoricalCrossentropy()(y, probs) == pytest.approx(expected, rel=1e-5)


def _both_backends():
    try:
        return fastmlp.backend.get_ops("numpy"), fastmlp.backend.get_ops("cython")
    except CompiledExtensionMissing as exc:
        pytest.skip(str(exc))


def _seed_model_on(name, weights=None):
    fastmlp.backend.set_backend(name)
    fastmlp.utils.set_random_seed(11)
    model = fastmlp.Sequential([
        fastmlp.layers.Flatten(input_shape=(28, 28)),
        fastmlp.layers.Dense(128, activation="relu"),
        fastmlp.layers.Dense(10),
    ])
    if weights is not None:
        model.set_weights(weights)
    model.compile(optimizer=fastmlp.optimizers.SGD(learning_rate=0.1),
                  loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def test_cython_and_numpy_agree_on_logits_and_sgd_steps():
    _both_backends()
    previous = fastmlp.backend.backend()
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(96, 28, 28)).astype(np.float64) / 255.0
    y = rng.integers(0, 10, size=96)
    try:
        reference = _seed_model_on("numpy")
        compiled = _seed_model_on("cython", reference.get_weights())
        # Sums of 784 float32 products in another order: agreement to ~1e-6
        # relative; rtol 1e-5 with a small atol for logits near zero.
        np.testing.assert_allclose(compiled(x), reference(x), rtol=1e-5, atol=1e-6)
        for step in range(3):
            batch = slice(32 * step, 32 * (step + 1))
            reference.train_on_batch(x[batch], y[batch])
            compiled.train_on_batch(x[batch], y[batch])
        for a, b in zip(compiled.get_weights(), reference.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(compiled(x), reference(x), rtol=1e-5, atol=1e-5)
    finally:
        fastmlp.backend.set_backend(previous)


def test_dropout_masks_identical_across_backends():
    _both_backends()
    previous = fastmlp.backend.backend()
    x = np.ones((64, 50), dtype=np.float32)
    outs = []
    try:
        for name in ("numpy", "cython"):
            fastmlp.backend.set_backend(name)
            layer = fastmlp.layers.Dropout(0.3, seed=1234)
            outs.append([layer(x, training=True) for _ in range(3)])
    finally:
        fastmlp.backend.set_backend(previous)
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(outs[0][0], outs[0][1])  # a new mask each step


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


def _bn_loss64(weights, x, y, eps=1e-3):
    w1, b1, gamma, beta, _, _, w2, b2 = (w.astype(np.float64) for w in weights)
    h = x @ w1 + b1
    xhat = (h - h.mean(axis=0)) / np.sqrt(h.var(axis=0) + eps)
    z = np.tanh(gamma * xhat + beta) @ w2 + b2
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean()


def test_batch_normalization_gradients_and_moving_statistics(backend):
    """Training uses the batch's statistics (gradients checked against float64
    differences through them) and moves the averages by 1 - momentum."""
    fastmlp.utils.set_random_seed(21)
    rng = np.random.default_rng(21)
    x = rng.normal(size=(8, 5)).astype(np.float32)
    y = rng.integers(0, 3, size=8)
    model = fastmlp.Sequential([
        fastmlp.layers.Dense(4, input_shape=(5,)),
        fastmlp.layers.BatchNormalization(),
        fastmlp.layers.Activation("tanh"),
        fastmlp.layers.Dense(3),
    ])
    model.compile(optimizer=fastmlp.optimizers.SGD(learning_rate=1.0),
                  loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True))
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(5, 4), (4,), (4,), (4,), (4,), (4,), (4, 3), (3,)]
    model.train_on_batch(x, y)
    after = model.get_weights()
    h = x.astype(np.float64) @ weights[0] + weights[1]
    np.testing.assert_allclose(after[4], 0.01 * h.mean(axis=0), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(after[5], 0.99 + 0.01 * h.var(axis=0), rtol=1e-5)
    step = 1e-4
    for index in (0, 1, 2, 3, 6, 7):  # the trainable ones; the bias before BN has no effect
        grad = weights[index] - after[index]
        numeric = np.zeros(grad.shape)
        for idx in np.ndindex(grad.shape):
            plus = [w.astype(np.float64) for w in weights]
            minus = [w.astype(np.float64) for w in weights]
            plus[index][idx] += step
            minus[index][idx] -= step
            numeric[idx] = (_bn_loss64(plus, x, y) - _bn_loss64(minus, x, y)) / (2 * step)
        np.testing.assert_allclose(grad, numeric, rtol=1e-3, atol=1e-4)
    inference = model(x)
    moving_mean, moving_var = after[4], after[5]
    h_after = x.astype(np.float64) @ after[0] + after[1]
    hn = (h_after - moving_mean) / np.sqrt(moving_var + 1e-3) * after[2] + after[3]
    np.testing.assert_allclose(inference, np.tanh(hn) @ after[6] + after[7], rtol=1e-4, atol=1e-5)
