"""``fit`` through the compiled training step: which models it takes, and
the epochs it runs.

A model qualifies when it is a chain the C step covers -- reshapes and at
most one Rescaling in front, then Dense layers (linear or ReLU; a softmax on
the last one fused into the loss), each optionally followed by a Dropout --
trained on the ``cython`` backend with a softmax cross-entropy (integer or
one-hot targets, optional sample or class weights), SGD (momentum,
Nesterov), Adam, AdamW or RMSprop (any learning-rate schedule), argmax
accuracies as its metrics and no weight penalties, on NumPy arrays.
Anything else trains step by step; :func:`why_not` says why.

The compiled step computes what the step-by-step path computes, with the
same kernels and the same BLAS calls: with one thread the weights agree bit
for bit; layers split over threads add their input gradient's partial sums
in another (fixed) order, so the weights then agree to float32 rounding.
"""

import time
from typing import Any

import numpy as np

from .. import distribution, layers as layers_module, losses, metrics as metrics_module, optimizers
from ..backend import blas, compiled_step, philox
from ..backend.numpy_ops import adam_step_size
from ..layers.reshaping import Flatten, Identity, Rescaling, Reshape
from .data_adapters import ArrayData

_PASS_THROUGH = (Flatten, Identity, Reshape)
_LOSSES = (losses.SparseCategoricalCrossentropy, losses.CategoricalCrossentropy)
_ACCURACIES = (metrics_module.SparseCategoricalAccuracy, metrics_module.CategoricalAccuracy)
_OPTIMIZERS = {optimizers.SGD: "sgd", optimizers.Adam: "adam", optimizers.AdamW: "adam",
               optimizers.RMSprop: "rmsprop"}


def chain_of(model, inference=False):
    """``(rescaling, [(dense, dropout or None), ...])`` of the model's
    layers, or a string saying what the compiled step does not cover. For
    ``inference`` the Dropouts are left out (the identity there) and may
    stand anywhere."""
    rescaling, chain = None, []
    for layer in model.leaves():
        kind = type(layer)
        if kind is layers_module.Dense:
            if layer.activation not in ("linear", "relu", "softmax"):
                return f"Dense activation {layer.activation!r}"
            chain.append([layer, None])
        elif kind is layers_module.Dropout:
            if inference:
                continue
            if not chain or chain[-1][1] is not None:
                return "a Dropout that does not follow a Dense layer"
            if layer.rate > 0:
                chain[-1][1] = layer
        elif kind in _PASS_THROUGH:
            if chain:
                return f"a {kind.__name__} layer after a Dense layer"
        elif kind is Rescaling:
            if chain or rescaling is not None:
                return "a Rescaling layer that is not the only one in front"
            rescaling = layer
        else:
            return f"a {kind.__name__} layer"
    if not chain:
        return "no Dense layer"
    if any(dense.activation == "softmax" for dense, _ in chain[:-1]):
        return "a softmax before the last layer"
    if chain[-1][1] is not None:
        return "a Dropout after the output layer"
    return rescaling, [tuple(pair) for pair in chain]


def why_not(model, adapter):
    """None when ``fit`` on ``adapter`` can use the compiled step, else the
    reason (a phrase)."""
    reason = compiled_step.unavailable_reason()
    if distribution.distribution() is not None:
        return "distributed training"  # the allreduce sits between backward and update
    if reason:
        return reason
    if model.ops.name != "cython":
        return f"the {model.ops.name!r} backend"
    if type(adapter) is not ArrayData or adapter._reader is not None:
        return "data that is not an in-memory array"
    chain = chain_of(model)
    if isinstance(chain, str):
        return chain
    loss = model.loss
    if type(loss) not in _LOSSES:
        return f"loss {type(loss).__name__}"
    if loss.reduction not in ("sum_over_batch_size", "sum", "mean_with_sample_weight") \
            or (loss.reduction == "mean_with_sample_weight" and adapter.w is not None):
        return f"loss reduction {loss.reduction!r}"
    if getattr(loss, "label_smoothing", 0):
        return "label smoothing"
    if (chain[1][-1][0].activation == "softmax") == bool(loss.from_logits):
        return "a cross-entropy on probabilities (no fused softmax)"
    if type(model.optimizer) not in _OPTIMIZERS:
        return f"optimizer {type(model.optimizer).__name__}"
    if model._penalties:
        return "weight regularizers"
    for metric, weighted in zip(model._compiled_metrics(), model._metric_weighted):
        if type(metric) not in _ACCURACIES:
            return f"metric {metric.name!r}"
        if weighted and adapter.w is not None:
            return "weighted metrics"
    x = adapter.x
    if x.dtype not in (np.float32, np.uint8, np.float64) or not x.flags.c_contiguous:
        return f"inputs of dtype {x.dtype} or not in C order"
    return None


def _optimizer_spec(optimizer):
    kind = _OPTIMIZERS[type(optimizer)]
    if kind == "sgd":
        return kind, optimizer.momentum, optimizer.nesterov, 0.0, 0.0, 0.0, 0.0
    if kind == "adam":
        return (kind, 0.0, False, 1.0 - optimizer.beta_1, 1.0 - optimizer.beta_2,
                optimizer.epsilon, 0.0)
    return kind, optimizer.momentum, False, 0.0, 0.0, optimizer.epsilon, optimizer.rho


class CompiledTraining:
    """The compiled step of one ``fit`` call (build with :func:`prepare`)."""

    def __init__(self, model, adapter, nthreads):
        self.model = model
        self.adapter = adapter
        rescaling, chain = chain_of(model)
        # a batch size beyond the data is one batch of all of it
        batch = self.batch_size = min(adapter.batch_size, len(adapter.x))
        optimizer = model.optimizer
        slot_views = _slot_views(optimizer, model.stores())
        trained = _trained_offsets(model)
        specs: list[dict[str, Any]] = []
        for dense, dropout in chain:
            kernel, bias = dense._weights["kernel"], dense._weights.get("bias")
            threads = compiled_step.split_threads(batch, dense.input_shape_[0], dense.units, nthreads)
            ksplit = threads == 1 and compiled_step.split_inputs(
                batch, dense.input_shape_[0], dense.units, nthreads, bool(specs) and specs[-1]["threads"] > 1
                and not specs[-1]["ksplit"])
            threads = nthreads if ksplit else threads
            spec = {"ksplit": ksplit,
                    "in": dense.input_shape_[0], "out": dense.units, "trainable": trained(kernel),
                    # a softmax output is fused into the loss: the step sees its logits
                    "activation": "linear" if dense.activation == "softmax" else dense.activation,
                    "kernel": kernel, "bias": bias, "kernel_grad": dense._grads["kernel"],
                    "bias_grad": dense._grads.get("bias"), "threads": threads,
                    "slots": [(slot_views(kernel, name), slot_views(bias, name) if bias is not None else None)
                              for name in optimizer.slot_names]}
            if dropout is not None:
                spec["dropout"] = (dropout.seed, philox.drop_threshold(dropout.rate),
                                   philox.keep_scale(dropout.rate))
            specs.append(spec)
        self.specs = specs
        self.dropouts = [dropout for _, dropout in chain if dropout is not None]
        self.rescale = None if rescaling is None else float(np.float32(rescaling.scale))
        self.offset = None if rescaling is None else float(np.float32(rescaling.offset))
        self.plan = compiled_step.make_plan(specs, _optimizer_spec(optimizer), chain[0][0].input_shape_[0],
                                            batch, nthreads)
        loss = model.loss
        self.sparse = isinstance(loss, losses.SparseCategoricalCrossentropy)
        self.loss_scale = 1.0 if loss.reduction == "sum" else 0.0  # 0: 1 / batch rows
        self.count_accuracy = bool(model._metrics)

    def _coefficients(self, steps):
        """Per-step learning rates (or Adam's step sizes) and AdamW's decay,
        as the optimizer's ``apply`` computes them step by step."""
        optimizer = self.model.optimizer
        start = optimizer.iterations
        coef = np.empty(steps, dtype=np.float32)
        decay = None
        weight_decay = getattr(optimizer, "weight_decay", None) if isinstance(optimizer, optimizers.Adam) else None
        if weight_decay:
            decay = np.empty(steps, dtype=np.float32)
        for s in range(steps):
            optimizer.iterations = start + s
            lr = optimizer.learning_rate
            if isinstance(optimizer, optimizers.Adam):
                coef[s] = adam_step_size(lr, optimizer.beta_1, optimizer.beta_2, start + s + 1)
            else:
                coef[s] = lr
            if decay is not None:
                decay[s] = weight_decay * lr
        optimizer.iterations = start
        return coef, decay

    def run(self, order, first_step, steps):
        """Train ``steps`` batches starting at batch ``first_step`` of the
        epoch whose sample order is ``order`` (None: as stored); updates the
        weights, the optimizer's state and step count, the Dropouts' step
        counters, the running loss and the metrics."""
        model, adapter = self.model, self.adapter
        batch = self.batch_size
        coef, decay = self._coefficients(steps)
        metrics = model._metrics or []
        totals = (model._loss_total, metrics[0].total if metrics else 0.0,
                  metrics[0].count if metrics else 0.0)
        targets = adapter.y
        loss_total, correct, seen = self.plan.run(
            adapter.x, order, first_step * batch, batch, steps,
            labels=targets if self.sparse else None, targets=None if self.sparse else targets,
            weights=adapter.w, coef=coef, wd_lr=decay, loss_scale=self.loss_scale,
            dropout_steps=[d.step for d in self.dropouts], totals=totals,
            count_accuracy=self.count_accuracy, rescale=self.rescale, offset=self.offset)
        rows = min(len(adapter.x), (first_step + steps) * batch) - first_step * batch
        model._loss_total = loss_total
        model._loss_count += rows
        for metric in metrics:
            metric.total, metric.count = correct, seen
        model.optimizer.iterations += steps
        for dropout in self.dropouts:
            dropout.step += steps


def _store_offset(store, weight):
    """Where the view ``weight`` starts in ``store``'s buffer (floats), or None."""
    base = store.params
    if not np.shares_memory(weight, base):
        return None
    return (weight.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // 4


def _trained_offsets(model):
    """A function telling whether a weight view is updated by the optimizer:
    as in the step-by-step path, the trainable flags as the training plan
    froze them at compile time."""
    plan = model._training_plan()

    def trained(weight):
        for store, segments in plan:
            offset = _store_offset(store, weight)
            if offset is not None:
                return any(start <= offset < stop for start, stop in segments)
        return False
    return trained


def _slot_views(optimizer, stores):
    """A function giving the view of an optimizer slot that matches a
    weight view of one of ``stores``."""
    def view(weight, name):
        for store in stores:
            offset = _store_offset(store, weight)
            if offset is not None:
                slot = optimizer._slots[id(store)][name]
                return slot[offset:offset + weight.size]
        raise ValueError("a weight outside the model's parameter stores")
    return view


def prepare(model, adapter):
    """A :class:`CompiledTraining` for ``fit`` on ``adapter``, or None when
    the model or data needs the step-by-step path."""
    if why_not(model, adapter) is not None:
        return None
    return CompiledTraining(model, adapter, compiled_step.training_threads())


#: With no callback watching batches, an automatic chunk of steps returns to
#: Python about this often (s): the progress bar stays live, an interrupt is
#: seen within a fraction of a second, and the return costs nothing measurable.
AUTO_CHUNK_SECONDS = 0.05
AUTO_CHUNK_MAX = 4096


def run_epoch(compiled, num_batches, rng, callback_list, per_step, batch_logs, interrupt):
    """One epoch of ``fit`` through the compiled step.

    Args:
        compiled: the :class:`CompiledTraining`.
        num_batches: steps in the epoch.
        rng: the epoch's shuffling generator, or None (no shuffle).
        callback_list: the fit's callbacks; their batch hooks run once per
            chunk of steps, with the chunk's first and last step.
        per_step: steps per chunk (``steps_per_execution``), or None for
            automatic chunks of about :data:`AUTO_CHUNK_SECONDS`.
        batch_logs: whether the batch hooks get the running logs.
        interrupt: the fit's deferred interrupt (checked between chunks).

    Returns:
        The steps run.
    """
    model = compiled.model
    order = None if rng is None else rng.permutation(len(compiled.adapter.x))
    step, chunk = 0, per_step or 8
    with blas.single_thread():
        while step < num_batches:
            count = min(chunk, num_batches - step)
            callback_list.on_train_batch_begin(step)
            started = time.perf_counter()
            compiled.run(order, step, count)
            elapsed = time.perf_counter() - started
            step += count
            callback_list.on_train_batch_end(step - 1, model._logs() if batch_logs else None)
            if model.stop_training or interrupt.hit:
                break
            if per_step is None:
                chunk = int(min(AUTO_CHUNK_MAX, max(1, count * AUTO_CHUNK_SECONDS / max(elapsed, 1e-6))))
    return step
