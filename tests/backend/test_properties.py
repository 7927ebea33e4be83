"""Property tests: the compiled kernels against the NumPy reference on random
shapes and values, extremes included (+-1e30, denormals, +-0, the float32
limits). Where the reference promises bit-identical results (elementwise
kernels, dropout, optimizer steps, accuracy counts, the dense epilogue) they
are compared exactly (NaN equal to NaN); reductions that the C code
accumulates in double (softmax family, cross-entropy) are compared with a
tolerance."""

import os

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from compiled_extension import compiled_ops  # noqa: E402
from fastmlp.backend import get_ops  # noqa: E402

# where not built: the module skips, or fails under FASTMLP_REQUIRE_COMPILED=1
CY = compiled_ops(module_level=True)
NP = get_ops("numpy")

F32 = np.finfo(np.float32)
EXTREMES = [float(np.float32(v)) for v in (0.0, -0.0, 1e30, -1e30, 1e-45, -1e-45, 3e-39, -3e-39,
                                            F32.tiny, F32.max, -F32.max, 1.0, -1.0)]
BIG = float(np.float32(1e30))
PROFILE = settings(max_examples=int(os.environ.get("FASTMLP_HYPOTHESIS_EXAMPLES", 120)), deadline=None,
                   derandomize=os.environ.get("FASTMLP_HYPOTHESIS_EXAMPLES") is None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# float32 values: ordinary numbers, mixed with the extremes
values = st.one_of(st.floats(-50, 50, width=32), st.sampled_from(EXTREMES),
                   st.floats(-BIG, BIG, width=32))
moderate = st.one_of(st.floats(-20, 20, width=32), st.sampled_from([float(np.float32(v)) for v in (0.0, -0.0, 1e-45, -3e-39, 1e-30)]))


def matrices(elements=values, max_rows=9, max_cols=33):
    return hnp.arrays(np.float32, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=max_cols)
                      .filter(lambda s: s[0] <= max_rows), elements=elements)


def flat(elements=values, max_size=200):
    return hnp.arrays(np.float32, st.integers(0, max_size), elements=elements)


def exact(a, b):
    np.testing.assert_array_equal(a, b)  # NaN == NaN here, and +0 == -0


def close(a, b, rtol=2e-5, atol=2e-6):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


def both(method, *inputs, out_shape=None, out_dtype=np.float32, **kw):
    """Run ``method`` on both backends with fresh outputs; returns the outputs."""
    outs = []
    for ops in (NP, CY):
        args = [a.copy() for a in inputs]
        out = np.empty(out_shape if out_shape is not None else inputs[0].shape, dtype=out_dtype)
        getattr(ops, method)(*args, out, **kw)
        outs.append(out)
    return outs


@PROFILE
@given(flat())
def test_relu_forward_is_exact(x):
    with np.errstate(all="ignore"):
        exact(*both("relu_forward", x))


@PROFILE
@given(st.data())
def test_relu_backward_is_exact(data):
    y = data.draw(flat())
    dy = data.draw(hnp.arrays(np.float32, y.shape, elements=values))
    with np.errstate(all="ignore"):
        exact(*both("relu_backward", y, dy))


@PROFILE
@given(matrices())
def test_softmax_and_log_softmax_match(x):
    with np.errstate(all="ignore"):
        close(*both("softmax", x))
        ref, got = both("log_softmax", x)
        close(got, ref, rtol=1e-5, atol=1e-5)


@PROFILE
@given(st.data())
def test_softmax_backward_matches(data):
    y = data.draw(matrices(st.floats(0, 1, width=32)))
    dy = data.draw(hnp.arrays(np.float32, y.shape, elements=moderate))
    with np.errstate(all="ignore"):
        ref, got = both("softmax_backward", y, dy)
    close(got, ref, rtol=1e-4, atol=1e-4)


@PROFILE
@given(st.data())
def test_sparse_cross_entropy_matches(data):
    logits = data.draw(matrices())
    labels = data.draw(hnp.arrays(np.int32, logits.shape[0], elements=st.integers(0, logits.shape[1] - 1)))
    grads = []
    losses = []
    for ops in (NP, CY):
        d = np.empty_like(logits)
        with np.errstate(all="ignore"):
            losses.append(ops.softmax_xent_sparse(logits.copy(), labels.copy(), d))
        grads.append(d)
    close(losses[1], losses[0], rtol=1e-5, atol=1e-5)
    close(grads[1], grads[0], rtol=1e-4, atol=1e-6)


@PROFILE
@given(st.data())
def test_dense_cross_entropy_matches(data):
    logits = data.draw(matrices(moderate))
    targets = data.draw(hnp.arrays(np.float32, logits.shape, elements=st.floats(0, 1, width=32)))
    grads, losses = [], []
    for ops in (NP, CY):
        d = np.empty_like(logits)
        losses.append(ops.softmax_xent_dense(logits.copy(), targets.copy(), d))
        grads.append(d)
    close(losses[1], losses[0], rtol=1e-5, atol=1e-5)
    close(grads[1], grads[0], rtol=1e-4, atol=1e-6)


@PROFILE
@given(st.data(), st.sampled_from(["linear", "relu"]), st.booleans())
def test_dense_forward_is_exact(data, activation, use_bias):
    x = data.draw(matrices())
    k = data.draw(st.integers(1, 17))
    W = data.draw(hnp.arrays(np.float32, (x.shape[1], k), elements=values))
    b = data.draw(hnp.arrays(np.float32, (k,), elements=values)) if use_bias else None
    outs = []
    for ops in (NP, CY):
        out = np.empty((x.shape[0], k), np.float32)
        with np.errstate(all="ignore"):
            ops.dense_forward(x, W, b, activation, out)
        outs.append(out)
    exact(*outs)


@PROFILE
@given(st.data(), st.sampled_from(["linear", "relu"]))
def test_dense_backward_is_exact(data, activation):
    x = data.draw(matrices(moderate))
    k = data.draw(st.integers(1, 9))
    W = data.draw(hnp.arrays(np.float32, (x.shape[1], k), elements=moderate))
    y = data.draw(hnp.arrays(np.float32, (x.shape[0], k), elements=values))
    dy = data.draw(hnp.arrays(np.float32, (x.shape[0], k), elements=moderate))
    outs = []
    for ops in (NP, CY):
        dW = np.empty_like(W)
        db = np.empty(k, np.float32)
        dx = np.empty_like(x)
        with np.errstate(all="ignore"):
            ops.dense_backward(x, W, y, dy.copy(), activation, dW, db, dx)
        outs.append((dW, db, dx))
    for ref, got in zip(*outs):
        exact(got, ref)


@pytest.mark.parametrize("rows", [1, 7, 8, 9, 100, 128, 129, 300, 1000, 4097])
def test_db_of_a_single_unit_is_exact(rows):
    """A (rows, 1) dy is summed pairwise by NumPy; the kernel associates the
    same way, so db is bit-identical (not merely within an ulp)."""
    rng = np.random.default_rng(rows)
    x = np.zeros((rows, 1), np.float32)
    W = np.zeros((1, 1), np.float32)
    dy = (rng.normal(size=(rows, 1)) * 1.8166145).astype(np.float32)
    dbs = []
    for ops in (NP, CY):
        db = np.empty(1, np.float32)
        ops.dense_backward(x, W, dy.copy(), dy.copy(), "linear", np.empty_like(W), db, None)
        dbs.append(db)
    exact(dbs[1], dbs[0])


@PROFILE
@given(flat(max_size=300), st.floats(0, 0.99), st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1))
def test_dropout_is_bit_identical(x, rate, seed, step):
    results = []
    for ops in (NP, CY):
        mask = np.empty(x.shape, np.uint8)
        out = np.empty_like(x)
        with np.errstate(all="ignore"):
            ops.dropout_forward(x.copy(), rate, seed, step, mask, out)
        back = np.empty_like(x)
        with np.errstate(all="ignore"):
            ops.dropout_backward(x.copy(), mask, rate, back)
        results.append((mask, out, back))
    for ref, got in zip(*results):
        exact(got, ref)


OPTIMIZERS = {
    "sgd": lambda ops, p, g, s: ops.sgd_update(p, g, None, 0.01),
    "momentum": lambda ops, p, g, s: ops.sgd_update(p, g, s[0], 0.05, momentum=0.9),
    "nesterov": lambda ops, p, g, s: ops.sgd_update(p, g, s[0], 0.05, momentum=0.9, nesterov=True),
    "adam": lambda ops, p, g, s: ops.adam_update(p, g, s[0], s[1], 0.001, 0.9, 0.999, 1e-7, 3),
    "adamw": lambda ops, p, g, s: ops.adam_update(p, g, s[0], s[1], 0.001, 0.9, 0.999, 1e-7, 1,
                                                  weight_decay=0.004),
    "rmsprop": lambda ops, p, g, s: ops.rmsprop_update(p, g, s[0], None, 0.001, 0.9, 0.0, 1e-7),
    "rmsprop_momentum": lambda ops, p, g, s: ops.rmsprop_update(p, g, s[0], s[1], 0.001, 0.9, 0.5, 1e-7),
}


@PROFILE
@given(st.data(), st.sampled_from(sorted(OPTIMIZERS)))
def test_optimizer_steps_are_bit_identical(data, name):
    params = data.draw(flat(max_size=100))
    grads = data.draw(hnp.arrays(np.float32, params.shape, elements=values))
    slots = [data.draw(hnp.arrays(np.float32, params.shape, elements=st.one_of(
        st.floats(0, 1e3, width=32), st.sampled_from([0.0, EXTREMES[4], BIG])))) for _ in range(2)]
    results = []
    for ops in (NP, CY):
        p, s = params.copy(), [a.copy() for a in slots]
        with np.errstate(all="ignore"):
            OPTIMIZERS[name](ops, p, grads.copy(), s)
        results.append([p] + s)
    # The compiled updates run with flush-to-zero / denormals-are-zero (csrc/fm_optim.h:
    # subnormal optimizer state costs ~100 cycles per operation on x86). Elements whose
    # inputs are all 0 or of magnitude >= 1e-12 never meet a subnormal (not even as
    # g*g or lr*g) and must match exactly; elsewhere the state may differ from the
    # reference by less than FLT_MIN, and the parameters by that times lr / epsilon.
    with np.errstate(all="ignore"):
        safe = np.ones(params.shape, bool)
        for a in [params, grads] + slots:
            safe &= (a == 0) | ~(np.abs(a) < 1e-12)
    for ref, got in zip(*results):
        exact(got[safe], ref[safe])
        close(got, ref, rtol=1e-6, atol=float(F32.tiny) * 1e5)



@PROFILE
@given(st.data())
def test_accuracy_counts_are_exact(data):
    scores = data.draw(matrices(st.one_of(values, st.just(float("nan")))))
    labels = data.draw(hnp.arrays(np.int32, scores.shape[0], elements=st.integers(0, scores.shape[1] - 1)))
    targets = data.draw(hnp.arrays(np.float32, scores.shape, elements=values))
    assert CY.count_correct_sparse(scores, labels) == NP.count_correct_sparse(scores, labels)
    assert CY.count_correct_dense(scores, targets) == NP.count_correct_dense(scores, targets)


@PROFILE
@given(matrices(st.one_of(values, st.sampled_from([float("nan"), float("inf"), float("-inf")]))))
def test_non_finite_values_propagate_like_the_reference(x):
    """NaN and inf anywhere: same NaN pattern as NumPy, never a crash."""
    with np.errstate(all="ignore"):
        ref, got = both("softmax", x)
        exact(np.isnan(got), np.isnan(ref))
        exact(*both("relu_forward", x))
