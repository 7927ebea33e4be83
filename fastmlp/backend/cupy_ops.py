"""The ``cupy`` backend: NVIDIA GPUs through CuPy.

GEMMs run in cuBLAS (``cupy.matmul`` with ``out=``); the fused kernels (bias +
activation epilogue, ReLU backward, dropout, softmax cross-entropy, optimizer
updates, accuracy) are the ``__global__`` kernels of ``cuda/kernels.cu``,
compiled once per process by ``cupy.RawModule`` (NVRTC; CuPy also caches the
binary on disk). Their per-element and per-row bodies are the ``FM_FN``
functions of the C headers in ``csrc/``, the very code the CPU extension runs
(see :mod:`fastmlp.backend.cuda.module`).

CuPy is imported only when this backend is constructed, so nothing else in
fastmlp needs it. Without CuPy, or without a usable NVIDIA GPU, constructing
:class:`CupyOps` raises :class:`fastmlp.backend.BackendUnavailable` (an
ImportError) saying which is missing.

Arrays: every method takes and returns CuPy arrays (read-only inputs may also
be NumPy arrays or non-contiguous, and are copied to the device as C-contiguous
float32); ``out`` buffers and state updated in place must be C-contiguous CuPy
arrays of the right dtype and shape, checked (by
:class:`fastmlp.backend.cuda.Device`) with a TypeError/ValueError naming the
argument, like the ``cython`` backend's wrappers.

This module holds the kernel overrides alone; finding and compiling the CUDA
sources, launching kernels and checking their arguments is
:mod:`fastmlp.backend.cuda`'s.

Host synchronisation: kernels are queued on CuPy's current stream and nothing
waits for them, except the methods whose interface returns a Python number --
``softmax_xent_*`` (a float) and ``count_correct_*`` (an int) -- which copy
one 16-byte result to the host, once per call. See :meth:`CupyOps.loss_device`
for what a training loop needs to avoid even that.
"""

import numpy as np

from . import philox
from .checks import check_thresholds, label_error
from .cuda import Device
from .numpy_ops import NumpyOps, adam_step_size


class CupyOps(NumpyOps):
    """GPU kernels; every method has NumpyOps' signature and semantics."""

    name = "cupy"

    def __init__(self):
        # BackendUnavailable without CuPy, a GPU or the kernel headers:
        self._dev = Device()
        self.xp = self._dev.xp

    # --------------------------------------------------------------- arrays
    def asarray(self, x, dtype=np.float32):
        """``x`` as a C-contiguous CuPy array of ``dtype`` (a host-to-device
        copy for host data)."""
        return self._dev.input(x, dtype)

    def to_numpy(self, x):
        """``x`` as a NumPy array on the host (a device-to-host copy)."""
        return self.xp.asnumpy(x)

    # ------------------------------------------------------------------- dense
    def dense_forward(self, x, W, b, activation, out):
        """See NumpyOps.dense_forward: cuBLAS GEMM, then bias + activation in
        one pass over ``out``."""
        cp, dev = self.xp, self._dev
        out = dev.output(out, "out")
        cp.matmul(cp.asarray(x, dtype=np.float32), cp.asarray(W, dtype=np.float32), out=out)
        relu = activation == "relu"
        if b is not None or relu:
            rows, cols = out.shape
            if b is not None:
                b = dev.input(b)
                if b.shape != (cols,):
                    raise ValueError(f"b must have shape ({cols},), got {tuple(b.shape)}")
            dev.launch("fm_k_bias_act", rows * cols, out, out if b is None else b,
                       np.int32(b is not None), np.uint64(rows), np.uint64(cols),
                       np.int32(relu))
        return out

    def dense_backward(self, x, W, y, dy, activation, dW, db, dx=None):
        """See NumpyOps.dense_backward: the ReLU derivative (into ``dy``, in
        place) and ``db`` in one pass, then cuBLAS GEMMs for ``dW`` and ``dx``."""
        cp, dev = self.xp, self._dev
        dy = dev.output(dy, "dy")
        if dy.ndim != 2:
            raise ValueError(f"dy must be 2-D, got shape {dy.shape}")
        rows, cols = dy.shape
        relu = activation == "relu"
        if relu:
            y = dev.like(y, dy, "y", "dy")
        if db is not None:
            db = dev.output(db, "db", shape=(cols,))
            # One thread per column, rows in order: db is the reference's, bit for bit.
            dev.launch("fm_k_dense_grad_cols", cols, dy, y if relu else dy, db,
                       np.uint64(rows), np.uint64(cols), np.int32(relu))
        elif relu:
            dev.launch("fm_k_relu_grad_inplace", rows * cols, dy, y, np.uint64(rows * cols))
        x = cp.asarray(x, dtype=np.float32)
        cp.matmul(x.T, dy, out=dev.output(dW, "dW"))
        if dx is not None:
            cp.matmul(dy, cp.asarray(W, dtype=np.float32).T, out=dev.output(dx, "dx"))
        return dW, db, dx

    # -------------------------------------------------------------------- relu
    def relu_forward(self, x, out):
        """See NumpyOps.relu_forward."""
        x = self._dev.input(x)
        out = self._dev.output(out, "out", shape=x.shape)
        self._dev.launch("fm_k_relu_forward", x.size, x, out, np.uint64(x.size))
        return out

    def relu_backward(self, y, dy, out):
        """See NumpyOps.relu_backward."""
        y = self._dev.input(y)
        dy = self._dev.like(dy, y, "dy", "y")
        out = self._dev.output(out, "out", shape=y.shape)
        self._dev.launch("fm_k_relu_backward", y.size, y, dy, out, np.uint64(y.size))
        return out

    # ----------------------------------------------------------------- dropout
    def _dropout(self, x, seed, step, rate, mask, out):
        dev = self._dev
        threshold = np.uint32(philox.drop_threshold(rate))  # ValueError for a bad rate
        scale = philox.keep_scale(rate)
        words = (np.uint32(w) for w in philox.stream_key(seed, step))
        n = mask.size
        dev.launch("fm_k_dropout", (n + 3) // 4, *words, threshold, scale,
                   dev.dummy() if x is None else x, np.int32(x is not None), mask,
                   dev.dummy() if out is None else out, np.uint64(n))

    def dropout_mask(self, seed, step, rate, mask):
        """See NumpyOps.dropout_mask: the same Philox words as the CPU, so the
        masks are bit-identical for the same ``(seed, step)``."""
        mask = self._dev.output(mask, "mask", np.uint8)
        self._dropout(None, seed, step, rate, mask, None)
        return mask

    def dropout_forward(self, x, rate, seed, step, mask, out):
        """See NumpyOps.dropout_forward: mask and output in one pass."""
        x = self._dev.input(x)
        mask = self._dev.output(mask, "mask", np.uint8, shape=x.shape)
        out = self._dev.output(out, "out", shape=x.shape)
        self._dropout(x, seed, step, rate, mask, out)
        return out

    def dropout_apply(self, x, mask, rate, out):
        """See NumpyOps.dropout_apply."""
        x = self._dev.input(x)
        mask = self._dev.like(mask, x, "mask", "x", np.uint8)
        out = self._dev.output(out, "out", shape=x.shape)
        self._dev.launch("fm_k_dropout_apply", x.size, x, mask, philox.keep_scale(rate), out,
                         np.uint64(x.size))
        return out

    dropout_backward = dropout_apply

    # ----------------------------------------------------------------- softmax
    def _rowwise(self, kernel, out, *inputs):
        rows, cols = inputs[0].shape
        out = self._dev.output(out, "out", shape=(rows, cols))
        self._dev.launch(kernel, rows, *inputs, out, np.uint64(rows), np.uint64(cols))
        return out

    def softmax(self, x, out):
        """See NumpyOps.softmax (one thread per row)."""
        return self._rowwise("fm_k_softmax", out, self._dev.matrix(x, "x"))

    def log_softmax(self, x, out):
        """See NumpyOps.log_softmax (one thread per row)."""
        return self._rowwise("fm_k_log_softmax", out, self._dev.matrix(x, "x"))

    def softmax_backward(self, y, dy, out):
        """See NumpyOps.softmax_backward (one thread per row)."""
        y = self._dev.matrix(y, "y")
        return self._rowwise("fm_k_softmax_backward", out, y, self._dev.like(dy, y, "dy", "y"))

    def loss_device(self, logits, y, dlogits, sparse, weights=None, scale=None):
        """The fused softmax cross-entropy without waiting for it.

        Queues the kernels and returns ``(result, labels)``: ``result`` is a
        device float64 array ``[sum of row losses, first bad label row or -1]``.
        :meth:`softmax_xent_sparse`/``_dense`` call this and then copy
        ``result`` to the host once (the interface returns a float). A training
        loop that kept ``result[0] / rows`` on the device and summed it lazily
        (converting to float only when the progress bar prints) would run a
        step without any host synchronisation; fastmlp's trainer currently
        asks for a float every step.

        Args:
            logits: the (batch, classes) scores.
            y: int labels (``sparse``) or targets of logits' shape.
            dlogits: the gradient's output buffer, or None for the loss alone.
            sparse: whether ``y`` holds labels.
            weights: per-row weights (rows,), or None for all ones.
            scale: the reduction's scale, None for ``1 / rows`` (the mean).

        Returns:
            ``(result, labels)`` as above (``labels`` is None for targets;
            ``result[0]`` is the weighted sum before ``scale``), or ``(None,
            None)`` for an empty batch.
        """
        cp, dev = self.xp, self._dev
        logits = dev.matrix(logits, "logits")
        rows, cols = logits.shape
        if dlogits is not None:
            dlogits = dev.output(dlogits, "dlogits", shape=logits.shape)
        d = dlogits if dlogits is not None else logits  # not written when has_d is 0
        if sparse:
            labels = y = dev.labels(y, rows, cols)
        else:
            labels, y = None, dev.like(y, logits, "targets", "logits")
        if weights is not None:
            weights = dev.input(weights)
            if weights.shape != (rows,):
                raise ValueError(f"weights must have shape ({rows},) to match logits "
                                 f"{tuple(logits.shape)}, got {tuple(weights.shape)}")
        if rows == 0:
            return None, None
        row_loss = cp.empty(rows, dtype=np.float64)
        result = cp.empty(2, dtype=np.float64)
        dev.launch("fm_k_xent_sparse_rows" if sparse else "fm_k_xent_dense_rows", rows,
                   logits, y, dev.dummy() if weights is None else weights, np.int32(weights is not None),
                   d, np.int32(dlogits is not None), row_loss, np.uint64(rows), np.uint64(cols),
                   np.float64(1.0 / rows if scale is None else scale))
        dev.launch_block("fm_k_loss_finish", row_loss,
                         dev.dummy(np.int32) if labels is None else labels,
                         np.int32(labels is not None), np.uint64(rows), np.uint64(cols), result)
        return result, labels

    def _loss_value(self, logits, y, dlogits, sparse, weights, scale):
        result, labels = self.loss_device(logits, y, dlogits, sparse, weights, scale)
        if result is None:
            return float("nan")  # the mean over zero rows, as in the reference
        total, bad = self.xp.asnumpy(result)  # the one host synchronisation of the call
        if bad >= 0:
            row = int(bad)
            raise label_error(int(labels[row]), row, logits.shape[1])
        return float(total * (1.0 / logits.shape[0] if scale is None else scale))

    def softmax_xent_sparse(self, logits, labels, dlogits, weights=None, scale=None):
        """See NumpyOps.softmax_xent_sparse; a label outside [0, classes) is a
        ValueError naming it and its row. Waits for the GPU once (the float)."""
        return self._loss_value(logits, labels, dlogits, True, weights, scale)

    def softmax_xent_dense(self, logits, targets, dlogits, weights=None, scale=None):
        """See NumpyOps.softmax_xent_dense. Waits for the GPU once (the float)."""
        return self._loss_value(logits, targets, dlogits, False, weights, scale)

    # ---------------------------------------------------------------- optimizers
    def _params_grads(self, params, grads):
        params = self._dev.output(params, "params")
        return params, self._dev.like(grads, params, "grads", "params")

    def _state(self, a, name, params):
        return self._dev.output(a, name, shape=params.shape)

    def sgd_update(self, params, grads, velocity, lr, momentum=0.0, nesterov=False):
        """See NumpyOps.sgd_update."""
        params, grads = self._params_grads(params, grads)
        mu = np.float32(momentum)
        v = self._state(velocity, "velocity", params) if mu != 0 else params  # unread if mu == 0
        self._dev.launch("fm_k_sgd", params.size, params, grads, v, np.uint64(params.size),
                         np.float32(lr), mu, np.int32(bool(nesterov)))
        return params

    def adam_update(self, params, grads, m, v, lr, beta_1, beta_2, epsilon, step,
                    weight_decay=0.0):
        """See NumpyOps.adam_update."""
        params, grads = self._params_grads(params, grads)
        m = self._state(m, "m", params)
        v = self._state(v, "v", params)
        alpha = adam_step_size(lr, beta_1, beta_2, step)
        self._dev.launch("fm_k_adam", params.size, params, grads, m, v, np.uint64(params.size),
                         np.float32(alpha), np.float32(1.0 - beta_1), np.float32(1.0 - beta_2),
                         np.float32(epsilon), np.float32(weight_decay * lr))
        return params

    def rmsprop_update(self, params, grads, velocity, momentum_buf, lr, rho,
                       momentum, epsilon):
        """See NumpyOps.rmsprop_update."""
        params, grads = self._params_grads(params, grads)
        velocity = self._state(velocity, "velocity", params)
        mu = np.float32(momentum)
        mb = self._state(momentum_buf, "momentum_buf", params) if mu != 0 else velocity
        self._dev.launch("fm_k_rmsprop", params.size, params, grads, velocity, mb,
                         np.uint64(params.size), np.float32(lr), np.float32(rho),
                         np.float32(1.0 - rho), mu, np.float32(epsilon))
        return params

    # ------------------------------------------------------------------ metrics
    def confusion_counts(self, preds, labels, thresholds, out, row_weights=None, col_weights=None,
                         per_column=False):
        """See NumpyOps.confusion_counts: one thread per element adds its weight
        to a histogram bucket (binary search over the thresholds), one thread
        per group turns the buckets into counts by suffix sums; the
        ``(4, thresholds, groups)`` counts are copied to the host ``out`` once."""
        cp = self.xp
        preds = self._dev.matrix(preds, "preds")
        rows, cols = preds.shape
        labels = self._dev.like(labels, preds, "labels", "preds")
        host_thresholds = check_thresholds(self.to_numpy(thresholds))
        groups = cols if per_column else 1
        if not isinstance(out, np.ndarray) or out.dtype != np.float64 or out.shape != (
                4, len(host_thresholds), groups):
            raise ValueError(f"out must be a float64 host array of shape (4, {len(host_thresholds)}, "
                             f"{groups})")
        weights = []
        for w, name, size in ((row_weights, "row_weights", rows), (col_weights, "col_weights", cols)):
            if w is None:
                weights += [self._dev.dummy(), np.int32(0)]
                continue
            w = self._dev.input(w)
            if w.shape != (size,):
                raise ValueError(f"{name} must have shape ({size},) to match preds {tuple(preds.shape)}, "
                                 f"got {tuple(w.shape)}")
            weights += [w, np.int32(1)]
        count = len(host_thresholds)
        hist = cp.zeros(2 * (count + 1) * groups, dtype=np.float64)
        counts = cp.zeros((4, count, groups), dtype=np.float64)
        self._dev.launch("fm_k_confusion_hist", rows * cols, preds, labels, *weights, np.uint64(rows),
                         np.uint64(cols), cp.asarray(host_thresholds), np.uint64(count),
                         np.int32(bool(per_column)), hist)
        self._dev.launch("fm_k_confusion_finish", groups, hist, np.uint64(count), np.uint64(groups),
                         counts)
        out += cp.asnumpy(counts)  # the one synchronisation of the call
        return out

    def _count(self, kernel, scores, other):
        rows, cols = scores.shape
        result = self.xp.zeros(2, dtype=np.uint64)
        self._dev.launch(kernel, rows, scores, other, np.uint64(rows), np.uint64(cols), result)
        # the one synchronisation of the call:
        hits, bad = (int(v) for v in self.xp.asnumpy(result))
        if bad:
            row = rows - bad
            raise label_error(int(other[row]), row, cols)
        return hits

    def count_correct_sparse(self, scores, labels):
        """See NumpyOps.count_correct_sparse; a label outside [0, classes) is a
        ValueError naming it and its row. Waits for the GPU once (the int)."""
        scores = self._dev.matrix(scores, "scores")
        return self._count("fm_k_count_sparse", scores, self._dev.labels(labels, *scores.shape))

    def count_correct_dense(self, scores, targets):
        """See NumpyOps.count_correct_dense. Waits for the GPU once (the int)."""
        scores = self._dev.matrix(scores, "scores")
        return self._count("fm_k_count_dense", scores,
                           self._dev.like(targets, scores, "targets", "scores"))
