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
    """Base class of the optimizers (Keras's ``keras.optimizers.Optimizer``).

    Subclasses name their state buffers in ``slot_names`` and implement
    ``_update`` over flat views of a model's parameter buffer. The update of
    step ``t`` uses the learning rate of step ``t`` (a schedule is called with
    :attr:`iterations`, the updates done so far).

    Args:
        learning_rate: a float >= 0, a
            :class:`~fastmlp.optimizers.schedules.LearningRateSchedule`, or a
            serialized schedule (dict).
        name: the optimizer's name (its class name in lower case when None).
        weight_decay: None (none), or a float >= 0; decoupled decay
            ``p -= p * weight_decay * lr`` where the optimizer applies it (Adam, AdamW).
        clipnorm: Keras's gradient clipping; only None is supported.
        clipvalue: likewise, only None.
        global_clipnorm: likewise, only None.
        **kwargs: Keras's ``use_ema``, ``ema_momentum``,
            ``ema_overwrite_frequency``, ``loss_scale_factor`` and
            ``gradient_accumulation_steps``, accepted when None or False.

    Raises:
        TypeError: a hyperparameter that is not a number, or an unknown
            keyword argument.
        ValueError: a hyperparameter out of range or not finite, or an
            unsupported option (gradient clipping, EMA, loss scaling,
            gradient accumulation).

    Example:
        >>> model = fastmlp.Sequential([fastmlp.Input((2,)), fastmlp.layers.Dense(1, kernel_initializer="ones")])
        >>> model.compile(optimizer=fastmlp.optimizers.SGD(learning_rate=0.01), loss="mse")
        >>> x, y = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0], [1.0]])
        >>> _ = model.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
        >>> model.optimizer.iterations
        2
        >>> [round(w, 4) for w in model.get_weights()[0][:, 0].tolist()]  # Keras 3.15 (torch): the same
        [0.6466, 0.4948]
    """

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
    """Gradient descent with optional (Nesterov) momentum, as Keras's ``SGD``.

    Args:
        learning_rate: a float >= 0 or a schedule (default 0.01).
        momentum: in ``[0, 1]``; 0 (default) is plain gradient descent.
        nesterov: use Nesterov momentum.
        name: the optimizer's name (``"sgd"`` when None).
        **kwargs: ``weight_decay`` and the other arguments of :class:`Optimizer`.

    Raises:
        TypeError: a hyperparameter that is not a number, or an unknown
            keyword argument.
        ValueError: a hyperparameter out of range, or an unsupported option.

    Example:
        >>> model = fastmlp.Sequential([fastmlp.Input((2,)), fastmlp.layers.Dense(1, kernel_initializer="ones")])
        >>> model.compile(optimizer=fastmlp.optimizers.SGD(learning_rate=0.01, momentum=0.9), loss="mse")
        >>> x, y = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0], [1.0]])
        >>> _ = model.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
        >>> [round(w, 4) for w in model.get_weights()[0][:, 0].tolist()]  # Keras 3.15 (torch): the same
        [0.4576, 0.2248]
    """

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
    """Adam with bias correction, Keras's defaults and formula.

    Args:
        learning_rate: a float >= 0 or a schedule (default 0.001).
        beta_1: decay of the first-moment average, in ``[0, 1)``.
        beta_2: decay of the second-moment average, in ``[0, 1)``.
        epsilon: added to the denominator, >= 0 (Keras's 1e-7).
        amsgrad: only False is supported.
        name: the optimizer's name (``"adam"`` when None).
        **kwargs: ``weight_decay`` and the other arguments of :class:`Optimizer`.

    Raises:
        TypeError: a hyperparameter that is not a number, or an unknown
            keyword argument.
        ValueError: a hyperparameter out of range, ``amsgrad=True``, or
            another unsupported option.

    Example:
        >>> model = fastmlp.Sequential([fastmlp.Input((2,)), fastmlp.layers.Dense(1, kernel_initializer="ones")])
        >>> model.compile(optimizer=fastmlp.optimizers.Adam(learning_rate=0.01), loss="mse")
        >>> x, y = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0], [1.0]])
        >>> _ = model.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
        >>> [round(w, 4) for w in model.get_weights()[0][:, 0].tolist()]  # Keras 3.15 (torch): the same
        [0.98, 0.98]
    """

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
    """Adam with decoupled weight decay ``p -= p * weight_decay * lr``.

    Args:
        learning_rate: a float >= 0 or a schedule (default 0.001).
        weight_decay: the decay rate, >= 0 (Keras's default 0.004).
        beta_1: decay of the first-moment average, in ``[0, 1)``.
        beta_2: decay of the second-moment average, in ``[0, 1)``.
        epsilon: added to the denominator, >= 0.
        amsgrad: only False is supported.
        name: the optimizer's name (``"adamw"`` when None).
        **kwargs: the other arguments of :class:`Optimizer`.

    Raises:
        TypeError: a hyperparameter that is not a number, or an unknown
            keyword argument.
        ValueError: a hyperparameter out of range, ``amsgrad=True``, or
            another unsupported option.

    Example:
        >>> model = fastmlp.Sequential([fastmlp.Input((2,)), fastmlp.layers.Dense(1, kernel_initializer="ones")])
        >>> model.compile(optimizer=fastmlp.optimizers.AdamW(learning_rate=0.01, weight_decay=0.1), loss="mse")
        >>> x, y = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0], [1.0]])
        >>> _ = model.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
        >>> [round(w, 4) for w in model.get_weights()[0][:, 0].tolist()]  # Keras 3.15 (torch): the same
        [0.978, 0.978]
    """

    def __init__(self, learning_rate: float | schedules.LearningRateSchedule = 0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, name=name, weight_decay=weight_decay, **kwargs)



class RMSprop(Optimizer):
    """RMSprop, Keras's formula and defaults (rho 0.9, no momentum, epsilon 1e-7).

    Args:
        learning_rate: a float >= 0 or a schedule (default 0.001).
        rho: decay of the squared-gradient average, in ``[0, 1)``.
        momentum: in ``[0, 1]``; 0 (default) for none.
        epsilon: added to the denominator, >= 0.
        centered: only False is supported.
        name: the optimizer's name (``"rmsprop"`` when None).
        **kwargs: ``weight_decay`` and the other arguments of :class:`Optimizer`.

    Raises:
        TypeError: a hyperparameter that is not a number, or an unknown
            keyword argument.
        ValueError: a hyperparameter out of range, ``centered=True``, or
            another unsupported option.

    Example:
        >>> model = fastmlp.Sequential([fastmlp.Input((2,)), fastmlp.layers.Dense(1, kernel_initializer="ones")])
        >>> model.compile(optimizer=fastmlp.optimizers.RMSprop(learning_rate=0.01), loss="mse")
        >>> x, y = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0], [1.0]])
        >>> _ = model.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
        >>> [round(w, 4) for w in model.get_weights()[0][:, 0].tolist()]  # Keras 3.15 (torch): the same
        [0.9459, 0.9459]
    """

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
    """An optimizer from a name (``"adam"``...), a class or an instance.

    Args:
        identifier: a name (any letter case), an :class:`Optimizer` subclass
            (made with its defaults) or an instance (returned as it is).

    Returns:
        An :class:`Optimizer`.

    Raises:
        ValueError: an unknown name (the message lists the valid ones).
        TypeError: anything else.

    Example:
        >>> opt = fastmlp.optimizers.get("Adam")
        >>> type(opt).__name__, opt.learning_rate
        ('Adam', 0.001)
    """
    return OPTIMIZERS.get(identifier, Optimizer)


def deserialize(config: dict[str, Any] | str) -> Optimizer:
    """Rebuild an optimizer saved by :func:`serialize`.

    Args:
        config: ``{"class_name": ..., "config": {...}}``; the class is looked
            up among fastmlp's optimizers only.

    Returns:
        A new :class:`Optimizer` with the saved settings (no state).

    Raises:
        ValueError: not a mapping, or an unknown class name.
        TypeError: a config key the class does not take.

    Example:
        >>> saved = fastmlp.optimizers.serialize(fastmlp.optimizers.SGD(0.1, momentum=0.9))
        >>> fastmlp.optimizers.deserialize(saved).momentum
        0.9
    """
    return OPTIMIZERS.deserialize(config)
