"""``evaluate``, ``predict`` and ``fit``'s validation under a
:class:`fastmlp.distribution.DataParallel` distribution (array data).

The samples (after ``steps``, if given) are split into contiguous shards, one
per process (:meth:`DataParallel.shard`). Each process evaluates its shard in
batches of ``batch_size``; the loss total and count and every metric's state
are then summed with one ``Allreduce`` (:func:`distributed_fit.reduced_logs`),
so every process returns the global loss and metrics. ``predict`` gathers the
processes' outputs in sample order with one ``Allgatherv``, so every process
returns the whole array. A failure on any process aborts them all, as in fit.
"""

from __future__ import annotations

import contextlib

import numpy as np

from .. import distribution as distribution_module
from ..utils.validation import check_same_length
from . import distributed_fit
from .data_adapters import data_kind, model_inputs
from .data_adapters.inputs import host_array

_inside = False  # a sharded predict calls the ordinary predict on its shard


def current(x):
    """The DataParallel to shard ``x`` over: the one set, when ``x`` is
    arrays and this is not already a shard's pass; else None.

    Raises:
        NotImplementedError: the cupy backend (the collectives use host buffers).
    """
    dist = distribution_module.distribution()
    if dist is None or _inside or data_kind(x) != "arrays":
        return None
    return dist


def _check_backend(model):
    if model.ops.name == "cupy":
        raise NotImplementedError("distributed evaluate and predict run on the host backends "
                                  "('numpy', 'cython')")


def shard(model, dist, x, y, sample_weight, batch_size, steps):
    """This process's contiguous shard of ``(x, y, sample_weight)``, the first
    ``steps * batch_size`` samples when ``steps`` is given.

    Returns:
        ``(x, y, sample_weight)`` of the shard, or None when it has no rows.

    Raises:
        ValueError: ``x``, ``y`` and ``sample_weight`` differ in length
            (checked on the whole data, so every process raises).
    """
    _check_backend(model)
    x, y, sample_weight = (None if v is None else host_array(v) for v in (x, y, sample_weight))
    x = x if isinstance(x, np.ndarray) else np.asarray(x)
    n = len(x)
    for name, value in (("y", y), ("sample_weight", sample_weight)):
        if value is not None and np.ndim(value) > 0:
            check_same_length(n, len(value), "x", name)
    if steps is not None:
        n = min(n, steps * batch_size)
    start, stop = dist.shard(n)
    if stop == start:
        return None
    return tuple(None if v is None or np.ndim(v) == 0 else v[start:stop] for v in (x, y, sample_weight))


def empty_logs(model):
    """The local logs of a process with no samples: nothing counted."""
    if not model.built:
        raise ValueError("distributed evaluate: build the model first (this process's shard is empty)")
    model._prepare_run()
    model.reset_metrics()
    return model._logs()


def global_logs(model, dist):
    """The loss and metrics over every process's samples (one Allreduce)."""
    states = [distributed_fit._state_names(metric) for metric in model._compiled_metrics()]
    return distributed_fit.reduced_logs(model, states, dist.comm, distribution_module._mpi())


def evaluate_data(model, data, dist=None):
    """``model._evaluate_data(data)`` for fit's validation, over every
    process's shard when ``dist`` is set (``data`` None: an empty shard)."""
    if dist is None:
        return model._evaluate_data(data)
    with guard(dist):
        if data is not None:
            model._evaluate_data(data)
        else:
            empty_logs(model)
        return global_logs(model, dist)


def guard(dist):
    """Abort every process when this one fails (a no-op without ``dist``)."""
    return contextlib.nullcontext() if dist is None else distribution_module.abort_on_error(dist.comm)


def predict(model, dist, x, batch_size, verbose, steps, callbacks):
    """Outputs for all of ``x``: this process's shard predicted, the shards
    gathered in sample order with one ``Allgatherv``.

    Returns:
        The ``(n, *output_shape)`` float32 array, the same on every process.
    """
    global _inside
    _check_backend(model)
    x = model_inputs(model, x, "predict's x")  # the whole input: every process refuses alike
    with guard(dist):
        n = len(x) if steps is None else min(len(x), steps * batch_size)
        start, stop = dist.shard(n)
        _inside = True
        try:
            if stop > start:
                local = model.predict(x[start:stop], batch_size=batch_size,
                                      verbose=verbose if distribution_module.is_chief() else 0,
                                      callbacks=callbacks)
            else:
                local = np.empty((0,) + model.output_shape_, dtype=np.float32)
        finally:
            _inside = False
        local = np.ascontiguousarray(local, dtype=np.float32)
        width = int(np.prod(model.output_shape_, dtype=np.int64))
        counts = np.asarray(dist.comm.allgather(local.shape[0]), dtype=np.int64) * width
        displacements = np.concatenate([[0], np.cumsum(counts)[:-1]])
        result = np.empty((n,) + model.output_shape_, dtype=np.float32)
        dist.comm.Allgatherv(local, [result, counts, displacements, distribution_module._mpi().FLOAT])
        return result
