"""fastmlp.ops: the public kernel entry points and the keras.ops-style helpers."""

import numpy as np
import pytest

import fastmlp
from fastmlp import ops


def test_softmax_any_axis_and_rank(backend):
    x = np.random.default_rng(0).normal(size=(2, 3, 4)) * 50
    for axis in (-1, 0, 1):
        p = ops.softmax(x, axis=axis)
        assert p.dtype == np.float32 and p.shape == x.shape
        np.testing.assert_allclose(p.sum(axis=axis), 1.0, rtol=1e-5)
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        np.testing.assert_allclose(p, e / e.sum(axis=axis, keepdims=True), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(np.exp(ops.log_softmax(x)), ops.softmax(x), rtol=1e-4, atol=1e-7)


def test_dense_and_fused_losses(backend):
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(5, 7)), rng.normal(size=(7, 3)), rng.normal(size=3)
    np.testing.assert_allclose(ops.dense(x, w, b, "relu"), np.maximum(x @ w + b, 0), rtol=1e-5, atol=1e-5)
    logits = rng.normal(size=(5, 3))
    labels = np.array([0, 2, 1, 1, 0])
    loss, grad = ops.sparse_softmax_cross_entropy(logits, labels)
    dense_loss, dense_grad = ops.softmax_cross_entropy(logits, fastmlp.utils.to_categorical(labels, 3))
    assert loss == pytest.approx(dense_loss, rel=1e-6)
    np.testing.assert_allclose(grad, dense_grad, rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="label 3 at row 0"):
        ops.sparse_softmax_cross_entropy(logits, [3, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="features"):
        ops.dense(x, w[:6])


def test_dropout_entry_point(backend):
    out, mask = ops.dropout(np.ones((40, 50)), 0.5, seed=3, step=1)
    assert mask.dtype == np.uint8
    np.testing.assert_array_equal(out, mask * np.float32(2.0))
    again, _ = ops.dropout(np.ones((40, 50)), 0.5, seed=3, step=1)
    np.testing.assert_array_equal(out, again)
    with pytest.raises(ValueError, match="rate"):
        ops.dropout(np.ones(3), 1.0, seed=0)


def test_keras_style_helpers():
    x = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    np.testing.assert_array_equal(ops.argmax(x, axis=1), [1, 0])
    np.testing.assert_array_equal(ops.one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    assert ops.convert_to_numpy(ops.ones((2, 2))).sum() == 4
    assert float(ops.mean(x)) == pytest.approx(3.0)
    assert ops.expand_dims(x, 0).shape == (1, 2, 3)
    with pytest.raises(ValueError, match="label 3"):
        ops.one_hot(np.array([3]), 3)
