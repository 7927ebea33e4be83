"""Each hidden activation's gradient through the public API, against float64 finite differences."""

import numpy as np
import pytest

import fastmlp


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
                                                       from_logits, mlp):
    """One train_on_batch with SGD(learning_rate=1.0) moves each weight by
    minus its gradient; compare with float64 central differences of the loss."""
    fastmlp.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 5))
    y = rng.integers(0, 3, size=6)
    model = mlp(inputs=5, hidden=7, activation=hidden_activation, output_activation=output_activation)
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
