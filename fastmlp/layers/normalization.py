"""BatchNormalization over the last axis."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import initializers
from ..utils.types import Identifier
from .layer import Layer, deserialize_entries


def gamma_beta_specs(layer):
    """The ``gamma`` (with ``layer.scale``) and ``beta`` (with ``layer.center``)
    parameter specs of a normalization layer over its last axis."""
    if not layer.built:
        return []
    channels = (layer.input_shape_[-1],)
    specs = []
    if layer.scale:
        specs.append(("gamma", channels, layer.gamma_initializer))
    if layer.center:
        specs.append(("beta", channels, layer.beta_initializer))
    return specs


def scale_and_shift(layer, out):
    """``out *= gamma; out += beta`` in place, for the ones ``layer`` has."""
    gamma, beta = layer._weights.get("gamma"), layer._weights.get("beta")
    if gamma is not None:
        out *= gamma
    if beta is not None:
        out += beta
    return out


class BatchNormalization(Layer):
    """Normalizes each feature (the last axis) with the batch's statistics in
    training and with moving averages of them at inference, then scales by
    ``gamma`` and shifts by ``beta``, as Keras does (``momentum`` 0.99,
    ``epsilon`` 1e-3). ``gamma`` and ``beta`` are trained; the moving mean and
    variance are state the layer updates itself.

    Args:
        axis: -1 only (the last axis).
        momentum: the moving averages' decay, in [0, 1].
        epsilon: added to the variance, > 0.
        center: learn ``beta``.
        scale: learn ``gamma``.
        beta_initializer: ``beta``'s initializer (default ``"zeros"``).
        gamma_initializer: ``gamma``'s initializer (default ``"ones"``).
        moving_mean_initializer: the moving mean's (default ``"zeros"``).
        moving_variance_initializer: the moving variance's (default ``"ones"``).
        **kwargs: the common layer arguments (``name``, ``input_shape``, ...).

    Raises:
        ValueError: an ``axis`` other than -1, a ``momentum`` outside [0, 1],
            an ``epsilon`` not > 0 (or either not a number), or an unknown
            initializer name.
        TypeError: an initializer that is neither a name, a class nor an
            instance, or an unknown keyword argument.

    Example:
        >>> # from Keras 3.15 (torch backend): keras.layers.BatchNormalization()
        >>> layer = fastmlp.layers.BatchNormalization()
        >>> y = layer(np.array([[1.0, 2.0], [3.0, 6.0]]), training=True)
        >>> [[round(float(v), 4) for v in row] for row in y]
        [[-0.9995, -0.9999], [0.9995, 0.9999]]
        >>> [[round(float(v), 4) for v in w.numpy()] for w in layer.non_trainable_weights]
        [[0.02, 0.04], [1.0, 1.03]]
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Identifier = "zeros",
                 gamma_initializer: Identifier = "ones",
                 moving_mean_initializer: Identifier = "zeros",
                 moving_variance_initializer: Identifier = "ones", **kwargs: Any) -> None:
        if axis != -1:
            raise ValueError(f"fastmlp's BatchNormalization normalizes the last axis only (axis=-1), got {axis}")
        super().__init__(**kwargs)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        if not 0.0 <= self.momentum <= 1.0 or not self.epsilon > 0:
            raise ValueError("BatchNormalization needs 0 <= momentum <= 1 and epsilon > 0")
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self._state: list[Any] = []

    def param_specs(self):
        return gamma_beta_specs(self)

    def _build(self, ops, input_shape):
        super()._build(ops, input_shape)
        channels = (input_shape[-1],)
        self._state = [ops.asarray(self.moving_mean_initializer(channels)),
                       ops.asarray(self.moving_variance_initializer(channels))]

    def state_arrays(self):
        return list(self._state)

    def state_names(self):
        return ["moving_mean", "moving_variance"]

    def forward(self, x, training=False, logits=False):
        channels = self.input_shape_[-1]
        rows = x.reshape(-1, channels)  # each sample holds prod(shape[:-1]) rows of channels
        out = self.buffer("y", rows.shape)
        gamma, beta = self._weights.get("gamma"), self._weights.get("beta")
        moving_mean, moving_var = self._state
        if training:
            self._xhat = self.buffer("xhat", rows.shape)
            self._inv_std = self.buffer("inv_std", (channels,))
            mean, var = self.ops.batchnorm_forward(rows, gamma, beta, self.epsilon, out,
                                                   self._xhat, self._inv_std)
            keep = np.float32(self.momentum)
            moving_mean *= keep
            moving_mean += (1 - keep) * mean
            moving_var *= keep
            moving_var += (1 - keep) * var
        else:
            xp = self.ops.xp
            xp.subtract(rows, moving_mean, out=out)
            out /= xp.sqrt(moving_var + np.float32(self.epsilon))
            scale_and_shift(self, out)
        return out.reshape(x.shape)

    def backward(self, dy, need_dx=True):
        channels = self.input_shape_[-1]
        rows = dy.reshape(-1, channels)
        dx = self.buffer("dx", rows.shape)
        self.ops.batchnorm_backward(rows, self._xhat, self._inv_std, self._weights.get("gamma"),
                                    self._grads.get("gamma"), self._grads.get("beta"), dx)
        return dx.reshape(dy.shape) if need_dx else None

    def get_config(self):
        return {
            **super().get_config(), "axis": -1, "momentum": self.momentum, "epsilon": self.epsilon,
            "center": self.center, "scale": self.scale,
            **{key: initializers.serialize(getattr(self, key))
               for key in ("beta_initializer", "gamma_initializer", "moving_mean_initializer",
                           "moving_variance_initializer")},
        }

    @classmethod
    def from_config(cls, config):
        return cls(**deserialize_entries(config, ("beta_initializer", "gamma_initializer",
                                                  "moving_mean_initializer", "moving_variance_initializer"),
                                         initializers.deserialize))
