"""Layers with Keras's names."""

from ..utils.registry import serialize
from .activation import Activation, LeakyReLU, ReLU, Softmax
from .dense import Dense
from .dropout import Dropout
from .input_layer import Input, InputLayer
from .layer import LAYERS, Layer, SymbolicTensor
from .layer_normalization import LayerNormalization
from .noise import GaussianDropout, GaussianNoise
from .normalization import BatchNormalization
from .preprocessing import Normalization
from .reshaping import Flatten, Identity, Rescaling, Reshape
from .variable import Variable


def deserialize(spec):
    """A layer (or a model) from ``{"class_name": ..., "config": ...}``.

    Args:
        spec: what :func:`serialize` wrote; the class is looked up among
            fastmlp's layer classes (models included), never imported.

    Returns:
        A new, unbuilt layer.

    Raises:
        ValueError: a ``spec`` that is not a mapping, an unknown class name,
            or a ``"config"`` entry that is not a mapping (and the class's
            own argument checks).
        TypeError: arguments the class does not take, or misses.

    Example:
        >>> spec = fastmlp.layers.serialize(fastmlp.layers.Dense(2, name="out"))
        >>> spec["class_name"], spec["config"]["units"]
        ('Dense', 2)
        >>> fastmlp.layers.deserialize(spec).name
        'out'
    """
    return LAYERS.deserialize(spec)


__all__ = ["Activation", "BatchNormalization", "Dense", "Dropout", "Flatten", "GaussianDropout", "GaussianNoise",
           "Identity", "Input", "InputLayer", "Layer", "LayerNormalization", "LeakyReLU", "Normalization", "ReLU",
           "Rescaling", "Reshape", "Softmax", "SymbolicTensor", "Variable", "deserialize", "serialize"]
