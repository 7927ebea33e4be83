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
    values on every call, as in Keras); otherwise from the global one (which
    :func:`fastmlp.utils.set_random_seed` seeds).
    Subclasses implement ``__call__(shape)`` (and ``get_config`` when they
    take arguments). A user's subclass is not registered by name: pass an
    instance (``Dense(4, kernel_initializer=MyInit())``).

    Args:
        seed: an int for the initializer's own generator (the same values on
            every call, as in Keras), or None (default) for the global one.

    Raises:
        NotImplementedError: when the base class itself is called.

    Example:
        >>> class Halves(fastmlp.initializers.Initializer):
        ...     def __call__(self, shape):
        ...         return np.full(shape, 0.5, dtype="float32")
        >>> Halves()((2, 3)).tolist()
        [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]
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
    """All zeros (Keras's name ``"zeros"``; the default bias initializer).

    Raises:
        ValueError: a negative size in ``shape`` (from NumPy, when called).

    Example:
        >>> fastmlp.initializers.Zeros()((2, 2)).tolist()
        [[0.0, 0.0], [0.0, 0.0]]
    """

    def __init__(self):
        super().__init__(None)

    def __call__(self, shape):
        return np.zeros(shape, dtype=np.float32)


class Ones(Initializer):
    """All ones (Keras's name ``"ones"``; normalization layers' ``gamma``).

    Raises:
        ValueError: a negative size in ``shape`` (from NumPy, when called).

    Example:
        >>> fastmlp.initializers.Ones()((3,)).tolist()
        [1.0, 1.0, 1.0]
    """

    def __init__(self):
        super().__init__(None)

    def __call__(self, shape):
        return np.ones(shape, dtype=np.float32)


class RandomUniform(Initializer):
    """Uniform draws in ``[minval, maxval)``.

    Args:
        minval: the lower bound (Keras's default -0.05).
        maxval: the upper bound (Keras's default 0.05).
        seed: an int, or None (default) for the global generator; see
            :class:`Initializer`.

    Raises:
        ValueError: a ``minval`` or ``maxval`` that is not a number; when
            called, a negative ``seed`` or size in ``shape`` (from NumPy).
        TypeError: a ``seed`` that is not an integer (from NumPy, when called).

    Example:
        >>> w = fastmlp.initializers.RandomUniform(-1.0, 1.0, seed=0)((100,))
        >>> w.dtype, bool(w.min() >= -1.0 and w.max() < 1.0)
        (dtype('float32'), True)
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = float(minval), float(maxval)

    def __call__(self, shape):
        return self._rng().uniform(self.minval, self.maxval, size=shape).astype(np.float32)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class RandomNormal(Initializer):
    """Normal draws of mean ``mean`` and standard deviation ``stddev``.

    Args:
        mean: the mean (default 0).
        stddev: the standard deviation (Keras's default 0.05).
        seed: an int, or None (default) for the global generator; see
            :class:`Initializer`.

    Raises:
        ValueError: a ``mean`` or ``stddev`` that is not a number; when
            called, a negative ``stddev`` or ``seed`` or size in ``shape``
            (from NumPy).
        TypeError: a ``seed`` that is not an integer (from NumPy, when called).

    Example:
        >>> w = fastmlp.initializers.RandomNormal(stddev=1.0, seed=0)((1000,))
        >>> w.shape, round(float(w.std()), 1)
        ((1000,), 1.0)
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape):
        return self._rng().normal(self.mean, self.stddev, size=shape).astype(np.float32)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class Constant(Initializer):
    """Every entry ``value``: a number, or an array broadcast to the shape
    drawn (Keras's ``Constant(np.log([pos / neg]))`` for an output bias).

    Args:
        value: a finite number or array of numbers (default 0).

    Raises:
        ValueError: a ``value`` that is not numeric or not finite; when
            called, a ``value`` array that does not broadcast to ``shape``.

    Example:
        >>> fastmlp.initializers.Constant(0.5)((2,)).tolist()
        [0.5, 0.5]
        >>> fastmlp.initializers.Constant([1, 2])((2, 2)).tolist()
        [[1.0, 2.0], [1.0, 2.0]]
    """

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
    """``gain`` times the identity matrix (2-D shapes only, as in Keras; a
    non-square shape gets ones on the main diagonal).

    Args:
        gain: the diagonal's value (default 1).

    Raises:
        ValueError: a ``gain`` that is not a number; when called, a
            ``shape`` that is not 2-D.

    Example:
        >>> fastmlp.initializers.Identity(gain=2.0)((2, 3)).tolist()
        [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]]
    """

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
    to ``(prod(shape[:-1]), shape[-1])``.

    Args:
        gain: the factor applied to the orthogonal matrix (default 1).
        seed: an int, or None (default) for the global generator; see
            :class:`Initializer`.

    Raises:
        ValueError: a ``gain`` that is not a number; when called, a
            ``shape`` of rank below 2, or a negative ``seed`` (from NumPy).
        TypeError: a ``seed`` that is not an integer (from NumPy, when called).

    Example:
        >>> w = fastmlp.initializers.Orthogonal(seed=0)((4, 3))
        >>> bool(np.allclose(w.T @ w, np.eye(3), atol=1e-6))  # orthonormal columns
        True
    """

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
    """Normal draws redrawn until within two standard deviations of ``mean``,
    as Keras's ``TruncatedNormal`` (so the values' spread is about
    ``0.88 * stddev``).

    Args:
        mean: the mean (default 0).
        stddev: the standard deviation before truncation (Keras's default 0.05).
        seed: an int, or None (default) for the global generator; see
            :class:`Initializer`.

    Raises:
        ValueError: as for :class:`RandomNormal`.
        TypeError: as for :class:`RandomNormal`.

    Example:
        >>> w = fastmlp.initializers.TruncatedNormal(stddev=1.0, seed=0)((1000,))
        >>> bool(np.abs(w).max() <= 2.0)
        True
    """

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
    """Keras's VarianceScaling: draws of variance ``scale / fan``.

    ``fan`` is the weight's input size ``shape[0]``, its output size
    ``shape[1]`` (for a 1-D shape both are ``shape[0]``) or their mean.
    ``"truncated_normal"`` draws within two standard deviations, with the
    standard deviation raised by 1 / 0.8796 so the variance is still
    ``scale / fan``; ``"uniform"`` draws in ``+-sqrt(3 * scale / fan)``.

    Args:
        scale: the variance's numerator (default 1).
        mode: ``"fan_in"`` (default), ``"fan_out"`` or ``"fan_avg"``.
        distribution: ``"truncated_normal"`` (default), ``"untruncated_normal"``
            or ``"uniform"``.
        seed: an int, or None (default) for the global generator; see
            :class:`Initializer`.

    Raises:
        ValueError: an unknown ``mode`` or ``distribution``, or a ``scale``
            that is not a number; when called, a negative ``scale`` (a math
            domain error), ``seed`` or size in ``shape``.
        TypeError: a ``seed`` that is not an integer (from NumPy, when called).
        IndexError: a 0-d ``shape`` (when called).

    Example:
        >>> init = fastmlp.initializers.VarianceScaling(2.0, distribution="untruncated_normal", seed=0)
        >>> w = init((200, 100))
        >>> round(float(w.std()), 2)  # sqrt(2 / 200)
        0.1
    """

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


def _preset(name, scale, mode, distribution, summary):
    """A named VarianceScaling setting, as Keras defines Glorot, He and LeCun,
    with its docstring (the same sections for all six)."""

    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return Initializer.get_config(self)

    fan = "((64 + 32) / 2)" if mode == "fan_avg" else "64"
    doc = f"""{summary}

    ``VarianceScaling(scale={scale}, mode={mode!r}, distribution={distribution!r})``.

    Args:
        seed: an int, or None (default) for the global generator; see
            :class:`Initializer`.

    Raises:
        ValueError: a negative ``seed`` or size in ``shape`` (from NumPy, when called).
        TypeError: a ``seed`` that is not an integer (from NumPy, when called).
        IndexError: a 0-d ``shape`` (when called).

    Example:
        >>> w = fastmlp.initializers.{name}(seed=0)((64, 32))
        >>> w.shape, w.dtype
        ((64, 32), dtype('float32'))
        >>> round(float(w.std() / np.sqrt({scale} / {fan})), 1)  # std is sqrt(scale / fan)
        1.0
    """
    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config, "__doc__": doc})


GlorotUniform = _preset("GlorotUniform", 1.0, "fan_avg", "uniform",
                        "Glorot (Xavier) uniform in ``+-sqrt(6 / (fan_in + fan_out))``; "
                        "Keras's default kernel initializer.")
GlorotNormal = _preset("GlorotNormal", 1.0, "fan_avg", "truncated_normal",
                       "Glorot (Xavier) truncated normal of variance ``2 / (fan_in + fan_out)``.")
HeUniform = _preset("HeUniform", 2.0, "fan_in", "uniform", "He uniform in ``+-sqrt(6 / fan_in)``.")
HeNormal = _preset("HeNormal", 2.0, "fan_in", "truncated_normal",
                   "He truncated normal of variance ``2 / fan_in`` (for ReLU layers).")
LecunUniform = _preset("LecunUniform", 1.0, "fan_in", "uniform", "LeCun uniform in ``+-sqrt(3 / fan_in)``.")
LecunNormal = _preset("LecunNormal", 1.0, "fan_in", "truncated_normal",
                      "LeCun truncated normal of variance ``1 / fan_in`` (for SELU layers).")

for _cls, _alias in ((RandomUniform, "random_uniform"), (RandomNormal, "random_normal"),
                     (TruncatedNormal, "truncated_normal"),
                     (VarianceScaling, "variance_scaling"),
                     (GlorotUniform, "glorot_uniform"), (GlorotNormal, "glorot_normal"),
                     (HeUniform, "he_uniform"), (HeNormal, "he_normal"),
                     (LecunUniform, "lecun_uniform"), (LecunNormal, "lecun_normal")):
    INITIALIZERS.register(_cls, _alias)


def get(identifier):
    """An initializer from a name, a class or an instance (Keras's ``get``).

    Args:
        identifier: a name in any letter case (``"glorot_uniform"``,
            ``"HeNormal"``), an :class:`Initializer` subclass (built with its
            defaults) or an instance (returned as it is).

    Returns:
        An :class:`Initializer` instance.

    Raises:
        ValueError: an unknown name (the message lists the valid ones).
        TypeError: anything else (None, a number, a function).

    Example:
        >>> type(fastmlp.initializers.get("he_normal")).__name__
        'HeNormal'
        >>> fastmlp.initializers.get("Zeros")((2,)).tolist()
        [0.0, 0.0]
    """
    return INITIALIZERS.get(identifier, Initializer)


def deserialize(config):
    """Rebuild an initializer saved by :func:`serialize` (files that name it by
    its snake_case alias, ``"glorot_uniform"``, load too).

    Args:
        config: ``{"class_name": ..., "config": {...}}``; the class is looked
            up among fastmlp's initializers only, never imported.

    Returns:
        A new :class:`Initializer` with the saved arguments.

    Raises:
        ValueError: a ``config`` that is not a mapping, an unknown class
            name, or a ``"config"`` entry that is not a mapping.
        TypeError: arguments the class does not take.

    Example:
        >>> spec = fastmlp.initializers.serialize(fastmlp.initializers.RandomNormal(stddev=0.1, seed=3))
        >>> spec
        {'class_name': 'RandomNormal', 'config': {'mean': 0.0, 'stddev': 0.1, 'seed': 3}}
        >>> fastmlp.initializers.deserialize(spec).stddev
        0.1
    """
    return INITIALIZERS.deserialize(config)
