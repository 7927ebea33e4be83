import numpy as np
import pytest

import fastmlp
import model_builders
from compiled_extension import missing
from fastmlp.backend import CompiledExtensionMissing

# CI's rule for skips (FASTMLP_STRICT_SKIPS=1): tests/skip_policy.py
pytest_plugins = ["skip_policy"]


def _skip_unless_available(name):
    try:
        fastmlp.backend.get_ops(name)
    except CompiledExtensionMissing as exc:
        missing(str(exc))  # a failure under FASTMLP_REQUIRE_COMPILED=1


@pytest.fixture(params=["numpy", "cython"])
def backend(request):
    """Run a test on each CPU backend, restoring the previous one afterwards."""
    _skip_unless_available(request.param)
    with fastmlp.backend.use_backend(request.param):
        yield request.param


@pytest.fixture
def cython_backend():
    """Run a test on the compiled backend (skipped where it is not built, failed
    there under FASTMLP_REQUIRE_COMPILED=1: see compiled_extension.py)."""
    _skip_unless_available("cython")
    with fastmlp.backend.use_backend("cython"):
        yield "cython"


@pytest.fixture
def both_backends():
    """For tests that compare the NumPy and the compiled backend: skipped where
    the compiled one is not built (failed under FASTMLP_REQUIRE_COMPILED=1).
    Yields the two names."""
    _skip_unless_available("cython")
    return ("numpy", "cython")


@pytest.fixture
def small_data():
    """A small, learnable 3-class problem."""
    rng = np.random.default_rng(0)
    centers = rng.normal(0, 3, size=(3, 20))
    y = rng.integers(0, 3, size=240)
    x = (centers[y] + rng.normal(0, 1, size=(240, 20))).astype(np.float32)
    return x, y


@pytest.fixture
def tiny_data():
    """64 samples of 4 features, 2 classes (noise: for callbacks and schedules)."""
    rng = np.random.default_rng(0)
    return rng.normal(size=(64, 4)).astype(np.float32), rng.integers(0, 2, size=64)


# The model builders of tests/model_builders.py, as fixtures.
@pytest.fixture
def mlp():
    return model_builders.mlp


@pytest.fixture
def seed_model():
    return model_builders.seed_model


@pytest.fixture
def compiled():
    return model_builders.compiled


@pytest.fixture
def tiny_model():
    return model_builders.tiny_model
