"""Dropout with counter-based masks: the same seed gives the same masks on
every backend and every run."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import distribution, random as _random
from ..utils.types import Shape
from ..utils.validation import check_rate, check_seed
from .layer import Layer


class Dropout(Layer):
    """Randomly zeroes a fraction ``rate`` of inputs during training and scales
    the rest by ``1 / (1 - rate)``; the identity at inference.

    The mask of training step ``s`` is drawn from Philox keyed by
    ``(seed, s)``; ``seed`` defaults to a draw from the global generator, so
    :func:`fastmlp.utils.set_random_seed` makes it reproducible.

    Args:
        rate: the fraction of inputs to drop, in [0, 1).
        noise_shape: not supported (must be None).
        seed: the Philox key's seed, or None for a draw.
        **kwargs: the common layer arguments (``name``, ``input_shape``, ...).

    Raises:
        ValueError: a rate outside [0, 1), a ``noise_shape``, or a bad seed.

    Example:
        >>> layer = fastmlp.layers.Dropout(0.5, seed=1)
        >>> x = np.ones((2, 4), dtype="float32")
        >>> layer(x, training=True)
        array([[2., 2., 2., 2.],
               [2., 2., 0., 2.]], dtype=float32)
        >>> layer(x)  # inference: the identity
        array([[1., 1., 1., 1.],
               [1., 1., 1., 1.]], dtype=float32)
    """

    def __init__(self, rate: float, noise_shape: Shape | None = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        rate = check_rate(rate, "Dropout")
        if noise_shape is not None:
            raise ValueError("fastmlp's Dropout does not support noise_shape")
        seed = check_seed(seed, "Dropout")
        super().__init__(**kwargs)
        self.rate = rate
        self.seed = seed if seed is not None else _random.draw_seed()
        self.step = 0

    def forward(self, x, training=False, logits=False):
        self._active = training and self.rate > 0
        if not self._active:
            return x
        mask = self.buffer("mask", x.shape, np.uint8)
        y = self.buffer("y", x.shape)
        shard = distribution.batch_shard()
        if shard is None:
            self.ops.dropout_forward(x, self.rate, self.seed, self.step, mask, y)
        else:
            # A data-parallel step: this process's rows of the global batch's
            # mask, so N processes drop what one process drops.
            rows, start = shard
            full = self.buffer("global_mask", (rows,) + x.shape[1:], np.uint8)
            self.ops.dropout_mask(self.seed, self.step, self.rate, full)
            mask[...] = full[start:start + x.shape[0]]
            self.ops.dropout_apply(x, mask, self.rate, y)
        self.step += 1
        self._mask = mask
        return y

    def backward(self, dy, need_dx=True):
        if not need_dx or not self._active:
            return dy if need_dx else None
        return self.ops.dropout_backward(dy, self._mask, self.rate, dy)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
