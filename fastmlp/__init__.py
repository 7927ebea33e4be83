"""fastmlp: a small, fast Keras-like framework for multilayer perceptrons.

Write Keras programs with ``fastmlp.`` in place of ``keras.``::

    model = fastmlp.Sequential([
        fastmlp.layers.Flatten(input_shape=(28, 28)),
        fastmlp.layers.Dense(128, activation="relu"),
        fastmlp.layers.Dropout(0.2),
        fastmlp.layers.Dense(10),
    ])
"""

from .version import __version__  # noqa: F401

from . import (  # noqa: E402
    activations, backend, callbacks, initializers, layers, losses, metrics, models, ops,
    optimizers, regularizers, saving, utils,
)
from .layers import Input  # noqa: E402
from .models import Model, Sequential, load_model  # noqa: E402

__all__ = [
    "Input", "Model", "Sequential", "activations", "backend", "callbacks", "datasets",
    "initializers", "layers", "load_model", "losses", "metrics", "models", "ops", "optimizers",
    "regularizers", "saving", "utils",
]


def __getattr__(name):
    # The dataset loaders are imported on first use, keeping `import fastmlp` quick.
    if name in ("datasets", "wrappers"):  # wrappers import scikit-learn, an optional extra
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'fastmlp' has no attribute {name!r}")
