"""The hardware floor: the compiled dense 784->128 (relu) layer against the
bare sgemm of its GEMMs (``np.matmul`` into a preallocated output, the same
BLAS the kernels use), per pass; the ratio is what the epilogue and the
wrapper cost on top of the GEMMs. And the machine's GEMM rate
(:func:`gemm_rate`), against which every end-to-end row states how close it
came to the floor of its GEMMs."""

from __future__ import annotations

import os
import statistics
import time

import numpy as np

from .timing import time_call

# (pass, dense layer's timing, its GEMMs' timing): the names of _pairs' entries
PASSES = (("forward", "dense fwd", "sgemm fwd"),
          ("backward (dW, db)", "dense bwd", "sgemm dW"),
          ("backward (dW, db, dx)", "dense bwd dx", "sgemm dW+dx"),
          ("forward+backward", "dense fwd+bwd", "sgemm fwd+dW"))


def _pairs(ops, batch):
    """``{name: callable}``: each pass of the dense layer next to its bare
    GEMMs, in the order they are to be interleaved."""
    f32 = np.float32
    rng = np.random.default_rng(batch)
    x = rng.random((batch, 784), dtype=f32)
    W = (rng.standard_normal((784, 128)) * 0.05).astype(f32)
    b = np.zeros(128, f32)
    y = np.empty((batch, 128), f32)
    dy_in = rng.standard_normal((batch, 128)).astype(f32)
    dy = np.empty_like(dy_in)
    dW, db = np.empty_like(W), np.empty_like(b)
    dx = np.empty_like(x)
    ops.dense_forward(x, W, b, "relu", y)
    xt = x.T

    def g_fwd():
        np.matmul(x, W, out=y)

    def g_dw():
        np.copyto(dy, dy_in)  # the layer's dy is consumed in place: refresh alike
        np.matmul(xt, dy, out=dW)

    def g_dx():
        np.matmul(dy, W.T, out=dx)

    def l_fwd():
        ops.dense_forward(x, W, b, "relu", y)

    def l_bwd():
        np.copyto(dy, dy_in)
        ops.dense_backward(x, W, y, dy, "relu", dW, db, None)

    def l_bwd_dx():
        np.copyto(dy, dy_in)
        ops.dense_backward(x, W, y, dy, "relu", dW, db, dx)

    return {
        "sgemm fwd": g_fwd, "dense fwd": l_fwd,
        "sgemm dW": g_dw, "dense bwd": l_bwd,
        "sgemm dW+dx": lambda: (g_dw(), g_dx()), "dense bwd dx": l_bwd_dx,
        "sgemm fwd+dW": lambda: (g_fwd(), g_dw()), "dense fwd+bwd": lambda: (l_fwd(), l_bwd()),
    }


def _interleaved_medians(cases, repeats, rounds=3):
    """``{name: seconds}``: the median over ``rounds`` rounds, each timing
    every case in turn, so that drift affects the pairs alike."""
    t: dict[str, list[float]] = {}
    for _ in range(rounds):
        for name, fn in cases.items():
            t.setdefault(name, []).append(time_call(fn, max(repeats // rounds, 5))[0])
    return {k: statistics.median(v) for k, v in t.items()}


def bench_floor(batches, repeats):
    """Rows ``{batch, shape, pass, sgemm, dense, ratio}`` (seconds) for the
    compiled backend; none when it is not built."""
    from fastmlp.backend import get_ops

    try:
        ops = get_ops("cython")
    except ImportError:
        return []
    rows = []
    for batch in batches:
        med = _interleaved_medians(_pairs(ops, batch), repeats)
        for what, layer, gemm in PASSES:
            rows.append({"batch": batch, "shape": f"{batch}x784 . 784x128", "pass": what,
                         "sgemm": med[gemm], "dense": med[layer],
                         "ratio": med[layer] / med[gemm]})
    return rows


def gemm_rate(n=2048, repeats=5, threads=None):
    """The float32 GEMM rate of this machine: ``{"gflops", "n", "threads",
    "seconds", "repeats"}`` of an ``n``x``n`` by ``n``x``n`` ``np.matmul`` into a
    preallocated output (NumPy's BLAS, the one fastmlp's kernels call), the
    best of ``repeats`` timed calls after one warm-up; run on ``threads`` BLAS
    threads (default: as many as the machine has cores), the count restored
    afterwards. The best, not the median: the floor is what the hardware
    can do, so the fractions of it that the rows report err low."""
    from fastmlp.backend import blas

    threads = threads or os.cpu_count() or 1
    rng = np.random.default_rng(0)
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    out = np.empty((n, n), np.float32)
    previous = blas.set_num_threads(threads)
    try:
        threads = blas.get_num_threads() or threads  # what the BLAS granted
        np.matmul(a, b, out=out)
        best = float("inf")
        for _ in range(repeats):
            t = time.perf_counter()
            np.matmul(a, b, out=out)
            best = min(best, time.perf_counter() - t)
    finally:
        if previous is not None:
            blas.set_num_threads(previous)
    return {"gflops": 2.0 * n ** 3 / best / 1e9, "n": n, "threads": threads,
            "seconds": best, "repeats": repeats}

