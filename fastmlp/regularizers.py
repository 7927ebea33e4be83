"""Weight regularizers with Keras's names and formulas.

A regularizer adds ``penalty(w)`` to the loss a model reports and trains on,
and its gradient to the weight's gradient, at every step.
"""

import numpy as np

from .utils import config as _config


def _factor(name, value):
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative finite number, got {value}")
    return value


class Regularizer:
    """``l1 * sum(|w|) + l2 * sum(w**2)``."""

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
_CLASSES = {cls.__name__: cls for cls in (Regularizer, L1, L2, L1L2)}
_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": L1L2}


def get(identifier):
    """A regularizer from None, a name (``"l2"``) or an instance."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]()
    raise ValueError(f"unknown regularizer {identifier!r}; use l1, l2, l1_l2 or a "
                     "fastmlp.regularizers.Regularizer")


serialize = _config.serialize


def deserialize(config):
    """Rebuild a regularizer saved by :func:`serialize`."""
    return _config.deserialize(config, _CLASSES, "regularizer")


__all__ = ["L1", "L1L2", "L2", "Regularizer", "get", "l1", "l1_l2", "l2"]
