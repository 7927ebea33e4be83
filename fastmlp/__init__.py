"""fastmlp: a small, fast Keras-like framework for multilayer perceptrons."""

__version__ = "0.1.0"

from . import backend  # noqa: E402,F401
