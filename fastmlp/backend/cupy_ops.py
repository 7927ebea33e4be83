"""The ``cupy`` backend: NVIDIA GPUs through CuPy.

GEMMs run in cuBLAS (``cupy.matmul`` with ``out=``); the fused kernels (bias +
activation epilogue, ReLU backward, dropout, softmax cross-entropy, optimizer
updates, accuracy) are the ``__global__`` kernels of ``cuda/kernels.cu``,
compiled once per process by ``cupy.RawModule`` (NVRTC; CuPy also caches the
binary on disk). Their per-element and per-row bodies are the ``FM_FN``
functions of the C headers in ``csrc/`` -- the very code the CPU extension
runs -- which an installed package carries as ``fastmlp/backend/cuda/include/``
(copied there by ``setup.py``'s ``build_py``); a source checkout uses
``csrc/`` directly.

CuPy is imported only when this backend is constructed, so nothing else in
fastmlp needs it. Without CuPy, or without a usable NVIDIA GPU, constructing
:class:`CupyOps` raises :class:`fastmlp.backend.BackendUnavailable` (an
ImportError) saying which is missing.

Arrays: every method takes and returns CuPy arrays (read-only inputs may also
be NumPy arrays or non-contiguous, and are copied to the device as C-contiguous
float32); ``out`` buffers and state updated in place must be C-contiguous CuPy
arrays of the right dtype and shape, checked here with a TypeError/ValueError
naming the argument, like the ``cython`` backend's wrappers.

Host synchronisation: kernels are queued on CuPy's current stream and nothing
waits for them, except the methods whose interface returns a Python number --
``softmax_xent_*`` (a float) and ``count_correct_*`` (an int) -- which copy
one 16-byte result to the host, once per call. See :meth:`CupyOps.loss_device`
for what a training loop needs to avoid even that.
"""

import hashlib
from pathlib import Path

import numpy as np

from . import BackendUnavailable, philox
from .checks import check_labels, label_error
from .numpy_ops import NumpyOps

CUDA_DIR = Path(__file__).resolve().with_name("cuda")
KERNELS_CU = CUDA_DIR / "kernels.cu"
#: headers every build of kernels.cu needs (the first one marks an include dir)
HEADERS = ("fm_common.h", "fm_dense.h", "fm_relu.h", "fm_philox.h", "fm_softmax.h",
           "fm_optim.h", "fm_metrics.h")
#: NVRTC options: C++14; no FMA contraction, so that with IEEE division and
#: square root (NVRTC's defaults) elementwise results round as on the CPU;
#: flush-to-zero, which CuPy appends to every compilation anyway (the last
#: -ftz wins), so it is written here to be what the nvcc test compiles too.
#: Results therefore match the reference bit for bit on normal floats; a
#: subnormal (below ~1.2e-38) is read and written as zero, as the CPU
#: optimizer loops do with FTZ/DAZ.
NVRTC_OPTIONS = ("--std=c++14", "--fmad=false", "-ftz=true")

_THREADS = 256          # threads per block of the grid-stride kernels
_MAX_BLOCKS = 65535     # grid-stride loops cover any size with at most this many blocks
_FINISH_THREADS = 256   # must equal FM_FINISH_THREADS in kernels.cu

MISSING_CUPY = "the cupy backend needs CuPy: pip install 'fastmlp[gpu]'"
MISSING_GPU = "the cupy backend needs an NVIDIA GPU: no CUDA GPU found"


def include_dir():
    """The directory holding the kernel headers (``fm_*.h``): the copy shipped
    in the package, else ``csrc/`` of the source checkout this module is in."""
    for candidate in (CUDA_DIR / "include", CUDA_DIR.parents[2] / "csrc"):
        if (candidate / HEADERS[0]).is_file():
            return candidate
    raise BackendUnavailable(
        f"fastmlp's CUDA kernel headers ({HEADERS[0]}, ...) are neither in {CUDA_DIR / 'include'} "
        f"nor in a source checkout's csrc/: reinstall fastmlp with `pip install .`")


def kernel_source():
    """The source handed to RawModule: ``kernels.cu`` behind a comment with a
    digest of the headers, so that CuPy's on-disk cache (keyed by the source
    and the options, blind to included files) recompiles when a header changes."""
    headers = include_dir()
    digest = hashlib.sha256()
    for name in sorted(p.name for p in headers.glob("*.h")):
        digest.update(name.encode() + b"\0" + (headers / name).read_bytes())
    return f"// fastmlp headers sha256 {digest.hexdigest()}\n" + KERNELS_CU.read_text()


def compile_options():
    """RawModule's options: the include path of the headers, then NVRTC_OPTIONS."""
    return ("-I" + str(include_dir()),) + NVRTC_OPTIONS


def _import_cupy():
    """CuPy with a usable CUDA device, or BackendUnavailable saying what is missing."""
    try:
        import cupy
    except ImportError as exc:
        raise BackendUnavailable(f"{MISSING_CUPY} ({exc})") from exc
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDARuntimeError: no driver, driver too old, no device...
        raise BackendUnavailable(f"{MISSING_GPU} ({type(exc).__name__}: {exc})") from exc
    if count < 1:
        raise BackendUnavailable(f"{MISSING_GPU} (CUDA reports {count} devices)")
    return cupy


def _stream(seed, step):
    """The (seed_lo, seed_hi, step_lo, step_hi) words of a dropout stream as
    uint32 kernel arguments (ValueError for a seed or step outside [0, 2**64))."""
    words = philox._split64(seed, "seed") + philox._split64(step, "step")
    return tuple(np.uint32(w) for w in words)


class CupyOps(NumpyOps):
    """GPU kernels; every method has NumpyOps' signature and semantics."""

    name = "cupy"

    def __init__(self):
        cupy = _import_cupy()
        include_dir()  # fail now, not at the first kernel, when the headers are missing
        self.xp = cupy
        self._module = None
        self._kernels = {}
        self._dummies = {}

    # ------------------------------------------------------------- plumbing
    def _kernel(self, name):
        """The compiled ``__global__`` function ``name`` (the module is built on
        first use: NVRTC, a second or so, then cached by CuPy on disk)."""
        fn = self._kernels.get(name)
        if fn is None:
            if self._module is None:
                cp = self.xp
                module = cp.RawModule(code=kernel_source(), options=compile_options())
                try:
                    module.compile()
                except Exception as exc:  # CompileException, missing NVRTC library...
                    raise BackendUnavailable(
                        f"the cupy backend could not compile its CUDA kernels ({KERNELS_CU}): "
                        f"{type(exc).__name__}: {exc}") from exc
                self._module = module
            fn = self._kernels[name] = self._module.get_function(name)
        return fn

    def _dummy(self, dtype=np.float32):
        """A one-element device array of ``dtype``, passed for a pointer the
        kernel does not read (its ``has_*`` flag is 0 where the C body wants NULL)."""
        dummy = self._dummies.get(np.dtype(dtype))
        if dummy is None:
            dummy = self._dummies[np.dtype(dtype)] = self.xp.zeros(1, dtype=dtype)
        return dummy

    def _launch(self, name, n, *args):
        """Run kernel ``name`` with enough threads for ``n`` elements/rows."""
        if n == 0:
            return
        blocks = min((n + _THREADS - 1) // _THREADS, _MAX_BLOCKS)
        self._kernel(name)((blocks,), (_THREADS,), args)

    def _in(self, a, dtype=np.float32):
        """A read-only input as a C-contiguous device array of ``dtype`` (no
        copy when it already is one)."""
        return self.xp.ascontiguousarray(self.xp.asarray(a, dtype=dtype))

    def _out(self, a, name, dtype=np.float32, shape=None):
        """``a`` checked as a writable C-contiguous device array of ``dtype``
        (and ``shape``): it is written in place."""
        if not isinstance(a, self.xp.ndarray):
            raise TypeError(f"{name} must be a CuPy array on the GPU, got {type(a).__name__}")
        if a.dtype != dtype:
            raise TypeError(f"{name} must have dtype {np.dtype(dtype).name}, got {a.dtype}")
        if shape is not None and tuple(a.shape) != tuple(shape):
            raise ValueError(f"{name} must have shape {tuple(shape)}, got {tuple(a.shape)}")
        if not a.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous")
        return a

    def _matrix(self, a, name):
        a = self._in(a)
        if a.ndim != 2:
            raise ValueError(f"{name} must be 2-D (batch, columns), got shape {a.shape}")
        if a.shape[1] == 0:
            raise ValueError(f"{name} must have at least one column")
        return a

    def _labels(self, labels, rows, cols):
        """Labels as a C-contiguous int32 device array of shape (rows,).

        Host labels are checked on the host (check_labels: the error names the
        label and its row); int32 device labels are checked by the kernels
        themselves, at no extra synchronisation; device labels of another
        integer dtype are range-checked before the cast (which could wrap)."""
        cp = self.xp
        if not isinstance(labels, cp.ndarray):
            labels = cp.asarray(check_labels(labels, cols))
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels[:, 0]
        if labels.dtype != np.int32:
            if labels.dtype.kind not in "iu":
                labels = cp.asarray(check_labels(cp.asnumpy(labels), cols))
            else:
                bad = (labels < 0) | (labels >= cols)
                if bool(bad.any()):  # one synchronisation, only for non-int32 labels
                    row = int(cp.flatnonzero(bad)[0])
                    raise label_error(int(labels[row]), row, cols)
                labels = labels.astype(np.int32)
        labels = cp.ascontiguousarray(labels)
        if labels.shape != (rows,):
            raise ValueError(f"labels must have shape ({rows},), got {tuple(labels.shape)}")
        return labels

    # --------------------------------------------------------------- arrays
    def asarray(self, x, dtype=np.float32):
        """``x`` as a C-contiguous CuPy array of ``dtype`` (a host-to-device
        copy for host data)."""
        return self.xp.ascontiguousarray(self.xp.asarray(x, dtype=dtype))

    def to_numpy(self, x):
        """``x`` as a NumPy array on the host (a device-to-host copy)."""
        return self.xp.asnumpy(x)

    # ------------------------------------------------------------------- dense
    def dense_forward(self, x, W, b, activation, out):
        """See NumpyOps.dense_forward: cuBLAS GEMM, then bias + activation in
        one pass over ``out``."""
        cp = self.xp
        out = self._out(out, "out")
        cp.matmul(cp.asarray(x, dtype=np.float32), cp.asarray(W, dtype=np.float32), out=out)
        relu = activation == "relu"
        if b is not None or relu:
            rows, cols = out.shape
            if b is not None:
                b = self._in(b)
                if b.shape != (cols,):
                    raise ValueError(f"b must have shape ({cols},), got {tuple(b.shape)}")
            self._launch("fm_k_bias_act", rows * cols, out, out if b is None else b,
                         np.int32(b is not None), np.uint64(rows), np.uint64(cols),
                         np.int32(relu))
        return out

    def dense_backward(self, x, W, y, dy, activation, dW, db, dx=None):
        """See NumpyOps.dense_backward: the ReLU derivative (into ``dy``, in
        place) and ``db`` in one pass, then cuBLAS GEMMs for ``dW`` and ``dx``."""
        cp = self.xp
        dy = self._out(dy, "dy")
        if dy.ndim != 2:
            raise ValueError(f"dy must be 2-D, got shape {dy.shape}")
        rows, cols = dy.shape
        relu = activation == "relu"
        if relu:
            y = self._in(y)
            if y.shape != dy.shape:
                raise ValueError(f"y must have dy's shape {tuple(dy.shape)}, got {tuple(y.shape)}")
        if db is not None:
            db = self._out(db, "db", shape=(cols,))
            # One thread per column, rows in order: db is the reference's, bit for bit.
            self._launch("fm_k_dense_grad_cols", cols, dy, y if relu else dy, db,
                         np.uint64(rows), np.uint64(cols), np.int32(relu))
        elif relu:
            self._launch("fm_k_relu_grad_inplace", rows * cols, dy, y, np.uint64(rows * cols))
        x = cp.asarray(x, dtype=np.float32)
        cp.matmul(x.T, dy, out=self._out(dW, "dW"))
        if dx is not None:
            cp.matmul(dy, cp.asarray(W, dtype=np.float32).T, out=self._out(dx, "dx"))
        return dW, db, dx

    # -------------------------------------------------------------------- relu
    def relu_forward(self, x, out):
        """See NumpyOps.relu_forward."""
        x = self._in(x)
        out = self._out(out, "out", shape=x.shape)
        self._launch("fm_k_relu_forward", x.size, x, out, np.uint64(x.size))
        return out

    def relu_backward(self, y, dy, out):
        """See NumpyOps.relu_backward."""
        y = self._in(y)
        dy = self._in(dy)
        if dy.shape != y.shape:
            raise ValueError(f"dy must have y's shape {tuple(y.shape)}, got {tuple(dy.shape)}")
        out = self._out(out, "out", shape=y.shape)
        self._launch("fm_k_relu_backward", y.size, y, dy, out, np.uint64(y.size))
        return out

    # ----------------------------------------------------------------- dropout
    def _dropout(self, x, seed, step, rate, mask, out):
        threshold = np.uint32(philox.drop_threshold(rate))  # ValueError for a bad rate
        scale = philox.keep_scale(rate)
        words = _stream(seed, step)
        n = mask.size
        self._launch("fm_k_dropout", (n + 3) // 4, *words, threshold, scale,
                     self._dummy() if x is None else x, np.int32(x is not None), mask,
                     self._dummy() if out is None else out, np.uint64(n))

    def dropout_mask(self, seed, step, rate, mask):
        """See NumpyOps.dropout_mask: the same Philox words as the CPU, so the
        masks are bit-identical for the same ``(seed, step)``."""
        mask = self._out(mask, "mask", np.uint8)
        self._dropout(None, seed, step, rate, mask, None)
        return mask

    def dropout_forward(self, x, rate, seed, step, mask, out):
        """See NumpyOps.dropout_forward: mask and output in one pass."""
        x = self._in(x)
        mask = self._out(mask, "mask", np.uint8, shape=x.shape)
        out = self._out(out, "out", shape=x.shape)
        self._dropout(x, seed, step, rate, mask, out)
        return out

    def dropout_apply(self, x, mask, rate, out):
        """See NumpyOps.dropout_apply."""
        x = self._in(x)
        mask = self._in(mask, np.uint8)
        if mask.shape != x.shape:
            raise ValueError(f"mask must have x's shape {tuple(x.shape)}, got {tuple(mask.shape)}")
        out = self._out(out, "out", shape=x.shape)
        self._launch("fm_k_dropout_apply", x.size, x, mask, philox.keep_scale(rate), out,
                     np.uint64(x.size))
        return out

    dropout_backward = dropout_apply

    # ----------------------------------------------------------------- softmax
    def _rowwise(self, kernel, out, *inputs):
        rows, cols = inputs[0].shape
        out = self._out(out, "out", shape=(rows, cols))
        self._launch(kernel, rows, *inputs, out, np.uint64(rows), np.uint64(cols))
        return out

    def softmax(self, x, out):
        """See NumpyOps.softmax (one thread per row)."""
        return self._rowwise("fm_k_softmax", out, self._matrix(x, "x"))

    def log_softmax(self, x, out):
        """See NumpyOps.log_softmax (one thread per row)."""
        return self._rowwise("fm_k_log_softmax", out, self._matrix(x, "x"))

    def softmax_backward(self, y, dy, out):
        """See NumpyOps.softmax_backward (one thread per row)."""
        y = self._matrix(y, "y")
        dy = self._in(dy)
        if dy.shape != y.shape:
            raise ValueError(f"dy must have y's shape {tuple(y.shape)}, got {tuple(dy.shape)}")
        return self._rowwise("fm_k_softmax_backward", out, y, dy)

    def loss_device(self, logits, y, dlogits, sparse):
        """The fused softmax cross-entropy without waiting for it.

        Queues the kernels and returns ``(result, labels)``: ``result`` is a
        device float64 array ``[sum of row losses, first bad label row or -1]``.
        :meth:`softmax_xent_sparse`/``_dense`` call this and then copy
        ``result`` to the host once (the interface returns a float). A training
        loop that kept ``result[0] / rows`` on the device and summed it lazily
        (converting to float only when the progress bar prints) would run a
        step without any host synchronisation; fastmlp's trainer currently
        asks for a float every step.
        """
        cp = self.xp
        logits = self._matrix(logits, "logits")
        rows, cols = logits.shape
        if dlogits is not None:
            dlogits = self._out(dlogits, "dlogits", shape=logits.shape)
        d = dlogits if dlogits is not None else logits  # not written when has_d is 0
        if sparse:
            labels = self._labels(y, rows, cols)
        else:
            labels = None
            targets = self._in(y)
            if targets.shape != logits.shape:
                raise ValueError(f"targets must have logits' shape {tuple(logits.shape)}, "
                                 f"got {tuple(targets.shape)}")
        if rows == 0:
            return None, None
        row_loss = cp.empty(rows, dtype=np.float64)
        result = cp.empty(2, dtype=np.float64)
        if sparse:
            self._launch("fm_k_xent_sparse_rows", rows, logits, labels, d,
                         np.int32(dlogits is not None), row_loss, np.uint64(rows),
                         np.uint64(cols), np.float32(rows))
        else:
            self._launch("fm_k_xent_dense_rows", rows, logits, targets, d,
                         np.int32(dlogits is not None), row_loss, np.uint64(rows),
                         np.uint64(cols), np.float32(rows))
        self._kernel("fm_k_loss_finish")(
            (1,), (_FINISH_THREADS,),
            (row_loss, self._dummy(np.int32) if labels is None else labels,
             np.int32(labels is not None),
             np.uint64(rows), np.uint64(cols), result))
        return result, labels

    def _loss_value(self, logits, y, dlogits, sparse):
        result, labels = self.loss_device(logits, y, dlogits, sparse)
        if result is None:
            return float("nan")  # the mean over zero rows, as in the reference
        total, bad = self.xp.asnumpy(result)  # the one host synchronisation of the call
        if bad >= 0:
            row = int(bad)
            raise label_error(int(labels[row]), row, logits.shape[1])
        return float(total / logits.shape[0])

    def softmax_xent_sparse(self, logits, labels, dlogits):
        """See NumpyOps.softmax_xent_sparse; a label outside [0, classes) is a
        ValueError naming it and its row. Waits for the GPU once (the float)."""
        return self._loss_value(logits, labels, dlogits, sparse=True)

    def softmax_xent_dense(self, logits, targets, dlogits):
        """See NumpyOps.softmax_xent_dense. Waits for the GPU once (the float)."""
        return self._loss_value(logits, targets, dlogits, sparse=False)

    # ---------------------------------------------------------------- optimizers
    def _state(self, a, name, params):
        return self._out(a, name, shape=params.shape)

    def sgd_update(self, params, grads, velocity, lr, momentum=0.0, nesterov=False):
        """See NumpyOps.sgd_update."""
        params = self._out(params, "params")
        grads = self._in(grads)
        if grads.shape != params.shape:
            raise ValueError(f"grads must have params' shape {params.shape}, got {grads.shape}")
        mu = np.float32(momentum)
        v = self._state(velocity, "velocity", params) if mu != 0 else params  # unread if mu == 0
        self._launch("fm_k_sgd", params.size, params, grads, v, np.uint64(params.size),
                     np.float32(lr), mu, np.int32(bool(nesterov)))
        return params

    def adam_update(self, params, grads, m, v, lr, beta_1, beta_2, epsilon, step,
                    weight_decay=0.0):
        """See NumpyOps.adam_update."""
        params = self._out(params, "params")
        grads = self._in(grads)
        if grads.shape != params.shape:
            raise ValueError(f"grads must have params' shape {params.shape}, got {grads.shape}")
        m = self._state(m, "m", params)
        v = self._state(v, "v", params)
        alpha = lr * np.sqrt(1.0 - beta_2 ** step) / (1.0 - beta_1 ** step)
        self._launch("fm_k_adam", params.size, params, grads, m, v, np.uint64(params.size),
                     np.float32(alpha), np.float32(1.0 - beta_1), np.float32(1.0 - beta_2),
                     np.float32(epsilon), np.float32(weight_decay * lr))
        return params

    def rmsprop_update(self, params, grads, velocity, momentum_buf, lr, rho,
                       momentum, epsilon):
        """See NumpyOps.rmsprop_update."""
        params = self._out(params, "params")
        grads = self._in(grads)
        if grads.shape != params.shape:
            raise ValueError(f"grads must have params' shape {params.shape}, got {grads.shape}")
        velocity = self._state(velocity, "velocity", params)
        mu = np.float32(momentum)
        mb = self._state(momentum_buf, "momentum_buf", params) if mu != 0 else velocity
        self._launch("fm_k_rmsprop", params.size, params, grads, velocity, mb,
                     np.uint64(params.size), np.float32(lr), np.float32(rho),
                     np.float32(1.0 - rho), mu, np.float32(epsilon))
        return params

    # ------------------------------------------------------------------ metrics
    def _count(self, kernel, scores, other):
        rows, cols = scores.shape
        result = self.xp.zeros(2, dtype=np.uint64)
        self._launch(kernel, rows, scores, other, np.uint64(rows), np.uint64(cols), result)
        # the one synchronisation of the call:
        hits, bad = (int(v) for v in self.xp.asnumpy(result))
        if bad:
            row = rows - bad
            raise label_error(int(other[row]), row, cols)
        return hits

    def count_correct_sparse(self, scores, labels):
        """See NumpyOps.count_correct_sparse; a label outside [0, classes) is a
        ValueError naming it and its row. Waits for the GPU once (the int)."""
        scores = self._matrix(scores, "scores")
        labels = self._labels(labels, *scores.shape)
        return self._count("fm_k_count_sparse", scores, labels)

    def count_correct_dense(self, scores, targets):
        """See NumpyOps.count_correct_dense. Waits for the GPU once (the int)."""
        scores = self._matrix(scores, "scores")
        targets = self._in(targets)
        if targets.shape != scores.shape:
            raise ValueError(f"targets must have scores' shape {tuple(scores.shape)}, "
                             f"got {tuple(targets.shape)}")
        return self._count("fm_k_count_dense", scores, targets)
