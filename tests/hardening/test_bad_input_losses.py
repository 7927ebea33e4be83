"""Bad input to the losses' reductions, sample weights and new arguments: a
clear exception naming the problem, the model untouched -- run in child
processes by the machinery of test_bad_input.py.

What Keras 3.15 accepts, fastmlp accepts too: negative sample weights, a
scalar weight, (n, 1) weights. Beyond Keras, fastmlp rejects non-finite
weights, label_smoothing outside [0, 1], delta <= 0, gamma < 0 and alpha
outside [0, 1] (Keras computes something meaningless with them).
"""

import pytest

from test_bad_input import BACKENDS, case, case_ids, case_params, check_case

SCCE = "fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True)"
MSE = "fastmlp.losses.MeanSquaredError()"
P = "np.ones((40, 3))"

CASES = [
    case("losses", "sample_weight", f"assert {SCCE}(y, {P}, sample_weight=np.ones(40)) == {SCCE}(y, {P})"),
    case("losses", "sample_weight", f"assert {MSE}(onehot, {P}, sample_weight=-np.ones(40)) == -{MSE}(onehot, {P})"),
    case("losses", "sample_weight", f"{SCCE}(y, {P}, sample_weight=np.ones(39))", "ValueError", "(40,)"),
    case("losses", "sample_weight", f"{SCCE}(y, {P}, sample_weight=np.ones((40, 2)))", "ValueError",
         "one weight per sample"),
    case("losses", "sample_weight", f"{MSE}(onehot, {P}, sample_weight=np.full(40, np.nan))", "ValueError",
         "NaN or infinity"),
    case("losses", "sample_weight", f"{MSE}(onehot, {P}, sample_weight=np.full(40, -np.inf))", "ValueError",
         "NaN or infinity"),
    case("losses", "sample_weight", f"{MSE}(onehot, {P}, sample_weight=np.ones(40).astype(object))",
         "TypeError", "sample_weight must hold real numbers, got dtype object"),
    case("losses", "sample_weight", f"{MSE}(onehot, {P}, sample_weight='ones')", "TypeError",
         "sample_weight must be an array of numbers, got a string ('ones')"),
    case("losses", "bad arguments", "fastmlp.losses.MeanSquaredError(reduction='auto')", "ValueError",
         "reduction"),
    case("losses", "bad arguments", "fastmlp.losses.CategoricalCrossentropy(label_smoothing=1.5)",
         "ValueError", "label_smoothing"),
    case("losses", "bad arguments", "fastmlp.losses.BinaryCrossentropy(label_smoothing=-0.5)",
         "ValueError", "label_smoothing"),
    case("losses", "bad arguments", "fastmlp.losses.Huber(delta=0.0)", "ValueError", "delta"),
    case("losses", "bad arguments", "fastmlp.losses.Huber(delta=float('nan'))", "ValueError", "delta"),
    case("losses", "bad arguments", "fastmlp.losses.BinaryFocalCrossentropy(gamma=-2)", "ValueError", "gamma"),
    case("losses", "bad arguments", "fastmlp.losses.BinaryFocalCrossentropy(alpha=1.5)", "ValueError", "alpha"),
    # Python's own TypeError for a keyword the class does not take: Keras 3.15's
    # SparseCategoricalCrossentropy has no label_smoothing either and raises the same
    case("losses", "bad arguments", "fastmlp.losses.SparseCategoricalCrossentropy(label_smoothing=0.1)",
         "TypeError", "unexpected keyword argument 'label_smoothing'"),
    case("losses", "bad arguments", "m.compile(optimizer='sgd', loss=lambda t, p: (t - p) ** 2)", "TypeError",
         "automatic differentiation"),
    case("losses", "reduction=None", "fastmlp.losses.MeanSquaredError(reduction=None).value_and_grad("
         "fastmlp.backend.get_ops(), x[:, :3], x[:, :3], None)", "ValueError", "one value per sample"),
]
IDS = case_ids(CASES)


@pytest.mark.parametrize("backend,c", case_params(CASES, IDS))
def test_bad_input_losses(backend, c):
    check_case(backend, c, CASES, IDS)


def test_backends_are_the_shared_ones():
    assert all(c.backends == BACKENDS for c in CASES)
