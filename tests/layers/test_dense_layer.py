"""Dense: argument checks."""

import pytest

import fastmlp


@pytest.mark.parametrize("make,error", [
    (lambda: fastmlp.layers.Dense(0), ValueError),
    (lambda: fastmlp.layers.Dense(-3), ValueError),
    (lambda: fastmlp.layers.Dense(2.5), TypeError),
    (lambda: fastmlp.layers.Dense(4, activation="swishy"), ValueError),
])
def test_bad_dense_arguments_raise(make, error):
    with pytest.raises(error):
        make()
