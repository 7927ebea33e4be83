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
    """Base class, and the general penalty ``l1 * sum(|w|) + l2 * sum(w**2)``.

    Layers take one per weight (``Dense(kernel_regularizer=...)``); the model
    adds the penalty to its loss and its gradient (``l1 * sign(w) + 2 * l2 * w``)
    to the weight's gradient at every step. Unlike Keras's base class (whose
    penalty is always 0), it can be used (and saved) directly.

    Args:
        l1: the L1 factor (default 0).
        l2: the L2 factor (default 0).

    Raises:
        ValueError: a negative, NaN or infinite factor, or a string that is
            not a number.
        TypeError: a factor that is neither a number nor a string (None).

    Example:
        >>> w = np.array([[1.0, -2.0], [0.5, 0.0]], dtype="float32")
        >>> round(fastmlp.regularizers.Regularizer(l1=0.01, l2=0.1)(w), 4)
        0.56
    """

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
    """The L1 penalty ``l1 * sum(|w|)`` (alias ``l1``).

    Args:
        l1: the factor (Keras's default 0.01).

    Raises:
        ValueError: a bad factor, as for :class:`Regularizer`.
        TypeError: a factor that is not a number, as for :class:`Regularizer`.

    Example:
        >>> # from Keras 3.15 (torch backend): keras.regularizers.L1(0.01)(w)
        >>> w = np.array([[1.0, -2.0], [0.5, 0.0]], dtype="float32")
        >>> round(fastmlp.regularizers.L1(0.01)(w), 4)
        0.035
    """

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """The L2 penalty ``l2 * sum(w**2)`` (weight decay through the loss; alias ``l2``).

    Args:
        l2: the factor (Keras's default 0.01).

    Raises:
        ValueError: a bad factor, as for :class:`Regularizer`.
        TypeError: a factor that is not a number, as for :class:`Regularizer`.

    Example:
        >>> # "l2" names L2(0.01); a layer reports its penalties as ``losses``
        >>> layer = fastmlp.layers.Dense(2, kernel_initializer="ones", kernel_regularizer="l2")
        >>> layer.build((None, 3))
        >>> [round(float(p), 4) for p in layer.losses]  # 0.01 * sum of 6 squared ones
        [0.06]
        >>> round(fastmlp.regularizers.L2(0.01)(np.array([[1.0, -2.0], [0.5, 0.0]])), 4)
        0.0525
    """

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    """Both penalties, ``l1 * sum(|w|) + l2 * sum(w**2)`` (alias ``l1_l2``).

    Args:
        l1: the L1 factor (Keras's default 0).
        l2: the L2 factor (Keras's default 0).

    Raises:
        ValueError: a bad factor, as for :class:`Regularizer`.
        TypeError: a factor that is not a number, as for :class:`Regularizer`.

    Example:
        >>> # from Keras 3.15 (torch backend): keras.regularizers.L1L2(l1=0.01, l2=0.1)(w)
        >>> w = np.array([[1.0, -2.0], [0.5, 0.0]], dtype="float32")
        >>> round(fastmlp.regularizers.L1L2(l1=0.01, l2=0.1)(w), 4)
        0.56
    """


l1, l2, l1_l2 = L1, L2, L1L2
REGULARIZERS.register(Regularizer)
REGULARIZERS.register(L1L2, "l1_l2")


def get(identifier):
    """A regularizer from None, a name (``"l2"``), a class or an instance.

    Args:
        identifier: None, a name in any letter case (``"l1"``, ``"L2"``,
            ``"l1_l2"``), a :class:`Regularizer` subclass (built with its
            defaults) or an instance (returned as it is).

    Returns:
        A :class:`Regularizer` instance, or None for None.

    Raises:
        ValueError: an unknown name (the message lists the valid ones).
        TypeError: anything else (a number, a function).

    Example:
        >>> fastmlp.regularizers.get("l2").get_config()
        {'l2': 0.01}
        >>> fastmlp.regularizers.get(None) is None
        True
    """
    if identifier is None:
        return None
    return REGULARIZERS.get(identifier, Regularizer)


def deserialize(config):
    """Rebuild a regularizer saved by :func:`serialize`."""
    return REGULARIZERS.deserialize(config)


__all__ = ["L1", "L1L2", "L2", "Regularizer", "get", "l1", "l1_l2", "l2"]
