"""The PyTorch contender's process: ``python -m fastmlp.bench.torch_worker``.

It speaks the line protocol of :mod:`fastmlp.bench.worker` (training epochs
of :mod:`.torch_train`'s loops, single-image latency, batched predict) plus
one command of its own, the per-kernel table's ATen calls
(:mod:`.torch_cases`):

* ``{"cmd": "kernels", "batches": [...], "repeats": n}`` ->
  ``{"rows": [[kernel, batch, {median, iqr}], ...]}``.

``FASTMLP_BENCH_NO_TORCH=1`` makes the worker behave as if torch were absent.
"""

from __future__ import annotations

import os
import sys

from .worker import Handler, Worker, run_worker

MODULE = "fastmlp.bench.torch_worker"


def import_torch():
    """torch, or None when it is not installed (or is disabled)."""
    if os.environ.get("FASTMLP_BENCH_NO_TORCH"):
        return None
    try:
        import torch
    except Exception:  # noqa: BLE001 - any failure to import means "no torch rows"
        return None
    return torch


class TorchWorker(Worker):
    """The parent's handle on a running PyTorch worker. Raises RuntimeError
    (:class:`~fastmlp.bench.worker.WorkerError`) when it cannot start
    (torch does not import there)."""

    def __init__(self, timeout=600.0):
        super().__init__(MODULE, "torch worker", timeout)

    def kernels(self, batches, repeats):
        """``{(kernel, batch): {median, iqr}}``, as
        :func:`fastmlp.bench.kernels.time_kernels` returns it."""
        reply = self.call(cmd="kernels", batches=list(batches), repeats=repeats)
        return {(k, b): stats for k, b, stats in reply["rows"]}


def handler(torch):
    """The worker's command handler, over ``torch``."""
    from .torch_cases import time_torch_kernels
    from .torch_train import torch_epoch, torch_inference

    def kernels(cmd):
        if cmd["cmd"] != "kernels":
            return None
        res = time_torch_kernels(torch, cmd["batches"], cmd["repeats"])
        return {"rows": [[k, b, v] for (k, b), v in res.items()]}

    return Handler(lambda w, x, y: torch_epoch(torch, w, x, y),
                   lambda w, x: torch_inference(torch, w, x), kernels)


def start():
    """``(greeting, handler)`` of :func:`~fastmlp.bench.worker.run_worker`."""
    torch = import_torch()
    if torch is None:
        return {"error": "torch is not installed"}, None
    return {"version": torch.__version__, "threads": torch.get_num_threads()}, handler(torch)


def main(argv=None):
    """Serve the protocol on stdin/stdout; anything else printed goes to stderr."""
    return run_worker(MODULE, "PyTorch", argv, start)

if __name__ == "__main__":
    sys.exit(main())
