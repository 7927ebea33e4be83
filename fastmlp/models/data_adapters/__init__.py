"""Data adapters: one per kind of input ``fit``, ``evaluate`` and ``predict``
take, as Keras's ``trainers/data_adapters``. Each has ``num_batches`` (None
when unknown), ``iterate(rng=None)`` (an epoch's ``(x, y, w)`` backend
batches), ``on_epoch_begin`` and ``on_epoch_end``.

* arrays (NumPy, lists, memory-mapped files, pandas objects): :class:`ArrayData`;
* generators and other iterators: :class:`GeneratorAdapter`;
* ``PyDataset`` and any object with ``__len__``/``__getitem__``: :class:`SequenceAdapter`.
"""

import warnings

import numpy as np

from ...utils.py_dataset import PyDataset
from .array_adapter import ArrayData
from .generator_adapter import GeneratorAdapter
from .inputs import model_inputs, reject_dict
from .sequence_adapter import SequenceAdapter
from .weights import class_weight_table

__all__ = ["ArrayData", "GeneratorAdapter", "SequenceAdapter", "data_kind", "get_data_adapter",
           "model_inputs"]


def data_kind(x):
    """``"arrays"``, ``"generator"`` or ``"dataset"`` for what was passed as ``x``."""
    if x is None or isinstance(x, (np.ndarray, list, tuple, str, bytes, dict)) or hasattr(x, "__array__") \
            or hasattr(x, "to_numpy") or hasattr(x, "__array_interface__"):
        return "arrays"
    if isinstance(x, PyDataset) or (hasattr(x, "__len__") and hasattr(x, "__getitem__")):
        return "dataset"
    if hasattr(x, "__next__") and hasattr(x, "__iter__"):
        return "generator"
    raise TypeError(f"Unrecognized data type: x={x!r} (of type {type(x).__name__}); pass arrays, a "
                    "generator of batches or a fastmlp.utils.PyDataset")


def get_data_adapter(model, x, y=None, sample_weight=None, class_weight=None, batch_size=None,
                     what="x", targets=True):
    """The adapter for ``x`` (and ``y``, ``sample_weight`` for arrays).

    Args:
        model: the model (built from the data if it is not yet).
        x, y, sample_weight, class_weight: as ``fit`` takes them.
        batch_size: the batch size for arrays; ignored, with a warning, for
            generators and datasets, which make their own batches.
        what: the data's name in messages (``"x"``, ``"validation_data"``).
        targets: whether the data must hold targets (False for ``predict``).

    Raises:
        ValueError: for ``y`` or ``sample_weight`` passed beside a generator or
        a dataset (they belong in its batches; Keras's message), or
        ``class_weight`` with a generator (Keras does not support it).
    """
    reject_dict(x, what)
    kind = data_kind(x)
    if kind == "arrays":
        if not targets:
            raise TypeError("predict takes arrays through model_inputs, not an adapter")
        return ArrayData(model, x, y, what, sample_weight, class_weight).batching(batch_size)
    name = "generator" if kind == "generator" else "PyDataset"
    for value, arg, description in ((y, "y", "the targets"), (sample_weight, "sample_weights",
                                                                "the sample weights")):
        if value is not None:
            raise ValueError(f"When providing `x` as a {name}, `{arg}` should not be passed. Instead, "
                             f"{description} should be included as part of the {name}.")
    if batch_size is not None:
        warnings.warn(f"batch_size={batch_size} is ignored: a {name} gives whole batches",
                      UserWarning, stacklevel=3)
    if class_weight is not None:
        if kind == "generator":
            raise ValueError("Argument `class_weight` is not supported for Python generator inputs. "
                             f"Received: class_weight={class_weight}")
        if model.built:  # else each batch checks it, once the first has built the model
            class_weight = class_weight_table(class_weight, int(np.prod(model.output_shape_)))
    adapter = GeneratorAdapter if kind == "generator" else SequenceAdapter
    return adapter(model, x, what, class_weight=class_weight, targets=targets)
