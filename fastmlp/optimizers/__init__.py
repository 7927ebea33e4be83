"""Optimizers with Keras 3's names, defaults and update formulas.

A model keeps its parameters in one flat buffer per parameter store, so an
update of the whole model is one fused kernel call per store (per contiguous
run of trainable weights, when some layers are frozen).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import schedules
from ..utils.registry import Registry, joins_registry, serialize  # noqa: F401 (serialize is public here)

#: the optimizers by class name ('adam' and 'Adam' alike)
OPTIMIZERS = Registry('optimizer')


def _hyperparameter(name, value, low, high, high_inclusive=False):
    """``value`` as a float in ``[low, high)`` (or ``[low, high]``), else a ValueError."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}") from None
    above = value > high if high_inclusive else value >= high
    if not math.isfinite(value) or value < low or above:
        bracket = "]" if high_inclusive else ")"
        raise ValueError(f"{name} must be a finite number in [{low}, {high}{bracket}, got {value}")
    return value


class Optimizer:
    """Base class. Subclasses name their state buffers in ``slot_names`` and
    implement ``_update`` over flat views."""

    slot_names: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if joins_registry(cls):
            OPTIMIZERS.register(cls)

    def __init__(self, learning_rate: float | schedules.LearningRateSchedule = 0.001, name: str | None = None,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None, **kwargs: Any) -> None:
        for key in ("use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                    "gradient_accumulation_steps"):
            value = kwargs.pop(key, None)
            if value not in (None, False):
                raise ValueError(f"fastmlp optimizers do not support {key}")
        if kwargs:
            raise TypeError(f"unexpected argument(s): {', '.join(sorted(kwargs))}")
        if clipnorm is not None or clipvalue is not None or global_clipnorm is not None:
            raise ValueError("fastmlp optimizers do not support gradient clipping yet")
        self.learning_rate = learning_rate
        self.weight_decay = (None if weight_decay is None
                             else _hyperparameter("weight_decay", weight_decay, 0.0, math.inf))
        self.name = name or type(self).__name__.lower()
        self.iterations = 0
        self._slots: dict[int, dict[str, Any]] = {}  # id(store) -> {slot name: flat array}
        self._plan: list[Any] = []  # [(params view, grads view, {slot: view})], one per trainable run

    @property
    def learning_rate(self):
        """The learning rate of the next update (a schedule evaluated at the
        current step, when one was given)."""
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            return float(self._learning_rate(self.iterations))
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, dict):
            value = schedules.deserialize(value)
        if not isinstance(value, schedules.LearningRateSchedule):
            value = _hyperparameter("learning_rate", value, 0.0, math.inf)
        self._learning_rate = value

    # ------------------------------------------------------------- state
    def bind(self, plan):
        """Prepare state and the per-step plan for a model's weights: ``plan``
        is ``[(store, [(start, stop), ...]), ...]``, the runs of each parameter
        store to update. State of stores already seen is kept, so training can
        resume, and one optimizer can serve several models."""
        steps = []
        for store, segments in plan:
            slots = self._slots.get(id(store))
            if slots is None:
                slots = {name: store.ops.alloc(store.size) for name in self.slot_names}
                self._slots[id(store)] = slots
            for start, stop in segments:
                steps.append((store.ops, store.params[start:stop], store.grads[start:stop],
                              {name: buf[start:stop] for name, buf in slots.items()}))
        self._plan = steps
        self._stores = [store for store, _ in plan]

    def apply(self):
        """One update of every bound parameter from its gradient."""
        lr = self.learning_rate  # a schedule's value at the step being taken
        self.iterations += 1
        for ops, params, grads, slots in self._plan:
            self._update(ops, params, grads, slots, lr)

    def _update(self, ops, params, grads, slots, lr):
        raise NotImplementedError

    def state_arrays(self):
        """The slot buffers of the bound stores, in store order, as host arrays."""
        return {f"{i}/{name}": np.asarray(store.ops.to_numpy(self._slots[id(store)][name]))
                for i, store in enumerate(self._stores) for name in self.slot_names}

    def load_state_arrays(self, arrays, iterations):
        """Restore what :meth:`state_arrays` returned (the optimizer must be bound)."""
        for i, store in enumerate(self._stores):
            for name in self.slot_names:
                key = f"{i}/{name}"
                if key not in arrays:
                    raise ValueError(f"saved optimizer state lacks {key!r}")
                value = arrays[key]
                target = self._slots[id(store)][name]
                if value.shape != target.shape:
                    raise ValueError(f"saved optimizer state {key!r} has shape {value.shape}, "
                                     f"expected {target.shape}")
                target[...] = store.ops.asarray(value)
        self.iterations = int(iterations)

    def get_config(self):
        lr = self._learning_rate
        config = {"name": self.name,
                  "learning_rate": schedules.serialize(lr) if isinstance(lr, schedules.LearningRateSchedule) else lr}
        if self.weight_decay is not None:
            config["weight_decay"] = self.weight_decay
        return config


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum."""

    def __init__(self, learning_rate: float | schedules.LearningRateSchedule = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.momentum = _hyperparameter("momentum", momentum, 0.0, 1.0, high_inclusive=True)
        self.nesterov = bool(nesterov)
        self.slot_names = ("momentum",) if self.momentum else ()

    def _update(self, ops, params, grads, slots, lr):
        ops.sgd_update(params, grads, slots.get("momentum"), lr, self.momentum,
                       self.nesterov)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam with bias correction (Keras defaults)."""

    slot_names = ("m", "v")

    def __init__(self, learning_rate: float | schedules.LearningRateSchedule = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, name: str | None = None, **kwargs: Any) -> None:
        if amsgrad:
            raise ValueError("fastmlp's Adam does not support amsgrad")
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = _hyperparameter("beta_1", beta_1, 0.0, 1.0)
        self.beta_2 = _hyperparameter("beta_2", beta_2, 0.0, 1.0)
        self.epsilon = _hyperparameter("epsilon", epsilon, 0.0, math.inf)

    def _update(self, ops, params, grads, slots, lr):
        ops.adam_update(params, grads, slots["m"], slots["v"], lr, self.beta_1,
                        self.beta_2, self.epsilon, self.iterations, self.weight_decay or 0.0)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


class AdamW(Adam):
    """Adam with decoupled weight decay ``p -= p * weight_decay * lr``."""

    def __init__(self, learning_rate: float | schedules.LearningRateSchedule = 0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, name=name, weight_decay=weight_decay, **kwargs)



class RMSprop(Optimizer):
    """RMSprop (Keras defaults: rho 0.9, no momentum, epsilon 1e-7)."""

    def __init__(self, learning_rate: float | schedules.LearningRateSchedule = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, name: str | None = None, **kwargs: Any) -> None:
        if centered:
            raise ValueError("fastmlp's RMSprop does not support centered=True")
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = _hyperparameter("rho", rho, 0.0, 1.0)
        self.momentum = _hyperparameter("momentum", momentum, 0.0, 1.0, high_inclusive=True)
        self.epsilon = _hyperparameter("epsilon", epsilon, 0.0, math.inf)
        self.slot_names = ("velocity", "momentum") if self.momentum else ("velocity",)

    def _update(self, ops, params, grads, slots, lr):
        ops.rmsprop_update(params, grads, slots["velocity"], slots.get("momentum"),
                           lr, self.rho, self.momentum, self.epsilon)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon}


def get(identifier: Any) -> Optimizer:
    """An optimizer from a name (``"adam"``...), a class or an instance."""
    return OPTIMIZERS.get(identifier, Optimizer)


def deserialize(config: dict[str, Any] | str) -> Optimizer:
    """Rebuild a optimizer saved by :func:`serialize`."""
    return OPTIMIZERS.deserialize(config)
