"""GaussianNoise and GaussianDropout: regularizers active only in training.

Their normal draws come from the counter-based Philox stream keyed by
``(seed, step)``, as Dropout's masks do, so a seed gives the same noise on
every backend and every run (``seed`` defaults to a draw from the global
generator, which :func:`fastmlp.utils.set_random_seed` seeds).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import distribution, random as _random
from ..backend import philox
from ..utils.validation import check_rate, check_seed
from .layer import Layer


def philox_normal(seed, step, shape):
    """Standard normal float32 draws of ``shape`` for ``(seed, step)``.

    Box-Muller on pairs of Philox words: ``u1`` in (0, 1] (so its log is
    finite) and ``u2`` in [0, 1) give ``sqrt(-2 ln u1) * (cos, sin)(2 pi u2)``.
    """
    n = math.prod(shape)
    words = philox.random_words(seed, step, 2 * ((n + 1) // 2)).astype(np.float64)
    u1 = (words[0::2] + 1.0) / 2.0**32
    u2 = words[1::2] / 2.0**32
    radius = np.sqrt(-2.0 * np.log(u1))
    z = np.concatenate([radius * np.cos(2 * np.pi * u2), radius * np.sin(2 * np.pi * u2)])
    return z[:n].reshape(shape).astype(np.float32)


class _NoiseLayer(Layer):
    """Shared seed and step bookkeeping of the noise layers."""

    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        seed = check_seed(seed, type(self).__name__)
        super().__init__(**kwargs)
        self.seed = seed if seed is not None else _random.draw_seed()
        self.step = 0

    def _noise(self, shape):
        """The next step's standard normal draws, on the layer's backend."""
        shard = distribution.batch_shard()
        if shard is None:
            z = philox_normal(self.seed, self.step, shape)
        else:  # this process's rows of the global batch's draws (see fastmlp.distribution)
            rows, start = shard
            z = philox_normal(self.seed, self.step, (rows,) + tuple(shape[1:]))[start:start + shape[0]]
        self.step += 1
        return self.ops.asarray(z)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class GaussianNoise(_NoiseLayer):
    """Adds zero-mean normal noise of standard deviation ``stddev`` in training.

    Args:
        stddev: the noise's standard deviation (>= 0).
        seed: the noise stream's seed, an integer in [0, 2**64), or None for
            a draw from the global generator.
        **kwargs: the common layer arguments (``name``, ``input_shape``, ...).

    Raises:
        TypeError: a ``stddev`` that is not a number, or an unknown keyword
            argument.
        ValueError: a negative, NaN or infinite ``stddev``, or a bad ``seed``.

    Example:
        >>> layer = fastmlp.layers.GaussianNoise(0.1, seed=1)
        >>> x = np.zeros((1, 3), dtype="float32")
        >>> layer(x).tolist()  # inference: the identity
        [[0.0, 0.0, 0.0]]
        >>> [round(float(v), 4) for v in layer(x, training=True)[0]]
        [0.038, -0.0249, -0.0296]
    """

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        if isinstance(stddev, bool) or not isinstance(stddev, (int, float, np.floating, np.integer)):
            raise TypeError(f"GaussianNoise stddev must be a number, got {stddev!r}")
        stddev = float(stddev)
        if not (stddev >= 0 and math.isfinite(stddev)):
            raise ValueError(f"GaussianNoise stddev must be a finite number >= 0, got {stddev}")
        super().__init__(seed=seed, **kwargs)
        self.stddev = stddev

    def forward(self, x, training=False, logits=False):
        if not (training and self.stddev > 0):
            return x
        y = self.buffer("y", x.shape)
        self.ops.xp.multiply(self._noise(x.shape), np.float32(self.stddev), out=y)
        y += x
        return y

    def backward(self, dy, need_dx=True):
        return dy if need_dx else None  # additive noise: the gradient passes through

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev}


class GaussianDropout(_NoiseLayer):
    """Multiplies by normal noise of mean 1 and standard deviation
    ``sqrt(rate / (1 - rate))`` in training (Keras's definition).

    Args:
        rate: in [0, 1).
        seed: the noise stream's seed, an integer in [0, 2**64), or None for
            a draw from the global generator.
        **kwargs: the common layer arguments (``name``, ``input_shape``, ...).

    Raises:
        TypeError: a ``rate`` that is not a number, or an unknown keyword
            argument.
        ValueError: a ``rate`` outside [0, 1), or a bad ``seed``.

    Example:
        >>> layer = fastmlp.layers.GaussianDropout(0.5, seed=1)
        >>> x = np.ones((1, 3), dtype="float32")
        >>> layer(x).tolist()  # inference: the identity
        [[1.0, 1.0, 1.0]]
        >>> [round(float(v), 4) for v in layer(x, training=True)[0]]
        [1.3804, 0.7508, 0.7037]
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        rate = check_rate(rate, "GaussianDropout")
        super().__init__(seed=seed, **kwargs)
        self.rate = rate

    def forward(self, x, training=False, logits=False):
        self._active = training and self.rate > 0
        if not self._active:
            return x
        factor = self.buffer("factor", x.shape)
        stddev = np.float32(math.sqrt(self.rate / (1.0 - self.rate)))
        self.ops.xp.multiply(self._noise(x.shape), stddev, out=factor)
        factor += np.float32(1)
        self._factor = factor
        y = self.buffer("y", x.shape)
        self.ops.xp.multiply(x, factor, out=y)
        return y

    def backward(self, dy, need_dx=True):
        if not need_dx:
            return None
        if not self._active:
            return dy
        dx = self.buffer("dx", dy.shape)
        self.ops.xp.multiply(dy, self._factor, out=dx)
        return dx

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}
