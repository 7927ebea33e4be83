"""``fit`` under a :class:`fastmlp.distribution.DataParallel` distribution.

Every process reads the whole global batch from the same shuffle (its seed is
broadcast) and trains on its contiguous shard of it. Each local gradient is
scaled by the shard's share of the global loss (its share of the rows, of the
sample weights' total for ``mean_with_sample_weight``, or 1 for ``sum``), so
one in-place ``Allreduce`` (SUM) of each flat gradient buffer gives the
gradient of the global batch's loss; weight penalties' gradients are added
after it, once. The loss total and count and every metric's state (the float
attributes its ``reset_state`` assigns: totals, counts) are summed with one
small ``Allreduce`` per step, so every process logs the global values.

The gradient allreduce overlaps the backward pass: as soon as a layer's
backward is done, its gradients are scaled and a non-blocking ``Iallreduce``
of each is started, and the requests are driven (``Testall``) after each
later layer, so the layers below compute while the ones above communicate;
the update waits for all of them. Every process starts the same allreduces
in the same order (a process with no rows sends zeros), as MPI requires.
"""

from __future__ import annotations

import contextlib
import copy
import os
import warnings

import numpy as np

from .. import distribution as distribution_module
from .data_adapters import ArrayData

_SCALED = ("sum_over_batch_size", "sum", "mean_with_sample_weight")


def _signature(model, samples, batch_size):
    """What must agree across processes: the data's size and the model's layers."""
    layers = [(type(layer).__name__, [tuple(np.shape(w)) for w in layer._weights.values()])
              for layer in model.leaves()]
    return {"samples": samples, "batch size": batch_size,
            "parameters": sum(int(store.size) for store in model.stores()), "layers": layers}


def _check_same(comm, mine):
    """Raise the same ValueError on every process when one differs from process 0."""
    everyone = comm.allgather(mine)
    for rank, theirs in enumerate(everyone):
        for key, value in theirs.items():
            if value != everyone[0][key]:
                raise ValueError(f"distributed fit: process {rank} has {key} {value!r}, but process 0 "
                                 f"has {everyone[0][key]!r}; every process must train the same model "
                                 "on the same data")


def _state_names(metric):
    """The names of ``metric``'s state: the float and array attributes its
    ``reset_state`` assigns afresh (``total``/``count``, a confusion
    ``counts`` array), found on a copy. Every built-in metric's state is a sum
    over samples, so the processes' states add up to the global one.

    Raises:
        NotImplementedError: no such attribute (a metric keeping its state
            in ints, lists or None, e.g. a multi-label AUC without ``num_labels``).
    """
    probe = copy.deepcopy(metric)
    for name, value in vars(probe).items():
        if type(value) is float:
            setattr(probe, name, float(repr(value)))  # a new object: reassignment shows
    before = {name: id(value) for name, value in vars(probe).items()}
    probe.reset_state()
    names = [name for name, value in vars(probe).items()
             if id(value) != before.get(name) and (type(value) is float or (
                 isinstance(value, np.ndarray) and value.dtype.kind == "f"))]
    if not names:
        raise NotImplementedError(f"distributed fit sums metric states: metric {metric.name!r} keeps "
                                  "no float state that reset_state assigns")
    return names


def _random_layers(model):
    """Layers that draw from a (seed, step) stream: Dropout and the noise layers."""
    return [layer for layer in model.leaves() if hasattr(layer, "seed") and hasattr(layer, "step")]


class DistributedRun:
    """One distributed ``fit``: the start-up synchronisation, the steps and the logs.

    Args:
        model: the model, built, its optimizer bound.
        adapter: the training data's adapter (arrays only).
        dist: the :class:`~fastmlp.distribution.DataParallel`.

    Raises:
        NotImplementedError: data other than arrays, the cupy backend, a loss
            reduction other than those scaled here, or a metric with no state.
        ValueError: a process's model or data differs from process 0's.
    """

    def __init__(self, model, adapter, dist):
        if type(adapter) is not ArrayData:
            raise NotImplementedError("distributed fit takes NumPy arrays for now, "
                                      f"not {type(adapter).__name__}")
        if model.ops.name == "cupy":
            raise NotImplementedError("distributed fit runs on the host backends ('numpy', 'cython')")
        reduction = getattr(model.loss, "reduction", "sum_over_batch_size")
        if reduction not in _SCALED:
            raise NotImplementedError(f"distributed fit: loss reduction {reduction!r} is not supported")
        if reduction == "sum" and model._penalties:
            raise NotImplementedError("distributed fit: weight penalties with a 'sum' loss reduction")
        self.states = [_state_names(metric) for metric in model._compiled_metrics()]
        self.model, self.dist, self.comm = model, dist, dist.comm
        self.mpi = distribution_module._mpi()
        self.reduction = reduction
        _check_same(self.comm, _signature(model, len(adapter), adapter.batch_size))
        self._broadcast_state()
        self.logs = None

    def _broadcast_state(self):
        """Process 0's weights, optimizer state, random streams and shuffle seed everywhere."""
        model, comm = self.model, self.comm
        for store in model.stores():
            comm.Bcast(store.params, root=0)
        for layer in model.leaves():
            for array in layer.state_arrays():
                if isinstance(array, np.ndarray) and array.flags.c_contiguous:
                    comm.Bcast(array, root=0)
        optimizer = model.optimizer
        for store in model.stores():
            for buf in optimizer._slots.get(id(store), {}).values():
                comm.Bcast(buf, root=0)
        optimizer.iterations = comm.bcast(optimizer.iterations, root=0)
        for layer in _random_layers(model):
            layer.seed, layer.step = comm.bcast((layer.seed, layer.step), root=0)
        model._shuffle_seed, model._epochs_seen = comm.bcast(
            (model._shuffle_seed, model._epochs_seen), root=0)

    def guard(self):
        """The context that aborts every process when this one fails."""
        return distribution_module.abort_on_error(self.comm)

    def _scale(self, rows, start, stop, wb):
        """This shard's share of the global batch's loss."""
        if self.reduction == "sum":
            return 1.0
        if self.reduction == "mean_with_sample_weight" and wb is not None:
            total = float(np.sum(np.asarray(wb), dtype=np.float64))
            return float(np.sum(np.asarray(wb[start:stop]), dtype=np.float64)) / total if total else 0.0
        return (stop - start) / rows

    def train_step(self, xb, yb, wb=None):
        """One step on this process's shard of the global batch ``(xb, yb, wb)``."""
        model, rows = self.model, xb.shape[0]
        start, stop = self.dist.shard(rows)
        scale = self._scale(rows, start, stop, wb)
        if stop > start:
            before = model._loss_total
            with distribution_module.sharded_batch(rows, start):
                grad = model._loss_step(xb[start:stop], yb[start:stop],
                                        None if wb is None else wb[start:stop], training=True)
                requests = self._backward_and_reduce(grad, scale)
            # The logged total counts this shard's share of the global loss.
            shard_loss = (model._loss_total - before) / (stop - start)
            model._loss_total = before + rows * scale * shard_loss
        else:  # more processes than rows: no share, but the random streams move on
            for layer in _random_layers(model):
                layer.step += 1
            requests = []
            for layer in _weighted_from_last(model):
                for grads in layer._grads.values():
                    grads[...] = 0
                    requests.append(self.comm.Iallreduce(self.mpi.IN_PLACE, grads, op=self.mpi.SUM))
        self.mpi.Request.Waitall(requests)
        for reg, weights, weight_grad in model._penalties:
            reg.add_gradient(model.ops, weights, weight_grad)
        model.optimizer.apply()
        self._reduce_logs()

    def _backward_and_reduce(self, grad, scale):
        """The backward pass from the loss gradient ``grad``, layer by layer
        from the output; each layer's gradients, once computed, scaled by
        ``scale`` and their allreduce started. Returns the requests."""
        model, mpi, requests = self.model, self.mpi, []
        layers, first = model._layers, model._first_weighted
        dy = grad
        for i in range(len(layers) - 1, first - 1, -1):
            dy = layers[i].backward(dy, need_dx=i > first)
            for leaf in reversed(layers[i].leaves_with_weights()):
                for grads in leaf._grads.values():
                    grads *= scale
                    requests.append(self.comm.Iallreduce(mpi.IN_PLACE, grads, op=mpi.SUM))
            if requests:
                mpi.Request.Testall(requests)  # drive the transfers while the next layer computes
        return requests

    def _reduce_logs(self):
        """The global running loss and metrics (one small Allreduce)."""
        self.logs = reduced_logs(self.model, self.states, self.comm, self.mpi)


def _weighted_from_last(model):
    """The layers with weights in the order the backward pass finishes them
    (the order every process starts their allreduces in)."""
    layers = model._layers
    return [leaf for i in range(len(layers) - 1, model._first_weighted - 1, -1)
            for leaf in reversed(layers[i].leaves_with_weights())]


def reduced_logs(model, state_names, comm, mpi):
    """The loss and metrics over every process's samples: the running loss
    total and count and each metric's state (``state_names``, from
    :func:`_state_names`) summed with one small ``Allreduce``; the metrics'
    own states are left as they were.

    Returns:
        ``{"loss": ..., metric name: ...}``, the same on every process.
    """
    metrics = model._metrics or []
    states = [[np.asarray(getattr(m, name), dtype=np.float64) for name in names]
              for m, names in zip(metrics, state_names)]
    flat = np.concatenate([[model._loss_total, model._loss_count]]
                          + [s.ravel() for group in states for s in group])
    comm.Allreduce(mpi.IN_PLACE, flat, op=mpi.SUM)
    logs = {"loss": flat[0] / flat[1] if flat[1] else 0.0}
    at = 2
    for metric, names, group in zip(metrics, state_names, states):
        local = {}
        for name, state in zip(names, group):
            summed = flat[at:at + state.size].reshape(state.shape)
            at += state.size
            local[name] = _swap(metric, name, summed)
        try:
            logs[metric.name] = float(metric.result())
        finally:
            for name, value in local.items():
                _swap(metric, name, value)
    return logs


def _swap(metric, name, value):
    """Set state ``name`` of ``metric`` to ``value``; returns a copy of what it held."""
    current = getattr(metric, name)
    if isinstance(current, np.ndarray):
        held = current.copy()
        current[...] = value
        return held
    setattr(metric, name, float(value))
    return current


def start(model, adapter):
    """The :class:`DistributedRun` for ``fit``: with the distribution set,
    or, under a launcher that started several processes, a
    :class:`~fastmlp.distribution.DataParallel` over them (set for the rest
    of the program, so that ``evaluate`` and ``predict`` shard too: an
    unchanged Keras program run with ``mpiexec -n N`` trains data-parallel;
    ``FASTMLP_DISTRIBUTED=0`` keeps every process training alone). None
    when nothing is distributed."""
    dist = distribution_module.distribution()
    if dist is None:
        dist = _under_launcher()
        if dist is None:
            return None
    return DistributedRun(model, adapter, dist)


def _under_launcher():
    """A DataParallel over the processes a launcher started (and set), or
    None: no launcher, ``FASTMLP_DISTRIBUTED=0``, or no MPI that sees them
    (then a warning: every process trains alone on all the data)."""
    launched = distribution_module.launched_size()
    if launched <= 1 or os.environ.get("FASTMLP_DISTRIBUTED", "").strip() == "0":
        return None
    try:
        dist = distribution_module.DataParallel()
    except ImportError as exc:
        reason = str(exc)
    else:
        if dist.size > 1:
            distribution_module.set_distribution(dist)
            return dist
        reason = "MPI sees one process (mpi4py's MPI is not the launcher's?)"
    warnings.warn(f"fit runs under a launcher with {launched} processes, but {reason}: each process "
                  "trains alone on all the data", UserWarning, stacklevel=4)
    return None


def guard(run):
    """``run``'s abort-on-error context, or a no-op without a run."""
    return contextlib.nullcontext() if run is None else run.guard()
