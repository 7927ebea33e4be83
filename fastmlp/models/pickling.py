"""Pickle and deep-copy support for models, through the model file format.

A model keeps its weights as views into one parameter buffer. Python's default
pickling (and ``copy.deepcopy``) copies each view on its own, so the copy's
layers and its buffer part ways and training the copy changes nothing.
A built model therefore travels as the bytes of its model file instead
(:mod:`fastmlp.models.saving`): architecture, weights, compile settings and
optimizer state, as JSON and raw arrays; rebuilding it runs no code from the
bytes. (Unpickling as such can run code: load pickles only from sources you
trust.)
"""

import os
import tempfile

from ..layers.layer import LAYERS
from .saving import load_model, save_model


def reduce_model(model, protocol):
    """``Model.__reduce_ex__``: an unbuilt model pickles as usual (it holds
    no weights yet); a built one as its file bytes.

    Raises:
        TypeError: when the model is half built, or holds a layer class the
            file format cannot name (a user's class not registered).
    """
    layers = _all_layers(model)
    if not model.built:
        if any(layer.built for layer in layers):
            raise TypeError(f"cannot pickle model {model.name!r}: some of its layers are built and "
                            "it is not; build it first (model.build(input_shape))")
        return object.__reduce_ex__(model, protocol)
    unknown = sorted({type(layer).__name__ for layer in [model] + layers if not LAYERS.holds(type(layer))})
    if unknown:
        raise TypeError(f"cannot pickle model {model.name!r}: a built model pickles as its model file, "
                        f"which cannot name the class(es) {', '.join(unknown)}")
    return model_from_file_bytes, (model_file_bytes(model),)


def _all_layers(model):
    out = []
    for layer in model._layers:
        out.append(layer)
        if hasattr(layer, "leaves"):
            out.extend(_all_layers(layer))
    return out


def model_file_bytes(model):
    """The bytes of ``model.save``'s file for ``model``.

    Args:
        model: a built :class:`fastmlp.Model`.

    Returns:
        ``bytes``, read back by :func:`model_from_file_bytes`.
    """
    with tempfile.TemporaryDirectory(prefix="fastmlp-pickle-") as folder:
        path = os.path.join(folder, "model.fastmlp")
        save_model(model, path)
        with open(path, "rb") as f:
            return f.read()


def model_from_file_bytes(data):
    """The model whose file bytes :func:`model_file_bytes` returned.

    Args:
        data: ``bytes`` of a fastmlp model file.

    Returns:
        A new, built model; compiled (optimizer state included) when the
        saved one was.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"model file bytes must be bytes, got {type(data).__name__}")
    with tempfile.TemporaryDirectory(prefix="fastmlp-pickle-") as folder:
        path = os.path.join(folder, "model.fastmlp")
        with open(path, "wb") as f:
            f.write(data)
        return load_model(path)
