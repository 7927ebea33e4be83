"""gelu, silu, relu6, hard_sigmoid and exponential: the compiled kernels against
the NumPy reference, and the reference's derivatives against float64 central
differences.

Tolerances (float32, eps = 2**-23 ~ 1.2e-7):

* relu6 forward and backward are comparisons and one multiply: bit for bit;
* gelu calls erfcf (a few ulp) where the reference evaluates erfc in float64
  (relative error < 1.2e-7) and rounds once; silu calls expf (1 ulp) where the
  reference uses NumPy's exp with another operation order: a handful of ulp,
  so rtol 1e-6;
* in gelu's left tail the float32 rounding of the argument u = -x / sqrt 2
  (relative eps) moves erfc(u) ~ exp(-u**2) by a relative 2 u**2 eps = x**2 eps
  (the same for the exp(-x**2 / 2) of its derivative): a conditioning error of
  float32 itself, so gelu's rtol grows by x**2 * eps (values there are < 1e-20),
  and results below float32's smallest normal (subnormal, or flushed to 0) are
  compared with that as absolute tolerance;
* the gelu and silu derivatives are sums of O(1) terms that cancel where the
  derivative crosses zero (x ~ -0.75 and -1.28), so there an error of a few ulp
  of the terms is what is left: atol 1e-6 * |dy| on top of rtol 1e-6;
* the reference's backward against float64 central differences of its forward
  (h = 1e-3 on O(1) data, truncation ~h**2, float32 rounding of the forward
  ~eps/h): rtol 1e-3, atol 1e-4, away from the kinks of relu6/hard_sigmoid.
"""

import numpy as np
import pytest

from compiled_extension import compiled_ops
from fastmlp.backend.numpy_ops import NumpyOps

REF = NumpyOps()
COMPILED = ["gelu", "silu", "relu6"]
FROM_INPUT = {"gelu", "silu"}  # backward takes x, not y
# (batch, features): batch 1, odd sizes, a hidden layer's size.
SHAPES = [(1, 1), (1, 10), (3, 7), (33, 785), (32, 128), (256, 128)]


@pytest.fixture
def cython():
    # where not built: a skip, or a failure under FASTMLP_REQUIRE_COMPILED=1
    return compiled_ops()


def _data(shape, seed):
    rng = np.random.default_rng(seed)
    # Spread over relu6's and gelu's interesting range, with exact zeros and
    # the clipping points of relu6 in it.
    x = (rng.standard_normal(shape) * 4).astype(np.float32)
    x.flat[::11] = 0.0
    x.flat[5::13] = 6.0
    return x, rng.standard_normal(shape).astype(np.float32)


def _close(name, got, want, x, dy=None):
    """Whether ``got`` is within the tolerance of the module docstring."""
    if name == "relu6":
        return np.array_equal(got, want)
    rtol = 1e-6 + (x.astype(np.float64) ** 2 * 1.2e-7 if name == "gelu" else 0)
    # Below float32's smallest normal (the far left tail of gelu) results are
    # subnormal, with absolute, not relative, precision.
    atol = np.finfo(np.float32).tiny + (0 if dy is None else 1e-6 * np.abs(dy))
    return bool(np.all(np.abs(got.astype(np.float64) - want) <= atol + rtol * np.abs(want)))


@pytest.mark.parametrize("name", COMPILED)
@pytest.mark.parametrize("shape", SHAPES)
def test_compiled_forward_and_backward_match_reference(cython, name, shape):
    x, dy = _data(shape, seed=shape[0] * 1000 + shape[1])
    fwd, bwd = f"{name}_forward", f"{name}_backward"
    want = getattr(REF, fwd)(x, np.empty_like(x))
    got = getattr(cython, fwd)(x, np.empty_like(x))
    assert _close(name, got, want, x)
    src = x if name in FROM_INPUT else want
    want_dx = getattr(REF, bwd)(src, dy, np.empty_like(x))
    got_dx = getattr(cython, bwd)(src, dy, np.empty_like(x))
    assert _close(name, got_dx, want_dx, x, dy)


@pytest.mark.parametrize("name", COMPILED)
def test_compiled_takes_non_contiguous_input(cython, name):
    x, dy = _data((9, 30), seed=3)
    view, dview = x[:5, ::3], dy[::2, ::3][:5]  # strided views
    assert not view.flags.c_contiguous and not dview.flags.c_contiguous
    dense = np.ascontiguousarray(view)
    want = getattr(REF, f"{name}_forward")(dense, np.empty(view.shape, np.float32))
    got = getattr(cython, f"{name}_forward")(view, np.empty(view.shape, np.float32))
    assert _close(name, got, want, dense)
    src = view if name in FROM_INPUT else want
    want_dx = getattr(REF, f"{name}_backward")(np.ascontiguousarray(src), np.ascontiguousarray(dview),
                                               np.empty(view.shape, np.float32))
    got_dx = getattr(cython, f"{name}_backward")(src, dview, np.empty(view.shape, np.float32))
    assert _close(name, got_dx, want_dx, dense, dview)


@pytest.mark.parametrize("name", COMPILED)
def test_compiled_rejects_bad_out_buffers(cython, name):
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match="out must have the shape"):
        getattr(cython, f"{name}_forward")(x, np.empty((3, 2), np.float32))
    with pytest.raises(TypeError, match="out must have dtype"):
        getattr(cython, f"{name}_forward")(x, np.empty((2, 3), np.float64))
    with pytest.raises(ValueError, match="dy must have the shape"):
        getattr(cython, f"{name}_backward")(x, np.ones((2, 2), np.float32), np.empty((2, 3), np.float32))


def test_compiled_nan_propagates(cython):
    x = np.array([[np.nan, -1.0, 7.0]], np.float32)
    for name in COMPILED:
        got = getattr(cython, f"{name}_forward")(x, np.empty_like(x))
        want = getattr(REF, f"{name}_forward")(x, np.empty_like(x))
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))


def test_extreme_inputs_stay_finite(cython):
    x = np.array([[-1e4, -100.0, -30.0, 30.0, 100.0, 1e4]], np.float32)
    dy = np.ones_like(x)
    for ops in (REF, cython):
        for name in COMPILED:
            y = getattr(ops, f"{name}_forward")(x, np.empty_like(x))
            dx = getattr(ops, f"{name}_backward")(x if name in FROM_INPUT else y, dy, np.empty_like(x))
            assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx)), (ops.name, name)
        np.testing.assert_allclose(REF.gelu_forward(x, np.empty_like(x)), [[0, 0, 0, 30, 100, 1e4]],
                                   atol=1e-30)


@pytest.mark.parametrize("name", ["gelu", "silu", "relu6", "hard_sigmoid", "exponential"])
def test_reference_backward_matches_finite_differences(name):
    rng = np.random.default_rng(7)
    x = rng.uniform(-4, 4, size=(5, 9)).astype(np.float32)
    if name in ("relu6", "hard_sigmoid"):  # keep away from the kinks
        kinks = np.array([0.0, 6.0] if name == "relu6" else [-3.0, 3.0])
        x = np.where(np.min(np.abs(x[..., None] - kinks), axis=-1) < 0.05, x + 0.1, x).astype(np.float32)
    dy = rng.standard_normal(x.shape).astype(np.float32)
    fwd = getattr(REF, f"{name}_forward")
    y = fwd(x, np.empty_like(x))
    src = x if name in FROM_INPUT else y
    dx = getattr(REF, f"{name}_backward")(src, dy, np.empty_like(x))
    h = 1e-3
    up = fwd((x + h).astype(np.float32), np.empty_like(x)).astype(np.float64)
    down = fwd((x - h).astype(np.float32), np.empty_like(x)).astype(np.float64)
    # the step actually taken in float32
    step = (x + h).astype(np.float32).astype(np.float64) - (x - h).astype(np.float32).astype(np.float64)
    numeric = dy * (up - down) / step
    np.testing.assert_allclose(dx, numeric, rtol=1e-3, atol=1e-4 * max(1.0, np.abs(y).max() / 10))


def test_reference_erfc_is_accurate():
    import math
    x = np.linspace(-6, 6, 1201)
    want = np.array([math.erfc(v) for v in x])
    got = REF._erfc(x)
    assert np.max(np.abs(got - want) / want) < 1.3e-7  # Numerical Recipes' bound: 1.2e-7
