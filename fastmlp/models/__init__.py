"""Models: Sequential, the functional Model, and loading saved models."""

from .engine import Model
from .saving import ModelFileError, load_model
from .sequential import Sequential


def model_from_json(json_string):
    """A new model (freshly initialised) from the architecture ``to_json`` wrote."""
    import json
    from ..layers import deserialize
    return deserialize(json.loads(json_string))


__all__ = ["Model", "ModelFileError", "Sequential", "load_model", "model_from_json"]
