"""BatchNormalization: gradients through the batch statistics, moving averages, inference."""

import numpy as np

import fastmlp


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
