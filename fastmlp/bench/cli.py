"""The ``fastmlp-bench`` command: its options (argparse), the contenders'
worker processes, the run of the sections the options select (:func:`run`,
which returns the report dict) and the output (:func:`main`)."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import math
import os
import sys
from typing import NamedTuple

from ..version import __version__
from .distributed import bench_distributed, distributed_lines
from .end_to_end import add_floor, bench_end_to_end
from .environment import environment
from .floor import bench_floor, gemm_rate
from .idle import IdleProbe
from .inference import bench_inference
from .kernels import bench_kernels
from .process import import_time, train_peak_rss
from .report import format_report, plot
from .stability import bench_stability
from .workloads import EPOCH_SAMPLES, PREDICT_IMAGES

PROG = "fastmlp-bench"
DESCRIPTION = ("How fast fastmlp trains and predicts, against its NumPy reference and, in "
               "worker processes of their own, PyTorch and JAX when they are installed.")
SECTIONS = ("kernels", "floor", "end-to-end", "inference", "process")
# opt-in: needs the machine's two cores for itself, one per MPI process
OPT_IN = ("distributed",)


class Mode(NamedTuple):
    """How much a run measures."""
    repeats: int        # timed calls per kernel
    batches: tuple      # batch sizes of the kernel and floor tables
    passes: int         # end-to-end rounds: epochs per contender and workload
    samples: int        # samples an end-to-end epoch is timed on (scaled to 60,000)
    calls: int          # single-image calls per latency round
    rounds: int         # interleaved rounds of the inference rows
    images: int         # images of the predict-throughput row
    max_wait: float     # bound (s) on the idle wait before each measurement
    gemm_n: int         # size of the square matmul that measures the GEMM rate
    import_runs: int    # fresh interpreters timing the import
    train: bool         # whether to measure a fastmlp-train run
    answer_s: float     # longest wait for one answer of a worker before it is dropped
    dist_steps: int = 40    # timed steps per model of the distributed row
    dist_reps: int = 200    # timed allreduce rounds of the distributed row


MODES = {
    "smoke": Mode(5, (32,), 1, 640, 50, 1, 640, 0.5, 1024, 1, False, 120.0, 2, 5),  # the tests'
    "quick": Mode(60, (32, 256), 1, 12000, 500, 2, PREDICT_IMAGES, 1.0, 1024, 5, False, 180.0,
                  10, 50),
    "full": Mode(400, (32, 256), 3, EPOCH_SAMPLES, 3000, 5, PREDICT_IMAGES, 10.0, 2048, 5,
                 True, 600.0),
}

# contender -> (worker class, framework module, env var that disables it)
CONTENDERS = {
    "pytorch loop": ("fastmlp.bench.torch_worker:TorchWorker", "torch",
                     "FASTMLP_BENCH_NO_TORCH"),
    "jax jit": ("fastmlp.bench.jax_worker:JaxWorker", "jax", "FASTMLP_BENCH_NO_JAX"),
}


def start_workers(wanted, log, timeout=600.0):
    """``({name: worker}, {name: why absent})`` for the contenders of
    ``wanted``: each worker started when its framework is installed and not
    disabled; one that fails to start is left out, with the reason. A worker
    that does not answer a command within ``timeout`` seconds is killed, and
    its contender left out of the rest of the run."""
    workers, absent = {}, {}
    for name in wanted:
        path, module, off = CONTENDERS[name]
        if os.environ.get(off):
            absent[name] = f"disabled ({off})"
            continue
        if importlib.util.find_spec(module) is None:
            absent[name] = f"{module} is not installed"
            continue
        # Imported here, not at the top: ``python -m fastmlp.bench.torch_worker``
        # imports this package first, and runpy warns when the module it is
        # about to run has already been imported.
        mod, cls = path.split(":")
        try:
            workers[name] = getattr(importlib.import_module(mod), cls)(timeout=timeout)
        except RuntimeError as exc:
            absent[name] = str(exc)
            log(f"{name} left out: {exc}")
    return workers, absent


def run(quick=False, smoke=False, kernels=True, floor=True, end_to_end=True, inference=True,
        process=True, use_torch=True, use_jax=True, passes=None, max_wait=None,
        stability=None, log=None, distributed=False):
    """Run the selected sections and return the report (a JSON-able dict).
    The contenders' rows come from worker processes, when their framework is
    installed and ``use_torch`` / ``use_jax``; ``passes`` and ``max_wait``
    override the mode's; ``stability`` (seconds) runs the placement test
    too; ``distributed`` the 1-vs-2-process row and its projection;
    ``log`` (default: nothing) gets a line as each part starts."""
    mode = MODES["smoke" if smoke else "quick" if quick else "full"]
    if passes is not None:
        mode = mode._replace(passes=passes)
    if max_wait is not None:
        mode = mode._replace(max_wait=max_wait)
    log = log or (lambda msg: None)
    wanted = [name for name, on in (("pytorch loop", use_torch), ("jax jit", use_jax)) if on]
    needs_workers = kernels or end_to_end or inference
    workers, absent = start_workers(wanted if needs_workers else [], log, mode.answer_s)
    try:
        report = {"quick": bool(quick or smoke), "smoke": bool(smoke),
                  "environment": environment(workers, absent)}
        probe = IdleProbe(max_wait=mode.max_wait, own=[w.pid for w in workers.values()])
        _measure(report, mode, workers, probe, log, kernels=kernels, floor=floor,
                 end_to_end=end_to_end, inference=inference, process=process)
        if stability:
            log(f"stability ({stability:g} s)...")
            report["stability"] = bench_stability(stability, min(mode.samples, EPOCH_SAMPLES),
                                                  probe, log=log)
        if distributed:
            log("distributed...")
            probe.wait()
            report["distributed"] = bench_distributed(mode.dist_steps, mode.dist_reps,
                                                      mode.answer_s, log=lambda m: log(f"  {m}"))
        return report
    finally:
        for worker in workers.values():
            worker.close()


def _measure(report, mode, workers, probe, log, *, kernels, floor, end_to_end, inference,
             process):
    if kernels:
        log("kernels...")
        report["kernels"] = bench_kernels(mode.batches, mode.repeats,
                                          workers.get("pytorch loop"))
    if floor:
        log("floor...")
        report["floor"] = bench_floor(mode.batches, mode.repeats)
    rates = []
    if end_to_end or inference:
        log("GEMM rate...")
        rates.append(_gemm(mode, probe))
        report["gemm"] = {"one_thread": gemm_rate(mode.gemm_n, threads=1)}
    if end_to_end:
        log("end to end...")
        report["end_to_end"] = bench_end_to_end(mode.samples, mode.passes, probe, workers,
                                                log=lambda w: log(f"  {w}"))
        rates.append(_gemm(mode, probe))
    if inference:
        log("inference...")
        report["inference"] = bench_inference(mode.images, mode.calls, mode.rounds, probe,
                                              workers)
        rates.append(_gemm(mode, probe))
    if rates:
        # the floor is at the best rate seen: a rate measured while the machine
        # was disturbed would flatter every row's fraction of it
        best = max(rates, key=lambda r: r["gflops"])
        report["gemm"].update(rate=best, runs=rates)
        for row in report.get("end_to_end", []) + (
                [report["inference"]["throughput"]] if inference else []):
            add_floor(row, best)
    if process:
        log("process...")
        report["process"] = {"import": import_time(mode.import_runs)}
        if mode.train:
            report["process"]["train"] = train_peak_rss()


def _gemm(mode, probe):
    """The 2-thread GEMM rate, measured once the machine is idle (or the
    probe's wait is over)."""
    probe.wait()
    return gemm_rate(mode.gemm_n)


def _positive(kind, zero=False):
    """An argparse type: a number of ``kind`` above 0 (or at least 0)."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
            raise argparse.ArgumentTypeError(
                f"must be a finite number {'at least' if zero else 'above'} 0, got {text}")
        return value
    return parse


def parser():
    """The command's argument parser."""
    p = argparse.ArgumentParser(prog=PROG, description=DESCRIPTION)
    p.add_argument("--version", action="version", version=f"%(prog)s (fastmlp {__version__})")
    p.add_argument("--quick", action="store_true", help="a run of a minute or two (fewer "
                   "repeats, 12,000-sample epochs scaled to 60,000, one pass, no "
                   "fastmlp-train run)")
    p.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)  # tests: tiny
    p.add_argument("--json", metavar="FILE", help="also write every number as JSON into FILE; "
                   "'-' writes it to stdout (and the text report to stderr)")
    p.add_argument("--plot", metavar="FILE.png", help="bar chart of the speed-ups (matplotlib)")
    p.add_argument("--passes", type=_positive(int), default=None,
                   help="interleaved end-to-end passes per contender (default 3, --quick 1)")
    p.add_argument("--max-wait", type=_positive(float, zero=True), default=None,
                   metavar="SECONDS",
                   help="longest wait for an idle machine before each measurement (default "
                        "10, --quick 1); the row is flagged when it was busy")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if installed")
    p.add_argument("--no-jax", action="store_true", help="leave JAX out even if installed")
    p.add_argument("--only", choices=SECTIONS + OPT_IN, nargs="+",
                   help="run only these sections ('distributed', 1 vs 2 MPI processes and "
                        "the projection to N machines, runs only when named here)")
    p.add_argument("--stability", type=_positive(float), metavar="SECONDS", default=None,
                   help="train the seed model at batch 256 epoch after epoch for SECONDS and "
                        "report every epoch's time, the median, the max and max/median "
                        "(alone, unless --only names sections too)")
    return p


def main(argv=None):
    """``fastmlp-bench``: run, print the tables, write the JSON and the plot
    asked for. Returns the exit status."""
    args = parser().parse_args(argv)
    only = set(args.only or (() if args.stability else SECTIONS))
    report = run(quick=args.quick, smoke=args.smoke, kernels="kernels" in only,
                 floor="floor" in only, end_to_end="end-to-end" in only,
                 inference="inference" in only, process="process" in only,
                 use_torch=not args.no_torch, use_jax=not args.no_jax, passes=args.passes,
                 max_wait=args.max_wait, stability=args.stability,
                 distributed="distributed" in only,
                 log=lambda msg: print(f"[{PROG}] {msg}", file=sys.stderr, flush=True))
    report["command"] = " ".join([PROG] + list(sys.argv[1:] if argv is None else argv))
    # With --json -, stdout carries the JSON alone (for a pipe into jq or a
    # file), so the text report goes to stderr beside the progress lines.
    to_stdout = args.json == "-"
    text = format_report(report)
    if report.get("distributed"):
        text += "\n" + "\n".join(distributed_lines(report["distributed"]))
    print(text, file=sys.stderr if to_stdout else sys.stdout, flush=True)
    if to_stdout:
        json.dump(report, sys.stdout, indent=1, default=float)
        sys.stdout.write("\n")
        sys.stdout.flush()
    elif args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1, default=float)
    if args.plot:
        try:
            plot(report, args.plot)
        except ImportError:
            print(f"{PROG}: --plot needs matplotlib", file=sys.stderr)
            return 1
    return 0
