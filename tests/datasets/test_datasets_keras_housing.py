"""Boston and California housing: Keras's shuffle and split on the same files.

Inputs and Keras 3.15's outputs: data/keras_3_15_tiny_datasets.json (see
test_datasets_keras_sequences.py for how they were obtained).
"""

import pytest

from fastmlp.datasets import boston_housing, california_housing
from test_datasets_keras_sequences import BAKED, assert_same_as_keras, write_inputs


@pytest.mark.parametrize("case", range(len(BAKED["keras"]["boston_housing"])))
def test_boston_matches_keras(keras_home, pin, case):
    write_inputs(keras_home, "boston_housing", pin)
    kwargs, expected = BAKED["keras"]["boston_housing"][case]
    assert_same_as_keras(boston_housing.load_data(**kwargs), expected)


@pytest.mark.parametrize("case", range(len(BAKED["keras"]["california_housing"])))
def test_california_matches_keras(keras_home, pin, case):
    write_inputs(keras_home, "california_housing", pin)
    kwargs, expected = BAKED["keras"]["california_housing"][case]
    assert_same_as_keras(california_housing.load_data(**kwargs), expected)


@pytest.mark.parametrize("test_split", [1.0, -0.1, "0.2", True])
def test_bad_test_split(test_split):
    # Checked before any file is looked for (none exists here).
    with pytest.raises(ValueError, match="test_split"):
        boston_housing.load_data(test_split=test_split)
    with pytest.raises(ValueError, match="test_split"):
        california_housing.load_data(test_split=test_split)


def test_bad_version():
    with pytest.raises(ValueError, match="version"):
        california_housing.load_data(version="medium")
