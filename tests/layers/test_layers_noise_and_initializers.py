"""GaussianNoise, GaussianDropout and Identity; the new initializers."""

import numpy as np
import pytest

import fastmlp

L = fastmlp.layers
I = fastmlp.initializers
X = np.arange(1, 2001, dtype=np.float32).reshape(500, 4) / 100


@pytest.mark.parametrize("make", [lambda seed: L.GaussianNoise(0.5, seed=seed),
                                  lambda seed: L.GaussianDropout(0.3, seed=seed)])
def test_noise_only_in_training_and_repeatable(backend, make):
    layer = make(7)
    np.testing.assert_array_equal(layer(X), X)  # inference: the identity
    first = layer(X, training=True)
    second = layer(X, training=True)
    assert not np.array_equal(first, second)  # a new step draws new noise
    again = make(7)
    np.testing.assert_array_equal(again(X, training=True), first)  # same (seed, step): same noise
    fastmlp.utils.set_random_seed(3)
    a = make(None)(X, training=True)
    fastmlp.utils.set_random_seed(3)
    np.testing.assert_array_equal(make(None)(X, training=True), a)


def test_noise_statistics_follow_keras_definitions():
    noise = L.GaussianNoise(0.5, seed=1)(np.zeros((400, 250), np.float32), training=True)
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.5) < 0.01
    factor = L.GaussianDropout(0.2, seed=1)(np.ones((400, 250), np.float32), training=True)
    # Keras: multiplicative noise of mean 1 and stddev sqrt(rate / (1 - rate)) = 0.5
    assert abs(factor.mean() - 1) < 0.01 and abs(factor.std() - 0.5) < 0.01


def test_noise_and_identity_configs_match_keras():
    # from Keras 3.15: get_config() of GaussianNoise(0.1, seed=3), GaussianDropout(0.2, seed=3), Identity()
    assert {k: v for k, v in L.GaussianNoise(0.1, seed=3).get_config().items() if k in ("stddev", "seed")} \
        == {"stddev": 0.1, "seed": 3}
    assert {k: v for k, v in L.GaussianDropout(0.2, seed=3).get_config().items() if k in ("rate", "seed")} \
        == {"rate": 0.2, "seed": 3}
    identity = L.Identity()
    np.testing.assert_array_equal(identity(X), X)
    assert set(identity.get_config()) == {"name", "trainable"}
    for cls in (L.GaussianNoise, L.GaussianDropout, L.Identity, L.Normalization, L.LayerNormalization):
        assert L.deserialize({"class_name": cls.__name__, "config": {"stddev": 0.1} if cls is L.GaussianNoise
                              else {"rate": 0.1} if cls is L.GaussianDropout else {}}).__class__ is cls


def test_noise_step_is_saved_with_the_model(tmp_path):
    model = fastmlp.Sequential([fastmlp.Input((4,)), L.GaussianNoise(0.1, seed=2), L.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, X[:, :1], epochs=1, batch_size=100, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = fastmlp.models.load_model(tmp_path / "m.keras")
    assert loaded.layers[0].step == model.layers[0].step == 5


def test_initializer_names_match_keras():
    # from Keras 3.15: dir(keras.initializers), less STFT (a signal-processing initializer)
    names = ["Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity", "LecunNormal",
             "LecunUniform", "Ones", "Orthogonal", "RandomNormal", "RandomUniform", "TruncatedNormal",
             "VarianceScaling", "Zeros", "constant", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
             "identity", "lecun_normal", "lecun_uniform", "ones", "orthogonal", "random_normal", "random_uniform",
             "truncated_normal", "variance_scaling", "zeros"]
    for name in names:
        assert isinstance(I.get(name), I.Initializer), name
    with pytest.raises(ValueError, match="unknown initializer 'glorot'"):
        I.get("glorot")


def test_new_initializers_values_and_configs():
    np.testing.assert_array_equal(I.Constant(2.5)((2, 3)), np.full((2, 3), 2.5, np.float32))
    # from Keras 3.15: keras.initializers.Identity(gain=2.)((3, 4))
    np.testing.assert_array_equal(I.Identity(gain=2.0)((3, 4)), 2 * np.eye(3, 4))
    for shape in ((5, 3), (3, 5)):
        q = I.Orthogonal(gain=1.5, seed=1)(shape).astype(np.float64)
        small = q.T @ q if shape[0] > shape[1] else q @ q.T
        np.testing.assert_allclose(small, 2.25 * np.eye(min(shape)), atol=1e-5)
    t = I.TruncatedNormal(mean=1.0, stddev=0.1, seed=0)((10000,))
    assert t.dtype == np.float32 and np.all(np.abs(t - 1.0) <= 0.2) and abs(t.std() - 0.088) < 0.003
    # from Keras 3.15: get_config() of Constant(2.), TruncatedNormal(), Orthogonal()
    assert I.Constant(2.0).get_config() == {"value": 2.0}
    assert I.TruncatedNormal().get_config() == {"mean": 0.0, "stddev": 0.05}
    assert I.Orthogonal().get_config() == {"gain": 1.0}
    for init in (I.Constant(0.3), I.Identity(), I.Orthogonal(seed=2), I.TruncatedNormal(seed=2)):
        again = I.deserialize(I.serialize(init))
        np.testing.assert_array_equal(again((3, 3)), init((3, 3)))
    with pytest.raises(ValueError, match="2-D"):
        I.Identity()((3,))


def test_constant_broadcasts_an_array_value_as_keras_does():
    # From Keras 3.15 (torch backend): Constant(np.array([-6.4]))((3,)) gives [-6.4, -6.4, -6.4],
    # Constant([1., 2., 3.])((2, 3)) repeats the row, and Constant([1., 2.])((3,)) fails.
    I = fastmlp.initializers
    np.testing.assert_allclose(I.Constant(np.array([-6.4]))((3,)), np.full(3, -6.4, np.float32))
    np.testing.assert_array_equal(I.Constant([1.0, 2.0, 3.0])((2, 3)), [[1, 2, 3], [1, 2, 3]])
    with pytest.raises(ValueError, match=r"shape \(2,\) cannot fill a weight of shape \(3,\)"):
        I.Constant([1.0, 2.0])((3,))
    again = I.deserialize(I.serialize(I.Constant(np.array([-6.4]))))
    np.testing.assert_allclose(again((2,)), [-6.4, -6.4])
    # The imbalanced-data tutorial's output bias: Dense(1, bias_initializer=Constant(np.log([pos / neg])))
    layer = fastmlp.layers.Dense(1, bias_initializer=I.Constant(np.log([1 / 99])))
    layer.build((None, 4))
    np.testing.assert_allclose(layer.bias.numpy(), np.log([1 / 99]), rtol=1e-6)
