"""The program behind the distributed row of ``fastmlp-bench``, run alone
(one process) or under ``mpiexec -n 2`` by :mod:`fastmlp.bench.distributed`:
``python -m fastmlp.bench.distributed_worker STEPS REPS OUT.json [split ...]``.

For each model of :data:`~fastmlp.bench.distributed.MODELS` it times
``STEPS`` steps of ``fit`` at the global batch (sharded across the processes
when there are several), and then, with several processes, ``REPS`` rounds of
the in-place ``Allreduce`` of buffers of the model's gradient stores' sizes
(what the distributed fit sends every step). Alone, it also times the step at
the global batch split ``split`` ways (the compute of one of ``split``
machines), for the projection. Process 0 writes the JSON to ``OUT.json``.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import numpy as np

from .data import load_data, workload_view
from .distributed import MODELS
from .fastmlp_cases import build_model

WARMUP_STEPS = 3  # untimed steps before each timed run: buffers, optimizer state


def _fit_steps(model, x, y, batch, steps):
    """Seconds per step of ``steps`` fit steps at ``batch`` (after a warm-up)."""
    model.fit(x[:batch * WARMUP_STEPS], y[:batch * WARMUP_STEPS], batch_size=batch,
              epochs=1, verbose=0)
    t = time.perf_counter()
    model.fit(x[:batch * steps], y[:batch * steps], batch_size=batch, epochs=1, verbose=0)
    return (time.perf_counter() - t) / steps


def _allreduce_s(comm, mpi, model, reps):
    """``(seconds per step's Allreduce, bytes)``: the slowest process's mean
    over ``reps`` rounds of one in-place SUM per gradient store, on zeroed
    buffers of the stores' sizes (the model's own grads are left alone)."""
    bufs = [np.zeros_like(store.grads) for store in model.stores()]
    for _ in range(3):
        for b in bufs:
            comm.Allreduce(mpi.IN_PLACE, b, op=mpi.SUM)
    comm.Barrier()
    t = time.perf_counter()
    for _ in range(reps):
        for b in bufs:
            comm.Allreduce(mpi.IN_PLACE, b, op=mpi.SUM)
    mine = (time.perf_counter() - t) / reps
    return comm.allreduce(mine, op=mpi.MAX), int(sum(b.nbytes for b in bufs))


def measure(steps, reps, splits):
    """The worker's result dict (see the module docstring)."""
    import fastmlp
    from fastmlp import distribution

    size = distribution.launched_size()
    comm: Any = None
    mpi: Any = None
    if size > 1:
        distribution.set_distribution(distribution.DataParallel())
        from mpi4py import MPI
        comm, mpi = MPI.COMM_WORLD, MPI
    batch = max(w.batch for w in MODELS)
    x, y, source = load_data(batch * max(steps, WARMUP_STEPS))
    rows = []
    for w in MODELS:
        fastmlp.utils.set_random_seed(0)
        model = build_model(w)
        xv, yv = workload_view(w, x, y)
        if comm is not None:
            comm.Barrier()
        step = _fit_steps(model, xv, yv, w.batch, steps)
        row: dict[str, Any] = {"workload": w.name, "params": int(model.count_params()),
               "grad_bytes": int(sum(s.grads.nbytes for s in model.stores()))}
        if comm is not None:
            row["step_s"] = comm.allreduce(step, op=mpi.MAX)  # the step ends with the slowest
            row["allreduce_s"], row["grad_bytes"] = _allreduce_s(comm, mpi, model, reps)
        else:
            row["step_s"] = step
            step_at = {str(n): _fit_steps(model, xv, yv, w.batch // n, steps)
                       for n in splits if n > 1}
            row["step_at"] = {"1": step, **step_at}
        rows.append(row)
    return {"processes": size, "steps": steps, "reps": reps, "source": source, "rows": rows}


def main(argv):
    """Run :func:`measure` and write its dict from process 0. Returns 0."""
    steps, reps, out = int(argv[0]), int(argv[1]), argv[2]
    result = measure(steps, reps, [int(n) for n in argv[3:]])
    from fastmlp import distribution
    if distribution.launched_size() == 1 or distribution.is_chief():
        with open(out, "w") as f:
            json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
