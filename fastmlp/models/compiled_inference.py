"""``model(x)`` and ``predict`` through one compiled call.

A model whose layers the compiled step covers (see
:mod:`fastmlp.models.compiled_training`; here a softmax output applies its
softmax, Dropout is the identity, and any loss or optimizer will do) runs
its forward pass over all of ``x`` in one C call, in the batches the
step-by-step path would use, on NumPy float32 input. Each call otherwise
costs a Python round trip per layer and per batch, which is most of the
time of a small batch.
"""

import numpy as np

from ..backend import compiled_step
from .compiled_training import chain_of

#: Plans kept per model (one per batch size in use).
_PLANS_PER_MODEL = 4

#: ``predict`` over many batches runs blocks of at least this many rows: a
#: GEMM of 32 rows spends a fifth of its time packing its operands (the seed
#: model's first layer: 96 GFLOP/s at 32 rows, 111 at 128, one thread). Rows
#: are computed independently, so only the last bits of the outputs can
#: differ from those of 32-row blocks -- as they differ in Keras between
#: batch sizes.
PREDICT_BLOCK_ROWS = 128


class _Plans:
    """A model's inference plans, with the weight arrays they point into:
    a new parameter store (a rebuilt or merged model) makes them stale."""

    def __init__(self, model):
        chain = None if compiled_step.unavailable_reason() or model.ops.name != "cython" \
            else chain_of(model, inference=True)
        self.dense = [] if chain is None or isinstance(chain, str) else [d for d, _ in chain[1]]
        self.kernels = [layer._weights["kernel"] for layer in self.dense]
        self.by_rows = {}

    def current(self):
        return all(layer._weights["kernel"] is kernel for layer, kernel in zip(self.dense, self.kernels))


def _plan(model, rows, batches):
    """The model's inference plan for ``batches`` batches of ``rows``, or None."""
    if not compiled_step.is_enabled():
        return None
    plans = model.__dict__.get("_inference_plans")
    if plans is None or not plans.current():
        plans = model._inference_plans = _Plans(model)
    if not plans.dense:
        return None
    key = (rows, batches > 1)
    plan = plans.by_rows.get(key, False)
    if plan is False:
        plan = _build(model, rows, batches > 1)
        if len(plans.by_rows) >= _PLANS_PER_MODEL:
            plans.by_rows.pop(next(iter(plans.by_rows)))
        plans.by_rows[key] = plan
    return plan


def _build(model, rows, many_batches):
    """A plan for batches of ``rows``: with ``many_batches`` its threads take
    whole batches (each computed as one thread would: every layer's GEMM of
    the full width), else one batch's wide layers are split over them."""
    chain = chain_of(model, inference=True)
    if isinstance(chain, str):
        return None
    nthreads = compiled_step.training_threads()
    specs = []
    for dense, _ in chain[1]:
        specs.append({"in": dense.input_shape_[0], "out": dense.units, "trainable": False,
                      "activation": dense.activation, "kernel": dense._weights["kernel"],
                      "bias": dense._weights.get("bias"), "kernel_grad": None,
                      "threads": 1 if many_batches else compiled_step.split_threads(
                          rows, dense.input_shape_[0], dense.units, nthreads)})
    threads = nthreads if many_batches else max(spec["threads"] for spec in specs)
    plan = compiled_step.make_plan(specs, ("sgd", 0.0, False, 0.0, 0.0, 0.0, 0.0),
                                   chain[1][0][0].input_shape_[0], rows, threads,
                                   batch_parallel=many_batches and threads > 1)
    rescaling = chain[0]
    # x * scale (+ offset) in float32, as the Rescaling layer computes it
    plan.rescale = (None, None) if rescaling is None else (
        float(np.float32(rescaling.scale)), float(np.float32(rescaling.offset)))
    return plan


_KINDS = (np.dtype(np.float32), np.dtype(np.uint8), np.dtype(np.float64))


def outputs(model, x, batch_size, into=None, block=False):
    """The model's outputs for ``x``, a C-ordered float32, uint8 or float64
    NumPy batch of shape ``(n, *input_shape)`` with n > 0, in batches of
    ``batch_size`` (with ``block``: at least :data:`PREDICT_BLOCK_ROWS`),
    written into ``into`` (n, outputs) when given; None when the model or
    input needs the step-by-step path."""
    if type(x) is not np.ndarray or x.dtype not in _KINDS or not x.flags.c_contiguous:
        return None
    n = x.shape[0]
    if block:
        batch_size = max(batch_size, PREDICT_BLOCK_ROWS)
    plan = _plan(model, min(n, batch_size), -(-n // batch_size))
    if plan is None:
        return None
    if into is None:
        into = np.empty((n, plan.outputs), dtype=np.float32)
    scale, offset = plan.rescale
    return plan.infer(x.reshape(n, -1), into, min(n, batch_size), scale, offset)
