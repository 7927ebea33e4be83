import numpy as np
import pytest

import fastmlp
from fastmlp.backend import CompiledExtensionMissing


@pytest.fixture(params=["numpy", "cython"])
def backend(request):
    """Run a test on each CPU backend, restoring the previous one afterwards."""
    try:
        fastmlp.backend.get_ops(request.param)
    except CompiledExtensionMissing as exc:
        pytest.skip(str(exc))
    with fastmlp.backend.use_backend(request.param):
        yield request.param


@pytest.fixture
def small_data():
    """A small, learnable 3-class problem."""
    rng = np.random.default_rng(0)
    centers = rng.normal(0, 3, size=(3, 20))
    y = rng.integers(0, 3, size=240)
    x = (centers[y] + rng.normal(0, 1, size=(240, 20))).astype(np.float32)
    return x, y
