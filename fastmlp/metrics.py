"""Accuracy metrics with Keras's names.

A metric accumulates over batches (``update_state``), reports the running
value (``result``) and starts over with ``reset_state``. Inside ``fit`` the
counts come from the backend's accuracy kernels.
"""

import numpy as np

from .backend import get_ops
from .backend.checks import check_labels
from .utils.registry import Registry, joins_registry, serialize  # noqa: F401 (serialize is public here)
from .utils.validation import check_float_targets, check_predictions, check_same_length

#: the metric classes by class name and default name; ``"accuracy"`` is
#: resolved from the loss (see :func:`get`)
METRICS = Registry("metric")


class Metric:
    """Base class: a running ``correct / total``."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if joins_registry(cls):
            METRICS.register(cls, cls.default_name)

    def __init__(self, name=None, dtype=None):
        self.name = name or self.default_name
        self.reset_state()

    def reset_state(self):
        self.correct = 0
        self.total = 0

    def result(self):
        return self.correct / self.total if self.total else 0.0

    def count(self, ops, scores, targets):
        """How many rows of ``scores`` are right (backend arrays)."""
        raise NotImplementedError

    def update_counts(self, ops, scores, targets):
        self.correct += self.count(ops, scores, targets)
        self.total += scores.shape[0]

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate a batch given as arrays."""
        if sample_weight is not None:
            raise NotImplementedError("fastmlp metrics do not take sample_weight")
        ops = get_ops()
        y_pred = check_predictions(ops.to_numpy(y_pred), allow_empty=True)
        targets = self.prepare_targets(y_true, y_pred.shape[1])
        check_same_length(targets.shape[0], y_pred.shape[0], "y_true", "y_pred")
        self.update_counts(ops, ops.asarray(y_pred), ops.asarray(targets, dtype=targets.dtype))

    def prepare_targets(self, y, num_outputs):
        return check_float_targets(y, num_outputs, f"{self.name} targets")

    def get_config(self):
        return {"name": self.name}


class _ArgmaxAccuracy(Metric):
    """Counts rows whose argmax matches the target, given as integer labels
    ``(n,)`` or as one-hot rows ``(n, classes)``, whichever the loss uses."""

    def count(self, ops, scores, targets):
        if targets.ndim == 1:
            return ops.count_correct_sparse(scores, targets)
        return ops.count_correct_dense(scores, targets)


class SparseCategoricalAccuracy(_ArgmaxAccuracy):
    """How often ``argmax(y_pred)`` equals the integer label."""

    default_name = "sparse_categorical_accuracy"

    def prepare_targets(self, y, num_outputs):
        return check_labels(y, num_outputs)


class CategoricalAccuracy(_ArgmaxAccuracy):
    """How often ``argmax(y_pred)`` equals ``argmax(y_true)``."""

    default_name = "categorical_accuracy"


class BinaryAccuracy(Metric):
    """How often ``y_pred > threshold`` matches ``y_true > threshold``, per output."""

    default_name = "binary_accuracy"

    def __init__(self, name=None, dtype=None, threshold=0.5):
        self.threshold = float(threshold)
        super().__init__(name=name, dtype=dtype)

    def count(self, ops, scores, targets):
        return float(((scores > self.threshold) == (targets > self.threshold)).mean(axis=1).sum())

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


class MeanAbsoluteError(Metric):
    """The running mean of ``|y_pred - y_true|``."""

    default_name = "mean_absolute_error"

    def count(self, ops, scores, targets):
        return float(abs(scores - targets).mean(axis=1).sum(dtype=np.float64))


class MeanSquaredError(Metric):
    """The running mean of ``(y_pred - y_true) ** 2``."""

    default_name = "mean_squared_error"

    def count(self, ops, scores, targets):
        diff = scores - targets
        return float((diff * diff).mean(axis=1).sum(dtype=np.float64))


METRICS.register(MeanAbsoluteError, "mae")
METRICS.register(MeanSquaredError, "mse")


def get(identifier, loss=None, num_outputs=None):
    """A metric from a name or instance. ``"accuracy"``/``"acc"`` resolve as in
    Keras: binary for one output, sparse for a sparse loss, else categorical."""
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        if num_outputs == 1:
            cls = BinaryAccuracy
        elif loss is not None and loss.target_kind == "sparse":
            cls = SparseCategoricalAccuracy
        else:
            cls = CategoricalAccuracy
        return cls(name=identifier)
    metric = METRICS.get(identifier, Metric)
    if isinstance(identifier, str) and identifier.lower() in ("mae", "mse"):
        metric.name = identifier  # Keras reports the short name as given
    return metric


def deserialize(config):
    """Rebuild a metric saved by :func:`serialize`."""
    return METRICS.deserialize(config)
