"""Inference rows, on the seed model (:data:`~fastmlp.bench.workloads.INFERENCE`):

* **single-sample latency**: fastmlp's ``model(x[:1])`` and
  ``model.predict(x[:1], verbose=0)`` against PyTorch's ``model(x)`` under
  ``torch.no_grad()`` and JAX's jitted apply, in µs per call: the median of
  many back-to-back calls, per round; the rounds interleave the contenders,
  with the idleness probe before each block of calls;
* **throughput**: ``predict`` over 10,000 images in batches of 32 (Keras's
  default batch size of ``predict``) against the contenders' loops over the
  same images and batches; seconds per pass and images per second, the
  ratio to fastmlp and the fraction of the GEMM floor.
"""

from __future__ import annotations

import statistics
from typing import Any

from .data import load_data
from .end_to_end import BASE, finish_row, interleave
from .fastmlp_cases import fastmlp_inference
from .idle import summarize
from .timing import time_call
from .workloads import INFERENCE, PREDICT_BATCH

CALLS = ("model(x[:1])", "predict(x[:1])")
# the latency row's label of each contender's single-image call
CONTENDER_CALL = {"pytorch loop": "pytorch model(x) no_grad", "jax jit": "jax jitted apply"}


def _latency_cases(calls, workers, repeats):
    """``{label: callable returning {median, iqr}}`` of each single-image call."""
    cases = {}
    for label, fn in calls.items():
        cases[f"fastmlp {label}"] = lambda fn=fn: dict(zip(("median", "iqr"),
                                                           time_call(fn, repeats)))
    for name, worker in workers.items():
        cases[CONTENDER_CALL.get(name, f"{name} call")] = (
            lambda worker=worker: worker.latency(repeats))
    return cases


def bench_latency(calls, workers, repeats, rounds, probe):
    """The latency row: per call, the median over rounds of each round's
    median (seconds) and the median of the rounds' interquartile ranges;
    ``"<label> / model(x[:1])"`` ratios to fastmlp's direct call."""
    errors: dict[str, str] = {}
    cases = _latency_cases(calls, workers, repeats)
    results, readings = interleave(cases, rounds, probe, errors)
    row = {"repeats": repeats, "rounds": rounds}
    for label, res in results.items():
        row[label] = {"median": statistics.median(r["median"] for r in res),
                      "iqr": statistics.median(r["iqr"] for r in res)}
    for base in (f"fastmlp {c}" for c in CALLS):
        if base not in row:
            continue
        for label in results:
            if not label.startswith("fastmlp"):
                row[f"{label} / {base[len('fastmlp '):]}"] = (row[label]["median"]
                                                              / row[base]["median"])
    if errors:
        row["errors"] = errors
    row["idle"] = summarize(readings)
    return row


def bench_throughput(predict, workers, images, rounds, probe):
    """The throughput row: seconds to predict ``images`` images in batches
    of :data:`PREDICT_BATCH` for fastmlp and each worker, interleaved; each
    with ``{median, iqr, all, images_per_s}``, the ``"<name> / cython"``
    ratios and the GEMM ``flops`` (for
    :func:`~fastmlp.bench.end_to_end.add_floor`)."""
    errors: dict[str, str] = {}
    cases: dict[str, Any] = {BASE: lambda: time_call(lambda: predict(images, PREDICT_BATCH), 1, warmup=1)[0]}
    for name, worker in workers.items():
        cases[name] = lambda worker=worker: worker.predict(images, PREDICT_BATCH)
    results, readings = interleave(cases, rounds, probe, errors)
    row = {"images": images, "batch": PREDICT_BATCH, "rounds": rounds,
           "flops": INFERENCE.predict_flops() * images}
    finish_row(row, results, errors, readings)
    for name in results:
        row[name]["images_per_s"] = images / row[name]["median"]
    return row


def bench_inference(images, repeats, rounds, probe, workers=None):
    """``{"model", "latency": row, "throughput": row}`` (see the module's
    docstring); ``workers`` ({name: Worker}) are the running contenders, a
    worker that cannot build its inference model is left out."""
    workers = dict(workers or {})
    x = load_data(images)[0]
    calls, predict = fastmlp_inference(INFERENCE, x)
    failed = {}
    for name, worker in list(workers.items()):
        try:
            worker.prepare_inference(images)
        except RuntimeError as exc:
            failed[name] = str(exc)
            del workers[name]
    out = {"model": INFERENCE.describe().rsplit(", batch", 1)[0],
           "latency": bench_latency(calls, workers, repeats, rounds, probe),
           "throughput": bench_throughput(predict, workers, images, rounds, probe)}
    if failed:
        out["errors"] = failed
    return out
