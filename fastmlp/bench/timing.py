"""Timing primitives of the benchmark: the median and spread of repeated
calls, a stopwatch wrapper, and the pause that lets the previous runtime's
worker threads go idle before the next measurement."""

from __future__ import annotations

import statistics
import time


def median_iqr(samples):
    """Median and interquartile range of a list of seconds."""
    s = sorted(samples)
    q = statistics.quantiles(s, n=4, method="inclusive") if len(s) >= 2 else [s[0]] * 3
    return statistics.median(s), q[2] - q[0]


def time_call(fn, repeats, warmup=None, inner=1):
    """Median and IQR of the time of one call of ``fn`` (seconds): ``repeats``
    samples, each the mean over ``inner`` back-to-back calls, after ``warmup``
    untimed calls (default: a tenth of ``repeats``, at least 3)."""
    pc = time.perf_counter
    for _ in range(warmup if warmup is not None else max(3, repeats // 10)):
        fn()
    samples = []
    for _ in range(repeats):
        t = pc()
        for _ in range(inner):
            fn()
        samples.append((pc() - t) / inner)
    return median_iqr(samples)


def time_cases(cases, repeats):
    """``{name: {median, iqr}}`` of each callable of ``cases`` ({name: fn})."""
    out = {}
    for name, fn in cases.items():
        med, iqr = time_call(fn, repeats)
        out[name] = {"median": med, "iqr": iqr}
    return out


def timed(fn):
    """A callable that runs ``fn()`` and returns the seconds it took."""
    def call():
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t
    return call


def settle(seconds=0.25):
    """Sleep so that the spinning worker threads of whichever runtime ran last
    (OpenBLAS, OpenMP) go idle before the next measurement."""
    time.sleep(seconds)
