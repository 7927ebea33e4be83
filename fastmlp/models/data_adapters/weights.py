"""Per-sample weights for training: checked ``sample_weight`` arrays, and
``class_weight`` dicts turned into one weight per sample by label, as Keras
does (``data_adapter_utils.class_weight_to_sample_weights``)."""

import numpy as np

from ...utils.validation import check_nonnegative, check_sample_weight


def checked_sample_weight(sample_weight, n, what="sample_weight"):
    """One finite, non-negative float32 weight per sample.

    Args:
        sample_weight: a number, or an array of shape ``(n,)`` or ``(n, 1)``
            (a pandas Series too).
        n: the number of samples.
        what: its name in messages.

    Returns:
        A C-contiguous float32 array of shape ``(n,)``.
    """
    if hasattr(sample_weight, "to_numpy") and not isinstance(sample_weight, np.ndarray):
        sample_weight = sample_weight.to_numpy()
    w = check_sample_weight(sample_weight, n, what)
    check_nonnegative(w, what)
    return w


def class_weight_table(class_weight, num_outputs):
    """``class_weight`` as a float32 lookup table indexed by label.

    Args:
        class_weight: ``{label: weight}``; labels missing from it weigh 1, as
            in Keras.
        num_outputs: the model's output size: labels run over
            ``[0, num_outputs)``, or ``{0, 1}`` for one output.

    Returns:
        A float32 array with one weight per label.

    Raises:
        TypeError: when ``class_weight`` is not a dict; ValueError for a key
        outside the label range (Keras ignores those; here they are a
        mistake worth naming) or a negative or non-finite weight.
    """
    if not isinstance(class_weight, dict):
        raise TypeError(f"class_weight must be a dict {{label: weight}}, got {type(class_weight).__name__}")
    classes = max(int(num_outputs), 2)
    table = np.ones(classes, dtype=np.float32)
    for key, value in class_weight.items():
        if isinstance(key, (bool, np.bool_)) or not isinstance(key, (int, np.integer, float, np.floating)) \
                or key != int(key) or not 0 <= key < classes:
            raise ValueError(f"class_weight has key {key!r}, outside the label range [0, {classes}) of "
                             f"a model with {num_outputs} output(s)")
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not np.isfinite(value) or value < 0:
            raise ValueError(f"class_weight[{key!r}] must be a finite non-negative number, got {value!r}")
        table[int(key)] = value
    return table


def class_weights_for(targets, table):
    """The weight of each sample's class: sparse labels as they are, one-hot
    rows by argmax, a single column by its rounded value (as Keras)."""
    if targets.ndim > 1:
        targets = targets[:, 0] if targets.shape[1] == 1 else np.argmax(targets, axis=1)
    labels = np.round(targets).astype(np.int64)
    inside = (labels >= 0) & (labels < len(table))
    return np.where(inside, table[np.clip(labels, 0, len(table) - 1)], np.float32(1)).astype(np.float32)


def sample_weights(targets, sample_weight, class_weight, num_outputs, what="sample_weight"):
    """The per-sample weights of a batch or a dataset, or None when unweighted.

    Args:
        targets: the targets as the loss prepared them (host arrays).
        sample_weight: as passed to ``fit``.
        class_weight: as passed to ``fit``, or its :func:`class_weight_table`.
        num_outputs: the model's output size.

    Raises:
        ValueError: both given (Keras's message), or a check above fails.
    """
    if sample_weight is not None and class_weight is not None:
        raise ValueError("You cannot `class_weight` and `sample_weight` at the same time.")
    if sample_weight is not None:
        return checked_sample_weight(sample_weight, len(targets), what)
    if class_weight is not None:
        table = class_weight if isinstance(class_weight, np.ndarray) else \
            class_weight_table(class_weight, num_outputs)
        return class_weights_for(targets, table)
    return None
