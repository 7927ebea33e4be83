"""Kernels of every CPU backend against the NumPy reference, finite differences
and closed-form optimizer steps.

Tolerances (float32, eps = 2**-23 ~ 1.2e-7):

* a GEMM (or column sum) of K products may round differently with another
  summation order, but any order stays within K*eps*(|a| @ |b|) of the exact
  value (Higham's gamma_K bound), so two implementations differ by at most
  twice that; one more rounding covers the bias add;
* elementwise kernels with the reference's float32 operation order (ReLU,
  dropout, the optimizers, the ReLU derivative, db) must agree bit for bit
  (db: the C kernel adds the rows one after another in float32, the order of
  NumPy's sum(axis=0) over two or more columns, and sums a single column
  pairwise as NumPy does: csrc/fm_dense.h);
* softmax-family kernels call expf/logf (<= 1 ulp each, not NumPy's SIMD exp
  bit for bit) and sum in double where the reference sums in float32 pairwise
  (<= log2(n) ulp): a few ulp, so rtol 1e-5 on probabilities, atol
  1e-5 * max(1, |x|) on log-probabilities (one rounding of the normaliser);
* float32 gradients against float64 central differences (h = 1e-3 on small,
  O(1) data, truncation error ~h**2): rtol 1e-3, atol 1e-4.

The ``*_matches_reference*`` comparisons run on the compiled backend only (the
``cy`` fixture): on ``numpy`` they would compare the reference with itself.
The other tests run on both (``ops``): they check each backend against
something independent of it (closed forms, finite differences, contiguous
copies of non-contiguous input, known errors).
"""

import inspect

import numpy as np
import pytest

from compiled_extension import compiled_ops
from fastmlp.backend import checks, get_ops
from fastmlp.backend.numpy_ops import NumpyOps

F32 = np.float32
EPS = np.finfo(F32).eps
REF = NumpyOps()
BACKENDS = ["numpy", "cython"]

# Kernels the compiled backend must override (NumPy's remain for the rest).
KERNELS = [
    "dense_forward", "dense_backward", "relu_forward", "relu_backward",
    "dropout_mask", "dropout_forward", "dropout_apply", "dropout_backward",
    "softmax", "log_softmax", "softmax_backward", "softmax_xent_sparse",
    "softmax_xent_dense", "sgd_update", "adam_update", "rmsprop_update",
    "count_correct_sparse", "count_correct_dense", "confusion_counts",
]

# (batch, in, out): batch 1, odd sizes and the seed model's layers.
DENSE_SHAPES = [(1, 1, 1), (1, 784, 128), (3, 7, 5), (33, 785, 17), (32, 784, 128),
                (256, 784, 128), (32, 128, 10)]
# (batch, features) of the elementwise and row-wise kernels.
SHAPES = [(1, 1), (1, 10), (3, 7), (33, 785), (32, 128), (256, 128), (32, 10)]


def _ops(name):
    # cython where not built: a skip, or a failure under FASTMLP_REQUIRE_COMPILED=1
    return compiled_ops() if name == "cython" else get_ops(name)


@pytest.fixture(params=BACKENDS)
def ops(request):
    return _ops(request.param)


@pytest.fixture
def cy():
    return _ops("cython")


def rand(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(F32)


def empty(shape, dtype=F32):
    return np.full(shape, np.nan if dtype == F32 else 7, dtype=dtype)


def assert_gemm_close(actual, expected, bound, terms):
    """Within 2*(terms + 1)*eps*bound elementwise, bound = |a| @ |b| (+ |bias|)."""
    tol = 2 * (terms + 1) * EPS * bound.astype(np.float64) + np.finfo(F32).tiny
    err = np.abs(actual.astype(np.float64) - expected)
    assert np.all(err <= tol), f"max error {err.max():.3g}, excess {(err - tol).max():.3g}"


# --------------------------------------------------------------------- api
@pytest.mark.parametrize("name", KERNELS)
def test_compiled_backend_overrides_every_kernel(cy, name):
    cls = type(cy)
    assert getattr(cls, name) is not getattr(NumpyOps, name)
    assert inspect.signature(getattr(cls, name)) == inspect.signature(getattr(NumpyOps, name))


def test_dropout_backward_is_apply(ops):
    assert type(ops).dropout_backward is type(ops).dropout_apply


# ------------------------------------------------------------------- dense
@pytest.mark.parametrize("n,k,m", DENSE_SHAPES)
@pytest.mark.parametrize("activation", ["linear", "relu"])
@pytest.mark.parametrize("bias", [True, False])
def test_dense_matches_reference(cy, n, k, m, activation, bias):
    rng = np.random.default_rng(n * 7 + k * 3 + m)
    x, W, dy = rand(rng, n, k), rand(rng, k, m, scale=k ** -0.5), rand(rng, n, m)
    b = rand(rng, m) if bias else None
    y = cy.dense_forward(x, W, b, activation, empty((n, m)))
    y_ref = REF.dense_forward(x, W, b, activation, empty((n, m)))
    bound = np.abs(x) @ np.abs(W) + (0 if b is None else np.abs(b))
    assert_gemm_close(y, y_ref, bound, k)

    d, d_ref = dy.copy(), dy.copy()
    db = empty(m) if bias else None
    db_ref = empty(m) if bias else None
    dW, dx = cy.dense_backward(x, W, y_ref, d, activation, empty((k, m)), db, empty((n, k)))[::2]
    dW_ref, dx_ref = REF.dense_backward(x, W, y_ref, d_ref, activation, empty((k, m)), db_ref,
                                        empty((n, k)))[::2]
    np.testing.assert_array_equal(d, d_ref)  # the ReLU derivative, in place
    assert_gemm_close(dW, dW_ref, np.abs(x).T @ np.abs(d_ref), n)
    assert_gemm_close(dx, dx_ref, np.abs(d_ref) @ np.abs(W).T, m)
    if bias:  # bit for bit: see the module docstring
        np.testing.assert_array_equal(db, db_ref)


def test_dense_first_layer_and_no_bias_grad(ops):
    rng = np.random.default_rng(1)
    x, W, dy = rand(rng, 4, 3), rand(rng, 3, 2), rand(rng, 4, 2)
    dW, db, dx = ops.dense_backward(x, W, np.ones((4, 2), F32), dy, "linear", empty((3, 2)),
                                    None, None)
    assert db is None and dx is None
    np.testing.assert_allclose(dW, x.T @ dy, rtol=1e-6)


@pytest.mark.parametrize("layout", ["fortran", "strided"])
def test_dense_noncontiguous_inputs(ops, layout):
    rng = np.random.default_rng(2)
    x, W, b, dy = rand(rng, 33, 2 * 785), rand(rng, 785, 17), rand(rng, 17), rand(rng, 33, 17)
    x = np.asfortranarray(x[:, :785]) if layout == "fortran" else x[:, ::2]
    Wn = np.asfortranarray(W) if layout == "fortran" else np.repeat(W, 2, axis=1)[:, ::2]
    xc = np.ascontiguousarray(x)
    y = ops.dense_forward(x, Wn, b, "relu", empty((33, 17)))
    y_ref = REF.dense_forward(xc, W, b, "relu", empty((33, 17)))
    assert_gemm_close(y, y_ref, np.abs(xc) @ np.abs(W) + np.abs(b), 785)
    d, d_ref = dy.copy(), dy.copy()
    dW, db, dx = ops.dense_backward(x, Wn, y_ref, d, "relu", empty((785, 17)), empty(17),
                                    empty((33, 785)))
    dW_ref, db_ref, dx_ref = REF.dense_backward(xc, W, y_ref, d_ref, "relu", empty((785, 17)),
                                                empty(17), empty((33, 785)))
    assert_gemm_close(dW, dW_ref, np.abs(xc).T @ np.abs(d_ref), 33)
    assert_gemm_close(dx, dx_ref, np.abs(d_ref) @ np.abs(W).T, 17)
    np.testing.assert_array_equal(db, db_ref)


# -------------------------------------------------------------------- relu
@pytest.mark.parametrize("shape", SHAPES)
def test_relu_matches_reference_exactly(cy, shape):
    rng = np.random.default_rng(3)
    x, dy = rand(rng, *shape), rand(rng, *shape)
    x.flat[0] = 0.0
    np.testing.assert_array_equal(cy.relu_forward(x, empty(shape)),
                                  REF.relu_forward(x, empty(shape)))
    y = REF.relu_forward(x, empty(shape))
    np.testing.assert_array_equal(cy.relu_backward(y, dy, empty(shape)),
                                  REF.relu_backward(y, dy, empty(shape)))


def test_relu_in_place_nan_and_noncontiguous(ops):
    x = np.array([[-1.0, np.nan, 2.0, -0.0], [3.0, -np.inf, np.inf, 0.5]], F32)
    ref = REF.relu_forward(x, empty(x.shape))
    np.testing.assert_array_equal(ops.relu_forward(x.T, empty(x.T.shape)), ref.T)
    y = x.copy()
    ops.relu_forward(y, y)
    np.testing.assert_array_equal(y, ref)


# ----------------------------------------------------------------- dropout
def _kept_within_5_sigma(mask, rate):
    n = mask.size
    sigma = np.sqrt(n * rate * (1 - rate))
    return abs(int(mask.sum()) - n * (1 - rate)) <= 5 * sigma


@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (33, 785), (256, 128)])
@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9])
def test_dropout_mask_bits_and_rate(ops, shape, rate):
    seed, step = 2**40 + 12345, 2**33 + 7  # both halves of key and step counter used
    mask = ops.dropout_mask(seed, step, rate, empty(shape, np.uint8))
    ref = REF.dropout_mask(seed, step, rate, empty(shape, np.uint8))
    assert mask.dtype == np.uint8
    np.testing.assert_array_equal(mask, ref)
    assert set(np.unique(mask)) <= {0, 1}
    if mask.size > 1000:
        assert _kept_within_5_sigma(mask, rate)


def test_dropout_mask_depends_on_seed_and_step(ops):
    shape = (64, 128)

    def draw(seed, step):
        return ops.dropout_mask(seed, step, 0.5, empty(shape, np.uint8))

    a = draw(1, 0)
    np.testing.assert_array_equal(a, draw(1, 0))
    assert not np.array_equal(a, draw(2, 0))
    assert not np.array_equal(a, draw(1, 1))
    assert not np.array_equal(a, draw(1 + 2**32, 0))  # the seed's high word counts


@pytest.mark.parametrize("shape", [(3, 7), (32, 128)])
def test_dropout_forward_backward(ops, shape):
    rng = np.random.default_rng(4)
    x, dy, rate = rand(rng, *shape), rand(rng, *shape), 0.3
    mask, out = empty(shape, np.uint8), empty(shape)
    ops.dropout_forward(x, rate, 99, 5, mask, out)
    ref_mask, ref_out = empty(shape, np.uint8), empty(shape)
    REF.dropout_forward(x, rate, 99, 5, ref_mask, ref_out)
    np.testing.assert_array_equal(mask, ref_mask)
    np.testing.assert_array_equal(out, ref_out)
    scale = F32(1 / (1 - rate))
    np.testing.assert_array_equal(out, np.where(mask == 1, x * scale, 0))
    dx = ops.dropout_backward(dy, mask, rate, empty(shape))  # the forward's mask
    np.testing.assert_array_equal(dx, np.where(mask == 1, dy * scale, 0))
    np.testing.assert_array_equal(dx, REF.dropout_backward(dy, mask, rate, empty(shape)))


def test_dropout_rate_zero_and_invalid(ops):
    x = np.arange(10, dtype=F32).reshape(2, 5)
    mask, out = empty(x.shape, np.uint8), empty(x.shape)
    ops.dropout_forward(x, 0.0, 1, 1, mask, out)
    assert mask.all()
    np.testing.assert_array_equal(out, x)
    for rate in (1.0, -0.1):
        with pytest.raises(ValueError, match="rate"):
            ops.dropout_mask(1, 1, rate, mask)
    with pytest.raises(ValueError, match="seed"):
        ops.dropout_mask(-1, 1, 0.5, mask)
    with pytest.raises(ValueError, match="step"):
        ops.dropout_mask(1, 2**64, 0.5, mask)


# ----------------------------------------------------------------- softmax
@pytest.mark.parametrize("shape", SHAPES)
def test_softmax_family_matches_reference(cy, shape):
    rng = np.random.default_rng(5)
    x, dy = rand(rng, *shape, scale=3.0), rand(rng, *shape)
    p = cy.softmax(x, empty(shape))
    p_ref = REF.softmax(x, empty(shape))
    np.testing.assert_allclose(p, p_ref, rtol=1e-5, atol=1e-30)
    lp = cy.log_softmax(x, empty(shape))
    lp_ref = REF.log_softmax(x, empty(shape))
    assert np.all(np.abs(lp - lp_ref) <= 1e-5 * np.maximum(1, np.abs(lp_ref)))
    g = cy.softmax_backward(p_ref, dy, empty(shape))
    g_ref = REF.softmax_backward(p_ref, dy, empty(shape))
    # (dy - dot) * y: dot is a sum over the row, so allow the row's scale.
    bound = (np.abs(dy) + np.abs(dy * p_ref).sum(1, keepdims=True)) * p_ref
    assert np.all(np.abs(g - g_ref) <= 4 * (shape[1] + 2) * EPS * bound + 1e-30)


@pytest.mark.parametrize("shape", SHAPES)
def test_softmax_xent_matches_reference(cy, shape):
    rng = np.random.default_rng(6)
    n, c = shape
    logits = rand(rng, *shape, scale=3.0)
    labels = rng.integers(0, c, n).astype(np.int32)
    targets = rng.random(shape).astype(F32)
    targets /= targets.sum(1, keepdims=True)
    for name, y in (("softmax_xent_sparse", labels), ("softmax_xent_dense", targets)):
        d, d_ref = empty(shape), empty(shape)
        loss = getattr(cy, name)(logits, y, d)
        loss_ref = getattr(REF, name)(logits, y, d_ref)
        assert isinstance(loss, float)
        assert loss == pytest.approx(loss_ref, rel=1e-5, abs=1e-6)
        np.testing.assert_allclose(d, d_ref, rtol=1e-5, atol=1e-5 / n)
        assert getattr(cy, name)(logits, y, None) == loss


def test_softmax_in_place_and_noncontiguous(ops):
    rng = np.random.default_rng(7)
    x = rand(rng, 10, 33, scale=3.0)
    ref = REF.softmax(x, empty(x.shape))
    np.testing.assert_allclose(ops.softmax(np.asfortranarray(x), empty(x.shape)), ref, rtol=1e-5)
    np.testing.assert_allclose(ops.softmax(np.repeat(x, 2, 1)[:, ::2], empty(x.shape)), ref,
                               rtol=1e-5)
    y = x.copy()
    ops.softmax(y, y)
    np.testing.assert_allclose(y, ref, rtol=1e-5)
    labels = np.arange(10, dtype=np.int64)[::-1] % 33  # int64 and reversed (strided)
    d = empty(x.shape)
    loss = ops.softmax_xent_sparse(np.asfortranarray(x), labels, d)
    d_ref = empty(x.shape)
    assert loss == pytest.approx(REF.softmax_xent_sparse(x, labels, d_ref), rel=1e-6)
    np.testing.assert_allclose(d, d_ref, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("big", [1e4, -1e4])
def test_softmax_xent_stable_for_huge_logits(ops, big):
    logits = np.array([[big, 0.0, -big], [0.0, big, big], [-big, -big, big]], F32)
    labels = np.array([2, 0, 2], np.int32)
    targets = np.eye(3, dtype=F32)[labels]
    x64 = logits.astype(np.float64)
    logp64 = x64 - x64.max(1, keepdims=True)
    logp64 -= np.log(np.exp(logp64).sum(1, keepdims=True))
    expected = -logp64[np.arange(3), labels].mean()
    for name, y in (("softmax_xent_sparse", labels), ("softmax_xent_dense", targets)):
        d = empty(logits.shape)
        loss = getattr(ops, name)(logits, y, d)
        assert isinstance(loss, float)
        assert getattr(ops, name)(logits, y, None) == loss  # the loss alone, no gradient
        assert np.isfinite(loss) and np.all(np.isfinite(d))
        assert loss == pytest.approx(expected, rel=1e-6)
        np.testing.assert_allclose(d, (np.exp(logp64) - targets) / 3, atol=1e-7)
    for name in ("softmax", "log_softmax"):
        assert np.all(np.isfinite(getattr(ops, name)(logits, empty(logits.shape))))


def test_bad_labels_raise_naming_label_and_row(ops):
    logits = np.zeros((5, 10), F32)
    for bad, text in ((10, "label 10 at row 3 is outside [0, 10)"),
                      (-1, "label -1 at row 3 is outside [0, 10)")):
        for dtype in (np.int32, np.int64):
            labels = np.array([0, 1, 2, bad, 11], dtype)
            if ops.name == "numpy":  # the reference trusts its labels: the API checks
                call = [lambda: checks.check_labels(labels, 10)]
            else:
                call = [lambda: ops.softmax_xent_sparse(logits, labels, empty(logits.shape)),
                        lambda: ops.softmax_xent_sparse(logits, labels, None),
                        lambda: ops.count_correct_sparse(logits, labels)]
            for fn in call:
                with pytest.raises(ValueError) as info:
                    fn()
                assert str(info.value) == text


def test_check_labels():
    out = checks.check_labels(np.array([[3], [0], [9]], np.int64)[::-1], 10)
    assert out.dtype == np.int32 and out.flags.c_contiguous and out.tolist() == [9, 0, 3]
    assert checks.check_labels([1.0, 2.0], 3).tolist() == [1, 2]
    assert checks.check_labels(np.array([], np.uint8), 3).shape == (0,)
    with pytest.raises(ValueError, match=r"label 1.5 at row 1 is not a whole number"):
        checks.check_labels([1.0, 1.5], 3)
    with pytest.raises(ValueError, match=r"label nan at row 0"):
        checks.check_labels([np.nan], 3)
    with pytest.raises(ValueError, match=r"label 4294967296 at row 1 is outside \[0, 3\)"):
        checks.check_labels(np.array([0, 2**32], np.int64), 3)  # would wrap to 0 as int32
    for bad in (["a"], [True], [1 + 0j]):
        with pytest.raises(TypeError, match="integer dtype"):
            checks.check_labels(bad, 3)
    with pytest.raises(ValueError, match="shape"):
        checks.check_labels(np.zeros((2, 2), np.int32), 3)


# ---------------------------------------------------------------- metrics
def _accuracy_data(shape):
    """Scores with many ties (the first maximum wins), labels, soft targets."""
    rng = np.random.default_rng(8)
    n, c = shape
    scores = rng.integers(0, 3, shape).astype(F32)
    labels = rng.integers(0, c, n).astype(np.int32)
    return scores, labels, rng.integers(0, 3, shape).astype(F32)


@pytest.mark.parametrize("shape", SHAPES)
def test_accuracy_counts_match_reference(cy, shape):
    c = shape[1]
    scores, labels, targets = _accuracy_data(shape)
    assert cy.count_correct_sparse(scores, labels) == REF.count_correct_sparse(scores, labels)
    assert cy.count_correct_dense(scores, targets) == REF.count_correct_dense(scores, targets)
    onehot = np.eye(c, dtype=F32)[labels]
    assert cy.count_correct_dense(scores, onehot) == REF.count_correct_sparse(scores, labels)


@pytest.mark.parametrize("shape", SHAPES)
def test_accuracy_one_hot_counts_as_its_labels(ops, shape):
    """Each backend by itself: one-hot targets count as their integer labels."""
    scores, labels, _ = _accuracy_data(shape)
    onehot = np.eye(shape[1], dtype=F32)[labels]
    assert ops.count_correct_dense(scores, onehot) == ops.count_correct_sparse(scores, labels)
    # the first maximum of each row, found independently
    assert ops.count_correct_sparse(scores, labels) == int((scores.argmax(1) == labels).sum())


def test_accuracy_nan_and_int64(ops):
    scores = np.array([[1, np.nan, 5], [2, 2, 1], [np.nan, 9, 9]], F32)
    for labels in (np.array([1, 0, 0], np.int32), np.array([1, 0, 0], np.int64)):
        assert ops.count_correct_sparse(scores, labels) == 3


# ------------------------------------------------- finite-difference checks
def _fd_grad(f, x, h=1e-3):
    """Central differences of the float64 scalar function f at x."""
    x = x.astype(np.float64)
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        up = f(x)
        x[idx] = old - h
        g[idx] = (up - f(x)) / (2 * h)
        x[idx] = old
    return g


def _log_softmax64(x):
    z = x - x.max(1, keepdims=True)
    return z - np.log(np.exp(z).sum(1, keepdims=True))


def _assert_grad(analytic, numeric):
    np.testing.assert_allclose(analytic, numeric, rtol=1e-3, atol=1e-4)


def _away_from_kinks(rng, n, k, m):
    """x, W, b whose pre-activations all lie well away from ReLU's kink at 0."""
    while True:
        x, W, b = rand(rng, n, k), rand(rng, k, m), rand(rng, m)
        if np.abs(x.astype(np.float64) @ W + b).min() > 0.05:
            return x, W, b


@pytest.mark.parametrize("activation", ["linear", "relu"])
def test_dense_backward_finite_differences(ops, activation):
    rng = np.random.default_rng(9)
    x, W, b = _away_from_kinks(rng, 4, 5, 3)
    G = rand(rng, 4, 3)  # loss = sum(G * y), so dL/dy = G

    def act(z):
        return np.maximum(z, 0) if activation == "relu" else z

    y = ops.dense_forward(x, W, b, activation, empty((4, 3)))
    dW, db, dx = ops.dense_backward(x, W, y, G.copy(), activation, empty((5, 3)), empty(3),
                                    empty((4, 5)))
    x64, W64, b64 = (a.astype(np.float64) for a in (x, W, b))
    _assert_grad(dx, _fd_grad(lambda v: (G * act(v @ W64 + b64)).sum(), x))
    _assert_grad(dW, _fd_grad(lambda v: (G * act(x64 @ v + b64)).sum(), W))
    _assert_grad(db, _fd_grad(lambda v: (G * act(x64 @ W64 + v)).sum(), b))


def test_relu_and_softmax_backward_finite_differences(ops):
    rng = np.random.default_rng(10)
    x, G = rand(rng, 3, 6), rand(rng, 3, 6)
    x[np.abs(x) < 0.05] = 0.5
    y = ops.relu_forward(x, empty(x.shape))
    _assert_grad(ops.relu_backward(y, G, empty(x.shape)),
                 _fd_grad(lambda v: (G * np.maximum(v, 0)).sum(), x))
    p = ops.softmax(x, empty(x.shape))
    _assert_grad(ops.softmax_backward(p, G, empty(x.shape)),
                 _fd_grad(lambda v: (G * np.exp(_log_softmax64(v))).sum(), x))


def test_softmax_xent_finite_differences(ops):
    rng = np.random.default_rng(11)
    logits = rand(rng, 4, 5, scale=2.0)
    labels = np.array([0, 4, 2, 2], np.int32)
    targets = rng.random((4, 5)).astype(F32)  # rows need not sum to 1
    d = empty(logits.shape)
    ops.softmax_xent_sparse(logits, labels, d)
    _assert_grad(d, _fd_grad(lambda v: -_log_softmax64(v)[np.arange(4), labels].mean(), logits))
    ops.softmax_xent_dense(logits, targets, d)
    _assert_grad(d, _fd_grad(lambda v: -(targets * _log_softmax64(v)).sum(1).mean(), logits))


# -------------------------------------------------------------- optimizers
STEPS = 5


def _run(ops, update, state_names, n=1000, seed=12, **kwargs):
    """STEPS updates of a float32 buffer by ``ops``; returns the initial and
    final params, the optimizer state and the float32 gradients used."""
    rng = np.random.default_rng(seed)
    params = rand(rng, n)
    start = params.copy()
    state = {name: np.zeros(n, F32) for name in state_names}
    grads = [rand(rng, n) for _ in range(STEPS)]
    for t, g in enumerate(grads, start=1):
        extra = {"step": t} if update == "adam_update" else {}
        getattr(ops, update)(params, g, *state.values(), **kwargs, **extra)
    return start, params, state, grads


def _closed_form(update, p, grads, kw):
    """The same steps in float64, written from the textbook recurrences."""
    p = p.astype(np.float64)
    a = np.zeros_like(p)  # velocity / first moment
    s = np.zeros_like(p)  # second moment / momentum buffer
    for t, g in enumerate(grads, start=1):
        g = g.astype(np.float64)
        if update == "sgd_update":
            mu = kw.get("momentum", 0.0)
            a = mu * a - kw["lr"] * g
            if kw.get("nesterov"):
                p = p + mu * a - kw["lr"] * g
            elif mu:
                p = p + a
            else:
                p = p - kw["lr"] * g
        elif update == "adam_update":
            b1, b2, lr = kw["beta_1"], kw["beta_2"], kw["lr"]
            p = p * (1 - kw.get("weight_decay", 0.0) * lr)
            a = b1 * a + (1 - b1) * g
            s = b2 * s + (1 - b2) * g * g
            p = p - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * a / (np.sqrt(s) + kw["epsilon"])
        else:
            a = kw["rho"] * a + (1 - kw["rho"]) * g * g
            inc = kw["lr"] * g / np.sqrt(a + kw["epsilon"])
            s = kw["momentum"] * s + inc
            p = p - (s if kw["momentum"] else inc)
    return p


OPTIMIZERS = [
    ("sgd_update", ["velocity"], dict(lr=0.1)),
    ("sgd_update", ["velocity"], dict(lr=0.1, momentum=0.9)),
    ("sgd_update", ["velocity"], dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("adam_update", ["m", "v"], dict(lr=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-7)),
    ("adam_update", ["m", "v"], dict(lr=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                                     weight_decay=0.004)),
    ("rmsprop_update", ["velocity", "momentum_buf"],
     dict(lr=0.01, rho=0.9, momentum=0.0, epsilon=1e-7)),
    ("rmsprop_update", ["velocity", "momentum_buf"],
     dict(lr=0.01, rho=0.9, momentum=0.9, epsilon=1e-7)),
]
OPT_IDS = ["sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop", "rmsprop-momentum"]


@pytest.mark.parametrize("update,state,kw", OPTIMIZERS, ids=OPT_IDS)
def test_optimizer_matches_closed_form(ops, update, state, kw):
    start, params, _, grads = _run(ops, update, state, **kw)
    expected = _closed_form(update, start, grads, kw)
    # float32 state over STEPS steps: a few roundings per step of O(1) values.
    np.testing.assert_allclose(params, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("update,state,kw", OPTIMIZERS, ids=OPT_IDS)
def test_optimizer_matches_reference_exactly(cy, update, state, kw):
    params, st = _run(cy, update, state, **kw)[1:3]
    params_ref, st_ref = _run(REF, update, state, **kw)[1:3]
    np.testing.assert_array_equal(params, params_ref)
    for name in state:
        np.testing.assert_array_equal(st[name], st_ref[name])


def test_sgd_without_velocity(ops):
    p, g = np.ones(3, F32), np.full(3, 2.0, F32)
    ops.sgd_update(p, g, None, 0.25)
    np.testing.assert_array_equal(p, np.full(3, 0.5, F32))


# ------------------------------------------------- wrapper argument checks
def _bad_calls(cy):
    x = np.zeros((4, 3), F32)
    W = np.zeros((3, 2), F32)
    out = np.zeros((4, 2), F32)
    readonly = np.zeros((4, 3), F32)
    readonly.flags.writeable = False
    p = np.zeros(5, F32)
    return [
        (TypeError, "out", lambda: cy.relu_forward(x, np.zeros((4, 3)))),
        (ValueError, "out", lambda: cy.relu_forward(x, np.zeros((4, 2), F32))),
        (ValueError, "out", lambda: cy.relu_forward(x, np.zeros((3, 4), F32).T)),
        (ValueError, "out", lambda: cy.relu_forward(x, readonly)),
        (TypeError, "out", lambda: cy.relu_forward(x, [0.0] * 12)),
        (ValueError, "b", lambda: cy.dense_forward(x, W, np.zeros(3, F32), "relu", out)),
        (ValueError, "dy", lambda: cy.dense_backward(x, W, out, np.zeros((2, 4), F32).T, "relu",
                                                     np.zeros((3, 2), F32), None)),
        (ValueError, "db", lambda: cy.dense_backward(x, W, out, out.copy(), "relu",
                                                     np.zeros((3, 2), F32), np.zeros(3, F32))),
        (ValueError, "x", lambda: cy.softmax(np.zeros(3, F32), np.zeros(3, F32))),
        (ValueError, "column", lambda: cy.softmax(np.zeros((2, 0), F32), np.zeros((2, 0), F32))),
        (ValueError, "dlogits", lambda: cy.softmax_xent_dense(x, x, np.zeros((4, 2), F32))),
        (ValueError, "labels", lambda: cy.softmax_xent_sparse(x, np.zeros(3, np.int32), None)),
        (TypeError, "mask", lambda: cy.dropout_mask(1, 1, 0.5, np.zeros((2, 2), F32))),
        (ValueError, "mask", lambda: cy.dropout_forward(x, 0.5, 1, 1, np.zeros(12, np.uint8),
                                                        np.zeros_like(x))),
        (TypeError, "velocity", lambda: cy.sgd_update(p, p, None, 0.1, momentum=0.9)),
        (ValueError, "m", lambda: cy.adam_update(p, p, np.zeros(4, F32), p.copy(), 0.1, 0.9,
                                                 0.999, 1e-7, 1)),
        (TypeError, "params", lambda: cy.rmsprop_update(np.zeros(5), p, p.copy(), None, 0.1,
                                                        0.9, 0.0, 1e-7)),
        (ValueError, "targets", lambda: cy.count_correct_dense(x, np.zeros((4, 2), F32))),
    ]


def test_wrappers_reject_bad_arguments(cy):
    for exc, name, call in _bad_calls(cy):
        with pytest.raises(exc, match=name):
            call()


def test_philox_block_rejects_bad_lengths(cy):
    from fastmlp.backend import _kernels

    with pytest.raises(ValueError, match="counter"):
        _kernels.philox_block((0, 0, 0), (0, 0))
