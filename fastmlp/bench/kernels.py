"""The per-kernel table: each kernel of the seed model at its shapes (batch 32
and 256; 784->128 and 128->10) and each optimizer update over its 101,770
parameters, for the ``cython`` backend, the ``numpy`` reference and (from the
torch worker) PyTorch's equivalent; median and interquartile range of many
calls after warm-up."""

from __future__ import annotations

import numpy as np

from .timing import settle, time_cases

SEED_PARAMS = 784 * 128 + 128 + 128 * 10 + 10  # 101,770
KERNEL_IMPLS = ("cython", "numpy")


def optimizer_label(name):
    """The table's row name of optimizer ``name``'s update."""
    return f"{name} update ({SEED_PARAMS:,} params)"


def time_kernels(kernel_cases, optimizer_cases, batches, repeats):
    """``{(kernel, batch): {median, iqr}}`` of one implementation, given its
    case builders: ``kernel_cases(batch)`` and ``optimizer_cases()``, each
    returning ``{name: callable}``. Optimizer rows have batch None."""
    out = {}
    for batch in batches:
        for kernel, stats in time_cases(kernel_cases(batch), repeats).items():
            out[(kernel, batch)] = stats
    for name, stats in time_cases(optimizer_cases(), max(repeats // 4, 5)).items():
        out[(optimizer_label(name), None)] = stats
    return out


def fastmlp_kernel_cases(ops, batch, rng):
    """``{name: callable}`` running each kernel of ``ops`` (a backend's
    ``Ops``) at ``batch`` on random operands of the seed model's shapes."""
    f32 = np.float32
    x = rng.random((batch, 784), dtype=f32)
    W1 = (rng.standard_normal((784, 128)) * 0.05).astype(f32)
    b1 = (rng.standard_normal(128) * 0.05).astype(f32)
    W2 = (rng.standard_normal((128, 10)) * 0.1).astype(f32)
    b2 = np.zeros(10, f32)
    h = np.empty((batch, 128), f32)
    ops.dense_forward(x, W1, b1, "relu", h)
    hd = np.empty_like(h)
    logits = np.empty((batch, 10), f32)
    dh_in = rng.standard_normal((batch, 128)).astype(f32)
    dh = np.empty_like(dh_in)
    dlog = rng.standard_normal((batch, 10)).astype(f32) / batch
    dW1, db1 = np.empty_like(W1), np.empty_like(b1)
    dW2, db2 = np.empty_like(W2), np.empty_like(b2)
    dh2 = np.empty((batch, 128), f32)
    mask = np.empty((batch, 128), np.uint8)
    labels = rng.integers(0, 10, batch).astype(np.int32)
    step = [0]

    def dense1_bwd():
        # dy is overwritten in place by the ReLU derivative: refresh it first
        # (a copy of 16-128 KB, included in every backend's time alike).
        np.copyto(dh, dh_in)
        ops.dense_backward(x, W1, h, dh, "relu", dW1, db1, None)

    def dropout_fwd():
        step[0] += 1
        ops.dropout_forward(h, 0.2, 1234, step[0], mask, hd)

    ops.dropout_forward(h, 0.2, 1234, 0, mask, hd)
    return {
        "dense fwd 784->128 relu": lambda: ops.dense_forward(x, W1, b1, "relu", h),
        "dense bwd 784->128 relu (no dx)": dense1_bwd,
        "dense fwd 128->10": lambda: ops.dense_forward(h, W2, b2, "linear", logits),
        "dense bwd 128->10 (dx)": lambda: ops.dense_backward(h, W2, logits, dlog, "linear",
                                                             dW2, db2, dh2),
        "relu fwd": lambda: ops.relu_forward(dh_in, hd),
        "relu bwd": lambda: ops.relu_backward(h, dh_in, hd),
        "dropout fwd": dropout_fwd,
        "dropout bwd": lambda: ops.dropout_backward(dh_in, mask, 0.2, hd),
        "softmax xent fwd+bwd": lambda: ops.softmax_xent_sparse(logits, labels, dlog),
    }


def fastmlp_optimizer_cases(ops, rng, n=SEED_PARAMS):
    """``{name: callable}``: each optimizer update of ``ops`` over one flat
    float32 vector of ``n`` parameters."""
    f32 = np.float32
    p = (rng.standard_normal(n) * 0.05).astype(f32)
    g = (rng.standard_normal(n) * 1e-3).astype(f32)
    velocity, m, v, ms = (np.zeros(n, f32) for _ in range(4))
    step = [0]

    def adam():
        step[0] += 1
        ops.adam_update(p, g, m, v, 1e-3, 0.9, 0.999, 1e-7, step[0])

    return {
        "sgd": lambda: ops.sgd_update(p, g, None, 0.01),
        "sgd momentum": lambda: ops.sgd_update(p, g, velocity, 0.01, 0.9),
        "adam": adam,
        "rmsprop": lambda: ops.rmsprop_update(p, g, ms, None, 1e-3, 0.9, 0.0, 1e-7),
    }


def time_fastmlp_kernels(impl, batches, repeats):
    """:func:`time_kernels` for fastmlp backend ``impl`` ("cython" or "numpy")."""
    from fastmlp.backend import get_ops

    ops = get_ops(impl)
    return time_kernels(
        lambda batch: fastmlp_kernel_cases(ops, batch, np.random.default_rng(batch)),
        lambda: fastmlp_optimizer_cases(ops, np.random.default_rng(7)),
        batches, repeats)


def _available_impls():
    """The fastmlp backends of :data:`KERNEL_IMPLS` that run here."""
    from fastmlp.backend import get_ops

    impls = []
    for name in KERNEL_IMPLS:
        try:
            get_ops(name)
            impls.append(name)
        except ImportError:
            pass
    return impls


def _rows(results):
    """``{impl: {(kernel, batch): stats}}`` as table rows, in the first
    implementation's order: ``{kernel, batch, impl: stats, ...}``."""
    rows = []
    for kernel, batch in next(iter(results.values())):
        row = {"kernel": kernel, "batch": batch}
        for impl, res in results.items():
            if (kernel, batch) in res:
                row[impl] = res[(kernel, batch)]
        rows.append(row)
    return rows


def bench_kernels(batches, repeats, worker=None):
    """Rows ``{kernel, batch, impl: {median, iqr}}`` for every kernel; the
    torch column comes from ``worker`` (a running
    :class:`~fastmlp.bench.torch_worker.TorchWorker`), if any."""
    results = {}
    for impl in _available_impls():
        settle()
        results[impl] = time_fastmlp_kernels(impl, batches, repeats)
    if worker is not None:
        settle()
        try:
            results["torch"] = worker.kernels(batches, repeats)
        except RuntimeError:
            pass  # the worker died or hung: the table goes on without its column
    return _rows(results)
