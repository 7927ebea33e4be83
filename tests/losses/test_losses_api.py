"""The losses' API: Keras's names, configs and their round trip, training with
each loss, a custom Loss subclass, and the clear errors for what fastmlp
cannot do (a plain function as a loss) or bad arguments."""

import numpy as np
import pytest

import fastmlp
from loss_cases import CASES, inputs

L = fastmlp.losses
DATA = inputs()

# Every name keras.losses.get (Keras 3.15) accepts for these losses, and the class it means.
KERAS_NAMES = {
    "mse": L.MeanSquaredError, "MSE": L.MeanSquaredError, "mean_squared_error": L.MeanSquaredError,
    "mae": L.MeanAbsoluteError, "mean_absolute_error": L.MeanAbsoluteError,
    "mape": L.MeanAbsolutePercentageError, "mean_absolute_percentage_error": L.MeanAbsolutePercentageError,
    "msle": L.MeanSquaredLogarithmicError,
    "mean_squared_logarithmic_error": L.MeanSquaredLogarithmicError,
    "huber": L.Huber, "Huber": L.Huber, "log_cosh": L.LogCosh, "LogCosh": L.LogCosh,
    "kld": L.KLDivergence, "KLD": L.KLDivergence, "kl_divergence": L.KLDivergence,
    "KLDivergence": L.KLDivergence, "poisson": L.Poisson, "Poisson": L.Poisson,
    "hinge": L.Hinge, "squared_hinge": L.SquaredHinge, "categorical_hinge": L.CategoricalHinge,
    "bce": L.BinaryCrossentropy, "binary_crossentropy": L.BinaryCrossentropy,
    "binary_focal_crossentropy": L.BinaryFocalCrossentropy,
    "BinaryFocalCrossentropy": L.BinaryFocalCrossentropy,
    "categorical_crossentropy": L.CategoricalCrossentropy,
    "sparse_categorical_crossentropy": L.SparseCategoricalCrossentropy,
}


@pytest.mark.parametrize("name", sorted(KERAS_NAMES))
def test_keras_names(name):
    loss = L.get(name)
    assert type(loss) is KERAS_NAMES[name]
    assert L.get(name.upper()).__class__ is KERAS_NAMES[name]  # fastmlp's names ignore case


def test_names_keras_does_not_accept_are_refused():
    # from Keras 3.15: keras.losses.get raises ValueError for each of these
    for name in ("huber_loss", "kullback_leibler_divergence", "k_l_divergence"):
        with pytest.raises(ValueError, match="unknown loss"):
            L.get(name)
    # Keras refuses "logcosh", but it is the class name LogCosh in another letter case,
    # which fastmlp's names ignore.
    assert type(L.get("logcosh")) is L.LogCosh


def test_default_names_follow_keras():
    # from Keras 3.15: keras.losses.<Class>().name
    assert L.Huber().name == "huber_loss"
    assert L.KLDivergence().name == "kl_divergence"
    assert L.LogCosh().name == "log_cosh"
    assert L.BinaryFocalCrossentropy().name == "binary_focal_crossentropy"
    assert L.MeanSquaredLogarithmicError().name == "mean_squared_logarithmic_error"
    assert L.get(L.huber).name == "huber" and type(L.get(L.kld)) is L.KLDivergence


@pytest.mark.parametrize("cls_name, kwargs, kind", CASES)
def test_config_round_trip(cls_name, kwargs, kind):
    loss = getattr(L, cls_name)(reduction="sum", name="mine", **kwargs)
    config = loss.get_config()
    assert config["reduction"] == "sum" and config["name"] == "mine"
    for key, value in kwargs.items():
        assert config[key] == value
    again = L.deserialize(L.serialize(loss))
    assert type(again) is type(loss) and again.get_config() == config
    y_true, y_pred = DATA[kind]
    w = DATA["weights"]
    assert again(y_true, y_pred, sample_weight=w) == loss(y_true, y_pred, sample_weight=w)
    assert type(L.get({"class_name": cls_name, "config": config})) is type(loss)


def test_keras_configs_load():
    # from Keras 3.15: keras.losses.BinaryFocalCrossentropy().get_config() and
    # keras.losses.SparseCategoricalCrossentropy().get_config()
    focal = {"name": "binary_focal_crossentropy", "reduction": "sum_over_batch_size",
             "from_logits": False, "label_smoothing": 0.0, "axis": -1,
             "apply_class_balancing": False, "alpha": 0.25, "gamma": 2.0}
    assert L.BinaryFocalCrossentropy.__name__ == L.deserialize(
        {"class_name": "BinaryFocalCrossentropy", "config": focal}).__class__.__name__
    assert L.BinaryFocalCrossentropy(**focal).get_config() == focal
    sparse = {"name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size",
              "from_logits": False, "ignore_class": None}
    assert L.SparseCategoricalCrossentropy(**sparse).get_config() == sparse


@pytest.mark.parametrize("loss", ["huber", "log_cosh", "msle", "poisson", "mape", "kld",
                                  L.Huber(delta=0.5), L.huber, "squared_hinge"])
def test_fit_with_each_regression_loss(backend, loss):
    fastmlp.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    x = rng.uniform(0.1, 1, size=(64, 4)).astype(np.float32)
    y = (x @ rng.uniform(0.2, 0.5, size=(4, 2))).astype(np.float32)
    model = fastmlp.Sequential([fastmlp.layers.Dense(8, activation="relu", input_shape=(4,)),
                                fastmlp.layers.Dense(2, activation="softplus"
                                                     if loss in ("poisson", "msle") else None)])
    model.compile(optimizer="adam", loss=loss)
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before


def test_a_plain_function_is_a_clear_type_error(backend, mlp):
    def my_loss(y_true, y_pred):
        return ((y_true - y_pred) ** 2).mean()

    model = mlp(inputs=3, hidden=4, output_activation=None)
    with pytest.raises(TypeError, match="no automatic differentiation") as info:
        model.compile(optimizer="sgd", loss=my_loss)
    assert "my_loss" in str(info.value) and "fastmlp.losses.Loss" in str(info.value)


class Quartic(L.Loss):
    """A user's loss: mean((y_pred - y_true) ** 4), with its gradient."""

    def per_sample(self, ops, y_pred, y_true, grad, outputs_are_logits=False):
        diff = y_pred - y_true
        if grad is not None:
            grad[...] = 4 * diff ** 3 / diff.shape[1]
        return (diff ** 4).mean(axis=1)


def test_custom_loss_subclass_trains_with_weights_and_reductions(backend):
    loss = Quartic(reduction="sum")
    assert loss.name == "quartic" and "Quartic" not in L.LOSSES  # a user's class stays out
    y_true, y_pred = DATA["regression"]
    w = DATA["weights"]
    expected = (((y_pred - y_true).astype(np.float64) ** 4).mean(axis=1) * w).sum()
    assert loss(y_true, y_pred, sample_weight=w) == pytest.approx(expected, rel=1e-6)
    fastmlp.utils.set_random_seed(2)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = x[:, :1] * 0.5
    model = fastmlp.Sequential([fastmlp.layers.Dense(1, input_shape=(3,))])
    model.compile(optimizer="sgd", loss=Quartic())
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=10, batch_size=8, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before


def test_sparse_crossentropy_has_no_label_smoothing_as_in_keras():
    # from Keras 3.15: SparseCategoricalCrossentropy(label_smoothing=0.1) is a TypeError
    with pytest.raises(TypeError):
        L.SparseCategoricalCrossentropy(label_smoothing=0.1)
    with pytest.raises(TypeError):
        L.sparse_categorical_crossentropy(np.array([0]), np.ones((1, 2)), label_smoothing=0.1)


@pytest.mark.parametrize("make, error", [
    (lambda: L.MeanSquaredError(reduction="auto"), ValueError),  # Keras 3.15 refuses "auto" too
    (lambda: L.MeanSquaredError(reduction="avg"), ValueError),
    (lambda: L.CategoricalCrossentropy(label_smoothing=1.5), ValueError),
    (lambda: L.BinaryCrossentropy(label_smoothing=-0.1), ValueError),
    (lambda: L.BinaryFocalCrossentropy(label_smoothing=float("nan")), ValueError),
    (lambda: L.BinaryCrossentropy(label_smoothing="0.1"), TypeError),
    (lambda: L.Huber(delta=0), ValueError),
    (lambda: L.Huber(delta=-1.0), ValueError),
    (lambda: L.BinaryFocalCrossentropy(gamma=-1.0), ValueError),
    (lambda: L.BinaryFocalCrossentropy(alpha=2.0), ValueError),
    (lambda: L.MeanSquaredError(dtype="float16"), ValueError),
    (lambda: L.SparseCategoricalCrossentropy(ignore_class=0), ValueError),
])
def test_bad_arguments(make, error):
    with pytest.raises(error):
        make()


@pytest.mark.parametrize("weights, error, match", [
    (np.ones(6), ValueError, r"shape \(7,\) or \(7, 1\)"),
    (np.ones(8), ValueError, r"shape \(7,\)"),
    (np.ones((7, 3)), ValueError, "one weight per sample"),
    (np.ones((7, 1, 1)), ValueError, "sample_weight"),
    (np.where(np.arange(7) == 3, np.nan, 1.0), ValueError, "NaN or infinity"),
    (np.where(np.arange(7) == 3, np.inf, 1.0), ValueError, "NaN or infinity"),
    (np.ones(7, complex), TypeError, "real numbers"),
    ("heavy", TypeError, "string"),
])
def test_bad_sample_weight(backend, weights, error, match):
    y_true, y_pred = DATA["regression"]
    with pytest.raises(error, match=match):
        L.MeanSquaredError()(y_true, y_pred, sample_weight=weights)
