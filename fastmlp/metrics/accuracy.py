"""Accuracy metrics: argmax (sparse and categorical), binary and top-k."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend.checks import check_labels
from ..utils.validation import check_positive_int
from .base import _MeanOfValues, dense_targets


class _ArgmaxAccuracy(_MeanOfValues):
    """Rows whose argmax (the first maximum) matches the target, given as
    integer labels ``(n,)`` or as rows ``(n, classes)``, whichever the loss uses.
    Unweighted batches are counted by the backend's accuracy kernels."""

    argmax_only = True

    def _labels(self, ops, y_true):
        return y_true if y_true.ndim == 1 else ops.xp.argmax(y_true, axis=1)

    def values(self, ops, y_true, y_pred):
        return (ops.xp.argmax(y_pred, axis=1) == self._labels(ops, y_true)).astype(np.float32)

    def update_batch(self, ops, y_true, y_pred, sample_weight=None):
        if sample_weight is not None:
            return super().update_batch(ops, y_true, y_pred, sample_weight)
        if y_true.ndim == 1:
            self.total += ops.count_correct_sparse(y_pred, y_true)
        else:
            self.total += ops.count_correct_dense(y_pred, y_true)
        self.count += y_pred.shape[0]


class SparseCategoricalAccuracy(_ArgmaxAccuracy):
    """How often ``argmax(y_pred)`` equals the integer label.

    Args:
        name: the name in logs (default ``"sparse_categorical_accuracy"``).
        dtype: see :class:`Metric`.

    Raises:
        ValueError: for a bad ``dtype``; in ``update_state``, for the bad input (sparse
            labels) that :class:`Metric` lists.
        TypeError: for a ``name`` that is not a string; in ``update_state``, for input
            that is None or not numeric.

    Example:
        >>> accuracy = fastmlp.metrics.SparseCategoricalAccuracy()
        >>> accuracy([2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]])
        0.5
    """

    target_kind = "sparse"

    def prepare_targets(self, y_true, num_outputs):
        return check_labels(y_true, num_outputs)


class CategoricalAccuracy(_ArgmaxAccuracy):
    """How often ``argmax(y_pred)`` equals ``argmax(y_true)``.

    Args:
        name: the name in logs (default ``"categorical_accuracy"``).
        dtype: see :class:`Metric`.

    Raises:
        ValueError: for a bad ``dtype``; in ``update_state``, for the bad input that
            :class:`Metric` lists.
        TypeError: for a ``name`` that is not a string; in ``update_state``, for input
            that is None or not numeric.

    Example:
        >>> accuracy = fastmlp.metrics.CategoricalAccuracy()
        >>> accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]])
        0.5
    """


class BinaryAccuracy(_MeanOfValues):
    """How often ``y_true`` equals ``y_pred > threshold`` (strictly: a prediction
    equal to the threshold is a 0), averaged over the outputs of each sample.
    As in Keras 3, ``y_true`` itself is not thresholded: a soft label 0.7
    never matches.

    Args:
        name: the name in logs (default ``"binary_accuracy"``).
        dtype: see :class:`Metric`.
        threshold: the decision threshold (default 0.5; use 0 for logits).

    Raises:
        ValueError: for a bad ``dtype``, a ``threshold`` that is not a finite number; in
            ``update_state``, for the bad input that :class:`Metric` lists.
        TypeError: for a ``name`` that is not a string, or a ``threshold`` that
            ``float()`` refuses (None); in ``update_state``, for input that is None or
            not numeric.

    Example:
        >>> accuracy = fastmlp.metrics.BinaryAccuracy()
        >>> accuracy([[1], [1], [0], [0]], [[0.98], [1.0], [0.0], [0.6]])
        0.75
    """

    def __init__(self, name: str | None = None, dtype: Any = None, threshold: float = 0.5) -> None:
        threshold = float(threshold)
        if not np.isfinite(threshold):
            raise ValueError(f"threshold must be a finite number, got {threshold}")
        self.threshold = threshold
        super().__init__(name=name, dtype=dtype)

    def values(self, ops, y_true, y_pred):
        y_true = dense_targets(self, y_true, y_pred)
        hits = y_true == (y_pred > np.float32(self.threshold)).astype(np.float32)
        return hits.mean(axis=1, dtype=np.float64)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


class _TopK(_MeanOfValues):
    """Rows whose target class scores at least the k-th largest prediction
    (ties count as in the top k, as Keras's ``in_top_k``)."""

    def __init__(self, k: int = 5, name: str | None = None, dtype: Any = None) -> None:
        self.k = check_positive_int(k, "k")
        super().__init__(name=name, dtype=dtype)

    def values(self, ops, y_true, y_pred):
        xp = ops.xp
        labels = (y_true if y_true.ndim == 1 else xp.argmax(y_true, axis=1)).astype(np.int64)
        rows = xp.arange(y_pred.shape[0])
        target = y_pred[rows, labels]
        if self.k >= y_pred.shape[1]:
            return xp.ones(y_pred.shape[0], dtype=np.float32)
        kth = -xp.partition(-y_pred, self.k - 1, axis=1)[:, self.k - 1]
        return (target >= kth).astype(np.float32)

    def get_config(self):
        return {**super().get_config(), "k": self.k}


class TopKCategoricalAccuracy(_TopK):
    """How often the class of the one-hot target is among the ``k`` highest
    predictions (a tie with the k-th counts as in, as Keras's ``in_top_k``).

    Args:
        k: how many of the highest predictions count (default 5).
        name: the name in logs (default ``"top_k_categorical_accuracy"``).
        dtype: see :class:`Metric`.

    Raises:
        ValueError: for a bad ``dtype``, a ``k`` that is not a positive integer; in
            ``update_state``, for the bad input that :class:`Metric` lists.
        TypeError: for a ``name`` that is not a string; in ``update_state``, for input
            that is None or not numeric.

    Example:
        >>> top1 = fastmlp.metrics.TopKCategoricalAccuracy(k=1)
        >>> top1([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]])
        0.5
    """


class SparseTopKCategoricalAccuracy(_TopK):
    """How often the integer label is among the ``k`` highest predictions (a
    tie with the k-th counts as in, as Keras's ``in_top_k``).

    Args:
        k: how many of the highest predictions count (default 5).
        name: the name in logs (default ``"sparse_top_k_categorical_accuracy"``).
        dtype: see :class:`Metric`.

    Raises:
        ValueError: for a bad ``dtype``, a ``k`` that is not a positive integer; in
            ``update_state``, for the bad input (sparse labels) that :class:`Metric`
            lists.
        TypeError: for a ``name`` that is not a string; in ``update_state``, for input
            that is None or not numeric.

    Example:
        >>> top1 = fastmlp.metrics.SparseTopKCategoricalAccuracy(k=1)
        >>> top1([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]])
        0.5
    """

    target_kind = "sparse"

    def prepare_targets(self, y_true, num_outputs):
        return check_labels(y_true, num_outputs)
