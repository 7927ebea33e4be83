"""Losses with Keras's names, reductions and sample weights.

Called directly, a loss returns a Python float: ``loss_fn(y_true, y_pred,
sample_weight=None)``. Inside ``fit`` the model asks a loss for its value and
its gradient in one call (:meth:`Loss.value_and_grad`); cross-entropies on a
softmax output are computed by the fused softmax-cross-entropy kernel from the
logits.
"""

from __future__ import annotations

from typing import Any

from ..utils.registry import serialize  # noqa: F401 (public here, as keras.losses.serialize)
from .base import EPSILON, LOSSES, REDUCTIONS, Loss  # noqa: F401
from .binary import BinaryCrossentropy, BinaryFocalCrossentropy  # noqa: F401
from .crossentropy import CategoricalCrossentropy, SparseCategoricalCrossentropy  # noqa: F401
from .functions import (CLASS_OF_FUNCTION, bce, binary_crossentropy,  # noqa: F401
                        binary_focal_crossentropy, categorical_crossentropy, categorical_hinge,
                        hinge, huber, kl_divergence, kld, log_cosh, mae, mape,
                        mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
                        mean_squared_logarithmic_error, mse, msle, poisson,
                        sparse_categorical_crossentropy, squared_hinge)
from .hinge import CategoricalHinge, Hinge, SquaredHinge  # noqa: F401
from .probabilistic import KLDivergence, Poisson  # noqa: F401
from .regression import (Huber, LogCosh, MeanAbsoluteError,  # noqa: F401
                         MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError)

# Keras's short names (keras.losses.get accepts them).
LOSSES.register(MeanSquaredError, "mse")
LOSSES.register(MeanAbsoluteError, "mae")
LOSSES.register(MeanAbsolutePercentageError, "mape")
LOSSES.register(MeanSquaredLogarithmicError, "msle")
LOSSES.register(KLDivergence, "kld")
LOSSES.register(BinaryCrossentropy, "bce")


def get(identifier: Any) -> Loss:
    """A loss object from a name (``"mse"``, ``"huber"``, ``"MeanSquaredError"``,
    any letter case), a saved config dict, a class, an instance or one of this
    package's loss functions.

    Args:
        identifier: the name, a dict as :func:`serialize` writes it, a
            :class:`Loss` subclass (built with its defaults), an instance
            (returned as it is) or a function form such as
            ``fastmlp.losses.huber``.

    Returns:
        A :class:`Loss`. Given by a function, or by a name other than its
        class's, it is named as it was given (``"mse"`` logs as ``mse``).

    Raises:
        ValueError: for an unknown name, or a dict that is not a saved loss
            (see :func:`deserialize`).
        TypeError: for a function that is not one of fastmlp's (fastmlp cannot
            differentiate it) or anything else that is not a loss.

    Example:
        >>> loss = fastmlp.losses.get("mse")
        >>> type(loss).__name__, loss.name
        ('MeanSquaredError', 'mse')
        >>> fastmlp.losses.get(fastmlp.losses.huber).name
        'huber'
    """
    if isinstance(identifier, dict):
        return deserialize(identifier)
    cls = CLASS_OF_FUNCTION.get(identifier) if callable(identifier) else None
    if cls is not None:
        loss = cls()
        loss.name = identifier.__name__
        return loss
    if callable(identifier) and not isinstance(identifier, (type, Loss)):
        raise TypeError(
            f"loss {getattr(identifier, '__name__', identifier)!r} is a plain function; fastmlp has "
            "no automatic differentiation, so a loss must be one of fastmlp's losses (a name such "
            "as 'mse', 'huber' or 'sparse_categorical_crossentropy', a function such as "
            "fastmlp.losses.huber, or a class such as fastmlp.losses.Huber) or a subclass of "
            "fastmlp.losses.Loss implementing per_sample (or value_and_grad) with its gradient")
    loss = LOSSES.get(identifier, Loss)
    if isinstance(identifier, str) and identifier.lower() != type(loss).__name__.lower():
        loss.name = identifier
    return loss


def deserialize(config: dict[str, Any] | str) -> Loss:
    """Rebuild a loss saved by :func:`serialize`, its class taken only from
    the loss registry (nothing a config names is imported).

    Args:
        config: ``{"class_name": ..., "config": {...}}``, as :func:`serialize`
            writes it.

    Returns:
        A new :class:`Loss`.

    Raises:
        ValueError: for a ``config`` that is not a mapping, names an unknown
            class, holds a ``"config"`` that is not a mapping, or holds values
            the class refuses.
        TypeError: for a ``"config"`` with arguments the class does not take.

    Example:
        >>> saved = fastmlp.losses.serialize(fastmlp.losses.Huber(delta=2.0))
        >>> saved["class_name"], saved["config"]["delta"]
        ('Huber', 2.0)
        >>> fastmlp.losses.deserialize(saved).delta
        2.0
    """
    return LOSSES.deserialize(config)
