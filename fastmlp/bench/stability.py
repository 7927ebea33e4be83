"""Placement robustness (``fastmlp-bench --stability SECONDS``): the seed
model at batch 256 (:data:`~fastmlp.bench.workloads.STABILITY`) trained
epoch after epoch through ``fit`` for a given time, the machine's idleness
checked before the first epoch and, during every epoch, the CPU time other
processes took. A 2-vCPU host may place its two vCPUs far apart
for minutes at a time, and a step whose threads share cache lines then slows
down; this mode shows it as a spread: every epoch's time, the median, the
maximum and maximum / median, and which epochs ran on a busy machine."""

from __future__ import annotations

import statistics
import time
from typing import Any

from .data import load_data
from .fastmlp_cases import fastmlp_epoch
from .idle import summarize
from .timing import timed
from .workloads import EPOCH_SAMPLES, STABILITY

SLOW = 1.3  # an epoch this many times the median is counted as slow


def bench_stability(seconds, samples, probe, min_epochs=3, log=None, clock=time.monotonic):
    """Train for about ``seconds`` (at least ``min_epochs`` epochs, each of
    ``samples`` samples scaled to 60,000) and return ``{"workload",
    "model", "seconds", "samples", "epochs": [s, ...], "others": [the
    fraction of the machine other processes used during each epoch, or
    None], "idle_each": [whether each epoch ran on an idle machine (the
    first: idle before it too); None if unknown], "median", "max", "max_over_median", "slow" (epochs above
    1.3x the median), "slow_idle" (of those, the ones on an idle machine),
    "idle"}``. ``log`` gets a line every ten epochs."""
    x, y, source = load_data(samples)
    epoch = timed(fastmlp_epoch(STABILITY, x, y))
    scale = EPOCH_SAMPLES / len(x)
    times: list[float] = []
    readings: list[Any] = []
    deadline = clock() + seconds
    while clock() < deadline or len(times) < min_epochs:
        # only the first epoch waits for an idle machine: the others follow
        # back to back, as in a training run, and say if anything else ran
        took, reading = probe.measure(epoch, wait=not times)
        times.append(took * scale)
        readings.append(reading)
        if log is not None and len(times) % 10 == 0:
            log(f"{len(times)} epochs, median {statistics.median(times):.3f} s")
    med = statistics.median(times)
    slow = [i for i, t in enumerate(times) if t > SLOW * med]
    quiet = [summarize([r])["idle"] for r in readings]
    return {"workload": STABILITY.name, "model": STABILITY.describe(), "seconds": seconds,
            "samples": len(x), "source": source, "epochs": times,
            "others": [r["others"] for r in readings], "idle_each": quiet,
            "median": med, "max": max(times),
            "max_over_median": max(times) / med, "slow": slow,
            "slow_idle": [i for i in slow if quiet[i]],
            "idle": summarize(readings)}
