"""The line protocol between fastmlp-bench and a contender's worker process
(PyTorch: :mod:`.torch_worker`; JAX: :mod:`.jax_worker`).

Each contender runs in a child process of its own: its thread pools (OpenMP,
XLA's, OpenBLAS's) would otherwise fight over the cores with fastmlp's, and a
crash or a hang there cannot take the benchmark with it. One JSON object a
line each way:

* the worker first sends ``{"version": v, "threads": n}`` (or ``{"error":
  ...}`` and exits when its framework cannot be imported);
* ``{"cmd": "prepare", "workload": {...}, "samples": n}`` -> ``{"ok": true}``:
  build and warm up the training loop of that
  :class:`~fastmlp.bench.workloads.Workload` over ``n`` samples;
* ``{"cmd": "epoch", "workload": name}`` -> ``{"seconds": s}``: one epoch of
  a prepared loop, timed inside the worker (the pipe's latency is not in it);
* ``{"cmd": "prepare_inference", "images": n}`` -> ``{"ok": true}``: build
  the inference model (:data:`~fastmlp.bench.workloads.INFERENCE`) over the
  first ``n`` images;
* ``{"cmd": "latency", "repeats": n}`` -> ``{"median": s, "iqr": s}``: one
  call of the inference model on a single image;
* ``{"cmd": "predict", "images": n, "batch": b}`` -> ``{"seconds": s}``:
  inference over ``n`` images in batches of ``b``;
* a worker may add its own commands (the torch worker's ``kernels``);
* ``{"cmd": "quit"}`` ends it; a failed command answers ``{"error": ...}``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


class WorkerError(RuntimeError):
    """The worker could not start, or answered a command with an error."""


class Worker:
    """The parent's handle on a running worker, ``python -m module``. Raises
    :class:`WorkerError` (a RuntimeError) when it cannot start: its
    framework does not import there.

    Args:
        module: the worker's module, run as ``python -m module``.
        label: the contender's name in error messages ("torch worker").
        timeout: seconds to wait for any one answer before giving up on the
            worker (it is then killed), so a stuck contender never hangs the
            benchmark.
    """

    def __init__(self, module, label, timeout=600.0):
        self.label, self.timeout = label, timeout
        # stdin and stdout are pipes (never None): Any spares a check at every use
        self.proc: Any = subprocess.Popen([sys.executable, "-m", module], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        self.pid = self.proc.pid
        hello = self._recv()
        if "error" in hello:
            self.close()
            raise WorkerError(hello["error"])
        self.version = hello["version"]
        self.threads = hello["threads"]

    def _recv(self):
        import selectors

        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(self.timeout):
                self.proc.kill()
                raise WorkerError(f"the {self.label} gave no answer in {self.timeout:g} s")
        line = self.proc.stdout.readline()
        if not line:
            raise WorkerError(f"the {self.label} exited")
        return json.loads(line)

    def call(self, **cmd):
        """Send one command and return the worker's answer; raises
        :class:`WorkerError` when the answer is an error."""
        if self.proc.poll() is not None:
            raise WorkerError(f"the {self.label} has exited")
        try:
            self.proc.stdin.write(json.dumps(cmd) + "\n")
            self.proc.stdin.flush()
        except OSError as exc:
            raise WorkerError(f"the {self.label} has exited ({exc})") from exc
        reply = self._recv()
        if "error" in reply:
            raise WorkerError(f"{self.label}: {reply['error']}")
        return reply

    def prepare(self, workload, samples):
        """Build and warm up the loop of ``workload`` over ``samples`` samples."""
        from .workloads import to_wire

        self.call(cmd="prepare", workload=to_wire(workload), samples=samples)

    def epoch(self, workload):
        """Seconds of one epoch of the loop :meth:`prepare` built."""
        return self.call(cmd="epoch", workload=workload.name)["seconds"]

    def prepare_inference(self, images):
        """Build and warm up the inference model over ``images`` images."""
        self.call(cmd="prepare_inference", images=images)

    def latency(self, repeats):
        """``{median, iqr}`` seconds of one single-image inference call."""
        reply = self.call(cmd="latency", repeats=repeats)
        return {"median": reply["median"], "iqr": reply["iqr"]}

    def predict(self, images, batch):
        """Seconds of inference over ``images`` images in batches of ``batch``."""
        return self.call(cmd="predict", images=images, batch=batch)["seconds"]

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


def serve(stdin, out, hello, handle):
    """A worker's loop: send ``hello`` (a dict: ``{"version", "threads"}``
    or ``{"error"}``), then answer each command line of ``stdin`` on ``out``
    with ``handle(cmd)`` until "quit" or end of input. Returns the exit
    status: 1 when ``hello`` is an error."""
    def send(obj):
        out.write(json.dumps(obj) + "\n")
        out.flush()

    send(hello)
    if "error" in hello:
        return 1
    for line in stdin:
        try:
            cmd = json.loads(line)
            if cmd["cmd"] == "quit":
                break
            reply = handle(cmd)
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        send(reply)
    return 0


def run_worker(module, framework, argv, start):
    """A worker's ``main``: answer ``--help``, then :func:`serve` on
    stdin/stdout. ``start()`` (called after the parse, since it imports the
    framework) returns ``(hello, handler)``: the greeting, and the command
    handler (None when the greeting is an error). Anything else printed goes
    to stderr."""
    import argparse

    argparse.ArgumentParser(
        prog=f"python -m {module}",
        description=f"fastmlp-bench's {framework} worker: started by fastmlp-bench, it reads "
                    "one JSON command a line on stdin and answers one JSON line on stdout.",
    ).parse_args(argv)
    out = sys.stdout
    sys.stdout = sys.stderr  # anything else printed must not corrupt the protocol
    try:
        hello, handler = start()
        return serve(sys.stdin, out, hello, handler)
    finally:
        sys.stdout = out


class Handler:
    """A worker's answers to the commands every contender shares
    ("prepare", "epoch", "prepare_inference", "latency", "predict"), given
    its framework's builders; it keeps the data (loaded once per sample
    count) and the loop of the workload prepared last.

    Args:
        make_epoch: ``make_epoch(workload, x, y)`` -> a callable running one
            warmed-up epoch (that returns only when the work is done).
        make_inference: ``make_inference(workload, x)`` -> ``(single,
            predict)``: one call on a single image, and ``predict(images,
            batch)``; both warmed up, both returning when the work is done.
        extra: ``extra(cmd)`` -> the answer to a command of the worker's
            own, or None when it is unknown there too.
    """

    def __init__(self, make_epoch, make_inference, extra=None):
        self.make_epoch, self.make_inference = make_epoch, make_inference
        self.extra = extra
        self.data, self.epochs = {}, {}
        self.inference: Any = None

    def load(self, samples):
        """``(x, y)`` of :func:`fastmlp.bench.data.load_data`, cached."""
        from .data import load_data

        if samples not in self.data:
            self.data = {samples: load_data(samples)[:2]}  # one size at a time: memory
        return self.data[samples]

    def __call__(self, cmd):
        from .timing import time_call
        from .workloads import INFERENCE, from_wire

        name = cmd["cmd"]
        if name == "prepare":
            workload = from_wire(cmd["workload"])
            x, y = self.load(cmd["samples"])
            self.epochs.clear()  # rows run one after another: free the last one's model first
            self.epochs[workload.name] = self.make_epoch(workload, x, y)
            return {"ok": True}
        if name == "epoch":
            return {"seconds": time_call(self.epochs[cmd["workload"]], 1, warmup=0)[0]}
        if name == "prepare_inference":
            self.inference = self.make_inference(INFERENCE, self.load(cmd["images"])[0])
            return {"ok": True}
        if name == "latency":
            med, iqr = time_call(self.inference[0], cmd["repeats"])
            return {"median": med, "iqr": iqr}
        if name == "predict":
            predict = self.inference[1]
            # one untimed call first: JAX compiles each new batch shape on first sight
            return {"seconds": time_call(lambda: predict(cmd["images"], cmd["batch"]), 1,
                                         warmup=1)[0]}
        reply = self.extra(cmd) if self.extra is not None else None
        if reply is None:
            return {"error": f"unknown command {name!r}"}
        return reply
