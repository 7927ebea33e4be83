"""Flatten, Reshape, Rescaling and Identity."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .layer import Layer


class Flatten(Layer):
    """Flattens each sample to one dimension: ``(n, 28, 28) -> (n, 784)``.

    Args:
        data_format: accepted for Keras's signature (samples are flattened in
            C order either way).
        **kwargs: the common layer arguments (``name``, ``input_shape``, ...).

    Raises:
        TypeError: an unknown keyword argument.
        ValueError: a ``dtype`` other than float32 or a bad ``input_shape``.

    Example:
        >>> fastmlp.layers.Flatten(input_shape=(28, 28)).compute_output_shape((28, 28))
        (784,)
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape):
        return (math.prod(input_shape),)

    def forward(self, x, training=False, logits=False):
        # Batches reach layers already flat to (n, features).
        return x

    def backward(self, dy, need_dx=True):
        return dy if need_dx else None


class Reshape(Layer):
    """Gives each sample the shape ``target_shape`` (one entry may be -1,
    inferred from the sample's size, as in Keras).

    Args:
        target_shape: the per-sample shape (no batch axis), positive
            integers and at most one -1.
        **kwargs: the common layer arguments (``name``, ``input_shape``, ...).

    Raises:
        ValueError: a size of 0 or below -1, more than one -1, an empty
            shape or an entry that is not an integer; when built, samples
            whose size does not fit ``target_shape``.
        TypeError: a ``target_shape`` that is not a sequence, or an unknown
            keyword argument.

    Example:
        >>> fastmlp.layers.Reshape((2, -1)).compute_output_shape((6,))
        (2, 3)
        >>> fastmlp.layers.Reshape((2, 3))(np.arange(6.0).reshape(1, 6)).tolist()
        [[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]]
    """

    def __init__(self, target_shape: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        target = tuple(int(d) for d in target_shape)
        if not target or target.count(-1) > 1 or any(d == 0 or d < -1 for d in target):
            raise ValueError(f"Reshape needs positive sizes and at most one -1, got {target_shape!r}")
        self.target_shape = target

    def compute_output_shape(self, input_shape):
        size = math.prod(input_shape)
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if size % known:
                raise ValueError(f"cannot reshape samples of shape {input_shape} to {self.target_shape}")
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        if known != size:
            raise ValueError(f"cannot reshape samples of shape {input_shape} ({size} values) to "
                             f"{self.target_shape} ({known} values)")
        return self.target_shape

    def forward(self, x, training=False, logits=False):
        # Batches travel flat as (n, features); only the declared shape changes.
        return x

    def backward(self, dy, need_dx=True):
        return dy if need_dx else None

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Rescaling(Layer):
    """``x * scale + offset``, e.g. ``Rescaling(1 / 255)`` to feed uint8 images
    directly: each batch is cast and scaled as it is drawn, so no float copy
    of the whole dataset is made.

    Args:
        scale: the factor.
        offset: added after scaling (default 0).
        **kwargs: the common layer arguments (``name``, ``input_shape``, ...).

    Raises:
        ValueError: a ``scale`` or ``offset`` string that is not a number.
        TypeError: a ``scale`` or ``offset`` that is neither a number nor a
            string, or an unknown keyword argument.

    Example:
        >>> # from Keras 3.15 (torch backend): keras.layers.Rescaling(1 / 255)(x)
        >>> y = fastmlp.layers.Rescaling(1 / 255)(np.array([[0, 255, 51]], dtype="uint8"))
        >>> [round(float(v), 4) for v in y[0]]
        [0.0, 1.0, 0.2]
        >>> fastmlp.layers.Rescaling(2.0, offset=-1.0)(np.array([[0.0, 0.5, 1.0]])).tolist()
        [[-1.0, 0.0, 1.0]]
    """

    def __init__(self, scale: float, offset: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = float(scale)
        self.offset = float(offset)

    def forward(self, x, training=False, logits=False):
        y = self.buffer("y", x.shape)
        self.ops.xp.multiply(x, np.float32(self.scale), out=y)
        if self.offset:
            y += np.float32(self.offset)
        return y

    def backward(self, dy, need_dx=True):
        if not need_dx:
            return None
        dx = self.buffer("dx", dy.shape)
        self.ops.xp.multiply(dy, np.float32(self.scale), out=dx)
        return dx

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


class Identity(Layer):
    """Passes its input through unchanged (a placeholder layer).

    Args:
        **kwargs: the common layer arguments (``name``, ``input_shape``, ...).

    Raises:
        TypeError: an unknown keyword argument.
        ValueError: a ``dtype`` other than float32 or a bad ``input_shape``.

    Example:
        >>> fastmlp.layers.Identity()(np.array([[1.0, -2.0]])).tolist()
        [[1.0, -2.0]]
    """

    def forward(self, x, training=False, logits=False):
        return x

    def backward(self, dy, need_dx=True):
        return dy if need_dx else None
