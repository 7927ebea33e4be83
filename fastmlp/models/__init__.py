"""Models: Sequential, the functional Model, and loading saved models."""

from .engine import Model
from .saving import ModelFileError, load_model
from .sequential import Sequential


def model_from_json(json_string):
    """A new model (freshly initialised) from the architecture ``to_json`` wrote.

    Args:
        json_string: the text :meth:`Model.to_json` returned; classes are
            looked up among fastmlp's layers and models only.

    Returns:
        A new model, built when the architecture records its input shape.

    Raises:
        json.JSONDecodeError: text that is not JSON (a ValueError).
        ValueError: an unknown class, an entry that is not a mapping, or a
            model entry without its list of ``layers``.

    Example:
        >>> model = fastmlp.Sequential([fastmlp.Input((4,)), fastmlp.layers.Dense(2)])
        >>> copy = fastmlp.models.model_from_json(model.to_json())
        >>> copy.output_shape_, len(copy.layers)
        ((2,), 1)
    """
    import json
    from ..layers import deserialize
    return deserialize(json.loads(json_string))


__all__ = ["Model", "ModelFileError", "Sequential", "load_model", "model_from_json"]
