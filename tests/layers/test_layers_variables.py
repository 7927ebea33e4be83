"""Weights as Variables: names, paths, assign and friends, as Keras 3.15 has them."""

import numpy as np
import pytest

import fastmlp

L = fastmlp.layers


def _model():
    return fastmlp.Sequential([fastmlp.Input((4,)),
                               L.Dense(3, kernel_regularizer="l2",
                                       bias_regularizer=fastmlp.regularizers.L1(0.1)),
                               L.Dense(1)])


def test_names_paths_and_kinds_follow_keras():
    model = _model()
    # from Keras 3.15: [(w.name, w.path) for w in model.weights] -> kernel, sequential/dense/kernel, ...
    first, second = model.layers
    assert [(w.name, w.path) for w in model.weights] == [
        ("kernel", f"{model.name}/{first.name}/kernel"), ("bias", f"{model.name}/{first.name}/bias"),
        ("kernel", f"{model.name}/{second.name}/kernel"), ("bias", f"{model.name}/{second.name}/bias")]
    assert [w.path for w in model.trainable_variables] == [w.path for w in model.weights]
    assert model.non_trainable_weights == []
    v = second.kernel
    assert v.shape == (3, 1) and v.dtype == "float32" and v.trainable and v.size == 3
    assert repr(v).startswith(f"<Variable path={model.name}/{second.name}/kernel, shape=(3, 1), dtype=float32")


def test_nested_model_paths_and_standalone_layers():
    inner = fastmlp.Sequential([L.Dense(2)], name="inner")
    outer = fastmlp.Sequential([fastmlp.Input((3,)), inner, L.Dense(1)], name="outer")
    # from Keras 3.15: ['sequential/inner/dense/kernel', ..., 'sequential/dense_1/kernel', ...]
    assert outer.weights[0].path == f"outer/inner/{inner.layers[0].name}/kernel"
    assert outer.weights[2].path == f"outer/{outer.layers[1].name}/kernel"
    dense = L.Dense(2)
    dense.build((None, 3))
    fastmlp.Sequential([fastmlp.Input((3,)), dense])
    # from Keras 3.15: a layer built on its own keeps "dense_2/kernel" inside a model
    assert dense.kernel.path == f"{dense.name}/kernel"


def test_assign_writes_the_model_buffer_that_training_reads():
    model = _model()
    bias = model.layers[-1].bias
    bias.assign([0.5])  # the keras.io imbalanced-classification call
    assert model.get_weights()[-1].tolist() == [0.5]
    bias.assign_add(np.array([0.25]))
    bias.assign_sub([1.0])
    np.testing.assert_array_equal(bias.numpy(), [-0.25])
    np.testing.assert_array_equal(np.asarray(bias), [-0.25])
    assert (bias * 2).tolist() == [-0.5] and (bias + 1).tolist() == [0.75]
    kernel = model.layers[0].kernel
    kernel.assign(np.zeros((4, 3)))
    out = model.predict(np.ones((2, 4), np.float32), verbose=0)
    model.compile(optimizer=fastmlp.optimizers.SGD(0.1), loss="mse")
    model.fit(np.ones((4, 4), np.float32), np.ones((4, 1), np.float32), verbose=0)
    assert not np.array_equal(kernel.numpy(), np.zeros((4, 3)))  # the optimizer saw the assigned buffer
    assert out.shape == (2, 1)


@pytest.mark.parametrize("value,error,message", [
    ([1.0, 2.0], ValueError, r"must have shape \(1,\), got \(2,\)"),
    ([np.nan], ValueError, "NaN or infinity"),
    (["a"], TypeError, "must be numeric"),
])
def test_bad_assign_is_refused_and_leaves_the_weight(value, error, message):
    model = _model()
    bias = model.layers[-1].bias
    before = model.get_weights()
    with pytest.raises(error, match=message):
        bias.assign(value)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_model_losses_one_penalty_per_regularized_weight():
    model = _model()
    model.layers[0].kernel.assign(np.arange(12, dtype=np.float32).reshape(4, 3) / 10)
    model.layers[0].bias.assign([1.0, -2.0, 0.5])
    # from Keras 3.15: the same model and weights; model.losses ->
    # [0.01 * sum(kernel**2), 0.1 * sum(|bias|)] as 0-d tensors
    np.testing.assert_allclose([float(v) for v in model.losses], [0.0506, 0.35], rtol=1e-5)
    assert fastmlp.Sequential([fastmlp.Input((2,)), L.Dense(1)]).losses == []


def test_batch_normalization_state_variables_are_named_as_in_keras():
    model = fastmlp.Sequential([fastmlp.Input((3,)), L.BatchNormalization()])
    # from Keras 3.15: gamma, beta, moving_mean, moving_variance
    assert [w.name for w in model.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.trainable for w in model.weights] == [True, True, False, False]
    model.summary(print_fn=lambda line: None)
    assert model.count_params() == 12


def test_dense_none_initializer_draws_from_glorot_uniform():
    fastmlp.utils.set_random_seed(0)
    dense = L.Dense(3, bias_initializer=None)
    dense.build((None, 2))
    # from Keras 3.15: Dense(3, bias_initializer=None) gets a random bias, glorot_uniform of shape (3,)
    # (limit sqrt(6 / (3 + 3)) = 1)
    bias = dense.bias.numpy()
    assert np.all(np.abs(bias) <= 1.0) and np.any(bias != 0)
