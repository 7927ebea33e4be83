"""The JAX contender's process: ``python -m fastmlp.bench.jax_worker``.

It speaks the line protocol of :mod:`fastmlp.bench.worker` over
:mod:`.jax_cases`'s jitted training steps and inference. JAX is optional
(``pip install "fastmlp[bench]"`` brings it): when it does not import, or
imports but cannot compile and run a one-line function on the CPU, the worker
says so in its greeting and exits, and the benchmark leaves the JAX columns
out. ``FASTMLP_BENCH_NO_JAX=1`` makes it behave as if JAX were absent.

JAX runs on its CPU backend (``JAX_PLATFORMS=cpu`` unless set otherwise),
with XLA's default thread pool over all the cores.
"""

from __future__ import annotations

import os
import sys

from .worker import Handler, Worker, run_worker

MODULE = "fastmlp.bench.jax_worker"


def import_jax():
    """``(jax, None)`` when JAX imports and runs a jitted function here, else
    ``(None, why)``."""
    if os.environ.get("FASTMLP_BENCH_NO_JAX"):
        return None, "jax is not installed"
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    try:
        import jax
    except ImportError:
        return None, "jax is not installed"
    except Exception as exc:  # noqa: BLE001 - a broken install: no JAX rows, say why
        return None, f"jax does not import: {type(exc).__name__}: {exc}"
    try:
        import numpy as np

        out = jax.jit(lambda a: a * 2.0 + 1.0)(np.ones(3, np.float32))
        if not np.allclose(np.asarray(out), 3.0):
            return None, "jax computes a wrong result (2 * 1 + 1 != 3)"
    except Exception as exc:  # noqa: BLE001 - installed but unusable on this CPU
        return None, f"jax does not run here: {type(exc).__name__}: {exc}"
    return jax, None


def threads():
    """The cores XLA's CPU thread pool uses (it takes them all)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class JaxWorker(Worker):
    """The parent's handle on a running JAX worker. Raises RuntimeError
    (:class:`~fastmlp.bench.worker.WorkerError`) when it cannot start (JAX
    does not import or does not run there)."""

    def __init__(self, timeout=600.0):
        super().__init__(MODULE, "jax worker", timeout)


def start():
    """``(greeting, handler)`` of :func:`~fastmlp.bench.worker.run_worker`."""
    jax, why = import_jax()
    if jax is None:
        return {"error": why}, None
    from .jax_cases import jax_epoch, jax_inference

    handler = Handler(lambda w, x, y: jax_epoch(jax, w, x, y),
                      lambda w, x: jax_inference(jax, w, x))
    return {"version": jax.__version__, "threads": threads()}, handler


def main(argv=None):
    """Serve the protocol on stdin/stdout; anything else printed goes to stderr."""
    return run_worker(MODULE, "JAX", argv, start)

if __name__ == "__main__":
    sys.exit(main())
