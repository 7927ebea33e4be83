"""Learning-rate schedules with Keras's names and formulas.

A schedule is called with the optimizer's step count (updates done so far) and
returns the learning rate for the next update.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..utils.registry import Registry, joins_registry, serialize  # noqa: F401 (serialize is public here)

#: the schedules by class name
SCHEDULES = Registry('learning-rate schedule')


class LearningRateSchedule:
    """Base class: ``schedule(step) -> learning rate``.

    A subclass implements ``__call__(step)`` (the optimizer's updates done so
    far, an int) and ``get_config()`` (its constructor's arguments, for
    saving). Pass an instance as an optimizer's ``learning_rate``.

    Args:
        *args: none here; subclasses define their own.

    Raises:
        NotImplementedError: ``__call__`` or ``get_config`` of a subclass
            that does not define them.

    Example:
        >>> class Halving(fastmlp.optimizers.schedules.LearningRateSchedule):
        ...     def __call__(self, step):
        ...         return 0.1 / 2 ** (step // 10)
        ...     def get_config(self):
        ...         return {}
        >>> Halving()(25)
        0.025
        >>> fastmlp.optimizers.SGD(learning_rate=Halving()).learning_rate
        0.1
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if joins_registry(cls):
            SCHEDULES.register(cls)

    def __call__(self, step):
        raise NotImplementedError

    def get_config(self):
        raise NotImplementedError


class _TimeDecay(LearningRateSchedule):
    """Shared settings of the decays driven by ``step / decay_steps``."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float, staircase: bool = False,
                 name: str | None = None) -> None:
        if decay_steps <= 0:
            raise ValueError(f"decay_steps must be positive, got {decay_steps}")
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = decay_steps
        self.decay_rate = float(decay_rate)
        self.staircase = bool(staircase)

    def _progress(self, step):
        p = step / self.decay_steps
        return math.floor(p) if self.staircase else p

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase}


# The arguments and errors of both decays built on _TimeDecay, written once.
_TIME_DECAY_SECTIONS = """    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the steps over which the rate decays by ``decay_rate``
            (a positive number).
        decay_rate: the decay factor.
        staircase: decay in steps, at every multiple of ``decay_steps``
            (``step // decay_steps``), instead of smoothly.
        name: accepted for Keras's signature, not stored.

    Raises:
        ValueError: ``decay_steps`` is not positive, or a string that is not
            a number.
        TypeError: an argument that is not a number.
"""


class ExponentialDecay(_TimeDecay):
    __doc__ = f"""``initial_learning_rate * decay_rate ** (step / decay_steps)`` (the
    exponent floored with ``staircase``), as Keras's ``ExponentialDecay``.

{_TIME_DECAY_SECTIONS}
    Example:
        >>> schedule = fastmlp.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
        >>> round(schedule(15), 4)  # Keras 3.15 (torch): 0.0354
        0.0354
        >>> fastmlp.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True)(15)
        0.05
    """

    def __call__(self, step):
        return self.initial_learning_rate * self.decay_rate ** self._progress(step)


class InverseTimeDecay(_TimeDecay):
    __doc__ = f"""``initial_learning_rate / (1 + decay_rate * step / decay_steps)``, as
    Keras's ``InverseTimeDecay`` (``step / decay_steps`` floored with ``staircase``).

{_TIME_DECAY_SECTIONS}
    Example:
        >>> schedule = fastmlp.optimizers.schedules.InverseTimeDecay(0.1, decay_steps=10, decay_rate=1.0)
        >>> schedule(10)  # Keras 3.15 (torch): 0.05
        0.05
    """

    def __call__(self, step):
        return self.initial_learning_rate / (1 + self.decay_rate * self._progress(step))


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[i]`` while ``boundaries[i-1] < step <= boundaries[i]``, as Keras's
    ``PiecewiseConstantDecay``.

    Args:
        boundaries: increasing step counts where the rate changes.
        values: the rates, one more than ``boundaries``.
        name: accepted for Keras's signature, not stored.

    Raises:
        ValueError: ``values`` is not one longer than ``boundaries``, or a
            value is a string that is not a number.
        TypeError: a value that is not a number.

    Example:
        >>> schedule = fastmlp.optimizers.schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001])
        >>> [schedule(step) for step in (10, 11, 21)]  # Keras 3.15 (torch): the same
        [0.1, 0.01, 0.001]
    """

    def __init__(self, boundaries: Sequence[int], values: Sequence[float], name: str | None = None) -> None:
        if len(values) != len(boundaries) + 1:
            raise ValueError("PiecewiseConstantDecay needs one more value than boundaries")
        self.boundaries = list(boundaries)
        self.values = [float(v) for v in values]

    def __call__(self, step):
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return value
        return self.values[-1]

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values}


class CosineDecay(LearningRateSchedule):
    """Cosine decay from ``initial_learning_rate`` to ``alpha`` times it over
    ``decay_steps`` (after an optional linear warm-up), as Keras's ``CosineDecay``.

    Args:
        initial_learning_rate: the rate at step 0 (the warm-up's start when
            ``warmup_target`` is set).
        decay_steps: the length of the decay, a positive number; the rate
            stays at its floor afterwards.
        alpha: the floor, a fraction of the decay's starting rate.
        name: accepted for Keras's signature, not stored.
        warmup_target: None (no warm-up), or the rate reached linearly over
            ``warmup_steps``, where the decay then starts.
        warmup_steps: the warm-up's length in steps.

    Raises:
        ValueError: ``decay_steps`` is not positive, or a string that is not
            a number.
        TypeError: an argument that is not a number.

    Example:
        >>> round(fastmlp.optimizers.schedules.CosineDecay(0.1, decay_steps=100)(50), 4)  # Keras 3.15 (torch): 0.05
        0.05
        >>> warm = fastmlp.optimizers.schedules.CosineDecay(0.0, 100, warmup_target=0.1, warmup_steps=10)
        >>> round(warm(5), 4)  # Keras 3.15 (torch): 0.05
        0.05
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0, name: str | None = None,
                 warmup_target: float | None = None, warmup_steps: int = 0) -> None:
        if decay_steps <= 0:
            raise ValueError(f"decay_steps must be positive, got {decay_steps}")
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = decay_steps
        self.alpha = float(alpha)
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        start = self.initial_learning_rate
        if self.warmup_target is not None:
            if step < self.warmup_steps:
                return start + (self.warmup_target - start) * step / self.warmup_steps
            start = self.warmup_target
            step -= self.warmup_steps
        done = min(step, self.decay_steps) / self.decay_steps
        cosine = 0.5 * (1 + math.cos(math.pi * done))
        return start * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


def deserialize(config: dict[str, Any] | str) -> LearningRateSchedule:
    """Rebuild a learning-rate schedule saved by :func:`serialize`.

    Args:
        config: ``{"class_name": ..., "config": {...}}``; the class is
            looked up among fastmlp's schedules only.

    Returns:
        A new :class:`LearningRateSchedule`.

    Raises:
        ValueError: not a mapping, or an unknown class name.
        TypeError: a config key the class does not take.

    Example:
        >>> saved = fastmlp.optimizers.schedules.serialize(fastmlp.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5))
        >>> fastmlp.optimizers.schedules.deserialize(saved)(10)
        0.05
    """
    return SCHEDULES.deserialize(config)
