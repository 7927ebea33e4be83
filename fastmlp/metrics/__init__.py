"""Metrics with Keras's names, as Keras 3's stateful objects.

A metric accumulates over batches (``update_state``), reports the running
value (``result``) and starts over with ``reset_state``. Inside ``fit`` the
training loop calls ``update_batch`` with backend arrays: the argmax
accuracies use the accuracy kernels, the confusion-matrix family (TruePositives
... Precision, Recall, AUC) the ``confusion_counts`` kernel.

Modules: ``base`` (Metric, Mean, Sum, MeanMetricWrapper), ``accuracy``,
``regression``, ``probabilistic`` (cross-entropies), ``confusion``, ``auc``,
``f_score``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..utils.registry import serialize  # noqa: F401 (public here, as keras.metrics.serialize)
from .accuracy import (BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
                       SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy)
from .auc import AUC
from .base import METRICS, Mean, MeanMetricWrapper, Metric, Sum
from .confusion import (FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives,
                        TruePositives)
from .f_score import F1Score, FBetaScore
from .probabilistic import BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy
from .regression import MeanAbsoluteError, MeanSquaredError, RootMeanSquaredError

if TYPE_CHECKING:
    from ..losses import Loss

# Keras's short names (keras.metrics.get accepts these, in either case)
METRICS.register(MeanSquaredError, "mse")
METRICS.register(MeanAbsoluteError, "mae")
METRICS.register(BinaryCrossentropy, "bce")

__all__ = [
    "AUC", "BinaryAccuracy", "BinaryCrossentropy", "CategoricalAccuracy", "CategoricalCrossentropy",
    "F1Score", "FBetaScore", "FalseNegatives", "FalsePositives", "METRICS", "Mean",
    "MeanAbsoluteError", "MeanMetricWrapper", "MeanSquaredError", "Metric", "Precision", "Recall",
    "RootMeanSquaredError", "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy", "Sum", "TopKCategoricalAccuracy", "TrueNegatives",
    "TruePositives", "deserialize", "get", "serialize",
]


def get(identifier: Any, loss: Loss | None = None, num_outputs: int | None = None) -> Metric:
    """A metric from a name, class, instance, config dict or plain function.

    ``"accuracy"``/``"acc"`` resolve as in Keras's ``compile``: binary for one
    output, sparse for a sparse loss, else categorical. A metric given by name
    is named as given (``"mse"`` logs as ``mse``); a function
    ``f(y_true, y_pred)`` is wrapped in :class:`MeanMetricWrapper` named
    ``f.__name__``.

    Args:
        identifier: the metric.
        loss: the compiled loss (for ``"accuracy"``), or None.
        num_outputs: the model's output size (for ``"accuracy"``), or None.

    Returns:
        A :class:`Metric`.

    Raises:
        ValueError: for an unknown name, or a dict that is not a saved metric
            (see :func:`deserialize`).
        TypeError: for anything else that is not a metric (a number, None).

    Example:
        >>> fastmlp.metrics.get("mse")
        <MeanSquaredError name='mse'>
        >>> fastmlp.metrics.get("accuracy", num_outputs=1)
        <BinaryAccuracy name='accuracy'>
        >>> def hits(y_true, y_pred):
        ...     return np.equal(y_true, y_pred)
        >>> fastmlp.metrics.get(hits)
        <MeanMetricWrapper name='hits'>
    """
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        cls: type[Metric]
        if num_outputs == 1:
            cls = BinaryAccuracy
        elif loss is not None and loss.target_kind == "sparse":
            cls = SparseCategoricalAccuracy
        else:
            cls = CategoricalAccuracy
        return cls(name=identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier) and not isinstance(identifier, (type, Metric)):
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", None))
    metric = METRICS.get(identifier, Metric)
    if isinstance(identifier, str):
        metric.name = identifier  # compile names a metric given by name as given
    return metric


def deserialize(config: dict[str, Any] | str) -> Metric:
    """Rebuild a metric saved by :func:`serialize` (its class taken only from the registry).

    Args:
        config: ``{"class_name": ..., "config": {...}}``, as :func:`serialize`
            writes it.

    Returns:
        A new :class:`Metric`, its state empty.

    Raises:
        ValueError: for a ``config`` that is not a saved metric (not a mapping,
            an unknown ``"class_name"``, a ``"config"`` that is not a mapping) or
            whose values the class refuses.
        TypeError: for arguments the class does not take.

    Example:
        >>> saved = fastmlp.metrics.serialize(fastmlp.metrics.Precision(thresholds=0.7))
        >>> saved["class_name"], saved["config"]["thresholds"]
        ('Precision', 0.7)
        >>> fastmlp.metrics.deserialize(saved)
        <Precision name='precision'>
    """
    return METRICS.deserialize(config)
