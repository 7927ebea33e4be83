"""``fastmlp-bench`` (also ``python -m fastmlp.bench``): how fast fastmlp is,
against its own NumPy reference and, when it is installed, PyTorch.

Four sections, printed as tables:

* **kernels** at the seed model's shapes (batch 32 and 256; 784->128 and
  128->10): dense forward and backward, ReLU, dropout, softmax cross-entropy
  forward+backward, and each optimizer update over the seed model's 101,770
  parameters; for the ``cython`` backend, the ``numpy`` reference and PyTorch's
  equivalent; median and spread (interquartile range) of many calls after
  warm-up, and the speed-up over the reference;
* **floor**: the bare sgemm time of the dense layer's GEMMs (``np.matmul``
  into a preallocated output: the same BLAS) and the dense layer's time as a
  ratio to it, i.e. what the epilogue and the wrapper cost;
* **end to end**: one epoch of the first seed model (Flatten, Dense 128 relu,
  Dropout 0.2, Dense 10; Adam; sparse cross-entropy from logits; accuracy)
  through ``fit`` on each backend, and an idiomatic PyTorch loop over
  pre-shuffled in-memory tensors for the same model, all in one process,
  interleaved (A B C A B C ...) so that machine drift cancels; the ratios are
  the headline;
* **process**: the import time of fastmlp and the peak RSS of a
  ``fastmlp-train`` run.

``--quick`` runs in well under a minute (fewer repeats, a 12,000-sample
epoch scaled to 60,000, no ``fastmlp-train`` run); ``--json FILE`` writes every
number; ``--plot FILE.png`` draws the ratios (needs matplotlib). The header says
which BLAS, how many threads and which CPU features the numbers came from.

The training data is MNIST when :func:`fastmlp.datasets.mnist.load_data` finds
it (``FASTMLP_DATA``, the cache, ...), else random data of MNIST's shape, so the
benchmark never downloads. Inputs are float32 ``x / 255`` for every contender.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

PROG = "fastmlp-bench"
SEED_PARAMS = 784 * 128 + 128 + 128 * 10 + 10  # 101,770
EPOCH_SAMPLES = 60000


# --------------------------------------------------------------------------- helpers

def _median_iqr(samples):
    """Median and interquartile range of a list of seconds."""
    s = sorted(samples)
    q = statistics.quantiles(s, n=4, method="inclusive") if len(s) >= 2 else [s[0]] * 3
    return statistics.median(s), q[2] - q[0]


def time_call(fn, repeats, warmup=None, inner=1):
    """Median and IQR of the time of one call of ``fn`` (seconds): ``repeats``
    samples, each the mean over ``inner`` back-to-back calls."""
    pc = time.perf_counter
    for _ in range(warmup if warmup is not None else max(3, repeats // 10)):
        fn()
    samples = []
    for _ in range(repeats):
        t = pc()
        for _ in range(inner):
            fn()
        samples.append((pc() - t) / inner)
    return _median_iqr(samples)


def _torch():
    """torch, or None when it is not installed (or is disabled)."""
    if os.environ.get("FASTMLP_BENCH_NO_TORCH"):
        return None
    try:
        import torch
    except Exception:  # noqa: BLE001 - any failure to import means "no torch rows"
        return None
    return torch


def cpu_features():
    """The SIMD features of this CPU that matter here, from NumPy's detection."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as feats
    except ImportError:  # NumPy < 2
        try:
            from numpy.core._multiarray_umath import __cpu_features__ as feats
        except ImportError:
            feats = {}
    wanted = ("SSE2", "SSE42", "AVX", "FMA3", "AVX2", "AVX512F", "AVX512_SKX", "ASIMD", "SVE")
    return [name for name in wanted if feats.get(name)]


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(worker=None):
    """What the numbers ran on: CPU, BLAS and its threads, versions."""
    import fastmlp
    from fastmlp import backend
    from fastmlp.backend import blas

    env = {
        "fastmlp": fastmlp.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_features": cpu_features(),
        "blas": backend._blas_info(),
        "blas_threads": blas.get_num_threads(),
        "direct_sgemm": blas.has_direct_sgemm(),
        "compiled_kernels": backend._compiled_import_error() is None,
        "torch": None,
    }
    try:
        env["load_average"] = list(os.getloadavg())
    except OSError:
        env["load_average"] = None
    if worker is not None:
        env["torch"] = worker.version
        env["torch_threads"] = worker.threads
    return env


# --------------------------------------------------------------------------- kernels

def _kernel_cases(ops, batch, rng):
    """``{name: callable}`` running each kernel of ``ops`` at ``batch``."""
    f32 = np.float32
    x = rng.random((batch, 784), dtype=f32)
    W1 = (rng.standard_normal((784, 128)) * 0.05).astype(f32)
    b1 = (rng.standard_normal(128) * 0.05).astype(f32)
    W2 = (rng.standard_normal((128, 10)) * 0.1).astype(f32)
    b2 = np.zeros(10, f32)
    h = np.empty((batch, 128), f32)
    ops.dense_forward(x, W1, b1, "relu", h)
    hd = np.empty_like(h)
    logits = np.empty((batch, 10), f32)
    dh_in = rng.standard_normal((batch, 128)).astype(f32)
    dh = np.empty_like(dh_in)
    dlog = rng.standard_normal((batch, 10)).astype(f32) / batch
    dW1, db1 = np.empty_like(W1), np.empty_like(b1)
    dW2, db2 = np.empty_like(W2), np.empty_like(b2)
    dh2 = np.empty((batch, 128), f32)
    mask = np.empty((batch, 128), np.uint8)
    labels = rng.integers(0, 10, batch).astype(np.int32)
    step = [0]

    def dense1_bwd():
        # dy is overwritten in place by the ReLU derivative: refresh it first
        # (a copy of 16-128 KB, included in every backend's time alike).
        np.copyto(dh, dh_in)
        ops.dense_backward(x, W1, h, dh, "relu", dW1, db1, None)

    def dropout_fwd():
        step[0] += 1
        ops.dropout_forward(h, 0.2, 1234, step[0], mask, hd)

    ops.dropout_forward(h, 0.2, 1234, 0, mask, hd)
    return {
        "dense fwd 784->128 relu": lambda: ops.dense_forward(x, W1, b1, "relu", h),
        "dense bwd 784->128 relu (no dx)": dense1_bwd,
        "dense fwd 128->10": lambda: ops.dense_forward(h, W2, b2, "linear", logits),
        "dense bwd 128->10 (dx)": lambda: ops.dense_backward(h, W2, logits, dlog, "linear",
                                                             dW2, db2, dh2),
        "relu fwd": lambda: ops.relu_forward(dh_in, hd),
        "relu bwd": lambda: ops.relu_backward(h, dh_in, hd),
        "dropout fwd": dropout_fwd,
        "dropout bwd": lambda: ops.dropout_backward(dh_in, mask, 0.2, hd),
        "softmax xent fwd+bwd": lambda: ops.softmax_xent_sparse(logits, labels, dlog),
    }


def _torch_kernel_cases(torch, batch, rng):
    """PyTorch's counterparts of :func:`_kernel_cases` (its ATen kernels, out=
    where it has them)."""
    F = torch.nn.functional
    t = torch.from_numpy
    f32 = np.float32
    x = t(rng.random((batch, 784), dtype=f32))
    W1 = t((rng.standard_normal((128, 784)) * 0.05).astype(f32))  # torch's (out, in) layout
    b1 = t((rng.standard_normal(128) * 0.05).astype(f32))
    W2 = t((rng.standard_normal((10, 128)) * 0.1).astype(f32))
    b2 = torch.zeros(10)
    h = torch.relu(F.linear(x, W1, b1))
    logits = F.linear(h, W2, b2)
    dh_in = t(rng.standard_normal((batch, 128)).astype(f32))
    dh = torch.empty_like(dh_in)
    dlog = t(rng.standard_normal((batch, 10)).astype(f32)) / batch
    dW1, db1 = torch.empty_like(W1), torch.empty_like(b1)
    dW2, db2 = torch.empty_like(W2), torch.empty_like(b2)
    dh2 = torch.empty(batch, 128)
    out1 = torch.empty(batch, 128)
    out2 = torch.empty(batch, 10)
    labels = t(rng.integers(0, 10, batch).astype(np.int64))
    aten = torch.ops.aten
    _, mask = aten.native_dropout(h, 0.2, True)

    def dense1_fwd():
        torch.addmm(b1, x, W1.t(), out=out1)
        torch.relu_(out1)

    def dense1_bwd():
        torch.mul(dh_in, h > 0, out=dh)
        torch.mm(dh.t(), x, out=dW1)
        torch.sum(dh, 0, out=db1)

    def dense2_bwd():
        torch.mm(dlog.t(), h, out=dW2)
        torch.sum(dlog, 0, out=db2)
        torch.mm(dlog, W2, out=dh2)

    lg = logits.detach().clone().requires_grad_(True)

    def xent():
        loss = F.cross_entropy(lg, labels)
        loss.backward()
        lg.grad = None

    return {
        "dense fwd 784->128 relu": dense1_fwd,
        "dense bwd 784->128 relu (no dx)": dense1_bwd,
        "dense fwd 128->10": lambda: torch.addmm(b2, h, W2.t(), out=out2),
        "dense bwd 128->10 (dx)": dense2_bwd,
        "relu fwd": lambda: torch.clamp_min(dh_in, 0, out=dh),
        "relu bwd": lambda: aten.threshold_backward(dh_in, h, 0),
        "dropout fwd": lambda: aten.native_dropout(h, 0.2, True),
        "dropout bwd": lambda: aten.native_dropout_backward(dh_in, mask, 1.25),
        "softmax xent fwd+bwd": xent,
    }


OPTIMIZERS = {
    "sgd": ("sgd_update", dict(lr=0.01)),
    "sgd momentum": ("sgd_update", dict(lr=0.01, momentum=0.9)),
    "adam": ("adam_update", dict(lr=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7)),
    "rmsprop": ("rmsprop_update", dict(lr=1e-3, rho=0.9, momentum=0.0, epsilon=1e-7)),
}


def _optimizer_cases(ops, rng, n=SEED_PARAMS):
    f32 = np.float32
    p = (rng.standard_normal(n) * 0.05).astype(f32)
    g = (rng.standard_normal(n) * 1e-3).astype(f32)
    velocity, m, v, ms = (np.zeros(n, f32) for _ in range(4))
    step = [0]

    def adam():
        step[0] += 1
        ops.adam_update(p, g, m, v, 1e-3, 0.9, 0.999, 1e-7, step[0])

    return {
        "sgd": lambda: ops.sgd_update(p, g, None, 0.01),
        "sgd momentum": lambda: ops.sgd_update(p, g, velocity, 0.01, 0.9),
        "adam": adam,
        "rmsprop": lambda: ops.rmsprop_update(p, g, ms, None, 1e-3, 0.9, 0.0, 1e-7),
    }


def _torch_optimizer_cases(torch, rng):
    """torch.optim over the seed model's four parameter tensors (its defaults:
    the multi-tensor ``foreach`` path)."""
    shapes = [(128, 784), (128,), (10, 128), (10,)]
    cases = {}
    for name, make in (("sgd", lambda ps: torch.optim.SGD(ps, lr=0.01)),
                       ("sgd momentum", lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9)),
                       ("adam", lambda ps: torch.optim.Adam(ps, lr=1e-3, eps=1e-7)),
                       ("rmsprop", lambda ps: torch.optim.RMSprop(ps, lr=1e-3, alpha=0.9,
                                                                   eps=1e-7))):
        params = []
        for shape in shapes:
            p = torch.nn.Parameter(torch.from_numpy(
                (rng.standard_normal(shape) * 0.05).astype(np.float32)))
            p.grad = torch.from_numpy((rng.standard_normal(shape) * 1e-3).astype(np.float32))
            params.append(p)
        opt = make(params)
        cases[name] = opt.step
    return cases


def kernel_cases(impl, batch, torch=None):
    """The kernel callables of ``impl`` ("cython", "numpy" or "torch") at ``batch``."""
    rng = np.random.default_rng(batch)
    if impl == "torch":
        cases = _torch_kernel_cases(torch, batch, rng)
        xent = cases.pop("softmax xent fwd+bwd")  # needs autograd
        cases = {k: _no_grad(torch, v) for k, v in cases.items()}
        cases["softmax xent fwd+bwd"] = xent
        return cases
    from fastmlp.backend import get_ops
    return _kernel_cases(get_ops(impl), batch, rng)


def optimizer_cases(impl, torch=None):
    rng = np.random.default_rng(7)
    if impl == "torch":
        return _torch_optimizer_cases(torch, rng)
    from fastmlp.backend import get_ops
    return _optimizer_cases(get_ops(impl), rng)


def time_kernels(impl, batches, repeats, torch=None):
    """``{(kernel, batch): {median, iqr}}`` for one implementation."""
    out = {}
    for batch in batches:
        for kernel, fn in kernel_cases(impl, batch, torch).items():
            med, iqr = time_call(fn, repeats)
            out[(kernel, batch)] = {"median": med, "iqr": iqr}
    for kernel, fn in optimizer_cases(impl, torch).items():
        med, iqr = time_call(fn, max(repeats // 4, 5))
        out[(f"{kernel} update ({SEED_PARAMS:,} params)", None)] = {"median": med, "iqr": iqr}
    return out


def bench_kernels(batches, repeats, worker=None):
    """Rows ``{kernel, batch, impl: {median, iqr}}`` for every kernel; the
    torch column comes from ``worker`` (a :class:`TorchWorker`), if any."""
    from fastmlp.backend import get_ops

    impls = []
    for name in ("cython", "numpy"):
        try:
            get_ops(name)
            impls.append(name)
        except ImportError:
            pass
    results = {}
    for impl in impls:
        _settle()
        results[impl] = time_kernels(impl, batches, repeats)
    if worker is not None:
        _settle()
        results["torch"] = worker.kernels(batches, repeats)
    keys = list(next(iter(results.values())))
    rows = []
    for kernel, batch in keys:
        row = {"kernel": kernel, "batch": batch}
        for impl, res in results.items():
            if (kernel, batch) in res:
                row[impl] = res[(kernel, batch)]
        rows.append(row)
    return rows


def _settle(seconds=0.25):
    """Sleep so that the spinning worker threads of whichever runtime ran last
    (OpenBLAS, OpenMP) go idle before the next measurement."""
    time.sleep(seconds)


def _no_grad(torch, fn):
    def call():
        with torch.no_grad():
            return fn()
    return call


# ----------------------------------------------------------------------------- floor

def bench_floor(batches, repeats):
    """The dense 784->128 layer against the bare sgemm of its GEMMs."""
    from fastmlp.backend import get_ops

    try:
        ops = get_ops("cython")
    except ImportError:
        return []
    rows = []
    f32 = np.float32
    for batch in batches:
        rng = np.random.default_rng(batch)
        x = rng.random((batch, 784), dtype=f32)
        W = (rng.standard_normal((784, 128)) * 0.05).astype(f32)
        b = np.zeros(128, f32)
        y = np.empty((batch, 128), f32)
        dy_in = rng.standard_normal((batch, 128)).astype(f32)
        dy = np.empty_like(dy_in)
        dW, db = np.empty_like(W), np.empty_like(b)
        dx = np.empty_like(x)
        ops.dense_forward(x, W, b, "relu", y)
        xt = x.T

        def g_fwd():
            np.matmul(x, W, out=y)

        def g_dw():
            np.copyto(dy, dy_in)
            np.matmul(xt, dy, out=dW)

        def g_dx():
            np.matmul(dy, W.T, out=dx)

        def l_fwd():
            ops.dense_forward(x, W, b, "relu", y)

        def l_bwd():
            np.copyto(dy, dy_in)
            ops.dense_backward(x, W, y, dy, "relu", dW, db, None)

        def l_bwd_dx():
            np.copyto(dy, dy_in)
            ops.dense_backward(x, W, y, dy, "relu", dW, db, dx)

        def g_both():
            g_fwd()
            g_dw()

        def l_both():
            l_fwd()
            l_bwd()

        t = {}
        # interleave the pairs so drift affects both alike
        for _ in range(3):
            for name, fn in (("sgemm fwd", g_fwd), ("dense fwd", l_fwd), ("sgemm dW", g_dw),
                             ("dense bwd", l_bwd), ("sgemm dW+dx", lambda: (g_dw(), g_dx())),
                             ("dense bwd dx", l_bwd_dx), ("sgemm fwd+dW", g_both),
                             ("dense fwd+bwd", l_both)):
                t.setdefault(name, []).append(time_call(fn, max(repeats // 3, 5))[0])
        med = {k: statistics.median(v) for k, v in t.items()}
        for what, layer, gemm in (("forward", "dense fwd", "sgemm fwd"),
                                  ("backward (dW, db)", "dense bwd", "sgemm dW"),
                                  ("backward (dW, db, dx)", "dense bwd dx", "sgemm dW+dx"),
                                  ("forward+backward", "dense fwd+bwd", "sgemm fwd+dW")):
            rows.append({"batch": batch, "shape": f"{batch}x784 . 784x128", "pass": what,
                         "sgemm": med[gemm], "dense": med[layer],
                         "ratio": med[layer] / med[gemm]})
    return rows


# ------------------------------------------------------------------------ end to end

def load_data(samples):
    """float32 ``x / 255`` (n, 28, 28) and uint8 labels: MNIST when found on
    disk, else random data of its shape. Returns (x, y, source)."""
    try:
        from fastmlp.datasets import mnist
        (x, y), _ = mnist.load_data(download=False) if _accepts_download(mnist) else \
            mnist.load_data()
        source = "mnist"
        if len(x) < samples:
            reps = -(-samples // len(x))
            x, y = np.concatenate([x] * reps), np.concatenate([y] * reps)
            source = f"mnist ({len(x) // reps} samples, tiled)"
    except Exception:  # noqa: BLE001 - no data on this machine: random images
        rng = np.random.default_rng(0)
        x = rng.integers(0, 256, (samples, 28, 28), dtype=np.uint8)
        y = rng.integers(0, 10, samples).astype(np.uint8)
        source = "random"
    x = x[:samples].astype(np.float32)
    x /= np.float32(255.0)
    return x, np.ascontiguousarray(y[:samples]), source


def _accepts_download(module):
    import inspect
    try:
        return "download" in inspect.signature(module.load_data).parameters
    except (TypeError, ValueError):
        return False


def _seed_model(backend):
    import fastmlp
    fastmlp.backend.set_backend(backend)
    model = fastmlp.Sequential([
        fastmlp.layers.Flatten(input_shape=(28, 28)),
        fastmlp.layers.Dense(128, activation="relu"),
        fastmlp.layers.Dropout(0.2),
        fastmlp.layers.Dense(10),
    ])
    model.compile(optimizer="adam",
                  loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def _fastmlp_epoch(backend, x, y, batch):
    import fastmlp
    previous = fastmlp.backend.backend()
    fastmlp.utils.set_random_seed(0)
    model = _seed_model(backend)
    fastmlp.backend.set_backend(previous)
    # warm-up: buffers, the optimizer's state, BLAS threads
    model.fit(x[:batch * 20], y[:batch * 20], batch_size=batch, epochs=1, verbose=0)

    def epoch():
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    return epoch


def _torch_epoch(torch, x, y, batch):
    """An idiomatic PyTorch loop: the model on nn modules, Adam, the data as
    in-memory tensors shuffled once an epoch, then sliced."""
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2),
                          nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y.astype(np.int64))
    n = len(xt)

    def run(limit):
        model.train()
        perm = torch.randperm(n)
        xs, ys = xt[perm], yt[perm]
        for start in range(0, min(n, limit), batch):
            xb, yb = xs[start:start + batch], ys[start:start + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()

    run(batch * 20)
    return lambda: run(n)


def bench_end_to_end(batches, passes, samples, backends=("cython", "numpy"), worker=None,
                     settle=0.3):
    """Median s/epoch of each contender per batch size, and the ratios. The
    contenders run one epoch each in turn (A B C A B C ...), with a pause
    before each so that the previous one's BLAS/OpenMP threads are idle."""
    x, y, source = load_data(samples)
    scale = EPOCH_SAMPLES / len(x)
    rows = []
    for batch in batches:
        contenders = {}
        for backend in backends:
            try:
                contenders[f"fastmlp {backend}"] = _timed(_fastmlp_epoch(backend, x, y, batch))
            except ImportError:
                pass
        if worker is not None:
            worker.prepare_epoch(batch, samples)
            contenders["pytorch loop"] = lambda batch=batch: worker.epoch(batch)
        times = {name: [] for name in contenders}
        for _ in range(passes):
            for name, epoch in contenders.items():
                _settle(settle)
                times[name].append(epoch() * scale)
        row = {"batch": batch, "samples": len(x), "source": source, "passes": passes}
        for name, ts in times.items():
            med, iqr = _median_iqr(ts)
            row[name] = {"median": med, "iqr": iqr, "all": ts}
        base = row.get("fastmlp cython", {}).get("median")
        if base:
            for name in contenders:
                if name != "fastmlp cython":
                    row[f"{name} / cython"] = row[name]["median"] / base
        rows.append(row)
    return rows


def _timed(fn):
    def call():
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t
    return call


# ------------------------------------------------------------------- torch worker

class TorchWorker:
    """PyTorch, run in a child process (``fastmlp-bench --torch-worker``) that
    takes one JSON command a line: its OpenMP threads and OpenBLAS's would
    otherwise fight over the cores whenever both runtimes live in one process.
    The parent interleaves its commands with its own measurements."""

    def __init__(self):
        env = dict(os.environ)
        self.proc = subprocess.Popen([sys.executable, "-m", "fastmlp.bench", "--torch-worker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     bufsize=1, env=env)
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
        reply = self._call(cmd="kernels", batches=list(batches), repeats=repeats)
        return {(k, b): stats for k, b, stats in reply["rows"]}

    def prepare_epoch(self, batch, samples):
        self._call(cmd="prepare", batch=batch, samples=samples)

    def epoch(self, batch):
        return self._call(cmd="epoch", batch=batch)["seconds"]

    def close(self):
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


def _torch_worker_main():
    """The child side of :class:`TorchWorker`."""
    out = sys.stdout

    def send(obj):
        out.write(json.dumps(obj) + "\n")
        out.flush()

    sys.stdout = sys.stderr  # anything else printed must not corrupt the protocol
    torch = _torch()
    if torch is None:
        send({"error": "torch is not installed"})
        return 1
    send({"torch": torch.__version__, "threads": torch.get_num_threads()})
    epochs = {}
    for line in sys.stdin:
        cmd = json.loads(line)
        try:
            if cmd["cmd"] == "quit":
                break
            if cmd["cmd"] == "kernels":
                res = time_kernels("torch", cmd["batches"], cmd["repeats"], torch)
                send({"rows": [[k, b, v] for (k, b), v in res.items()]})
            elif cmd["cmd"] == "prepare":
                x, y, _ = load_data(cmd["samples"])
                epochs[cmd["batch"]] = _torch_epoch(torch, x, y, cmd["batch"])
                send({"ok": True})
            elif cmd["cmd"] == "epoch":
                t = time.perf_counter()
                epochs[cmd["batch"]]()
                send({"seconds": time.perf_counter() - t})
            else:
                send({"error": f"unknown command {cmd['cmd']!r}"})
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            send({"error": f"{type(exc).__name__}: {exc}"})
    return 0


# --------------------------------------------------------------------------- process

def import_time(runs=5):
    """Median seconds of ``import fastmlp`` in a fresh interpreter (and of
    ``import numpy`` alone, for scale)."""
    code = ("import time; t = time.perf_counter(); import {m}; "
            "print(time.perf_counter() - t)")
    out = {}
    for module in ("numpy", "fastmlp"):
        ts = []
        for _ in range(runs):
            res = subprocess.run([sys.executable, "-c", code.format(m=module)],
                                 capture_output=True, text=True, check=True)
            ts.append(float(res.stdout.strip().splitlines()[-1]))
        out[module] = statistics.median(ts)
    return out


def train_peak_rss(epochs=1, extra=()):
    """Peak resident set size (bytes) and wall time of ``fastmlp-train`` on the
    MNIST it finds, in a child process. The peak is the one the child reports
    in its metrics.json (its own high-water mark: a child's ru_maxrss would
    include the image of this large process, which forked it)."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "fastmlp.train", "--epochs", str(epochs), "--quiet",
               "--no-plots", "--out", tmp, *extra]
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t
        rss = None
        if proc.returncode == 0:
            with open(os.path.join(tmp, "metrics.json")) as f:
                peak_mb = json.load(f).get("peak_rss_mb")
            rss = None if peak_mb is None else int(peak_mb * 2**20)
    return {"peak_rss_bytes": rss, "wall_s": wall, "command": " ".join(cmd[1:]),
            "exit_status": proc.returncode,
            "output": (proc.stdout.strip().splitlines() or [""])[-1] if proc.returncode == 0
            else proc.stderr.strip()[-300:]}


# ---------------------------------------------------------------------------- output

def _us(t):
    return "-" if t is None else f"{t * 1e6:9.1f}"


def _cell(row, impl):
    r = row.get(impl)
    if not r:
        return f"{'-':>18}"
    spread = 100 * r["iqr"] / r["median"] if r["median"] else 0.0
    return f"{r['median'] * 1e6:10.1f} ±{spread:4.0f}%"


def format_report(report):
    lines = []
    env = report["environment"]
    lines.append(f"fastmlp-bench {env['fastmlp']}  ({'quick' if report['quick'] else 'full'} run)")
    lines.append(f"  python {env['python']}, numpy {env['numpy']}, torch {env['torch'] or 'not installed'}"
                 + (f" ({env['torch_threads']} threads)" if env.get("torch") else ""))
    lines.append(f"  cpu: {env['cpu']} ({env['cpu_count']} cpus; {' '.join(env['cpu_features'])})")
    for lib in env["blas"] or [{}]:
        desc = ", ".join(f"{k} {v}" for k, v in lib.items() if v is not None and k != "filepath")
        lines.append(f"  blas: {desc or 'unknown'}")
    lines.append(f"  blas threads: {env['blas_threads']}; sgemm called "
                 f"{'directly from C' if env['direct_sgemm'] else 'through np.matmul'}")
    if env.get("load_average"):
        lines.append("  load average at start: " + " ".join(f"{v:.2f}" for v in env["load_average"]))

    if report.get("kernels"):
        lines.append("")
        lines.append("Kernels: median µs per call ± interquartile range; speed-up = numpy / cython")
        have_torch = any("torch" in r for r in report["kernels"])
        head = f"{'kernel':<40}{'batch':>6}{'cython':>18}{'numpy':>18}"
        head += f"{'torch':>18}" if have_torch else ""
        head += f"{'speed-up':>10}" + (f"{'torch/cy':>10}" if have_torch else "")
        lines.append(head)
        lines.append("-" * len(head))
        for r in report["kernels"]:
            line = f"{r['kernel']:<40}{(r['batch'] or ''):>6}{_cell(r, 'cython')}{_cell(r, 'numpy')}"
            if have_torch:
                line += _cell(r, "torch")
            cy, ref = r.get("cython"), r.get("numpy")
            line += f"{ref['median'] / cy['median']:9.2f}x" if cy and ref else f"{'-':>10}"
            if have_torch:
                tt = r.get("torch")
                line += f"{tt['median'] / cy['median']:9.2f}x" if cy and tt else f"{'-':>10}"
            lines.append(line)

    if report.get("floor"):
        lines.append("")
        lines.append("Floor: dense layer 784->128 (relu) vs the bare sgemm of its GEMMs (µs)")
        head = f"{'batch':>6}  {'pass':<24}{'sgemm':>10}{'dense':>10}{'dense/sgemm':>13}"
        lines.append(head)
        lines.append("-" * len(head))
        for r in report["floor"]:
            lines.append(f"{r['batch']:>6}  {r['pass']:<24}{_us(r['sgemm'])} {_us(r['dense'])}"
                         f"{r['ratio']:12.2f}x")

    if report.get("end_to_end"):
        lines.append("")
        e2e = report["end_to_end"]
        first = e2e[0]
        lines.append(f"End to end: seed model (Adam, dropout 0.2), s/epoch of {EPOCH_SAMPLES:,} "
                     f"samples, median of {first['passes']} interleaved passes"
                     + (f" (timed on {first['samples']:,} samples, scaled)"
                        if first["samples"] != EPOCH_SAMPLES else "")
                     + f"; data: {first['source']}")
        names = [k for k in first if isinstance(first[k], dict)]
        head = f"{'batch':>6}" + "".join(f"{n:>20}" for n in names)
        ratio_names = [k for k in first if k.endswith(" / cython")]
        head += "".join(f"{n:>24}" for n in ratio_names)
        lines.append(head)
        lines.append("-" * len(head))
        for r in e2e:
            line = f"{r['batch']:>6}"
            for n in names:
                v = r[n]
                line += f"{v['median']:>12.3f} ±{100 * v['iqr'] / v['median']:4.0f}%  "
            for n in ratio_names:
                line += f"{r[n]:>23.2f}x"
            lines.append(line)

    proc = report.get("process") or {}
    if proc:
        lines.append("")
        if "import" in proc:
            lines.append(f"import fastmlp: {proc['import']['fastmlp']:.3f} s "
                         f"(numpy alone {proc['import']['numpy']:.3f} s), fresh interpreter, "
                         "median of 5")
        if "train" in proc:
            t = proc["train"]
            if t["exit_status"] == 0 and t["peak_rss_bytes"] is not None:
                lines.append(f"fastmlp-train peak RSS: {t['peak_rss_bytes'] / 2**20:.0f} MiB "
                             f"({t['wall_s']:.1f} s: {t['command']})")
            elif t["exit_status"] == 0:
                lines.append(f"fastmlp-train peak RSS: unknown on this platform ({t['command']})")
            else:
                lines.append(f"fastmlp-train failed ({t['exit_status']}): {t['output']}")
    return "\n".join(lines)


def plot(report, path):
    """A bar chart of the speed-ups (numpy / cython and torch / cython)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, ref, tor = [], [], []
    for r in report.get("end_to_end", []):
        labels.append(f"fit epoch b{r['batch']}")
        ref.append(r.get("fastmlp numpy / cython", np.nan))
        tor.append(r.get("pytorch loop / cython", np.nan))
    for r in report.get("kernels", []):
        cy = r.get("cython")
        if not cy:
            continue
        labels.append(r["kernel"] + (f" b{r['batch']}" if r["batch"] else ""))
        ref.append(r["numpy"]["median"] / cy["median"] if r.get("numpy") else np.nan)
        tor.append(r["torch"]["median"] / cy["median"] if r.get("torch") else np.nan)
    ypos = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(labels) + 1.5))
    ax.barh(ypos - 0.2, ref, 0.4, label="numpy reference / fastmlp cython")
    if not all(np.isnan(tor)):
        ax.barh(ypos + 0.2, tor, 0.4, label="PyTorch / fastmlp cython")
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set_yticks(ypos, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("speed-up of fastmlp (cython backend); > 1 is faster")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# ------------------------------------------------------------------------------ main

def run(quick=False, smoke=False, kernels=True, floor=True, end_to_end=True, process=True,
        use_torch=True, passes=None, log=None):
    """Run the benchmark and return the report (a JSON-able dict)."""
    worker = None
    if use_torch and not os.environ.get("FASTMLP_BENCH_NO_TORCH"):
        import importlib.util
        if importlib.util.find_spec("torch") is not None:
            try:
                worker = TorchWorker()
            except RuntimeError as exc:
                (log or print)(f"PyTorch left out: {exc}")
    try:
        return _run(quick, smoke, kernels, floor, end_to_end, process, worker, passes, log)
    finally:
        if worker is not None:
            worker.close()


def _run(quick, smoke, kernels, floor, end_to_end, process, worker, passes, log):
    if smoke:  # the test suite's mode: everything, tiny
        repeats, batches, e2e_passes, samples = 5, (32,), 1, 640
    elif quick:
        repeats, batches, e2e_passes, samples = 60, (32, 256), 1, 12000
    else:
        repeats, batches, e2e_passes, samples = 400, (32, 256), 3, EPOCH_SAMPLES
    if passes is not None:
        e2e_passes = passes
    log = log or (lambda msg: None)
    report = {"quick": bool(quick or smoke), "smoke": bool(smoke),
              "environment": environment(worker)}
    if kernels:
        log("kernels...")
        report["kernels"] = bench_kernels(batches, repeats, worker)
    if floor:
        log("floor...")
        report["floor"] = bench_floor(batches if not smoke else (32,), repeats)
    if end_to_end:
        log("end to end...")
        report["end_to_end"] = bench_end_to_end(batches, e2e_passes, samples, worker=worker,
                                                 settle=0.05 if smoke else 0.1 if quick else 0.3)
    if process:
        log("process...")
        report["process"] = {"import": import_time(1 if smoke else 5)}
        if not (quick or smoke):
            report["process"]["train"] = train_peak_rss()
    return report


def main(argv=None):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a run under a minute (fewer repeats, a "
                   "12,000-sample epoch, no fastmlp-train run)")
    p.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)  # tests: tiny
    p.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--json", metavar="FILE", help="also write every number as JSON")
    p.add_argument("--plot", metavar="FILE.png", help="bar chart of the speed-ups (matplotlib)")
    p.add_argument("--passes", type=int, default=None,
                   help="end-to-end passes per contender (default 3, --quick 1)")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if installed")
    p.add_argument("--only", choices=("kernels", "floor", "end-to-end", "process"), nargs="+",
                   help="run only these sections")
    args = p.parse_args(argv)
    if args.torch_worker:
        return _torch_worker_main()
    only = set(args.only or ("kernels", "floor", "end-to-end", "process"))
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


if __name__ == "__main__":
    sys.exit(main())
