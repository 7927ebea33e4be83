"""Weight regularizers with Keras's names and formulas.

A regularizer adds ``penalty(w)`` to the loss a model reports and trains on,
and its gradient to the weight's gradient, at every step.
"""

import numpy as np

from .utils.registry import Registry, joins_registry, serialize  # noqa: F401 (serialize is public here)

#: the regularizers by class name and Keras's short names
REGULARIZERS = Registry('regularizer')


def _factor(name, value):
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative finite number, got {value}")
    return value


class Regularizer:
    """``l1 * sum(|w|) + l2 * sum(w**2)``."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if joins_registry(cls):
            REGULARIZERS.register(cls)

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor("l1", l1)
        self.l2 = _factor("l2", l2)

    def __call__(self, w):
        """The penalty for weights ``w``, as a float (summed in float64)."""
        total = 0.0
        if self.l1:
            total += self.l1 * float(abs(w).sum(dtype=np.float64))
        if self.l2:
            total += self.l2 * float((w * w).sum(dtype=np.float64))
        return total

    def add_gradient(self, ops, w, grad):
        """``grad += d(penalty)/dw`` in place."""
        if self.l1:
            grad += np.float32(self.l1) * ops.xp.sign(w)
        if self.l2:
            grad += np.float32(2 * self.l2) * w

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    """Both penalties (Keras's defaults are zero for both)."""


l1, l2, l1_l2 = L1, L2, L1L2
REGULARIZERS.register(Regularizer)
REGULARIZERS.register(L1L2, "l1_l2")


def get(identifier):
    """A regularizer from None, a name (``"l2"``) or an instance."""
    if identifier is None:
        return None
    return REGULARIZERS.get(identifier, Regularizer)


def deserialize(config):
    """Rebuild a regularizer saved by :func:`serialize`."""
    return REGULARIZERS.deserialize(config)


__all__ = ["L1", "L1L2", "L2", "Regularizer", "get", "l1", "l1_l2", "l2"]
