"""Keras's ``keras.saving`` names for the one-file model format."""

from .models.saving import ModelFileError, load_model, save_model

__all__ = ["ModelFileError", "load_model", "save_model"]
