"""Every loss against Keras 3.15's numbers (keras_loss_reference.py) on the
fixed inputs of loss_cases.py: each reduction, with and without sample
weights, per-sample values with ``reduction=None``, the function forms, and a
scalar weight. rtol 1e-5: both compute in float32 and fastmlp sums in float64,
so they differ by a few float32 roundings of O(1) values."""

import numpy as np
import pytest

import fastmlp
from keras_loss_reference import REFERENCE, SCALAR_WEIGHT
from loss_cases import CASES, VARIANTS, case_id, inputs

DATA = inputs()
RTOL, ATOL = 1e-5, 1e-6  # atol for per-sample values that are exactly 0 (hinges, zero weights)


def _max_abs_diff(cls_name, kwargs, kind):
    """The largest |fastmlp - Keras| over a case's variants."""
    y_true, y_pred = DATA[kind]
    worst = 0.0
    for reduction, weighted in VARIANTS:
        loss = getattr(fastmlp.losses, cls_name)(reduction=reduction, **kwargs)
        got = loss(y_true, y_pred, sample_weight=DATA["weights"] if weighted else None)
        expected = REFERENCE[(case_id(cls_name, kwargs, kind), reduction, weighted)]
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL,
                                   err_msg=f"{case_id(cls_name, kwargs, kind)} {reduction} {weighted}")
        worst = max(worst, float(np.max(np.abs(np.asarray(got, np.float64) - expected))))
    return worst


@pytest.mark.parametrize("cls_name, kwargs, kind", CASES, ids=[case_id(*c) for c in CASES])
def test_matches_keras(backend, cls_name, kwargs, kind):
    assert _max_abs_diff(cls_name, kwargs, kind) <= 1e-4


def test_reduction_none_returns_per_sample_float32(backend):
    y_true, y_pred = DATA["regression"]
    values = fastmlp.losses.MeanSquaredError(reduction=None)(y_true, y_pred)
    assert isinstance(values, np.ndarray) and values.dtype == np.float32 and values.shape == (7,)
    assert fastmlp.losses.MeanSquaredError(reduction="none")(y_true, y_pred).tolist() == values.tolist()


def test_default_reduction_divides_by_batch_size_zero_weights_included(backend):
    """Keras's sum_over_batch_size: sum(w * l) / n, the zero weight counted in n."""
    y_true, y_pred = DATA["regression"]
    w = DATA["weights"]
    assert w[2] == 0
    per_sample = fastmlp.losses.MeanSquaredError(reduction=None)(y_true, y_pred).astype(np.float64)
    loss = fastmlp.losses.MeanSquaredError()(y_true, y_pred, sample_weight=w)
    assert loss == pytest.approx((per_sample * w).sum() / 7, rel=1e-6)
    assert loss != pytest.approx((per_sample * w).sum() / 6, rel=1e-3)
    assert fastmlp.losses.MeanSquaredError(reduction="mean")(y_true, y_pred, sample_weight=w) == loss


@pytest.mark.parametrize("reduction", sorted(SCALAR_WEIGHT))
def test_scalar_and_column_weights(backend, reduction):
    """A scalar (or (1,)) weight multiplies every sample; mean_with_sample_weight
    then divides by that scalar, as Keras does. (n, 1) weights are (n,) weights."""
    y_true, y_pred = DATA["regression"]
    loss = fastmlp.losses.MeanSquaredError(reduction=reduction)
    assert loss(y_true, y_pred, sample_weight=2.5) == pytest.approx(SCALAR_WEIGHT[reduction], rel=RTOL)
    assert loss(y_true, y_pred, sample_weight=np.array([2.5])) == pytest.approx(
        SCALAR_WEIGHT[reduction], rel=RTOL)
    w = DATA["weights"]
    assert loss(y_true, y_pred, sample_weight=w[:, None]) == loss(y_true, y_pred, sample_weight=w)
    assert loss(y_true, y_pred, sample_weight=list(w)) == loss(y_true, y_pred, sample_weight=w)


def test_mean_with_sample_weight_of_zero_weights_is_zero(backend):
    """Keras divides with divide_no_nan: all-zero weights give 0, not NaN."""
    y_true, y_pred = DATA["regression"]
    loss = fastmlp.losses.MeanSquaredError(reduction="mean_with_sample_weight")
    assert loss(y_true, y_pred, sample_weight=np.zeros(7)) == 0.0


def test_negative_weights_are_accepted_as_in_keras(backend):
    # from Keras 3.15 (torch backend): keras.losses.MeanSquaredError()(y_true, y_pred,
    # sample_weight=[1, -2, 0]) on the arrays below gives -4.967e-09 (0.1 - 2 * 0.05)
    y_true = np.array([[0., 1.], [1., 0.], [1., 1.]], np.float32)
    y_pred = np.array([[0.2, 0.6], [0.9, 0.3], [0.4, 0.4]], np.float32)
    got = fastmlp.losses.MeanSquaredError()(y_true, y_pred, sample_weight=np.array([1., -2., 0.]))
    assert abs(got) < 1e-7


FUNCTIONS = [
    ("mean_squared_error", "MeanSquaredError", {}, "regression"),
    ("mse", "MeanSquaredError", {}, "regression"),
    ("mae", "MeanAbsoluteError", {}, "regression"),
    ("mape", "MeanAbsolutePercentageError", {}, "regression"),
    ("msle", "MeanSquaredLogarithmicError", {}, "positive"),
    ("huber", "Huber", {"delta": 0.5}, "regression"),
    ("log_cosh", "LogCosh", {}, "regression"),
    ("kld", "KLDivergence", {}, "distributions"),
    ("kl_divergence", "KLDivergence", {}, "distributions"),
    ("poisson", "Poisson", {}, "positive"),
    ("hinge", "Hinge", {}, "signs"),
    ("squared_hinge", "SquaredHinge", {}, "bits_scores"),
    ("categorical_hinge", "CategoricalHinge", {}, "onehot_scores"),
    ("binary_crossentropy", "BinaryCrossentropy", {"label_smoothing": 0.2}, "bits_probs"),
    ("bce", "BinaryCrossentropy", {}, "bits_probs"),
    ("binary_focal_crossentropy", "BinaryFocalCrossentropy",
     {"from_logits": True, "label_smoothing": 0.1}, "bits_logits"),
    ("categorical_crossentropy", "CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2},
     "onehot_logits"),
    ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy", {}, "labels_probs"),
]


@pytest.mark.parametrize("fn_name, cls_name, kwargs, kind", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_function_forms_give_keras_per_sample_values(fn_name, cls_name, kwargs, kind):
    """keras.losses.<fn>(y_true, y_pred, **kwargs) is the per-sample values of
    the class with reduction=None (Keras's functions do not reduce)."""
    y_true, y_pred = DATA[kind]
    got = getattr(fastmlp.losses, fn_name)(y_true, y_pred, **kwargs)
    expected = REFERENCE[(case_id(cls_name, kwargs, kind), None, True)] / np.where(
        DATA["weights"] == 0, 1, DATA["weights"]).astype(np.float64)
    keep = DATA["weights"] != 0  # the weighted reference hides the zero-weight sample
    np.testing.assert_allclose(got[keep], expected[keep], rtol=RTOL, atol=ATOL)
