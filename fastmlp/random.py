"""The global seeded generator behind initialisation, shuffling and dropout seeds.

:func:`fastmlp.utils.set_random_seed` reseeds it; without that it starts from
fresh OS entropy, so unseeded runs differ as they do in Keras.
"""

import numpy as np

_generator = np.random.default_rng()


def seed(value):
    """Reseed the global generator."""
    global _generator
    _generator = np.random.default_rng(value)


def generator():
    """The global ``numpy.random.Generator``."""
    return _generator


def draw_seed():
    """A fresh 63-bit seed for a layer or a model's own counter-based streams."""
    return int(_generator.integers(0, 2**63 - 1))
