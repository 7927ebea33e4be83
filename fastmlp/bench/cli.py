"""The ``fastmlp-bench`` command: its options (argparse), the run of the
sections they select (:func:`run`, which returns the report dict) and the
output (:func:`main`)."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from typing import NamedTuple

from .end_to_end import EPOCH_SAMPLES, bench_end_to_end
from .environment import environment
from .floor import bench_floor
from .kernels import bench_kernels
from .process import import_time, train_peak_rss
from .report import format_report, plot

PROG = "fastmlp-bench"
DESCRIPTION = ("``fastmlp-bench`` (also ``python -m fastmlp.bench``): how fast fastmlp is, "
               "against its own NumPy reference and, when it is installed, PyTorch.")
SECTIONS = ("kernels", "floor", "end-to-end", "process")


class Mode(NamedTuple):
    """How much a run measures."""
    repeats: int        # timed calls per kernel
    batches: tuple      # batch sizes of the kernel, floor and end-to-end tables
    passes: int         # end-to-end epochs per contender
    samples: int        # samples an end-to-end epoch is timed on
    settle: float       # pause (s) before each end-to-end epoch
    import_runs: int    # fresh interpreters timing the import
    train: bool         # whether to measure a fastmlp-train run


MODES = {
    "smoke": Mode(5, (32,), 1, 640, 0.05, 1, False),  # the test suite's: everything, tiny
    "quick": Mode(60, (32, 256), 1, 12000, 0.1, 5, False),
    "full": Mode(400, (32, 256), 3, EPOCH_SAMPLES, 0.3, 5, True),
}


def _start_torch_worker(log):
    """A running TorchWorker, or None when torch is absent, disabled or fails."""
    if os.environ.get("FASTMLP_BENCH_NO_TORCH") or importlib.util.find_spec("torch") is None:
        return None
    # Imported here, not at the top: ``python -m fastmlp.bench.torch_worker``
    # imports this package first, and runpy warns when the module it is about
    # to run has already been imported.
    from .torch_worker import TorchWorker
    try:
        return TorchWorker()
    except RuntimeError as exc:
        log(f"PyTorch left out: {exc}")
        return None


def run(quick=False, smoke=False, kernels=True, floor=True, end_to_end=True, process=True,
        use_torch=True, passes=None, log=None):
    """Run the selected sections and return the report (a JSON-able dict).
    PyTorch's rows come from a worker process, when torch is installed and
    ``use_torch``; ``passes`` overrides the mode's end-to-end passes; ``log``
    (default: nothing) gets a line as each section starts."""
    mode = MODES["smoke" if smoke else "quick" if quick else "full"]
    if passes is not None:
        mode = mode._replace(passes=passes)
    worker = _start_torch_worker(log or print) if use_torch else None
    try:
        return _measure(mode, worker, log or (lambda msg: None), kernels=kernels,
                        floor=floor, end_to_end=end_to_end, process=process,
                        quick=bool(quick or smoke), smoke=bool(smoke))
    finally:
        if worker is not None:
            worker.close()


def _measure(mode, worker, log, *, kernels, floor, end_to_end, process, quick, smoke):
    report = {"quick": quick, "smoke": smoke, "environment": environment(worker)}
    if kernels:
        log("kernels...")
        report["kernels"] = bench_kernels(mode.batches, mode.repeats, worker)
    if floor:
        log("floor...")
        report["floor"] = bench_floor(mode.batches, mode.repeats)
    if end_to_end:
        log("end to end...")
        report["end_to_end"] = bench_end_to_end(mode.batches, mode.passes, mode.samples,
                                                 worker=worker, settle=mode.settle)
    if process:
        log("process...")
        report["process"] = {"import": import_time(mode.import_runs)}
        if mode.train:
            report["process"]["train"] = train_peak_rss()
    return report


def parser():
    """The command's argument parser."""
    p = argparse.ArgumentParser(prog=PROG, description=DESCRIPTION)
    p.add_argument("--quick", action="store_true", help="a run under a minute (fewer repeats, a "
                   "12,000-sample epoch, no fastmlp-train run)")
    p.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)  # tests: tiny
    p.add_argument("--json", metavar="FILE", help="also write every number as JSON")
    p.add_argument("--plot", metavar="FILE.png", help="bar chart of the speed-ups (matplotlib)")
    p.add_argument("--passes", type=int, default=None,
                   help="end-to-end passes per contender (default 3, --quick 1)")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if installed")
    p.add_argument("--only", choices=SECTIONS, nargs="+", help="run only these sections")
    return p


def main(argv=None):
    """``fastmlp-bench``: run, print the tables, write the JSON and the plot
    asked for. Returns the exit status."""
    args = parser().parse_args(argv)
    only = set(args.only or SECTIONS)
    report = run(quick=args.quick, smoke=args.smoke, kernels="kernels" in only,
                 floor="floor" in only, end_to_end="end-to-end" in only,
                 process="process" in only, use_torch=not args.no_torch, passes=args.passes,
                 log=lambda msg: print(f"[{PROG}] {msg}", file=sys.stderr, flush=True))
    report["command"] = " ".join([PROG] + list(sys.argv[1:] if argv is None else argv))
    print(format_report(report))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1, default=float)
    if args.plot:
        try:
            plot(report, args.plot)
        except ImportError:
            print(f"{PROG}: --plot needs matplotlib", file=sys.stderr)
            return 1
    return 0
