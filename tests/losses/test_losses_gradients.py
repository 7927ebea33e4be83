"""Each loss's gradient against float64 central differences of its value,
under every reduction and with sample weights.

The loss formulas run on the NumPy reference backend in float64 here (the
same xp code the float32 backends run), so the comparison is tight: with
h = 1e-6 the truncation error is ~h**2 and the rounding error ~1e-16 / h, both
far below the rtol 1e-6 / atol 1e-9 asserted. Inputs keep away from kinks
(hinge margins, Huber's delta, clips) by more than h.
"""

import numpy as np
import pytest

import fastmlp
from fastmlp.backend.numpy_ops import NumpyOps
from loss_cases import CASES, case_id, inputs

OPS = NumpyOps()
DATA = inputs()
H = 1e-6


def _loss_and_grad(loss, y_pred, y_true, weights, logits=False):
    grad = np.empty_like(y_pred)
    value = loss.value_and_grad(OPS, y_pred, y_true, grad, outputs_are_logits=logits,
                                sample_weight=weights)
    return value, grad


def _numeric_grad(loss, y_pred, y_true, weights, logits=False):
    grad = np.empty_like(y_pred)
    for index in np.ndindex(*y_pred.shape):
        up, down = y_pred.copy(), y_pred.copy()
        up[index] += H
        down[index] -= H
        grad[index] = (loss.value_and_grad(OPS, up, y_true, None, logits, weights)
                       - loss.value_and_grad(OPS, down, y_true, None, logits, weights)) / (2 * H)
    return grad


def _targets(kind):
    y_true, y_pred = DATA[kind]
    y_true = y_true if y_true.dtype == np.int32 else y_true.astype(np.float64)
    return y_true, y_pred.astype(np.float64)


@pytest.mark.parametrize("reduction, weighted", [("sum_over_batch_size", False),
                                                 ("sum_over_batch_size", True), ("sum", True),
                                                 ("mean_with_sample_weight", True)])
@pytest.mark.parametrize("cls_name, kwargs, kind", CASES, ids=[case_id(*c) for c in CASES])
def test_gradient_matches_finite_differences(cls_name, kwargs, kind, reduction, weighted):
    loss = getattr(fastmlp.losses, cls_name)(reduction=reduction, **kwargs)
    y_true, y_pred = _targets(kind)
    weights = DATA["weights"].astype(np.float64) if weighted else None
    value, grad = _loss_and_grad(loss, y_pred, y_true, weights)
    assert np.isfinite(value) and grad.dtype == np.float64
    numeric = _numeric_grad(loss, y_pred, y_true, weights)
    # MSLE clips y_pred at EPSILON ~ 0: a prediction of exactly 0.00 sits on that kink,
    # where the one-sided slopes differ (Keras, too, gives the clip's side: 0).
    away = ~((np.abs(y_pred) < 1e-4) & (cls_name == "MeanSquaredLogarithmicError"))
    assert away.sum() >= y_pred.size - 2
    np.testing.assert_allclose(grad[away], numeric[away], rtol=1e-6, atol=1e-9)
    if weighted:  # a zero weight gives its sample no gradient
        assert not grad[2].any()


@pytest.mark.parametrize("cls_name, kwargs, kind", [
    ("CategoricalCrossentropy", {}, "onehot_logits"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.3}, "onehot_logits"),
    ("SparseCategoricalCrossentropy", {}, "labels_logits"),  # Keras's has no label_smoothing
])
def test_fused_softmax_path_gradient(cls_name, kwargs, kind):
    """A softmax output handed over as logits (outputs_are_logits): the fused
    kernel's weighted, reduced gradient is that of the loss on the logits."""
    y_true, logits = _targets(kind)
    weights = DATA["weights"].astype(np.float64)
    for reduction in ("sum_over_batch_size", "sum", "mean_with_sample_weight"):
        loss = getattr(fastmlp.losses, cls_name)(reduction=reduction, **kwargs)
        _, grad = _loss_and_grad(loss, logits, y_true, weights, logits=True)
        np.testing.assert_allclose(grad, _numeric_grad(loss, logits, y_true, weights, logits=True),
                                   rtol=1e-6, atol=1e-9)


def test_value_and_grad_is_the_called_value(backend):
    """The training interface returns what loss(y_true, y_pred, sample_weight) does."""
    ops = fastmlp.backend.get_ops()
    for cls_name, kwargs, kind in CASES:
        loss = getattr(fastmlp.losses, cls_name)(**kwargs)
        y_true, y_pred = DATA[kind]
        w = DATA["weights"]
        grad = ops.asarray(np.empty_like(y_pred))
        value = loss.value_and_grad(ops, ops.asarray(y_pred), ops.asarray(y_true, dtype=y_true.dtype), grad,
                                    sample_weight=ops.asarray(w))
        assert value == pytest.approx(loss(y_true, y_pred, sample_weight=w), rel=1e-6), cls_name


def test_reduction_none_cannot_train():
    loss = fastmlp.losses.MeanSquaredError(reduction=None)
    y = np.ones((3, 2), np.float32)
    with pytest.raises(ValueError, match="one value per sample"):
        loss.value_and_grad(OPS, y, y, np.empty_like(y))
