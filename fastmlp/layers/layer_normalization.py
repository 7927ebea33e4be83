"""LayerNormalization over the last axis.

Written as ``xp`` array code rather than a compiled kernel: it is a few
memory-bound passes over the (batch, features) activations, O(n * c), while
the Dense GEMM in front of it is O(n * c * k); NumPy's vectorized row
reductions keep it well below the GEMM's cost, and the same code runs on every
backend.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import initializers
from ..utils.types import Identifier
from .layer import Layer, deserialize_entries
from .normalization import gamma_beta_specs, scale_and_shift


class LayerNormalization(Layer):
    """Normalizes each sample over its last axis to zero mean and unit
    (population) variance, then scales by ``gamma`` and shifts by ``beta``.

    Args:
        axis: -1 only (the last axis).
        epsilon: added to the variance (Keras's default 1e-3), > 0.
        center: learn ``beta``.
        scale: learn ``gamma``.
        rms_scaling: must be False.
        beta_initializer: ``beta``'s initializer (default ``"zeros"``).
        gamma_initializer: ``gamma``'s initializer (default ``"ones"``).
        beta_regularizer, gamma_regularizer: must be None.
        beta_constraint, gamma_constraint: must be None.
        **kwargs: the common layer arguments (``name``, ``input_shape``, ...).

    Raises:
        ValueError: an ``axis`` other than -1, ``rms_scaling``, a regularizer
            or constraint, an ``epsilon`` that is not a number > 0, or an
            unknown initializer name.
        TypeError: an initializer that is neither a name, a class nor an
            instance, or an unknown keyword argument.

    Example:
        >>> # from Keras 3.15 (torch backend): keras.layers.LayerNormalization()(x)
        >>> y = fastmlp.layers.LayerNormalization()(np.array([[-2.0, 0.0, 1.0, 3.0]]))
        >>> [round(float(v), 4) for v in y[0]]
        [-1.3865, -0.2773, 0.2773, 1.3865]
    """

    def __init__(self, axis: int | Sequence[int] = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, rms_scaling: bool = False,
                 beta_initializer: Identifier = "zeros",
                 gamma_initializer: Identifier = "ones",
                 beta_regularizer: Identifier | None = None,
                 gamma_regularizer: Identifier | None = None,
                 beta_constraint: Any = None, gamma_constraint: Any = None, **kwargs: Any) -> None:
        if axis not in (-1, [-1], (-1,)):
            raise ValueError(f"fastmlp's LayerNormalization normalizes the last axis only (axis=-1), got {axis}")
        if rms_scaling:
            raise ValueError("fastmlp's LayerNormalization does not support rms_scaling")
        if any(v is not None for v in (beta_regularizer, gamma_regularizer, beta_constraint,
                                       gamma_constraint)):
            raise ValueError("fastmlp's LayerNormalization supports no regularizers or constraints")
        epsilon = float(epsilon)
        if not epsilon > 0:
            raise ValueError(f"LayerNormalization needs epsilon > 0, got {epsilon}")
        super().__init__(**kwargs)
        self.epsilon = epsilon
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)

    def param_specs(self):
        return gamma_beta_specs(self)

    def forward(self, x, training=False, logits=False):
        xp = self.ops.xp
        rows = x.reshape(-1, self.input_shape_[-1])
        mean = rows.mean(axis=1, keepdims=True)
        xhat = self.buffer("xhat", rows.shape)
        xp.subtract(rows, mean, out=xhat)
        var = (xhat * xhat).mean(axis=1, keepdims=True)
        self._inv_std = 1 / xp.sqrt(var + np.float32(self.epsilon))
        xhat *= self._inv_std
        self._xhat = xhat
        out = self.buffer("y", rows.shape)
        out[...] = xhat
        return scale_and_shift(self, out).reshape(x.shape)

    def backward(self, dy, need_dx=True):
        rows = dy.reshape(self._xhat.shape)
        xhat = self._xhat
        if "gamma" in self._grads:
            self.ops.xp.sum(rows * xhat, axis=0, out=self._grads["gamma"])
        if "beta" in self._grads:
            self.ops.xp.sum(rows, axis=0, out=self._grads["beta"])
        if not need_dx:
            return None
        gamma = self._weights.get("gamma")
        g = rows * gamma if gamma is not None else rows
        # d xhat_i / d x_j = inv_std * (delta_ij - 1/c - xhat_i xhat_j / c)
        dx = self.buffer("dx", rows.shape)
        dx[...] = g
        dx -= g.mean(axis=1, keepdims=True)
        dx -= xhat * (g * xhat).mean(axis=1, keepdims=True)
        dx *= self._inv_std
        return dx.reshape(dy.shape)

    def get_config(self):
        return {
            **super().get_config(), "axis": [-1], "epsilon": self.epsilon, "center": self.center,
            "scale": self.scale, "rms_scaling": False,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
        }

    @classmethod
    def from_config(cls, config):
        return cls(**deserialize_entries(config, ("beta_initializer", "gamma_initializer"),
                                         initializers.deserialize))
