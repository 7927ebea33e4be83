"""The confusion-count kernel (``confusion_counts``, behind TruePositives ...
AUC) of the compiled backend against the NumPy reference, and the reference and
every backend against the definition and hand-counted cases.

The reference compares every prediction with every threshold; the kernel
buckets each prediction by binary search and sums the buckets from the top.
Both add float32 weights converted to float64, in different orders: n terms
of float64 differ by at most about n * 2**-53 of the sum of |weights|, and
tn = (all negatives) - fp, fn = (all positives) - tp cancel with no more than
that absolute error. So rtol 1e-12 plus atol 1e-12 * sum|w| (at most 10**5
terms here, far inside the bound); unit weights must agree exactly.
"""

import numpy as np
import pytest

from compiled_extension import compiled_module, compiled_ops
from fastmlp.backend import get_ops
from fastmlp.backend.numpy_ops import NumpyOps

F32 = np.float32
REF = NumpyOps()

# (rows, cols): batch 1, odd sizes, a wide and a long batch
SHAPES = [(1, 1), (1, 5), (3, 7), (33, 1), (257, 3), (1000, 10)]


@pytest.fixture(params=["numpy", "cython"])
def ops(request):
    # cython where not built: a skip, or a failure under FASTMLP_REQUIRE_COMPILED=1
    return compiled_ops() if request.param == "cython" else get_ops(request.param)


@pytest.fixture
def cy():
    """The compiled backend: comparisons with REF on numpy would compare it with itself."""
    return compiled_ops()


def _counts(ops, preds, labels, thresholds, rw=None, cw=None, per_column=False):
    groups = preds.shape[1] if per_column else 1
    out = np.zeros((4, len(thresholds), groups))
    ops.confusion_counts(preds, labels, thresholds, out, rw, cw, per_column)
    return out


def _assert_close(got, want, weight_total):
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * max(1.0, weight_total))


def _data(rng, shape):
    preds = rng.random(shape, dtype=F32)
    # a quarter of the labels soft or negative: any nonzero label is a positive
    labels = (rng.random(shape) > 0.5).astype(F32) * rng.choice(F32([1, 1, 1, 0.3, -2]), shape)
    # thresholds at exact prediction values (strictness), 0, 1, duplicates
    picks = rng.choice(preds.ravel(), size=min(5, preds.size))
    thresholds = np.sort(np.concatenate([picks, picks[:1], F32([0.0, 0.5, 1.0])])).astype(F32)
    return preds, labels, thresholds


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("per_column", [False, True])
def test_counts_match_reference(cy, shape, per_column):
    rng = np.random.default_rng(shape[0] * 31 + shape[1])
    preds, labels, thresholds = _data(rng, shape)
    rw = rng.random(shape[0], dtype=F32) * 3
    cw = rng.random(shape[1], dtype=F32)
    for r, c in ((None, None), (rw, None), (None, cw), (rw, cw)):
        want = _counts(REF, preds, labels, thresholds, r, c, per_column)
        got = _counts(cy, preds, labels, thresholds, r, c, per_column)
        weights = np.ones(shape) * (1 if r is None else r[:, None]) * (1 if c is None else c[None, :])
        _assert_close(got, want, float(weights.sum()))
        if r is None and c is None:
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("per_column", [False, True])
def test_reference_is_the_definition(per_column):
    """The reference against the definition, in float64: at each threshold t, a
    nonzero label is a positive, a prediction > t a predicted positive, and each
    element counts with weight row_weight * col_weight."""
    rng = np.random.default_rng(9)
    preds, labels, thresholds = _data(rng, (57, 4))
    rw, cw = rng.random(57, dtype=F32) * 3, rng.random(4, dtype=F32)
    got = _counts(REF, preds, labels, thresholds, rw, cw, per_column)
    w = rw.astype(np.float64)[:, None] * cw.astype(np.float64)[None, :]
    positive = labels != 0
    for t, th in enumerate(thresholds):
        above = preds > th
        cells = [positive & above, ~positive & above, ~positive & ~above, positive & ~above]
        for k, cell in enumerate(cells):  # tp, fp, tn, fn
            want = (w * cell).sum(0) if per_column else [(w * cell).sum()]
            _assert_close(got[k, t], want, float(w.sum()))


def test_a_prediction_equal_to_the_threshold_is_a_negative(ops):
    preds = F32([[0.5], [0.25], [0.75], [np.nan]])
    labels = F32([[1], [1], [0], [1]])
    got = _counts(ops, preds, labels, F32([0.25, 0.5, 0.75]))
    # tp, fp, tn, fn at 0.25: 0.5 > 0.25 only among the positives; 0.75 > 0.25 the false positive;
    # NaN is a negative at every threshold (as Keras's y_pred > t)
    np.testing.assert_array_equal(got[:, :, 0], [[1, 0, 0], [1, 1, 0], [0, 0, 1], [2, 3, 3]])


def test_counts_add_up_over_batches(ops):
    rng = np.random.default_rng(3)
    preds, labels, thresholds = _data(rng, (40, 2))
    out = np.zeros((4, len(thresholds), 1))
    ops.confusion_counts(preds[:15], labels[:15], thresholds, out)
    ops.confusion_counts(preds[15:], labels[15:], thresholds, out)
    np.testing.assert_array_equal(out, _counts(REF, preds, labels, thresholds))
    # every element is counted once per threshold
    np.testing.assert_array_equal(out.sum(axis=0), np.full((len(thresholds), 1), preds.size))


def test_non_contiguous_inputs(ops):
    rng = np.random.default_rng(4)
    preds, labels, thresholds = _data(rng, (33, 6))
    strided_p, strided_l = preds[:, ::2], labels[:, ::2]
    rw = np.repeat(rng.random(33, dtype=F32), 2)[::2]
    assert not strided_p.flags.c_contiguous and not rw.flags.c_contiguous
    got = _counts(ops, strided_p, strided_l, thresholds, rw, None, True)
    want = _counts(REF, np.ascontiguousarray(strided_p), np.ascontiguousarray(strided_l), thresholds,
                   np.ascontiguousarray(rw), None, True)
    _assert_close(got, want, float(rw.sum()))


def test_single_threshold_and_extreme_thresholds(cy):
    rng = np.random.default_rng(5)
    preds, labels, _ = _data(rng, (50, 1))
    for thresholds in (F32([0.5]), F32([-1e10]), F32([-1e-7, 1 + 1e-7])):
        np.testing.assert_array_equal(_counts(cy, preds, labels, thresholds),
                                      _counts(REF, preds, labels, thresholds))


def test_wrapper_rejects_bad_arguments():
    _kernels = compiled_module("_kernels")
    p = np.zeros((4, 2), F32)
    out = np.zeros((4, 2, 1))
    th = F32([0.2, 0.7])
    with pytest.raises(ValueError, match="sorted"):
        _kernels.confusion_counts(p, p, F32([0.7, 0.2]), out)
    with pytest.raises(ValueError, match="sorted"):
        _kernels.confusion_counts(p, p, F32([0.2, np.nan]), out)
    with pytest.raises(ValueError, match="out must have shape"):
        _kernels.confusion_counts(p, p, th, np.zeros((4, 3, 1)))
    with pytest.raises(TypeError, match="out"):
        _kernels.confusion_counts(p, p, th, out.astype(F32))
    with pytest.raises(ValueError, match="labels"):
        _kernels.confusion_counts(p, np.zeros((4, 3), F32), th, out)
    with pytest.raises(ValueError, match="row_weights"):
        _kernels.confusion_counts(p, p, th, out, np.ones(3, F32))
    with pytest.raises(ValueError, match="col_weights"):
        _kernels.confusion_counts(p, p, th, out, None, np.ones(3, F32))
    with pytest.raises(ValueError, match="C-contiguous"):
        _kernels.confusion_counts(np.zeros((4, 4), F32)[:, ::2], p, th, out)
    with pytest.raises(ValueError, match="non-empty"):
        _kernels.confusion_counts(p, p, np.zeros(0, F32), np.zeros((4, 0, 1)))
