"""End to end: one training epoch of each workload
(:data:`~fastmlp.bench.workloads.WORKLOADS`) through fastmlp's ``fit`` and
through each contender's idiomatic loop, in its worker process.

For each workload every contender is built and warmed up first; then the
contenders take turns (A B C A B C ...), so that drift of the machine falls on
all alike, and the idleness probe runs before every timed epoch. A row holds
each contender's median and spread (s/epoch of 60,000 samples), the ratio of
each to fastmlp's (``"<name> / cython"``: above 1, fastmlp is faster), the
epoch's GEMM FLOPs and so its floor (their time at the machine's GEMM rate,
the best measured in the same run: :func:`add_floor`) with each contender's
fraction of it, and the row's idleness.
The seed model's rows also run fastmlp's NumPy reference backend and the
epoch with ``sample_weight``."""

from __future__ import annotations

from typing import Any

from .data import load_data
from .fastmlp_cases import fastmlp_epoch
from .idle import summarize
from .timing import median_iqr, timed
from .workloads import EPOCH_SAMPLES, WORKLOADS

BASE = "fastmlp cython"
NUMPY, WEIGHTED = "fastmlp numpy", "fastmlp weighted"


def ratio_key(name):
    """The row key of contender ``name``'s time over fastmlp's."""
    return f"{name} / cython"


def _contenders(workload, x, y, workers, errors):
    """``{name: callable returning the seconds of one epoch}`` of
    ``workload``: fastmlp (and its variants), and each worker's loop.
    A worker that fails to build its loop is left out, its error noted in
    ``errors``."""
    contenders = {BASE: timed(fastmlp_epoch(workload, x, y))}
    if workload.variants:
        try:
            contenders[NUMPY] = timed(fastmlp_epoch(workload, x, y, backend="numpy"))
        except ImportError:
            pass
        contenders[WEIGHTED] = timed(fastmlp_epoch(workload, x, y, weighted=True))
    for name, worker in workers.items():
        try:
            worker.prepare(workload, len(x))
        except RuntimeError as exc:
            errors[name] = str(exc)
            continue
        contenders[name] = lambda worker=worker: worker.epoch(workload)
    return contenders


def interleave(cases, rounds, probe, errors):
    """``({name: [result, ...]}, [readings])``: ``rounds`` turns, each
    calling every case of ``cases`` ({name: callable}) once, in order, through
    ``probe.measure`` (the idle wait before, the others' CPU use during). A
    case that fails (RuntimeError: its worker died or answered an error) is
    dropped from the later turns, its error noted in ``errors``."""
    out: dict[str, list[Any]] = {name: [] for name in cases}
    cases = dict(cases)
    readings = []
    for _ in range(rounds):
        for name, fn in list(cases.items()):
            try:
                result, reading = probe.measure(fn)
            except RuntimeError as exc:
                errors[name] = str(exc)
                del cases[name]
                continue
            out[name].append(result)
            readings.append(reading)
    return {k: v for k, v in out.items() if v}, readings


def add_floor(row, rate):
    """Set ``row["floor"]`` (``{seconds, gflops}``: the time of the row's
    GEMM FLOPs, ``row["flops"]``, at ``rate``, a
    :func:`~fastmlp.bench.floor.gemm_rate`) and each contender's
    ``floor_fraction`` (floor / its median time: 1 would be all GEMM at the
    machine's rate). Called once the run's best rate is known."""
    floor = row["flops"] / (rate["gflops"] * 1e9)
    row["floor"] = {"seconds": floor, "gflops": rate["gflops"]}
    for value in row.values():
        if isinstance(value, dict) and "median" in value:
            value["floor_fraction"] = floor / value["median"]


def stats(samples):
    """``{median, iqr, all}`` of a list of seconds."""
    med, iqr = median_iqr(samples)
    return {"median": med, "iqr": iqr, "all": samples}


def bench_row(workload, x, y, source, workers, passes, probe):
    """One end-to-end row (see the module's docstring) of ``workload``."""
    errors: dict[str, str] = {}
    contenders = _contenders(workload, x, y, workers, errors)
    times, readings = interleave(contenders, passes, probe, errors)
    times = {name: [t * EPOCH_SAMPLES / len(x) for t in ts] for name, ts in times.items()}
    row = {"workload": workload.name, "model": workload.describe(), "batch": workload.batch,
           "samples": len(x), "source": source, "passes": passes,
           "flops": workload.train_flops() * EPOCH_SAMPLES}
    return finish_row(row, times, errors, readings)


def finish_row(row, times, errors, readings):
    """Complete ``row`` with each contender's :func:`stats` of ``times``
    ({name: [seconds]}), the ``"<name> / cython"`` ratios to fastmlp, the
    ``errors`` (if any) and the idleness summary of ``readings``; returns it."""
    for name, ts in times.items():
        row[name] = stats(ts)
    if BASE in times:
        for name in times:
            if name != BASE:
                row[ratio_key(name)] = row[name]["median"] / row[BASE]["median"]
    if errors:
        row["errors"] = errors
    row["idle"] = summarize(readings)
    return row


def bench_end_to_end(samples, passes, probe, workers=None, workloads=WORKLOADS, log=None):
    """The end-to-end rows, one per workload of ``workloads``.

    Args:
        samples: the samples an epoch is timed on (scaled to 60,000).
        passes: the interleaved rounds; each contender runs once a round.
        probe: the :class:`~fastmlp.bench.idle.IdleProbe` waited on before
            each timed epoch.
        workers: ``{name: Worker}`` of the running contenders.
        log: called with each workload's name as its row starts.

    Returns:
        A list of row dicts; :func:`add_floor` adds their floors.
    """
    x, y, source = load_data(samples)
    rows = []
    for workload in workloads:
        if log is not None:
            log(workload.name)
        rows.append(bench_row(workload, x, y, source, workers or {}, passes, probe))
    return rows
