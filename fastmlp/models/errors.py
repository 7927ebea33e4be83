"""The error a model file that cannot be read raises (fastmlp's format and Keras's alike)."""


class ModelFileError(ValueError):
    """A model file that is not a readable fastmlp model."""
