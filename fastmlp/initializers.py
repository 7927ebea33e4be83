"""Weight initializers with Keras's names and formulas.

Values are drawn in float64 from the global seeded generator
(:mod:`fastmlp.random`) on the host and cast to float32, so a seed gives the
same weights on every backend.
"""

import math

import numpy as np

from . import random as _random
from .utils.registry import Registry, joins_registry, serialize  # noqa: F401 (serialize is public here)

#: the initializers by class name and Keras's snake_case names
INITIALIZERS = Registry('initializer')


def _fans(shape):
    if len(shape) == 1:
        return shape[0], shape[0]
    return shape[0], shape[1]


class Initializer:
    """Base class: ``init(shape)`` returns a float32 NumPy array.

    With ``seed`` set, an initializer draws from its own generator (the same
    values on every call, as in Keras); otherwise from the global one.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if joins_registry(cls):
            INITIALIZERS.register(cls)

    def __init__(self, seed=None):
        self.seed = seed

    def _rng(self):
        return _random.generator() if self.seed is None else np.random.default_rng(self.seed)

    def __call__(self, shape):
        raise NotImplementedError

    def get_config(self):
        return {} if self.seed is None else {"seed": self.seed}


class Zeros(Initializer):
    def __init__(self):
        super().__init__(None)

    def __call__(self, shape):
        return np.zeros(shape, dtype=np.float32)


class Ones(Initializer):
    def __init__(self):
        super().__init__(None)

    def __call__(self, shape):
        return np.ones(shape, dtype=np.float32)


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = float(minval), float(maxval)

    def __call__(self, shape):
        return self._rng().uniform(self.minval, self.maxval, size=shape).astype(np.float32)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape):
        return self._rng().normal(self.mean, self.stddev, size=shape).astype(np.float32)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class Constant(Initializer):
    """Every entry ``value``: a number, or an array broadcast to the shape
    drawn (Keras's ``Constant(np.log([pos / neg]))`` for an output bias)."""

    def __init__(self, value=0.0):
        super().__init__(None)
        array = np.asarray(value)
        if array.dtype.kind not in "fiub" or not np.all(np.isfinite(array)):
            raise ValueError(f"Constant needs finite numbers, got {value!r}")
        self.value = float(array) if array.ndim == 0 else array.astype(np.float64)

    def __call__(self, shape):
        try:
            return np.broadcast_to(np.asarray(self.value, dtype=np.float32), shape).copy()
        except ValueError:
            raise ValueError(f"Constant value of shape {np.shape(self.value)} cannot fill a weight of "
                             f"shape {tuple(shape)}") from None

    def get_config(self):
        return {"value": self.value if isinstance(self.value, float) else self.value.tolist()}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only, as in Keras)."""

    def __init__(self, gain=1.0):
        super().__init__(None)
        self.gain = float(gain)

    def __call__(self, shape):
        if len(shape) != 2:
            raise ValueError(f"Identity initializes 2-D weights only, got shape {tuple(shape)}")
        return (self.gain * np.eye(*shape)).astype(np.float32)

    def get_config(self):
        return {"gain": self.gain}


class Orthogonal(Initializer):
    """A random orthogonal matrix (QR of a normal draw, signs fixed by R's
    diagonal, as Keras does), times ``gain``; higher-rank shapes are flattened
    to ``(prod(shape[:-1]), shape[-1])``."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = float(gain)

    def __call__(self, shape):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal needs a shape of rank >= 2, got {tuple(shape)}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().normal(0.0, 1.0, size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).astype(np.float32)

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}


class TruncatedNormal(Initializer):
    """Normal draws redrawn until within two standard deviations of ``mean``."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape):
        return (self.mean + _truncated_normal(self._rng(), self.stddev, shape)).astype(np.float32)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


def _truncated_normal(rng, stddev, shape):
    """Normal draws redrawn until within two standard deviations."""
    values = rng.normal(0.0, stddev, size=shape)
    outside = np.abs(values) > 2 * stddev
    while outside.any():
        values[outside] = rng.normal(0.0, stddev, size=int(outside.sum()))
        outside = np.abs(values) > 2 * stddev
    return values.astype(np.float32)


class VarianceScaling(Initializer):
    """Keras's VarianceScaling: scale / fan, uniform or truncated normal."""

    _TRUNCATION_STDDEV = 0.87962566103423978  # stddev of a unit normal truncated at +-2

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"mode must be fan_in, fan_out or fan_avg, got {mode!r}")
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(f"unknown distribution {distribution!r}")
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def __call__(self, shape):
        fan_in, fan_out = _fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, fan)
        rng = self._rng()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return rng.uniform(-limit, limit, size=shape).astype(np.float32)
        if self.distribution == "untruncated_normal":
            return rng.normal(0.0, math.sqrt(variance), size=shape).astype(np.float32)
        return _truncated_normal(rng, math.sqrt(variance) / self._TRUNCATION_STDDEV, shape)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                **super().get_config()}


def _preset(name, scale, mode, distribution):
    """A named VarianceScaling setting, as Keras defines Glorot, He and LeCun."""

    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return Initializer.get_config(self)

    doc = f"VarianceScaling(scale={scale}, mode={mode!r}, distribution={distribution!r})."
    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config, "__doc__": doc})


GlorotUniform = _preset("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _preset("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _preset("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _preset("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _preset("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _preset("LecunNormal", 1.0, "fan_in", "truncated_normal")

for _cls, _alias in ((RandomUniform, "random_uniform"), (RandomNormal, "random_normal"),
                     (TruncatedNormal, "truncated_normal"),
                     (VarianceScaling, "variance_scaling"),
                     (GlorotUniform, "glorot_uniform"), (GlorotNormal, "glorot_normal"),
                     (HeUniform, "he_uniform"), (HeNormal, "he_normal"),
                     (LecunUniform, "lecun_uniform"), (LecunNormal, "lecun_normal")):
    INITIALIZERS.register(_cls, _alias)


def get(identifier):
    """An initializer from a name, a class or an instance."""
    return INITIALIZERS.get(identifier, Initializer)


def deserialize(config):
    """Rebuild an initializer saved by :func:`serialize` (files that name it by
    its snake_case alias, ``"glorot_uniform"``, load too)."""
    return INITIALIZERS.deserialize(config)
