"""The compiled training step, seen from Python: whether it can run here,
how many threads it takes, and its plan class.

The step itself is C (``csrc/fm_step.h``, wrapped by
:mod:`fastmlp.backend._step`); what a model must look like to use it is
decided by :mod:`fastmlp.models.compiled_training`.
"""

import os

from . import blas

try:
    from . import _step
except ImportError:  # a build without the extension: the step-by-step path runs
    _step = None  # type: ignore[assignment]
else:
    _step.set_blas_thread_functions(*blas.thread_function_addresses())

#: The most threads a training step is split over.
MAX_THREADS = 16 if _step is None else _step.MAX_THREADS

#: A layer is split over the threads when its output has at least this many
#: units and a step's forward GEMM at least SPLIT_MIN_MACS multiply-adds:
#: below that the barrier and the partial-sum traffic cost more than the
#: second core saves (seed model: its 128-unit hidden layer at batch 32,
#: 3.2M multiply-adds, runs ~1.7x faster split; its 10-unit output layer
#: runs on one thread).
SPLIT_MIN_UNITS = 32
SPLIT_MIN_MACS = 200_000


#: FASTMLP_COMPILED_STEP=0 turns the compiled step off (every fit then runs
#: step by step); :func:`set_enabled` does the same from Python.
_enabled = os.environ.get("FASTMLP_COMPILED_STEP", "1").strip() != "0"


def set_enabled(enabled):
    """Turn the compiled step on or off; returns the previous setting."""
    global _enabled
    previous, _enabled = _enabled, bool(enabled)
    return previous


def is_enabled():
    """Whether the compiled step is turned on (see :func:`set_enabled`)."""
    return _enabled


def unavailable_reason():
    """None when the compiled step can run here, else why not (a phrase)."""
    if not _enabled:
        return "the compiled step is turned off"
    if _step is None:
        return "the compiled extension fastmlp.backend._step is not built"
    if blas.sgemm_address() is None:
        return "NumPy's BLAS exports no cblas_sgemm fastmlp can call"
    return None


def _usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def training_threads():
    """Threads a compiled step uses: ``FASTMLP_NUM_THREADS`` or
    ``OMP_NUM_THREADS`` when set, else NumPy's BLAS thread count (so a
    ``threadpoolctl.threadpool_limits`` block limits fastmlp too), never more
    than the cores this process may run on."""
    cores = _usable_cores()
    for name in ("FASTMLP_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            return max(1, min(int(value), cores, MAX_THREADS))
    blas_threads = blas.get_num_threads()
    return max(1, min(cores, blas_threads or cores, MAX_THREADS))


def split_threads(rows, units_in, units_out, nthreads):
    """Threads to split a Dense layer of ``units_in -> units_out`` over at
    batch ``rows``: all of them, or one for a small layer."""
    if nthreads > 1 and units_out >= SPLIT_MIN_UNITS * nthreads \
            and rows * units_in * units_out >= SPLIT_MIN_MACS:
        return nthreads
    return 1


#: A narrow layer after a split one is split by input units (each thread
#: multiplies the previous layer's units it computed; the partial outputs are
#: added on one thread) from this many multiply-adds per step: below it one
#: thread runs the layer faster than two threads and a barrier.
KSPLIT_MIN_MACS = 250_000


def split_inputs(rows, units_in, units_out, nthreads, previous_split):
    """Whether a layer that :func:`split_threads` keeps on one thread is
    split by input units instead (only after a layer split by output units)."""
    return nthreads > 1 and previous_split and rows * units_in * units_out >= KSPLIT_MIN_MACS


def make_plan(layers, optimizer, features, max_rows, nthreads, batch_parallel=False):
    """A :class:`fastmlp.backend._step.StepPlan` (see its docstring)."""
    return _step.StepPlan(layers, optimizer, features, max_rows, nthreads, blas.sgemm_address(),
                          batch_parallel)


def worker_threads():
    """Threads of the compiled step's running pool (0 when none runs)."""
    return 0 if _step is None else _step.pool_threads()


def shutdown():
    """Stop the compiled step's worker threads (they start again when needed)."""
    if _step is not None:
        _step.shutdown_pool()
