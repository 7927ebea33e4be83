"""Models: Sequential, the functional Model, and loading saved models."""

from .engine import Model
from .saving import ModelFileError, load_model
from .sequential import Sequential

__all__ = ["Model", "ModelFileError", "Sequential", "load_model"]
