"""The PyTorch contender's process: ``python -m fastmlp.bench.torch_worker``.

PyTorch runs in a child process of its own: its OpenMP threads and OpenBLAS's
would otherwise fight over the cores whenever both runtimes live in one
process. The parent drives it through :class:`TorchWorker`, one JSON object a
line each way, and interleaves its commands with its own measurements:

* the worker first sends ``{"torch": version, "threads": n}`` (or
  ``{"error": ...}`` and exits when torch cannot be imported);
* ``{"cmd": "kernels", "batches": [...], "repeats": n}`` ->
  ``{"rows": [[kernel, batch, {median, iqr}], ...]}``;
* ``{"cmd": "prepare", "batch": b, "samples": n}`` -> ``{"ok": true}``
  (builds and warms up the training loop at batch ``b``);
* ``{"cmd": "epoch", "batch": b}`` -> ``{"seconds": s}``;
* ``{"cmd": "quit"}`` ends it; a failed command answers ``{"error": ...}``.

``FASTMLP_BENCH_NO_TORCH=1`` makes the worker behave as if torch were absent.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from .end_to_end import load_data
from .torch_cases import time_torch_kernels, torch_epoch

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


class TorchWorker:
    """The parent's handle on a running worker process. Raises RuntimeError
    when the worker cannot start (torch does not import there)."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-m", MODULE],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     bufsize=1)
        hello = self._recv()
        if "error" in hello:
            self.close()
            raise RuntimeError(hello["error"])
        self.version = hello["torch"]
        self.threads = hello["threads"]

    def _recv(self):
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the torch worker exited")
        return json.loads(line)

    def _call(self, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        reply = self._recv()
        if "error" in reply:
            raise RuntimeError(f"torch worker: {reply['error']}")
        return reply

    def kernels(self, batches, repeats):
        """``{(kernel, batch): {median, iqr}}``, as
        :func:`fastmlp.bench.kernels.time_kernels` returns it."""
        reply = self._call(cmd="kernels", batches=list(batches), repeats=repeats)
        return {(k, b): stats for k, b, stats in reply["rows"]}

    def prepare_epoch(self, batch, samples):
        """Build and warm up the PyTorch loop at ``batch`` over ``samples`` samples."""
        self._call(cmd="prepare", batch=batch, samples=samples)

    def epoch(self, batch):
        """Seconds of one epoch of the loop :meth:`prepare_epoch` built."""
        return self._call(cmd="epoch", batch=batch)["seconds"]

    def close(self):
        """Ask the worker to quit (kill it after 10 s) and close the pipes."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                self.proc.stdin.flush()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdin.close()
        self.proc.stdout.close()


def _handle(torch, cmd, epochs):
    """The reply to one command; ``epochs`` ({batch: callable}) holds the
    loops that "prepare" built."""
    if cmd["cmd"] == "kernels":
        res = time_torch_kernels(torch, cmd["batches"], cmd["repeats"])
        return {"rows": [[k, b, v] for (k, b), v in res.items()]}
    if cmd["cmd"] == "prepare":
        x, y, _ = load_data(cmd["samples"])
        epochs[cmd["batch"]] = torch_epoch(torch, x, y, cmd["batch"])
        return {"ok": True}
    if cmd["cmd"] == "epoch":
        t = time.perf_counter()
        epochs[cmd["batch"]]()
        return {"seconds": time.perf_counter() - t}
    return {"error": f"unknown command {cmd['cmd']!r}"}


def serve(stdin, out):
    """The worker's loop: greet, then answer each command line of ``stdin``
    on ``out`` until "quit" or end of input. Returns the exit status."""
    def send(obj):
        out.write(json.dumps(obj) + "\n")
        out.flush()

    torch = import_torch()
    if torch is None:
        send({"error": "torch is not installed"})
        return 1
    send({"torch": torch.__version__, "threads": torch.get_num_threads()})
    epochs = {}
    for line in stdin:
        try:
            cmd = json.loads(line)
            if cmd["cmd"] == "quit":
                break
            reply = _handle(torch, cmd, epochs)
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        send(reply)
    return 0


def main(argv=None):
    """Serve the protocol on stdin/stdout; anything else printed goes to stderr."""
    argparse.ArgumentParser(
        prog=f"python -m {MODULE}",
        description="fastmlp-bench's PyTorch worker: started by fastmlp-bench, it reads one "
                    "JSON command a line on stdin and answers one JSON line on stdout.",
    ).parse_args(argv)
    out = sys.stdout
    sys.stdout = sys.stderr  # anything else printed must not corrupt the protocol
    try:
        return serve(sys.stdin, out)
    finally:
        sys.stdout = out


if __name__ == "__main__":
    sys.exit(main())
