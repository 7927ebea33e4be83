"""fastmlp.utils.validation: the shared input checks, message by message."""

import numpy as np
import pytest

from fastmlp.utils import validation


@pytest.mark.parametrize("value, error, message", [
    (None, TypeError, "x is None"),
    ("abc", TypeError, "got a string"),
    (np.array([["a"]]), TypeError, "x must be numeric, got dtype <U1"),
    (np.zeros(3), ValueError, r"batch axis first; got shape \(3,\). For a single sample use x\[None\]"),
    (np.zeros((0, 3)), ValueError, r"x is an empty batch \(shape \(0, 3\)\)"),
    (np.zeros((2, 4)), ValueError, r"x expects samples of shape \(3,\), got \(4,\)"),
])
def test_check_batch_names_the_problem(value, error, message):
    with pytest.raises(error, match=message):
        validation.check_batch(value, "x", expected_shape=(3,))


def test_check_batch_passes_arrays_through_uncopied():
    x = np.zeros((2, 3), dtype=np.uint8)
    assert validation.check_batch(x, "x", (3,)) is x
    assert validation.check_batch([[1, 2, 3]], "x").shape == (1, 3)


def test_check_finite_scans_in_blocks_and_names_the_argument():
    x = np.zeros((validation.FINITE_CHECK_ROWS * 2 + 3, 2), dtype=np.float32)
    validation.check_finite(x, "x")
    x[-1, 1] = np.inf
    with pytest.raises(ValueError, match="x holds NaN or infinity"):
        validation.check_finite(x, "x")
    validation.check_finite(np.zeros((3, 2), dtype=np.int64), "labels")  # integers are always finite


def test_check_float_targets():
    assert validation.check_float_targets([1, 2], 1, "y").shape == (2, 1)
    assert validation.check_float_targets(np.eye(2, dtype=bool), 2, "y").dtype == np.float32
    with pytest.raises(ValueError, match=r"y must have shape \(n, 3\)"):
        validation.check_float_targets(np.zeros((2, 2)), 3, "y")
    with pytest.raises(ValueError, match="y holds NaN"):
        validation.check_float_targets([[np.nan]], 1, "y")
    with pytest.raises(TypeError, match="y must be numeric"):
        validation.check_float_targets(np.array([["a"]]), 1, "y")


def test_check_predictions():
    assert validation.check_predictions([0.5, 0.25]).shape == (2, 1)
    assert validation.check_predictions(np.zeros((0, 2)), allow_empty=True).shape == (0, 2)
    with pytest.raises(ValueError, match="non-empty"):
        validation.check_predictions(np.zeros((0, 2)))
    with pytest.raises(TypeError, match="real numbers"):
        validation.check_predictions(np.array(["x"]))


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "3", None])
def test_check_positive_int_refuses(value):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        validation.check_positive_int(value, "batch_size")


def test_normalize_shape():
    assert validation.normalize_shape(5) == (5,)
    assert validation.normalize_shape([28, np.int64(28)]) == (28, 28)
    with pytest.raises(TypeError):
        validation.normalize_shape(None)
    for bad in [(), (0,), (3, -1), (True,)]:
        with pytest.raises(ValueError):
            validation.normalize_shape(bad)


def test_check_same_length():
    validation.check_same_length(3, 3, "x", "y")
    with pytest.raises(ValueError, match="x has 3 samples but y has 4"):
        validation.check_same_length(3, 4, "x", "y")
