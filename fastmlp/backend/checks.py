"""Argument checks shared by the backends and the public API.

Kernels trust their arguments (the NumPy reference would silently wrap a
negative label around, a C kernel would read out of bounds), so values that
index memory are checked here, once per call, before any kernel runs.
"""

import numpy as np

_INT32_MAX = np.iinfo(np.int32).max


def label_error(label, row, num_classes):
    """The ValueError for ``label`` at ``row`` outside ``[0, num_classes)``."""
    return ValueError(f"label {label} at row {row} is outside [0, {num_classes})")


def check_thresholds(thresholds):
    """``thresholds`` as a C-contiguous float32 host array, non-empty, 1-D and
    sorted ascending without NaN (the confusion kernels' binary search needs
    that order); a ValueError otherwise."""
    thresholds = np.ascontiguousarray(thresholds, dtype=np.float32)
    if thresholds.ndim != 1 or thresholds.size == 0:
        raise ValueError(f"thresholds must be a non-empty 1-D array, got shape {thresholds.shape}")
    if not (np.diff(thresholds) >= 0).all() or np.isnan(thresholds).any():
        raise ValueError("thresholds must be sorted ascending and free of NaN")
    return thresholds


def check_labels(labels, num_classes):
    """``labels`` as a C-contiguous int32 array of shape ``(n,)``.

    Accepts any integer dtype, or floats holding whole numbers, of shape
    ``(n,)`` or ``(n, 1)``. Raises TypeError for other dtypes and ValueError
    naming the first offending label and its row when a label is not a whole
    number or lies outside ``[0, num_classes)``.
    """
    num_classes = int(num_classes)
    if not 0 < num_classes <= _INT32_MAX + 1:
        raise ValueError(f"num_classes must be in [1, 2**31], got {num_classes}")
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise ValueError(f"labels must have shape (n,) or (n, 1), got {labels.shape}")
    kind = labels.dtype.kind
    if kind == "f":
        bad = ~(np.isfinite(labels) & (np.floor(labels) == labels))
        if bad.any():
            row = int(np.argmax(bad))
            raise ValueError(f"label {labels[row]} at row {row} is not a whole number")
    elif kind not in "iu":
        raise TypeError(f"labels must have an integer dtype, got {labels.dtype}")
    bad = (labels < 0) | (labels >= num_classes)
    if bad.any():
        row = int(np.argmax(bad))
        raise label_error(labels[row], row, num_classes)
    return np.ascontiguousarray(labels, dtype=np.int32)
