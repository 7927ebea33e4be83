"""The input of a model: ``InputLayer`` and Keras's ``Input`` function."""

from __future__ import annotations

from typing import Any

from ..utils.types import Shape
from ..utils.validation import normalize_shape
from .layer import Layer, SymbolicTensor


class InputLayer(Layer):
    """Declares the per-sample input shape of a model; it has no computation.

    Args:
        shape: the per-sample shape, e.g. ``(784,)``.
        input_shape: Keras 2's name for ``shape`` (used when ``shape`` is None).
        batch_size: accepted for Keras compatibility; batches may be any size.
        name: the layer's name (None derives one).
        **kwargs: the common layer arguments (``dtype``, ...).

    Raises:
        ValueError: no shape, a shape that is not a tuple of positive
            integers, or a ``dtype`` other than float32.
        TypeError: an unknown keyword argument.

    Example:
        >>> layer = fastmlp.layers.InputLayer(shape=(28, 28))
        >>> layer.get_config()["shape"]
        [28, 28]
    """

    def __init__(self, shape: Shape | None = None, input_shape: Shape | None = None,
                 batch_size: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        shape = shape if shape is not None else input_shape
        if shape is None:
            raise ValueError("InputLayer needs a shape, e.g. InputLayer(shape=(784,))")
        super().__init__(name=name, input_shape=normalize_shape(shape, "shape"), **kwargs)

    def forward(self, x, training=False, logits=False):
        return x

    def backward(self, dy, need_dx=True):
        return dy if need_dx else None

    def get_config(self):
        config = super().get_config()
        config["shape"] = config.pop("input_shape")
        return config


def Input(shape: Shape | None = None, batch_size: int | None = None, dtype: Any = None,
          name: str | None = None, batch_shape: Shape | None = None) -> SymbolicTensor:
    """A symbolic model input: the first element of a ``Sequential``, or the
    start of a functional ``Model``.

    Args:
        shape: the per-sample shape, e.g. ``(784,)``.
        batch_size: accepted for Keras compatibility; batches may be any size.
        dtype: ``None`` or ``"float32"`` (fastmlp computes in float32).
        name: the input layer's name.
        batch_shape: the shape with the batch axis first, instead of ``shape``.

    Returns:
        A :class:`SymbolicTensor` to call layers on.

    Raises:
        ValueError: no shape, a shape that is not a tuple of positive
            integers, or a ``dtype`` other than float32.

    Example:
        >>> inputs = fastmlp.layers.Input(shape=(4,))
        >>> inputs.shape
        (None, 4)
        >>> fastmlp.layers.Input(batch_shape=(32, 28, 28)).shape
        (None, 28, 28)
    """
    if batch_shape is not None:
        shape = tuple(batch_shape)[1:]
    layer = InputLayer(shape=shape, name=name, dtype=dtype)
    return SymbolicTensor(layer._declared_input_shape, layer)
