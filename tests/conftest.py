import numpy as np
import pytest

import fastmlp
from fastmlp.backend import CompiledExtensionMissing


@pytest.fixture(params=["numpy", "cython"])
def backend(request):
    """Run a test on each CPU backend, restoring the previous one afterwards."""
    previous = fastmlp.backend.backend()
    try:
        fastmlp.backend.set_backend(request.param)
    except CompiledExtensionMissing as exc:
        pytest.skip(str(exc))
    yield request.param
    fastmlp.backend.set_backend(previous)


@pytest.fixture
def small_data():
    """A small, learnable 3-class problem."""
    rng = np.random.default_rng(0)
    centers = rng.normal(0, 3, size=(3, 20))
    y = rng.integers(0, 3, size=240)
    x = (centers[y] + rng.normal(0, 1, size=(240, 20))).astype(np.float32)
    return x, y
