"""The ``cython`` backend: NumPy's BLAS for the matrix products, fused C
kernels (``csrc/``, wrapped by :mod:`fastmlp.backend._kernels`) for the rest.

Inputs that may legitimately be non-contiguous or of another float dtype are
converted here; ``out`` buffers and in-place state must already be C-contiguous
float32 and are checked by the wrappers, which raise a ValueError/TypeError
naming the argument.
"""

import numpy as np

from . import _kernels, blas, philox
from .checks import check_labels
from .numpy_ops import NumpyOps, adam_step_size


def _c32(a):
    """``a`` as a C-contiguous float32 array (no copy when it already is)."""
    return np.ascontiguousarray(a, dtype=np.float32)


def _c32_or_none(a):
    """:func:`_c32` of an optional input."""
    return None if a is None else _c32(a)


def _blas_ready(a):
    """``a`` unchanged when BLAS can read it in place (C or Fortran order),
    else a C-contiguous copy: matmul would take its slow non-BLAS loop."""
    if a.flags.c_contiguous or a.flags.f_contiguous:
        return a
    return np.ascontiguousarray(a)


def _int32_labels(labels, scores):
    """Labels the kernels take directly (1-D C-contiguous int32, range-checked
    by the wrapper), or :func:`check_labels`'s checked conversion. Left alone
    when ``scores`` is not 2-D: the wrapper then rejects ``scores``."""
    if scores.ndim != 2 or (isinstance(labels, np.ndarray) and labels.dtype == np.int32
                            and labels.ndim == 1 and labels.flags.c_contiguous):
        return labels
    return check_labels(labels, scores.shape[1])


class CythonOps(NumpyOps):
    """Compiled kernels; every method has NumpyOps' signature and semantics."""

    name = "cython"

    #: Up to this batch size a training run uses one BLAS thread: the GEMMs
    #: are too small for a second thread to pay for its wake-ups (seed model
    #: at batch 32: 0.57 s/epoch with one thread, 0.61-0.68 s with two; at
    #: 128 and above two threads win).
    SINGLE_THREAD_MAX_BATCH = 64

    def training_context(self, batch_size):
        """See NumpyOps.training_context: one BLAS thread for small batches."""
        if batch_size <= self.SINGLE_THREAD_MAX_BATCH:
            return blas.single_thread()
        return super().training_context(batch_size)

    # ------------------------------------------------------------------- dense
    def dense_forward(self, x, W, b, activation, out):
        """See NumpyOps.dense_forward: BLAS GEMM, then bias + activation in
        one pass over ``out``."""
        np.matmul(_blas_ready(x), _blas_ready(W), out=out)
        if b is not None or activation == "relu":
            _kernels.bias_act(out, None if b is None else _c32(b), activation == "relu")
        return out

    def dense_backward(self, x, W, y, dy, activation, dW, db, dx=None):
        """See NumpyOps.dense_backward: the ReLU derivative (into ``dy``, in
        place) and ``db`` in one pass, then BLAS GEMMs for ``dW`` and ``dx``."""
        relu = activation == "relu"
        if relu or db is not None:
            _kernels.dense_grad(dy, _c32(y) if relu else None, db, relu)
        np.matmul(_blas_ready(x).T, dy, out=dW)
        if dx is not None:
            np.matmul(dy, _blas_ready(W).T, out=dx)
        return dW, db, dx

    # -------------------------------------------------------------------- relu
    def relu_forward(self, x, out):
        """See NumpyOps.relu_forward."""
        _kernels.relu_forward(_c32(x), out)
        return out

    def relu_backward(self, y, dy, out):
        """See NumpyOps.relu_backward."""
        _kernels.relu_backward(_c32(y), _c32(dy), out)
        return out

    # ----------------------------------------------------- gelu, silu, relu6
    def gelu_forward(self, x, out):
        """See NumpyOps.gelu_forward (float32 erfcf)."""
        _kernels.gelu_forward(_c32(x), out)
        return out

    def gelu_backward(self, x, dy, out):
        """See NumpyOps.gelu_backward."""
        _kernels.gelu_backward(_c32(x), _c32(dy), out)
        return out

    def silu_forward(self, x, out):
        """See NumpyOps.silu_forward."""
        _kernels.silu_forward(_c32(x), out)
        return out

    def silu_backward(self, x, dy, out):
        """See NumpyOps.silu_backward."""
        _kernels.silu_backward(_c32(x), _c32(dy), out)
        return out

    def relu6_forward(self, x, out):
        """See NumpyOps.relu6_forward."""
        _kernels.relu6_forward(_c32(x), out)
        return out

    def relu6_backward(self, y, dy, out):
        """See NumpyOps.relu6_backward."""
        _kernels.relu6_backward(_c32(y), _c32(dy), out)
        return out

    # ----------------------------------------------------------------- dropout
    def dropout_mask(self, seed, step, rate, mask):
        """See NumpyOps.dropout_mask (bit-identical masks)."""
        _kernels.dropout_mask(*philox.stream_key(seed, step), philox.drop_threshold(rate), mask)
        return mask

    def dropout_forward(self, x, rate, seed, step, mask, out):
        """See NumpyOps.dropout_forward: mask and output in one pass."""
        _kernels.dropout_forward(_c32(x), *philox.stream_key(seed, step),
                                 philox.drop_threshold(rate), philox.keep_scale(rate), mask, out)
        return out

    def dropout_apply(self, x, mask, rate, out):
        """See NumpyOps.dropout_apply."""
        _kernels.dropout_apply(_c32(x), mask, philox.keep_scale(rate), out)
        return out

    dropout_backward = dropout_apply

    # ----------------------------------------------------------------- softmax
    def softmax(self, x, out):
        """See NumpyOps.softmax."""
        _kernels.softmax(_c32(x), out)
        return out

    def log_softmax(self, x, out):
        """See NumpyOps.log_softmax."""
        _kernels.log_softmax(_c32(x), out)
        return out

    def softmax_backward(self, y, dy, out):
        """See NumpyOps.softmax_backward."""
        _kernels.softmax_backward(_c32(y), _c32(dy), out)
        return out

    def softmax_xent_sparse(self, logits, labels, dlogits, weights=None, scale=None):
        """See NumpyOps.softmax_xent_sparse; a label outside [0, classes) is a
        ValueError naming it and its row."""
        logits = _c32(logits)
        labels = _int32_labels(labels, logits)
        return _kernels.softmax_xent_sparse(logits, labels, dlogits, _c32_or_none(weights), scale)

    def softmax_xent_dense(self, logits, targets, dlogits, weights=None, scale=None):
        """See NumpyOps.softmax_xent_dense."""
        return _kernels.softmax_xent_dense(_c32(logits), _c32(targets), dlogits,
                                           _c32_or_none(weights), scale)

    # ---------------------------------------------------------------- optimizers
    def sgd_update(self, params, grads, velocity, lr, momentum=0.0, nesterov=False):
        """See NumpyOps.sgd_update."""
        _kernels.sgd_update(params, _c32(grads), velocity, lr, momentum, nesterov)
        return params

    def adam_update(self, params, grads, m, v, lr, beta_1, beta_2, epsilon, step,
                    weight_decay=0.0):
        """See NumpyOps.adam_update."""
        alpha = adam_step_size(lr, beta_1, beta_2, step)
        _kernels.adam_update(params, _c32(grads), m, v, alpha, 1.0 - beta_1, 1.0 - beta_2,
                             epsilon, weight_decay * lr)
        return params

    def rmsprop_update(self, params, grads, velocity, momentum_buf, lr, rho,
                       momentum, epsilon):
        """See NumpyOps.rmsprop_update."""
        _kernels.rmsprop_update(params, _c32(grads), velocity, momentum_buf, lr, rho,
                                1.0 - rho, momentum, epsilon)
        return params

    # ------------------------------------------------------------------ metrics
    def count_correct_sparse(self, scores, labels):
        """See NumpyOps.count_correct_sparse; a label outside [0, classes) is a
        ValueError naming it and its row."""
        scores = _c32(scores)
        return _kernels.count_correct_sparse(scores, _int32_labels(labels, scores))

    def count_correct_dense(self, scores, targets):
        """See NumpyOps.count_correct_dense."""
        return _kernels.count_correct_dense(_c32(scores), _c32(targets))

    def confusion_counts(self, preds, labels, thresholds, out, row_weights=None, col_weights=None,
                         per_column=False):
        """See NumpyOps.confusion_counts: one pass that buckets each prediction by
        binary search over the thresholds, then a suffix sum per threshold."""
        _kernels.confusion_counts(_c32(preds), _c32(labels), _c32(thresholds), out,
                                  None if row_weights is None else _c32(row_weights),
                                  None if col_weights is None else _c32(col_weights), per_column)
        return out
