"""``Model.export``: a built model as an inference artifact.

Keras 3 knows five formats; fastmlp writes ONNX, the one a dense model
needs no framework for (onnxruntime runs it anywhere).
"""

#: Keras 3.15's formats, in its order (``Model.export``'s error lists them)
KERAS_FORMATS = ("tf_saved_model", "onnx", "openvino", "litert", "torch")
SUPPORTED_FORMATS = ("onnx",)


def export_model(model, filepath, format="tf_saved_model", verbose=None, input_signature=None, **kwargs):
    """Write ``model`` for inference in ``format``; see :meth:`fastmlp.Model.export`.

    Args:
        model: a fastmlp model.
        filepath: the file to write.
        format: ``"onnx"`` (Keras's other formats are refused).
        verbose: print where the file went (Keras's default: yes).
        input_signature: None, or one spec (or shape) ``(batch, *input_shape)``
            whose batch size is None (dynamic) or fixed.
        **kwargs: ``opset_version`` for ONNX.

    Raises:
        ValueError: an unknown format, an unbuilt model, a signature that does
            not fit the model, or a bad ``opset_version``.
        NotImplementedError: a Keras format fastmlp does not write, or a
            layer without an ONNX mapping.
        FileNotFoundError: ``filepath``'s folder does not exist.
        ImportError: the ``onnx`` package is missing.
    """
    if format not in KERAS_FORMATS:
        raise ValueError(f"Unrecognized format={format}. Supported formats are: {list(SUPPORTED_FORMATS)} "
                         f"(Keras also knows {[f for f in KERAS_FORMATS if f not in SUPPORTED_FORMATS]}, "
                         f"which fastmlp does not write).")
    if format not in SUPPORTED_FORMATS:
        raise NotImplementedError(f"fastmlp cannot export format={format!r}; it writes "
                                  f"{' and '.join(repr(f) for f in SUPPORTED_FORMATS)}: "
                                  f"model.export(filepath, format='onnx')")
    if not model.built:
        # Keras 3.15's message for an unbuilt model
        raise ValueError("The model provided has not yet been built. It must be built before export.")
    unknown = sorted(set(kwargs) - {"opset_version"})
    if unknown:
        raise TypeError(f"export(format='onnx') got unexpected keyword argument(s): {', '.join(unknown)}")
    from .onnx_export import export_onnx
    export_onnx(model, filepath, opset_version=kwargs.get("opset_version"),
                batch_size=_batch_size(model, input_signature))
    if verbose is None or verbose:
        print(f"Saved artifact at '{filepath}'.")  # Keras's message


def _batch_size(model, input_signature):
    """The fixed batch size ``input_signature`` asks for, or None (dynamic)."""
    if input_signature is None:
        return None
    spec = input_signature
    if isinstance(spec, (list, tuple)) and len(spec) == 1 and not isinstance(spec[0], int):
        spec = spec[0]  # Keras passes a list of one spec per input
    shape = getattr(spec, "shape", spec)
    try:
        shape = tuple(shape)
    except TypeError:
        shape = None
    expected = (None,) + model.input_shape_
    if not shape or shape[1:] != expected[1:]:
        raise ValueError(f"input_signature must describe model {model.name!r}'s input {expected}, "
                         f"got {input_signature!r}")
    batch = shape[0]
    if batch is not None and (isinstance(batch, bool) or not isinstance(batch, int) or batch <= 0):
        raise ValueError(f"input_signature's batch size must be None (dynamic) or a positive integer, got {batch!r}")
    return batch
