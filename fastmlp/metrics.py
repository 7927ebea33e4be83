"""Accuracy metrics with Keras's names.

A metric accumulates over batches (``update_state``), reports the running
value (``result``) and starts over with ``reset_state``. Inside ``fit`` the
counts come from the backend's accuracy kernels.
"""

import numpy as np

from .backend import get_ops
from .backend.checks import check_labels
from .utils import config as _config


class Metric:
    """Base class: a running ``correct / total``."""

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
        y_pred = np.asarray(ops.to_numpy(y_pred))
        if y_pred.dtype.kind not in "fiub":
            raise TypeError(f"y_pred must hold real numbers, got dtype {y_pred.dtype}")
        y_pred = y_pred.astype(np.float32, copy=False)
        if y_pred.ndim == 1:
            y_pred = y_pred.reshape(-1, 1)
        if y_pred.ndim != 2 or y_pred.shape[1] == 0:
            raise ValueError(f"y_pred must be a (batch, outputs) array with at least one output, "
                             f"got shape {y_pred.shape}")
        targets = self.prepare_targets(y_true, y_pred.shape[1])
        if targets.shape[0] != y_pred.shape[0]:
            raise ValueError(f"y_true has {targets.shape[0]} samples but y_pred has {y_pred.shape[0]}")
        self.update_counts(ops, ops.asarray(y_pred), ops.asarray(targets, dtype=targets.dtype))

    def prepare_targets(self, y, num_outputs):
        y = np.asarray(y)
        if y.dtype.kind not in "fiub":
            raise TypeError(f"{self.name} needs numeric targets, got dtype {y.dtype}")
        if y.ndim == 1:
            y = y.reshape(-1, 1)
        if y.ndim != 2 or y.shape[1] != num_outputs:
            raise ValueError(f"{self.name} needs targets of shape (n, {num_outputs}), got {y.shape}")
        y = np.ascontiguousarray(y, dtype=np.float32)
        if not np.all(np.isfinite(y)):
            raise ValueError(f"{self.name} targets hold NaN or infinity")
        return y

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


_CLASSES = {cls.__name__: cls for cls in (SparseCategoricalAccuracy, CategoricalAccuracy, BinaryAccuracy,
                                          MeanAbsoluteError, MeanSquaredError)}
_BY_NAME = {cls.default_name: cls for cls in _CLASSES.values()}
_SHORT_NAMES = {"mae": MeanAbsoluteError, "mse": MeanSquaredError}


def get(identifier, loss=None, num_outputs=None):
    """A metric from a name or instance. ``"accuracy"``/``"acc"`` resolve as in
    Keras: binary for one output, sparse for a sparse loss, else categorical."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        if identifier in ("accuracy", "acc"):
            if num_outputs == 1:
                cls = BinaryAccuracy
            elif loss is not None and loss.target_kind == "sparse":
                cls = SparseCategoricalAccuracy
            else:
                cls = CategoricalAccuracy
            return cls(name=identifier)
        if identifier in _SHORT_NAMES:
            return _SHORT_NAMES[identifier](name=identifier)
        cls = _BY_NAME.get(identifier) or _CLASSES.get(identifier)
        if cls is not None:
            return cls()
        raise ValueError(f"unknown metric {identifier!r}; valid metrics are accuracy, mae, mse, "
                         f"{', '.join(_BY_NAME)}")
    raise TypeError(f"metric must be a name or a fastmlp.metrics.Metric, got {identifier!r}")


serialize = _config.serialize


def deserialize(config):
    """Rebuild a metric saved by :func:`serialize`."""
    return _config.deserialize(config, _CLASSES, "metric")
