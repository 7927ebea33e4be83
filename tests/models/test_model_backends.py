"""A model on each CPU backend: the two agree, and a model keeps the backend it was built on."""

import numpy as np

import fastmlp


def _seed_model_on(name, seed_model, weights=None):
    with fastmlp.backend.use_backend(name):
        fastmlp.utils.set_random_seed(11)
        model = seed_model(dropout=0.0)
        if weights is not None:
            model.set_weights(weights)
        model.compile(optimizer=fastmlp.optimizers.SGD(learning_rate=0.1),
                      loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def test_cython_and_numpy_agree_on_logits_and_sgd_steps(both_backends, seed_model):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(96, 28, 28)).astype(np.float64) / 255.0
    y = rng.integers(0, 10, size=96)
    reference = _seed_model_on("numpy", seed_model)
    compiled = _seed_model_on("cython", seed_model, reference.get_weights())
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


def test_wrapping_a_built_model_keeps_its_backend(mlp):
    with fastmlp.backend.use_backend("numpy"):
        model = mlp()
    probability_model = fastmlp.Sequential([model, fastmlp.layers.Softmax()])
    assert probability_model.ops.name == "numpy"
    np.testing.assert_allclose(probability_model(np.ones((2, 20))).sum(axis=1), 1.0, rtol=1e-6)
