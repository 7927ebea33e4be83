"""Layers with Keras's names."""

from .activation import Activation, ReLU, Softmax
from .dense import Dense
from .dropout import Dropout
from .layer import Layer
from .reshaping import Flatten, InputLayer, Rescaling


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None):
    """A symbolic input of per-sample ``shape`` (see :func:`fastmlp.Input`)."""
    from ..models.engine import Input as _input
    return _input(shape=shape, batch_size=batch_size, dtype=dtype, name=name, batch_shape=batch_shape)


def _classes():
    from ..models import Model, Sequential
    return {cls.__name__: cls for cls in (Activation, Dense, Dropout, Flatten, InputLayer, ReLU,
                                          Rescaling, Softmax, Sequential, Model)}


def deserialize(spec):
    """A layer (or model) from ``{"class_name": ..., "config": ...}``."""
    cls = _classes().get(spec.get("class_name"))
    if cls is None:
        raise ValueError(f"unknown layer class {spec.get('class_name')!r}")
    return cls.from_config(dict(spec["config"]))


def serialize(layer):
    """``{"class_name": ..., "config": ...}`` for a layer."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


__all__ = ["Activation", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "Layer", "ReLU",
           "Rescaling", "Softmax", "deserialize", "serialize"]
