"""fastmlp.utils: to_categorical, normalize, set_random_seed."""

import numpy as np
import pytest

import fastmlp


def test_normalize_rows_to_unit_l2_norm():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 0.0]])
    out = fastmlp.utils.normalize(x, axis=1)
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0], [1.0, 0.0]])
    images = np.random.default_rng(0).integers(0, 256, size=(4, 28, 28)).astype(np.float64)
    out = fastmlp.utils.normalize(images, axis=1)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(fastmlp.utils.normalize(x, axis=1, order=1).sum(axis=1), [1, 0, 1])


def test_to_categorical():
    out = fastmlp.utils.to_categorical([2, 0, 1])
    np.testing.assert_array_equal(out, np.eye(3)[[2, 0, 1]])
    assert out.dtype == np.float32
    assert fastmlp.utils.to_categorical(np.array([[1], [0]]), 4).shape == (2, 4)
    with pytest.raises(ValueError, match="outside"):
        fastmlp.utils.to_categorical([5], 3)


def test_set_random_seed_repeats_initialisation():
    fastmlp.utils.set_random_seed(123)
    a = fastmlp.layers.Dense(3)(np.ones((1, 4)))
    fastmlp.utils.set_random_seed(123)
    b = fastmlp.layers.Dense(3)(np.ones((1, 4)))
    np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError):
        fastmlp.utils.set_random_seed(1.5)
