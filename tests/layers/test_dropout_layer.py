"""Dropout: argument checks, and the same masks on each backend."""

import numpy as np
import pytest

import fastmlp


@pytest.mark.parametrize("rate", [1.0, -0.1])
def test_bad_dropout_rate_raises(rate):
    with pytest.raises(ValueError):
        fastmlp.layers.Dropout(rate)


def test_dropout_masks_identical_across_backends(both_backends):
    x = np.ones((64, 50), dtype=np.float32)
    outs = []
    for name in both_backends:
        with fastmlp.backend.use_backend(name):
            layer = fastmlp.layers.Dropout(0.3, seed=1234)
            outs.append([layer(x, training=True) for _ in range(3)])
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(outs[0][0], outs[0][1])  # a new mask each step
