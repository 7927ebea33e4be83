"""What every data adapter shares: host arrays from what the caller passed
(pandas objects by duck typing), model inputs with Keras's 1-D allowance, and
one checked batch from a generator or a dataset of batches."""

import numpy as np

from ...utils.validation import check_batch, check_finite, check_same_length
from .weights import sample_weights


def host_array(value):
    """``value`` with pandas DataFrames and Series (anything with
    ``to_numpy`` that is not already an array) turned into NumPy arrays;
    pandas itself is never imported."""
    if value is not None and not isinstance(value, np.ndarray) and not hasattr(value, "__array_interface__") \
            and callable(getattr(value, "to_numpy", None)):
        return value.to_numpy()
    return value


def reject_dict(value, what):
    """Raise a TypeError for dict inputs, which need several model inputs."""
    if isinstance(value, dict):
        raise TypeError(f"{what} is a dict; fastmlp models take one input array (dict inputs, for "
                        "models with named inputs, are not supported)")


def model_inputs(model, x, what):
    """``x`` checked as a batch of model inputs, the model built for it.

    A 1-D ``x`` feeds a model whose samples have shape ``(1,)``, as in Keras.

    Returns:
        ``x`` as an array (not copied).
    """
    reject_dict(x, what)
    x = host_array(x)
    if x is not None and not isinstance(x, (str, bytes)) and np.ndim(x) == 1:
        shape = model.input_shape_ if model.built else model._declared_sample_shape()
        if shape is not None and tuple(shape) == (1,):
            x = np.asarray(x).reshape(-1, 1)
    x = check_batch(x, what)
    model._ensure_built(x.shape[1:])
    return x


def unpack(batch, what, step):
    """``(x, y, sample_weight)`` from a batch given as ``(x,)``, ``(x, y)`` or
    ``(x, y, sample_weight)`` (a list counts as a tuple), as Keras takes them."""
    if isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, tuple) or len(batch) not in (1, 2, 3):
        raise ValueError(f"{what} must give tuples, either (input,) or (inputs, targets) or (inputs, "
                         f"targets, sample_weights); batch {step} is a {type(batch).__name__}")
    return batch + (None,) * (3 - len(batch))


def checked_batch(model, batch, what, step, class_weight=None, targets=True):
    """One batch from a generator or a dataset, checked and converted.

    Args:
        model: the model (built here from the first batch if need be).
        batch: what the data gave for this step.
        what: the data's name in messages.
        step: the batch index, for messages.
        class_weight: a dict, its table (``weights.class_weight_table``) or None.
        targets: whether targets are required (False for ``predict``).

    Returns:
        ``(x, y, w)``: float32 ``(n, features)`` inputs, prepared targets (or
        None) and float32 weights (or None), host arrays.
    """
    x, y, w = unpack(batch, what, step)
    where = f"{what}, batch {step}"
    x = model_inputs(model, x, f"{where}: x")
    if x.shape[1:] != model.input_shape_:
        raise ValueError(f"{where}: x has samples of shape {tuple(x.shape[1:])}, the model takes "
                         f"{model.input_shape_}")
    x = np.ascontiguousarray(np.asarray(x).reshape(x.shape[0], -1), dtype=np.float32)
    if not targets:
        return x, None, None
    if y is None:
        raise ValueError(f"{where} has no targets: give (inputs, targets) tuples")
    y = model.loss.prepare_targets(host_array(y), int(np.prod(model.output_shape_)))
    check_same_length(len(x), len(y), f"{where}: x", "y")
    check_finite(x, f"{where}: x")
    w = sample_weights(y, host_array(w), class_weight, int(np.prod(model.output_shape_)),
                       f"{where}: sample_weight")
    return x, y, w


def to_backend(ops, x, y, w):
    """A checked host batch ``(x, y, w)`` as backend arrays (None stays None)."""
    return (ops.asarray(x), None if y is None else ops.asarray(y, dtype=y.dtype),
            None if w is None else ops.asarray(w))


class BatchSource:
    """The base of the adapters whose data makes its own batches (generators,
    datasets): each batch goes through :func:`checked_batch`, and the data's
    own ``on_epoch_begin``/``on_epoch_end`` are called where it has them.

    Args:
        model: the model; source: the data; what: its name in messages.
        class_weight: a dict, its table or None; targets: False for ``predict``.
    """

    def __init__(self, model, source, what, class_weight=None, targets=True):
        self.model = model
        self.source = source
        self.what = what
        self.class_weight = class_weight
        self.targets = targets

    def on_epoch_begin(self):
        hook = getattr(self.source, "on_epoch_begin", None)
        if callable(hook):
            hook()

    def on_epoch_end(self):
        hook = getattr(self.source, "on_epoch_end", None)
        if callable(hook):
            hook()

    def converted(self, batches):
        """``(x, y, w)`` backend arrays for each raw batch, checked."""
        for step, batch in enumerate(batches):
            x, y, w = checked_batch(self.model, batch, self.what, step, self.class_weight, self.targets)
            yield to_backend(self.model.ops, x, y, w)
