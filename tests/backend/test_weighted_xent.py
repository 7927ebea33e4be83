"""The fused softmax cross-entropy with per-row weights and a reduction scale
(``loss = scale * sum_i w_i * loss_i``, gradient rows scaled by ``scale * w_i``)
on every backend -- the compiled CPU kernel, the GPU kernel on the emulated
device (and on a real GPU where there is one) -- against the NumPy reference,
and the reference against the definition in float64.

Tolerances are those of test_kernels.py's unweighted cross-entropy: the
kernels call expf/logf (<= 1 ulp each) and sum in double where the reference
sums in float32 pairwise, so losses agree to rtol 1e-5 and gradients to rtol
1e-5 with an absolute floor of 1e-5 times the largest row coefficient (the
entries that cancel to ~0). The row coefficient ``float32(scale * w_i)`` is
rounded once, the same way, on every backend.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from compiled_extension import compiled_module
from fastmlp.backend.numpy_ops import NumpyOps

F32 = np.float32
REF = NumpyOps()


def _load(name):
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_fastmlp_{name}_for_weighted_xent", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


K = _load("test_kernels")
GPU = _load("test_cupy")


def _inputs(shape, seed=11):
    rng = np.random.default_rng(seed)
    n, c = shape
    logits = K.rand(rng, *shape, scale=3.0)
    labels = rng.integers(0, c, n).astype(np.int32)
    targets = rng.random(shape).astype(F32)
    targets /= targets.sum(1, keepdims=True)
    weights = rng.uniform(-0.5, 2.0, n).astype(F32)  # negative weights pass, as in Keras
    weights[::3] = 0.0
    return logits, labels, targets, weights


SCALES = [None, 1.0, 0.37]


def _compare(ops, to_dev, to_host, shape, scale):
    logits, labels, targets, weights = _inputs(shape)
    n = shape[0]
    coef = np.abs(np.float64(1.0 / n if scale is None else scale) * weights).max() + 1e-30
    for name, y in (("softmax_xent_sparse", labels), ("softmax_xent_dense", targets)):
        for w in (None, weights):
            d_ref = K.empty(shape)
            loss_ref = getattr(REF, name)(logits, y, d_ref, w, scale)
            d = to_dev(K.empty(shape))
            loss = getattr(ops, name)(to_dev(logits), to_dev(y), d, to_dev(w), scale)
            assert isinstance(loss, float)
            assert loss == pytest.approx(loss_ref, rel=1e-5, abs=1e-6), (name, w is None)
            np.testing.assert_allclose(to_host(d), d_ref, rtol=1e-5, atol=1e-5 * coef)
            assert getattr(ops, name)(to_dev(logits), to_dev(y), None, to_dev(w), scale) == loss


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("shape", K.SHAPES)
def test_cpu_weighted_xent_matches_reference(shape, scale):
    ops = K._ops("cython")
    _compare(ops, lambda a: a, lambda a: a, shape, scale)


@pytest.mark.parametrize("kind", ["emulated", "cuda"])
@pytest.mark.parametrize("shape", [(1, 1), (1, 10), (3, 7), (33, 785)])
def test_gpu_weighted_xent_matches_reference(kind, shape):
    gpu = GPU._make_gpu(kind)
    _compare(gpu, lambda a: GPU._dev(gpu, a), lambda a: GPU._host(gpu, a), shape, 0.37)


def test_reference_is_the_definition():
    """The reference against the formula, in float64: scale * sum w_i * loss_i."""
    logits, labels, targets, weights = _inputs((9, 5))
    x = logits.astype(np.float64)
    logp = x - x.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    w = weights.astype(np.float64)
    for name, onehot in (("softmax_xent_sparse", np.eye(5)[labels]), ("softmax_xent_dense", targets)):
        y = labels if name == "softmax_xent_sparse" else targets
        d = K.empty(logits.shape)
        loss = getattr(REF, name)(logits, y, d, weights, 0.25)
        assert loss == pytest.approx(0.25 * (w * -(onehot * logp).sum(1)).sum(), rel=1e-6)
        expected = (np.exp(logp) * onehot.sum(1, keepdims=True) - onehot) * (0.25 * w)[:, None]
        np.testing.assert_allclose(d, expected, rtol=1e-5, atol=1e-7)


def test_unweighted_default_is_the_mean():
    logits, labels, _, _ = _inputs((6, 4))
    ops = K._ops("cython")
    assert ops.softmax_xent_sparse(logits, labels, None) == pytest.approx(
        ops.softmax_xent_sparse(logits, labels, None, np.ones(6, F32), 1 / 6), rel=1e-7)


def test_noncontiguous_inputs():
    ops = K._ops("cython")
    logits, labels, targets, weights = _inputs((10, 33))
    wide_w = np.repeat(weights, 2)[::2]
    d, d_ref = K.empty(logits.shape), K.empty(logits.shape)
    loss = ops.softmax_xent_dense(np.asfortranarray(logits), np.repeat(targets, 2, 1)[:, ::2], d,
                                  wide_w, 0.5)
    assert loss == pytest.approx(REF.softmax_xent_dense(logits, targets, d_ref, weights, 0.5), rel=1e-6)
    np.testing.assert_allclose(d, d_ref, rtol=1e-5, atol=1e-7)
    loss = ops.softmax_xent_sparse(logits, labels.astype(np.int64), d, wide_w.astype(np.float64), 0.5)
    assert loss == pytest.approx(REF.softmax_xent_sparse(logits, labels, d_ref, weights, 0.5), rel=1e-6)


def test_weights_checked_before_the_kernel():
    _kernels = compiled_module("_kernels")
    logits, labels, _, weights = _inputs((5, 3))
    with pytest.raises(ValueError, match=r"weights must have shape \(5,\)"):
        _kernels.softmax_xent_sparse(logits, labels, None, weights[:4], 1.0)
    with pytest.raises(ValueError, match=r"weights must have shape \(5,\)"):
        _kernels.softmax_xent_sparse(logits, labels, None, weights[:, None], 1.0)
    with pytest.raises(TypeError):
        _kernels.softmax_xent_sparse(logits, labels, None, weights.astype(np.float64), 1.0)
    gpu = GPU._make_gpu("emulated")
    with pytest.raises(ValueError, match=r"weights must have shape \(5,\)"):
        gpu.softmax_xent_dense(logits, logits, None, weights[:4], 1.0)

