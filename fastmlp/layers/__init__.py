"""Layers with Keras's names."""

from ..utils import config as _config
from .activation import Activation, LeakyReLU, ReLU, Softmax
from .dense import Dense
from .dropout import Dropout
from .layer import Layer
from .normalization import BatchNormalization
from .reshaping import Flatten, InputLayer, Rescaling, Reshape


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None):
    """A symbolic input of per-sample ``shape`` (see :func:`fastmlp.Input`)."""
    from ..models.engine import Input as _input
    return _input(shape=shape, batch_size=batch_size, dtype=dtype, name=name, batch_shape=batch_shape)


def _classes():
    from ..models import Model, Sequential
    return {cls.__name__: cls for cls in (Activation, BatchNormalization, Dense, Dropout, Flatten, InputLayer,
                                          LeakyReLU, ReLU, Rescaling, Reshape, Softmax, Sequential, Model)}


def deserialize(spec):
    """A layer (or model) from ``{"class_name": ..., "config": ...}``."""
    return _config.deserialize(spec, _classes(), "layer class")


serialize = _config.serialize


__all__ = ["Activation", "BatchNormalization", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "Layer",
           "LeakyReLU", "ReLU", "Rescaling", "Reshape", "Softmax", "deserialize", "serialize"]
