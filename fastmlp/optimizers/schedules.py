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
    """Base class: ``schedule(step) -> learning rate``."""

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


class ExponentialDecay(_TimeDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (the
    exponent floored with ``staircase``)."""

    def __call__(self, step):
        return self.initial_learning_rate * self.decay_rate ** self._progress(step)


class InverseTimeDecay(_TimeDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``."""

    def __call__(self, step):
        return self.initial_learning_rate / (1 + self.decay_rate * self._progress(step))


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[i]`` while ``boundaries[i-1] < step <= boundaries[i]``."""

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
    ``decay_steps`` (after an optional linear warm-up)."""

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
    """Rebuild a learning-rate schedule saved by :func:`serialize`."""
    return SCHEDULES.deserialize(config)
