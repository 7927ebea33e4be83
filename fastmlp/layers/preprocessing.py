"""Normalization: feature-wise standardization with statistics from ``adapt``.

The mean and variance are non-trainable state saved with the model. ``adapt``
streams: it combines per-batch moments (in float64) instead of holding the
data, and writes nothing until every batch has been read and checked.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Iterator

import numpy as np

from ..utils.validation import as_array, check_finite, check_positive_int
from .layer import Layer
from .variable import Variable

# Keras divides by max(sqrt(variance), epsilon) with backend.epsilon() = 1e-7,
# so a constant feature maps to (x - mean) * 1e7 rather than to inf.
_EPSILON = np.float32(1e-7)
# Rows an array is read in by adapt, so its moments need bounded extra memory.
_ADAPT_ROWS = 4096


class Normalization(Layer):
    """``(x - mean) / max(sqrt(variance), 1e-7)``, or its inverse with ``invert``.

    Args:
        axis: the axes (of the batch, so -1 is the last) that keep their own
            statistics; None for one mean and variance over everything.
        mean, variance: fixed statistics instead of ``adapt`` (both or neither),
            broadcast to the kept axes.
        invert: map normalized values back (``mean + x * std``).
        **kwargs: the common layer arguments (``name``, ``input_shape``, ...).

    Raises:
        ValueError: only one of ``mean`` and ``variance``, the two of
            different shapes or of higher rank than ``axis`` has axes,
            non-finite values, a negative variance, or an ``axis`` entry
            that is not an integer; when built, an ``axis`` out of range or
            the batch axis 0.
        TypeError: an unknown keyword argument.

    Example:
        >>> # from Keras 3.15 (torch backend): keras.layers.Normalization, adapt, call
        >>> layer = fastmlp.layers.Normalization()
        >>> layer.adapt(np.array([[1.0, 10.0], [3.0, 30.0]]))
        >>> layer.mean.numpy().tolist(), layer.variance.numpy().tolist()
        ([[2.0, 20.0]], [[1.0, 100.0]])
        >>> layer(np.array([[3.0, 0.0]])).tolist()
        [[1.0, -2.0]]
        >>> fastmlp.layers.Normalization(mean=2.0, variance=4.0, invert=True)(np.array([[1.0, -1.0]])).tolist()
        [[4.0, 0.0]]
    """

    # axis, mean and variance: int / sequence / None and array-likes, normalized in the body
    def __init__(self, axis: Any = -1, mean: Any = None, variance: Any = None, invert: bool = False,
                 **kwargs: Any) -> None:
        if axis is None:
            axis = ()
        elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            axis = (int(axis),)
        else:
            axis = tuple(int(a) for a in axis)
        if (mean is None) != (variance is None):
            raise ValueError("Normalization needs both mean and variance, or neither")
        if mean is not None:
            mean, variance = (np.asarray(v, dtype=np.float64) for v in (mean, variance))
            if mean.shape != variance.shape:
                raise ValueError(f"Normalization mean and variance differ in shape: {mean.shape} and "
                                 f"{variance.shape}")
            if mean.ndim > len(axis):
                raise ValueError(f"Normalization mean has rank {mean.ndim}, more than the {len(axis)} "
                                 f"axes of axis={axis}")
            check_finite(np.concatenate([mean.reshape(-1), variance.reshape(-1)]), "Normalization mean/variance")
            if np.any(variance < 0):
                raise ValueError("Normalization variance must be >= 0")
        super().__init__(**kwargs)
        self.axis = axis
        self.invert = bool(invert)
        self.input_mean, self.input_variance = mean, variance
        self._state: list[Any] = []

    # ------------------------------------------------------------- shapes
    def _keep_axes(self, sample_shape):
        """The kept axes as indices of the per-sample shape."""
        ndim = len(sample_shape) + 1
        keep = set()
        for a in self.axis:
            if not -ndim <= a < ndim:
                raise ValueError(f"Normalization axis {a} is out of range for inputs of rank {ndim} "
                                 f"(samples of shape {sample_shape})")
            a = a % ndim
            if a == 0:
                raise ValueError("Normalization cannot keep statistics per sample (axis 0 is the batch)")
            keep.add(a - 1)
        return tuple(sorted(keep))

    def _stat_shapes(self, sample_shape):
        """``(shape of mean/variance, their per-sample broadcast shape)``."""
        keep = self._keep_axes(sample_shape)
        stat = tuple(sample_shape[d] for d in keep)
        broadcast = tuple(d if i in keep else 1 for i, d in enumerate(sample_shape))
        return stat, broadcast

    def _build(self, ops, input_shape):
        stat, broadcast = self._stat_shapes(input_shape)
        super()._build(ops, input_shape)
        self._broadcast = broadcast
        if self.input_mean is None:
            self._state = [ops.alloc(stat), ops.asarray(np.ones(stat)), ops.alloc(())]
        else:
            self._fixed = [ops.asarray(np.broadcast_to(v, stat))
                           for v in (self.input_mean, self.input_variance)]

    def state_arrays(self):
        return list(self._state)

    def state_names(self):
        return ["mean", "variance", "count"][:len(self._state)]

    def _stats(self):
        return self._state[:2] if self.input_mean is None else self._fixed

    @property
    def mean(self):
        """The mean with Keras's broadcast shape ``(1, ...)``, as a Variable."""
        return self._stat_variable("mean", 0)

    @property
    def variance(self):
        """The variance with Keras's broadcast shape ``(1, ...)``, as a Variable."""
        return self._stat_variable("variance", 1)

    def _stat_variable(self, name, i):
        if not self.built:
            return None
        return Variable(self, name, lambda: self._stats()[i].reshape((1,) + self._broadcast), False)

    # ---------------------------------------------------------------- adapt
    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Set the mean and variance from ``data``.

        Args:
            data: an array of samples, or an iterable of batches (arrays, or
                ``(x, y)`` tuples whose ``x`` is used).
            batch_size: rows per batch when ``data`` is an array (the result
                does not depend on it).
            steps: read at most this many batches.

        Raises:
            ValueError/TypeError: for empty, non-numeric or non-finite data, or
                batches whose shape does not fit the layer; the layer is then
                left as it was.
        """
        if batch_size is not None:
            batch_size = check_positive_int(batch_size, "Normalization.adapt batch_size")
        if steps is not None:
            steps = check_positive_int(steps, "Normalization.adapt steps")
        if isinstance(data, (list, tuple)) and data and all(np.isscalar(v) for v in data):
            data = np.asarray(data)
        if isinstance(data, np.ndarray) or hasattr(data, "__cuda_array_interface__"):
            data = np.asarray(data) if isinstance(data, np.ndarray) else self.ops.to_numpy(data)
            rows = batch_size or _ADAPT_ROWS
            batches: Iterator[Any] = (data[i:i + rows] for i in range(0, max(len(data), 1), rows))
        elif hasattr(data, "__iter__") and not isinstance(data, (str, bytes, dict)):
            batches = iter(data)
        else:
            raise TypeError(f"Normalization.adapt takes an array or an iterable of batches, "
                            f"got {type(data).__name__}")
        if steps is not None:
            batches = itertools.islice(batches, steps)
        sample_shape, mean, var = self._moments(batches)
        if not self.built:
            from ..backend import get_ops
            self._build(get_ops(), sample_shape)
        if self.input_mean is not None:
            raise ValueError("this Normalization layer was given mean and variance; it cannot adapt")
        self._state[0][...] = self.ops.asarray(mean)
        self._state[1][...] = self.ops.asarray(var)

    def _sample_shape(self, batch):
        """The per-sample shape a batch implies (a 1-D batch holds scalars: (1,))."""
        if self.built:
            expected = self.input_shape_
            if batch.shape[1:] == expected or (batch.ndim == 1 and expected == (1,)):
                return expected
            raise ValueError(f"Normalization layer {self.name!r} was built for samples of shape "
                             f"{expected}; adapt got a batch of shape {batch.shape}")
        if self._declared_input_shape is not None:
            if batch.size % math.prod(self._declared_input_shape):
                raise ValueError(f"adapt got a batch of shape {batch.shape} for samples of shape "
                                 f"{self._declared_input_shape}")
            return self._declared_input_shape
        return tuple(int(d) for d in batch.shape[1:]) or (1,)

    def _moments(self, batches):
        """Streamed ``(sample_shape, mean, variance)`` over all batches, in
        float64, merged with Keras's (Chan's) pairwise update."""
        total_mean: Any = None
        total_var: Any = None
        total = 0
        sample_shape = None
        for i, batch in enumerate(batches):
            if isinstance(batch, tuple):
                batch = batch[0]
            batch = as_array(batch, f"Normalization.adapt batch {i}")
            if hasattr(batch, "__cuda_array_interface__"):
                batch = self.ops.to_numpy(batch)
            batch = np.asarray(batch)
            if batch.dtype.kind not in "fiu":
                raise TypeError(f"Normalization.adapt needs numbers, got dtype {batch.dtype} (batch {i})")
            if batch.ndim == 0:
                raise ValueError(f"Normalization.adapt batch {i} is a scalar; pass arrays of samples")
            shape = self._sample_shape(batch)
            if sample_shape is not None and shape != sample_shape:
                raise ValueError(f"Normalization.adapt batch {i} has samples of shape {shape}, "
                                 f"batch 0 had {sample_shape}")
            sample_shape = shape
            if batch.size == 0:
                continue
            check_finite(batch.reshape(-1), f"Normalization.adapt batch {i}")
            keep = self._keep_axes(shape)
            x = batch.reshape((-1,) + shape).astype(np.float64)
            reduce = (0,) + tuple(d + 1 for d in range(len(shape)) if d not in keep)
            count = math.prod(x.shape[a] for a in reduce)
            b_mean, b_var = x.mean(axis=reduce), x.var(axis=reduce)
            if total_mean is None:
                total_mean, total_var, total = b_mean, b_var, count
                continue
            total += count
            w = count / total
            new_mean = total_mean * (1 - w) + b_mean * w
            total_var = ((total_var + (total_mean - new_mean) ** 2) * (1 - w)
                         + (b_var + (b_mean - new_mean) ** 2) * w)
            total_mean = new_mean
        if total_mean is None:
            raise ValueError("Normalization.adapt got no data (an empty array or no batches)")
        return sample_shape, total_mean.astype(np.float32), total_var.astype(np.float32)

    # ------------------------------------------------------------- execution
    def _flat_stats(self):
        """Mean and max(std, 1e-7) broadcast over one flattened sample."""
        xp = self.ops.xp
        mean, var = self._stats()
        shape = self._broadcast
        mean = xp.broadcast_to(mean.reshape(shape), self.input_shape_).reshape(-1)
        std = xp.maximum(xp.sqrt(var), _EPSILON)
        std = xp.broadcast_to(std.reshape(shape), self.input_shape_).reshape(-1)
        return mean, std

    def forward(self, x, training=False, logits=False):
        mean, self._std = self._flat_stats()
        y = self.buffer("y", x.shape)
        if self.invert:
            self.ops.xp.multiply(x, self._std, out=y)
            y += mean
        else:
            self.ops.xp.subtract(x, mean, out=y)
            y /= self._std
        return y

    def backward(self, dy, need_dx=True):
        if not need_dx:
            return None
        dx = self.buffer("dx", dy.shape)
        (self.ops.xp.multiply if self.invert else self.ops.xp.divide)(dy, self._std, out=dx)
        return dx

    def get_config(self):
        def listed(v):
            return None if v is None else v.tolist()
        return {**super().get_config(), "axis": list(self.axis), "invert": self.invert,
                "mean": listed(self.input_mean), "variance": listed(self.input_variance)}
