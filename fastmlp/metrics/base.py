"""The stateful metric API: :class:`Metric`, and the running means behind most
of Keras's metrics (:class:`Mean`, :class:`Sum`, :class:`MeanMetricWrapper`).

Two ways in, one state:

* ``update_state(y_true, y_pred, sample_weight=None)`` takes any arrays, checks
  them (``fastmlp.utils.validation``) and leaves the state unchanged on error;
* ``update_batch(ops, y_true, y_pred, sample_weight=None)`` is the training
  loop's call, with trusted backend arrays: ``y_true`` as the loss prepared it
  (int32 labels ``(n,)`` for sparse losses, float32 ``(n, outputs)``
  otherwise), ``y_pred`` probabilities (logits where ``argmax_only``),
  ``sample_weight`` float32 ``(n,)`` or None. The default converts to NumPy and
  calls ``update_state``, so a user's subclass written with NumPy works in
  ``fit``; the built-in metrics override it with their fast path.

Weighted means are ``sum(w * v) / sum(w)`` (Keras's metrics; its losses divide
by the batch size instead).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..backend import get_ops
from ..utils.naming import to_snake_case
from ..utils.registry import Registry, joins_registry
from ..utils.types import ArrayLike
from ..utils.validation import (as_array, check_float_targets, check_predictions, check_same_length,
                                check_sample_weight)

#: the metric classes by class name and default name; ``"accuracy"`` is
#: resolved from the loss (see :func:`fastmlp.metrics.get`)
METRICS = Registry("metric")


class Metric:
    """Base class of every metric: subclasses implement ``update_state``,
    ``result`` and ``reset_state`` (and may override ``update_batch``).

    Args:
        name: the name shown in logs (default: the class's snake_case name).
        dtype: the result dtype's name, kept for ``get_config`` (default ``"float32"``).

    Raises:
        TypeError: for a ``name`` that is not a string.
        ValueError: for a ``dtype`` that names no dtype.

    The built-in metrics check the input of ``update_state`` before counting
    anything (the state stays as it was): a ValueError for predictions that
    are not a ``(batch, outputs)`` array, targets of another shape or holding
    NaN or infinity (for the sparse metrics: labels not of shape ``(n,)`` or
    ``(n, 1)``, not whole numbers, or outside ``[0, classes)``), a different
    number of targets and predictions, or a ``sample_weight`` not of one
    finite weight per sample (or one for all); a TypeError for input that is
    None or not numeric.

    Example:
        >>> class Count(fastmlp.metrics.Metric):
        ...     def __init__(self, name=None, dtype=None):
        ...         super().__init__(name=name, dtype=dtype)
        ...         self.reset_state()
        ...     def update_state(self, y_true, y_pred, sample_weight=None):
        ...         self.seen += len(y_true)
        ...     def result(self):
        ...         return float(self.seen)
        ...     def reset_state(self):
        ...         self.seen = 0
        >>> count = Count()
        >>> count.name
        'count'
        >>> count([0, 1], [0.2, 0.9])  # update_state, then result
        2.0
        >>> count.reset_state()
        >>> count.result()
        0.0
    """

    #: True when the metric depends only on the argmax of ``y_pred``: the
    #: training loop may then pass logits instead of softmax probabilities
    argmax_only = False
    #: names of the state attributes listed by :attr:`variables`
    state_names: tuple[str, ...] = ()
    #: the name in logs and in the registry (each subclass gets one when defined)
    default_name: str

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "default_name" not in cls.__dict__:
            cls.default_name = to_snake_case(cls.__name__)
        if joins_registry(cls):
            METRICS.register(cls, cls.default_name)

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"metric name must be a string, got {name!r}")
        default: str = getattr(self, "default_name", "metric")
        self.name: str = name or default
        try:
            self.dtype = "float32" if dtype is None else np.dtype(dtype).name
        except TypeError:
            raise ValueError(f"metric dtype must be a dtype name, got {dtype!r}") from None

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> None:
        """Accumulate one batch.

        Args:
            y_true: the targets; y_pred: the predictions (array-likes).
            sample_weight: None, a number or one weight per sample.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement update_state")

    def result(self) -> float | np.ndarray:
        """Returns: the metric's value over the batches seen (a float, or an
        array for metrics with several thresholds or classes)."""
        raise NotImplementedError(f"{type(self).__name__} must implement result")

    def reset_state(self) -> None:
        """Forget every batch seen."""
        raise NotImplementedError(f"{type(self).__name__} must implement reset_state")

    def update_batch(self, ops, y_true, y_pred, sample_weight=None):
        """The training loop's update with trusted backend arrays (see the
        module docstring). This default hands host copies to ``update_state``."""
        self.update_state(ops.to_numpy(y_true), ops.to_numpy(y_pred),
                          None if sample_weight is None else ops.to_numpy(sample_weight))

    def update_counts(self, ops, scores, targets):
        """The training loop's former call, kept while it moves to :meth:`update_batch`."""
        self.update_batch(ops, targets, scores)

    def __call__(self, y_true: ArrayLike, y_pred: ArrayLike,
                 sample_weight: ArrayLike | None = None) -> float | np.ndarray:
        """Keras's ``metric(y_true, y_pred)``: update, then return ``result()``."""
        self.update_state(y_true, y_pred, sample_weight=sample_weight)
        return self.result()

    @property
    def variables(self) -> list[np.ndarray]:
        """The state, as NumPy arrays (copies)."""
        return [np.array(getattr(self, name), dtype=np.float64) for name in self.state_names]

    def get_config(self) -> dict[str, Any]:
        """Returns: the constructor arguments, for ``from_config``."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        """Args: config: a ``get_config`` dict. Returns: a new metric."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


class Mean(Metric):
    """The (weighted) mean of the values given: ``sum(w * v) / sum(w)``; a
    value with more than one axis is first averaged over all but the first.
    Its ``update_state(values, sample_weight=None)`` takes values, as Keras's.

    Args:
        name: default ``"mean"``.
        dtype: see :class:`Metric`.

    Raises:
        TypeError: for a ``name`` that is not a string; in ``update_state``, for values
            or weights that are None or not numeric.
        ValueError: for a bad ``dtype``; in ``update_state``, for ``sample_weight`` of
            the wrong shape or not finite.

    Example:
        >>> mean = fastmlp.metrics.Mean()
        >>> mean.update_state([1, 3, 5, 7])
        >>> mean.result()
        4.0
        >>> mean.reset_state()
        >>> mean.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
        >>> mean.result()
        2.0
    """

    state_names = ("total", "count")

    def __init__(self, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None):  # type: ignore[override]  # Keras's Mean takes values
        """Args: values: numbers, one (or one row) per sample; sample_weight:
        None, a number or one weight per sample."""
        values = _per_sample(values, "values")
        self.accumulate(get_ops(), values, _weights(sample_weight, len(values)))

    def accumulate(self, ops, values, weights):
        """Add per-sample ``values`` (n,) with ``weights`` (n,) or None (backend arrays)."""
        if weights is None:
            self.total += float(values.sum(dtype=np.float64))
            self.count += values.shape[0]
        else:
            self.total += float((values * weights).sum(dtype=np.float64))
            self.count += float(weights.sum(dtype=np.float64))

    def result(self):
        return self.total / self.count if self.count else 0.0


class Sum(Metric):
    """The (weighted) sum of the values given; a value with more than one
    axis is first summed over all but the first. Its
    ``update_state(values, sample_weight=None)`` takes values, as Keras's.

    Args:
        name: default ``"sum"``.
        dtype: see :class:`Metric`.

    Raises:
        TypeError: as :class:`Mean`: a non-string ``name``, or values or
            weights that are not numeric.
        ValueError: as :class:`Mean`: a bad ``dtype``, or weights of the wrong
            shape or not finite.

    Example:
        >>> total = fastmlp.metrics.Sum()
        >>> total.update_state([1, 3, 5, 7])
        >>> total.result()
        16.0
    """

    state_names = ("total",)

    def __init__(self, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def reset_state(self):
        self.total = 0.0

    def update_state(self, values, sample_weight=None):  # type: ignore[override]  # Keras's Mean takes values
        """Args: values: numbers; sample_weight: None, a number or one weight per sample."""
        values = _per_sample(values, "values", reduce=np.sum)
        weights = _weights(sample_weight, len(values))
        self.total += float((values if weights is None else values * weights).sum(dtype=np.float64))

    def result(self):
        return self.total


class MeanMetricWrapper(Mean):
    """The running weighted mean of ``fn(y_true, y_pred, **kwargs)``, a function
    returning one value (or one row of values) per sample.

    Args:
        fn: the function (NumPy arrays in, array out).
        name: default ``"mean_metric_wrapper"``; ``compile`` names a plain
            function by its ``__name__``, as Keras does.
        dtype: see :class:`Metric`.
        **kwargs: passed on to ``fn``.

    Raises:
        TypeError: for an ``fn`` that is not callable or a ``name`` that is not a
            string; in ``update_state``, for values from ``fn`` or weights that are not
            numeric.
        ValueError: for a bad ``dtype``; in ``update_state``, for ``sample_weight`` of
            the wrong shape or not finite (and whatever ``fn`` raises).

    Example:
        >>> wrapped = fastmlp.metrics.MeanMetricWrapper(fastmlp.losses.mean_squared_error)
        >>> wrapped([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])
        0.5
    """

    def __init__(self, fn: Callable[..., Any], name: str | None = None, dtype: Any = None, **kwargs: Any) -> None:
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper needs a function, got {fn!r}")
        super().__init__(name=name, dtype=dtype)
        self.fn = fn
        self.fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):  # type: ignore[override]
        values = _per_sample(self.fn(y_true, y_pred, **self.fn_kwargs), f"{self.name}'s values")
        weights = _weights(sample_weight, len(values))
        self.accumulate(get_ops(), values, weights)

    def get_config(self):
        return {**super().get_config(), "fn": getattr(self.fn, "__name__", repr(self.fn)),
                **self.fn_kwargs}


def _weights(sample_weight, count):
    """Checked per-sample weights, or None (every sample weighs 1)."""
    return None if sample_weight is None else check_sample_weight(sample_weight, count)


def _per_sample(values, what, reduce=np.mean):
    """``values`` as a float64 host vector, one entry per sample (trailing axes reduced)."""
    values = np.asarray(get_ops().to_numpy(as_array(values, what)))
    if values.dtype.kind not in "fiub":
        raise TypeError(f"{what} must be numeric, got dtype {values.dtype}")
    values = values.astype(np.float64).reshape(1) if values.ndim == 0 else values.astype(np.float64)
    if values.ndim > 1:
        values = reduce(values.reshape(values.shape[0], -1), axis=1)
    return values


class _BatchMetric(Metric):
    """A built-in metric: ``update_state`` checks host arrays, then runs the
    same ``update_batch`` the training loop calls."""

    #: ``"sparse"``: y_true is integer labels; ``"dense"``: shaped like y_pred
    target_kind = "dense"

    def update_state(self, y_true, y_pred, sample_weight=None):
        ops = get_ops()
        y_pred = check_predictions(ops.to_numpy(y_pred), allow_empty=True)
        y_true = self.prepare_targets(ops.to_numpy(y_true), y_pred.shape[1])
        check_same_length(y_true.shape[0], y_pred.shape[0], "y_true", "y_pred")
        weights = _weights(sample_weight, y_pred.shape[0])
        self.check_batch(y_true, y_pred)
        self.update_batch(ops, ops.asarray(y_true, dtype=y_true.dtype), ops.asarray(y_pred),
                          None if weights is None else ops.asarray(weights))

    def prepare_targets(self, y_true, num_outputs):
        """Checked host targets in the dtype the fast path takes."""
        return check_float_targets(y_true, num_outputs, f"{self.name} targets")

    def check_batch(self, y_true, y_pred):
        """Further checks of a batch against the metric's settings (host arrays)."""


class _MeanOfValues(_BatchMetric, Mean):  # type: ignore[misc]  # _BatchMetric's update_state wins
    """A weighted mean of per-sample values computed on the backend by
    :meth:`values` (the metrics Keras builds with ``MeanMetricWrapper``)."""

    def values(self, ops, y_true, y_pred):
        """Returns: one value per sample, a backend array ``(n,)``."""
        raise NotImplementedError

    def update_batch(self, ops, y_true, y_pred, sample_weight=None):
        self.accumulate(ops, self.values(ops, y_true, y_pred), sample_weight)


def dense_targets(metric, y_true, y_pred):
    """``y_true`` shaped like ``y_pred``: integer labels ``(n,)`` pass only for
    one output (as a column); otherwise a ValueError naming the metric."""
    if y_true.ndim == 2:
        return y_true
    if y_pred.shape[1] == 1:
        return y_true.reshape(-1, 1).astype(np.float32)
    raise ValueError(f"metric {metric.name!r} needs targets shaped like the predictions "
                     f"{tuple(y_pred.shape)}, got integer labels; use one-hot targets with a "
                     "categorical loss")
