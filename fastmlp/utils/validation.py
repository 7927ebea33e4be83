"""The one home of the input checks every public entry point shares.

Each check raises a TypeError or ValueError whose message names the argument
and the problem, before anything is computed or changed, so bad input never
reaches a kernel and never leaves a model half-updated. The checks work on
NumPy arrays and on any array with ``dtype``/``shape`` (CuPy arrays pass
through without a copy to the host).
"""

import numpy as np

# Rows scanned for NaN/inf at a time, so the scan of a large input needs little memory.
FINITE_CHECK_ROWS = 4096


def as_array(x, what):
    """``x`` as an array: arrays (NumPy or CuPy) as they are, anything else
    through ``np.asarray``.

    Args:
        x: the value passed for ``what``.
        what: the argument's name, for messages.

    Returns:
        An object with ``dtype``, ``shape`` and ``ndim``.

    Raises:
        TypeError: for None or a string, which are never arrays of numbers.
    """
    if x is None:
        raise TypeError(f"{what} is None; pass an array of numbers")
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{what} must be an array of numbers, got a string ({x[:40]!r})")
    if isinstance(x, np.ndarray) or (hasattr(x, "dtype") and hasattr(x, "shape") and hasattr(x, "ndim")):
        return x
    return np.asarray(x)


def check_batch(x, what, expected_shape=None):
    """Check a batch of model inputs: numeric, a batch axis first, not empty,
    and (when given) samples of ``expected_shape``.

    Args:
        x: the batch (array-like).
        what: its name in messages (``"x"``, ``"model 'mlp'"``).
        expected_shape: the per-sample shape the model takes, or None.

    Returns:
        ``x`` as an array (not copied when it already is one).
    """
    x = as_array(x, what)
    if x.dtype.kind not in "fiu":
        raise TypeError(f"{what} must be numeric, got dtype {x.dtype}")
    if x.ndim < 2:
        raise ValueError(
            f"{what} must be a batch of shape (n, ...features), with the batch axis first; got shape "
            f"{x.shape}. For a single sample use x[None] (or x.reshape(1, -1))"
        )
    if x.shape[0] == 0:
        raise ValueError(f"{what} is an empty batch (shape {x.shape})")
    if expected_shape is not None:
        sample_shape = tuple(int(d) for d in x.shape[1:])
        if sample_shape != tuple(expected_shape):
            raise ValueError(f"{what} expects samples of shape {tuple(expected_shape)}, got "
                             f"{sample_shape} (input shape {x.shape})")
    return x


def check_finite(x, what):
    """Raise a ValueError when the host array ``x`` holds NaN or infinity,
    scanning a block of rows at a time.

    Args:
        x: a NumPy array (integer arrays pass at once).
        what: its name in the message.
    """
    if x.dtype.kind not in "fc":
        return
    # (an empty array cannot be reshaped with -1, and has nothing to scan)
    rows = x.reshape(x.shape[0], -1) if x.ndim > 1 and x.size else x
    for start in range(0, len(rows), FINITE_CHECK_ROWS):
        if not np.isfinite(rows[start:start + FINITE_CHECK_ROWS]).all():
            raise ValueError(f"{what} holds NaN or infinity; fastmlp trains and evaluates on "
                             "finite values only")


def check_float_targets(y, num_outputs, what):
    """Targets shaped like the model's output, as C-contiguous float32.

    Args:
        y: the targets; ``(n,)`` is taken as ``(n, 1)`` for one output.
        num_outputs: the model's output size.
        what: their name in messages.

    Returns:
        A float32 array of shape ``(n, num_outputs)``.
    """
    y = as_array(y, what)
    y = np.asarray(y)
    if y.dtype.kind not in "fiub":
        raise TypeError(f"{what} must be numeric, got dtype {y.dtype}")
    if y.ndim == 1 and num_outputs == 1:
        y = y.reshape(-1, 1)
    if y.ndim != 2 or y.shape[1] != num_outputs:
        raise ValueError(f"{what} must have shape (n, {num_outputs}) to match the model's output, "
                         f"got {y.shape}")
    y = np.ascontiguousarray(y, dtype=np.float32)
    check_finite(y, what)
    return y


def check_predictions(y_pred, allow_empty=False):
    """Predictions passed to a loss or a metric called directly.

    Args:
        y_pred: a host array of real numbers; ``(n,)`` is taken as ``(n, 1)``.
        allow_empty: whether a batch of zero rows is accepted.

    Returns:
        A float32 array of shape ``(n, outputs)``.
    """
    y_pred = np.asarray(as_array(y_pred, "y_pred"))
    if y_pred.dtype.kind not in "fiub":
        raise TypeError(f"y_pred must hold real numbers, got dtype {y_pred.dtype}")
    if y_pred.ndim == 1:
        y_pred = y_pred.reshape(-1, 1)
    if y_pred.ndim != 2 or y_pred.shape[1] == 0 or (y_pred.shape[0] == 0 and not allow_empty):
        raise ValueError(f"y_pred must be a non-empty (batch, outputs) array, got shape {y_pred.shape}")
    return y_pred.astype(np.float32, copy=False)


def check_weight_value(value, shape, what):
    """A new value for a weight: numbers, exactly ``shape``, finite.

    Args:
        value: array-like on the host.
        shape: the weight's shape.
        what: the weight's name in messages.

    Returns:
        ``value`` as a float32 NumPy array.
    """
    value = as_array(value, what)
    if not isinstance(value, np.ndarray):
        value = np.asarray(value)
    if value.dtype.kind not in "fiu":
        raise TypeError(f"{what} must be numeric, got dtype {value.dtype}")
    if value.shape != tuple(shape):
        raise ValueError(f"{what} must have shape {tuple(shape)}, got {value.shape}")
    value = value.astype(np.float32)
    check_finite(value.reshape(-1), what)
    return value


def check_seed(seed, what):
    """``seed`` as an int, or a ValueError unless it is None or an integer in [0, 2**64)."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**64:
        raise ValueError(f"{what} seed must be an integer in [0, 2**64), got {seed!r}")
    return int(seed)


def check_rate(rate, what):
    """``rate`` as a float, or an error unless it is a number in [0, 1)."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating, np.integer)):
        raise TypeError(f"{what} rate must be a number, got {rate!r}")
    rate = float(rate)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"{what} rate must be in [0, 1), got {rate}")
    return rate


def check_sample_weight(sample_weight, n, what="sample_weight"):
    """Per-sample weights for a batch of ``n`` samples, as Keras takes them: a
    scalar or shape ``(1,)`` (the same weight for every sample), ``(n,)`` or
    ``(n, 1)``. Negative weights pass (Keras accepts them); NaN and infinity
    do not.

    Args:
        sample_weight: array-like of real numbers (bools count as 0 and 1).
        n: the batch size.
        what: the argument's name in messages.

    Returns:
        A C-contiguous float32 array of shape ``(n,)``.
    """
    w = np.asarray(as_array(sample_weight, what))
    if w.dtype.kind not in "fiub":
        raise TypeError(f"{what} must hold real numbers, got dtype {w.dtype}")
    if w.ndim == 2 and w.shape[1] == 1:
        w = w[:, 0]
    if w.ndim > 1 or (w.ndim == 1 and w.shape[0] not in (1, n)):
        raise ValueError(f"{what} must be a scalar or have shape ({n},) or ({n}, 1), one weight "
                         f"per sample, got shape {w.shape}")
    w = np.ascontiguousarray(np.broadcast_to(w.astype(np.float32), (n,)))
    check_finite(w, what)
    return w


def check_number(value, what, low=None, high=None, low_open=False):
    """A real-number argument within bounds (e.g. a label smoothing in [0, 1]).

    Args:
        value: the argument (bools refused).
        what: its name in messages.
        low, high: inclusive bounds, None for unbounded.
        low_open: whether ``low`` itself is excluded (``delta > 0``).

    Returns:
        ``value`` as a float.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what} must be a number, got {value!r}")
    value = float(value)
    below = low is not None and (value <= low if low_open else value < low)
    if value != value or below or (high is not None and value > high):
        bounds = ("(" if low_open else "[") + ("-inf" if low is None else f"{low:g}") + ", " + (
            "inf)" if high is None else f"{high:g}]")
        raise ValueError(f"{what} must be in {bounds}, got {value!r}")
    return value


def check_same_length(count, other_count, what, other):
    """Raise a ValueError when ``what`` and ``other`` differ in sample count."""
    if count != other_count:
        raise ValueError(f"{what} has {count} samples but {other} has {other_count}")


def check_positive_int(value, what):
    """``value`` as an int, or a ValueError unless it is a positive integer (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


def normalize_shape(shape, what="input_shape"):
    """A per-sample shape as a tuple of positive ints (an int is a 1-tuple).

    Raises:
        TypeError: when ``shape`` is not a sequence; ValueError when it is
        empty or holds anything but positive integers.
    """
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"{what} must be a tuple of positive integers, got {shape!r}") from None
    if not shape or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0
                            for d in shape):
        raise ValueError(f"{what} must be a non-empty tuple of positive integers, got {shape!r}")
    return tuple(int(d) for d in shape)


def check_nonnegative(x, what):
    """Raise a ValueError when the host array ``x`` holds a negative value
    (e.g. sample weights in ``fit``: a negative weight turns the loss around).

    Args:
        x: a NumPy array of real numbers.
        what: its name in the message.
    """
    if x.size and x.min() < 0:
        raise ValueError(f"{what} must not be negative, got a minimum of {float(x.min())}")
