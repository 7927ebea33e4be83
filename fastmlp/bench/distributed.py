"""The distributed row of ``fastmlp-bench`` (``--only distributed``): the seed
model and 784-2048-2048-10, both at global batch 256, trained in 1 process and
in 2 processes under ``mpiexec -n 2``, each process with one BLAS thread (1
core against 2 cores); the measured ``Allreduce`` time per step; and the
projection to N machines from the measured single-process step times and a
ring-allreduce cost model (:func:`ring_allreduce_s`, :func:`project`).

The measurements run in :mod:`fastmlp.bench.distributed_worker` processes.
Without mpi4py or an ``mpiexec`` the 2-process half says so and the rest runs.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

from .workloads import EPOCH_SAMPLES, WORKLOADS, Workload

MODELS = (WORKLOADS[1],  # the seed model: 784-128-10, dropout 0.2, adam, batch 256
          Workload("2048-2048 b256", (2048, 2048), 0.0, "adam", "sparse", 256))
MACHINES = (1, 2, 4, 8, 16)
# (name, bandwidth in bytes/s, latency in s) of the projection's networks
SCENARIOS = (("10 Gb/s, 25 us", 10e9 / 8, 25e-6), ("100 Gb/s, 5 us", 100e9 / 8, 5e-6))
ASSUMPTIONS = (
    "ring allreduce t(N) = 2(N-1)/N * bytes / bandwidth + 2(N-1) * latency, bytes = the "
    "float32 gradient buffers",
    "compute per machine = the step time at batch 256/N, measured in 1 process with 1 thread "
    "(not scaled)",
    "the allreduce counted in full after the compute (a bound: fit starts each layer's "
    "allreduce as soon as its backward is done, so part of it overlaps the layers below); "
    "the small per-step loss/metric allreduce is left out",
    "s/epoch = ceil(60,000 / 256) steps of (compute + allreduce); speed-up against N = 1")
THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "FASTMLP_NUM_THREADS": "1"}


def ring_allreduce_s(nbytes, machines, bandwidth, latency):
    """Seconds of a ring allreduce of ``nbytes`` over ``machines`` machines:
    ``2 (N-1)/N * nbytes / bandwidth + 2 (N-1) * latency`` (reduce-scatter
    then all-gather, each N-1 rounds of a 1/N chunk); 0 for one machine.

    Args:
        nbytes: bytes each machine contributes (the gradient buffer).
        machines: N, at least 1.
        bandwidth: bytes per second of each link.
        latency: seconds per message.
    Returns:
        The seconds, a float.
    """
    if machines < 1:
        raise ValueError(f"machines must be at least 1, got {machines}")
    n = machines
    return 2 * (n - 1) / n * nbytes / bandwidth + 2 * (n - 1) * latency


def project(step_at, nbytes, bandwidth, latency, batch=256, machines=MACHINES):
    """The projected epoch on ``machines`` machines, without overlap.

    Args:
        step_at: ``{N: seconds of one step at batch // N}`` (N = 1 included).
        nbytes: bytes of the gradient buffers allreduced each step.
        bandwidth, latency: the network (bytes/s, s), see :func:`ring_allreduce_s`.
        batch: the global batch size.
        machines: the values of N.
    Returns:
        ``[{"machines", "compute_s", "allreduce_s", "epoch_s", "speedup"}, ...]``.
    """
    steps = math.ceil(EPOCH_SAMPLES / batch)
    rows = []
    for n in machines:
        comm = ring_allreduce_s(nbytes, n, bandwidth, latency)
        rows.append({"machines": n, "compute_s": step_at[n], "allreduce_s": comm,
                     "epoch_s": steps * (step_at[n] + comm)})
    for r in rows:
        r["speedup"] = rows[0]["epoch_s"] / r["epoch_s"]
    return rows


def mpi_launcher():
    """``(mpiexec path, None)``, or ``(None, why)`` when mpi4py or an
    ``mpiexec`` (next to the interpreter, else on PATH) is missing."""
    if importlib.util.find_spec("mpi4py") is None:
        return None, "mpi4py is not installed (pip install 'fastmlp[mpi]')"
    found = (shutil.which("mpiexec", path=os.path.dirname(sys.executable))
             or shutil.which("mpiexec"))
    return (found, None) if found else (None, "no mpiexec next to the interpreter or on PATH")


def _worker(prefix, steps, reps, splits, timeout):
    """The worker's result dict, run under ``prefix`` (``[]`` or mpiexec's)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.json")
        command = prefix + [sys.executable, "-m", "fastmlp.bench.distributed_worker",
                            str(steps), str(reps), out] + [str(n) for n in splits]
        # run from the temporary folder: ``python -m`` puts the working
        # directory first on the path, and a checkout's unbuilt sources
        # would shadow the installed package
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **THREADS}, cwd=tmp)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(prefix) or 'the worker'} failed "
                               f"(exit {done.returncode}): {done.stderr[-1500:]}")
        with open(out) as f:
            return json.load(f)


def bench_distributed(steps, reps, timeout=600.0, log=None, launcher=mpi_launcher):
    """Measure the row and the projection.

    Args:
        steps: timed steps per model and batch (s/epoch is scaled from them).
        reps: timed rounds of the allreduce in the 2-process run.
        timeout: seconds each worker run may take.
        log: gets a line as each run starts (default: nothing).
        launcher: returns ``(mpiexec, None)`` or ``(None, why)``.
    Returns:
        ``{"steps", "reps", "source", "load" (1-minute load average before
        and after), "assumptions", "scenarios", "two":
        None or why it is absent, "rows": [per model: "workload", "model",
        "params", "grad_bytes", "one" / "two": {"step_s", "epoch_s"},
        "speedup", "allreduce_s", "projection": {scenario: [...]}]}``.
    """
    log = log or (lambda msg: None)
    load = [os.getloadavg()[0]]  # others' work on a shared machine slows the 2-process run most
    log("1 process, 1 thread...")
    one = _worker([], steps, reps, MACHINES, timeout)
    mpiexec, why = launcher()
    two = None
    if mpiexec:
        log("2 processes under mpiexec -n 2, 1 thread each...")
        try:
            two = _worker([mpiexec, "-n", "2"], steps, reps, (), timeout)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            why = f"the 2-process run failed: {exc}"
    load.append(os.getloadavg()[0])
    report = {"steps": steps, "reps": reps, "source": one["source"], "load": load,
              "assumptions": list(ASSUMPTIONS), "two": why,
              "scenarios": [{"name": n, "bandwidth": b, "latency": t} for n, b, t in SCENARIOS],
              "rows": []}
    epoch_steps = math.ceil(EPOCH_SAMPLES / MODELS[0].batch)
    for i, (w, r1) in enumerate(zip(MODELS, one["rows"])):
        step_at = {int(n): s for n, s in r1["step_at"].items()}
        row = {"workload": w.name, "model": w.describe(), "params": r1["params"],
               "grad_bytes": r1["grad_bytes"],
               "one": {"step_s": r1["step_s"], "epoch_s": r1["step_s"] * epoch_steps},
               "two": None, "speedup": None, "allreduce_s": None,
               "projection": {name: project(step_at, r1["grad_bytes"], bw, lat, w.batch)
                              for name, bw, lat in SCENARIOS}}
        if two is not None:
            r2 = two["rows"][i]
            row["two"] = {"step_s": r2["step_s"], "epoch_s": r2["step_s"] * epoch_steps}
            row["speedup"] = r1["step_s"] / r2["step_s"]
            row["allreduce_s"] = r2["allreduce_s"]
        report["rows"].append(row)
    return report


def distributed_lines(d):
    """The section's text lines: the row, then the projection and its assumptions."""
    lines = ["", f"Distributed (data-parallel fit over MPI): s/epoch from {d['steps']} timed steps "
             f"scaled to 60,000 samples, global batch 256, 1 BLAS thread per process; "
             f"allreduce: mean of {d['reps']} rounds ({d['source']} data)"]
    lines.append(f"  1-minute load average: {d['load'][0]:.2f} before, {d['load'][1]:.2f} after "
                 "(above 0 before: other processes were using the cores)")
    if d["two"]:
        lines.append(f"  2 processes: not measured: {d['two']}")
    lines += [f"  {r['workload']}: {r['model']}" for r in d["rows"]]
    lines.append(f"  {'model':<16}{'1 proc s/ep':>12}{'2 proc s/ep':>12}{'speed-up':>9}"
                 f"{'step 1p ms':>11}{'step 2p ms':>11}{'allreduce ms':>13}{'grad MB':>8}")
    for r in d["rows"]:
        two = r["two"]
        lines.append(f"  {r['workload']:<16}{r['one']['epoch_s']:12.2f}"
                     + (f"{two['epoch_s']:12.2f}{r['speedup']:8.2f}x" if two
                        else f"{'-':>12}{'-':>9}")
                     + f"{r['one']['step_s'] * 1e3:11.2f}"
                     + (f"{two['step_s'] * 1e3:11.2f}{r['allreduce_s'] * 1e3:13.3f}" if two
                        else f"{'-':>11}{'-':>13}")
                     + f"{r['grad_bytes'] / 1e6:8.2f}")
    lines.append("  Projection to N machines (s/epoch, speed-up):")
    for s in d["scenarios"]:
        lines.append(f"    network {s['name']}:")
        lines.append(f"      {'model':<16}" + "".join(f"{'N=' + str(n):>17}" for n in MACHINES))
        for r in d["rows"]:
            cells = "".join(f"{p['epoch_s']:9.2f} ({p['speedup']:4.1f}x)"
                            for p in r["projection"][s["name"]])
            lines.append(f"      {r['workload']:<16}{cells}")
    lines.append("  Assumptions:")
    lines += [f"    - {a}" for a in d["assumptions"]]
    return lines
