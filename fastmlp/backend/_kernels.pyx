# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Python wrappers of the C kernels in ``csrc/`` (the ``cython`` backend).

Each wrapper checks the dtype, C-contiguity, shape and (for outputs)
writability of every array once, raising TypeError/ValueError that name the
argument, then runs the C loop without the GIL. Argument names follow
:class:`fastmlp.backend.numpy_ops.NumpyOps`; :class:`CythonOps` converts the
inputs that may legitimately be non-contiguous before calling in here.
"""

import numpy as np

cimport numpy as cnp
from libc.stdint cimport int32_t, uint8_t, uint32_t, uint64_t

from .checks import label_error

cnp.import_array()


# Plain C loops: no Python exceptions to propagate, safe to run without the GIL.
cdef extern from "fm_common.h" nogil:
    ptrdiff_t fm_first_bad_label(const int32_t *labels, size_t n,
                                 int32_t num_classes) noexcept

cdef extern from "fm_relu.h" nogil:
    void fm_relu_forward(const float *x, float *out, size_t n) noexcept
    void fm_relu_backward(const float *y, const float *dy, float *out, size_t n) noexcept

cdef extern from "fm_activations.h" nogil:
    void fm_gelu_forward(const float *x, float *out, size_t n) noexcept
    void fm_gelu_backward(const float *x, const float *dy, float *out, size_t n) noexcept
    void fm_silu_forward(const float *x, float *out, size_t n) noexcept
    void fm_silu_backward(const float *x, const float *dy, float *out, size_t n) noexcept
    void fm_relu6_forward(const float *x, float *out, size_t n) noexcept
    void fm_relu6_backward(const float *y, const float *dy, float *out, size_t n) noexcept

cdef extern from "fm_dense.h" nogil:
    void fm_bias_act(float *y, const float *b, size_t rows, size_t cols, int relu) noexcept
    void fm_dense_grad(float *dy, const float *y, float *db, size_t rows, size_t cols,
                       int relu) noexcept

cdef extern from "fm_philox.h" nogil:
    ctypedef struct fm_philox_stream:
        uint32_t key[2]
        uint32_t step[2]
    void fm_philox4x32_10(uint32_t c[4], uint32_t k0, uint32_t k1) noexcept
    void fm_dropout(fm_philox_stream s, uint32_t threshold, float scale, const float *x,
                    uint8_t *mask, float *out, size_t n) noexcept
    void fm_dropout_apply(const float *x, const uint8_t *mask, float scale, float *out,
                          size_t n) noexcept

cdef extern from "fm_softmax.h" nogil:
    void fm_softmax(const float *x, float *out, size_t rows, size_t cols) noexcept
    void fm_log_softmax(const float *x, float *out, size_t rows, size_t cols) noexcept
    void fm_softmax_backward(const float *y, const float *dy, float *out, size_t rows,
                             size_t cols) noexcept
    double fm_xent_sparse(const float *x, const int32_t *labels, const float *w, double scale,
                          float *d, size_t rows, size_t cols) noexcept
    double fm_xent_dense(const float *x, const float *t, const float *w, double scale, float *d,
                         size_t rows, size_t cols) noexcept

cdef extern from "fm_optim.h" nogil:
    void fm_sgd(float *p, const float *g, float *v, size_t n, float lr, float mu,
                int nesterov) noexcept
    void fm_adam(float *p, const float *g, float *m, float *v, size_t n, float alpha,
                 float c1, float c2, float eps, float wd_lr) noexcept
    void fm_rmsprop(float *p, const float *g, float *v, float *mb, size_t n, float lr,
                    float rho, float c, float mu, float eps) noexcept

cdef extern from "fm_metrics.h" nogil:
    size_t fm_count_correct_sparse(const float *scores, const int32_t *labels, size_t rows,
                                   size_t cols) noexcept
    size_t fm_count_correct_dense(const float *scores, const float *targets, size_t rows,
                                  size_t cols) noexcept
    void fm_confusion_counts(const float *preds, const float *labels, const float *row_weights,
                             const float *col_weights, size_t rows, size_t cols,
                             const float *thresholds, size_t count, int per_column,
                             double *out, double *hist) noexcept


# ------------------------------------------------------------------ checks
cdef int F32 = cnp.NPY_FLOAT32
cdef int U8 = cnp.NPY_UINT8
cdef int I32 = cnp.NPY_INT32


cdef tuple _shape(cnp.ndarray a):
    return (<object>a).shape


cdef cnp.ndarray _array(object a, str name, int typenum, bint writable):
    """``a`` as an ndarray of ``typenum`` that is C-contiguous, aligned and,
    when ``writable``, writable; otherwise a TypeError/ValueError naming it."""
    if not cnp.PyArray_Check(a):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(a).__name__}")
    cdef cnp.ndarray arr = <cnp.ndarray>a
    if cnp.PyArray_TYPE(arr) != typenum:
        raise TypeError(
            f"{name} must have dtype {cnp.PyArray_DescrFromType(typenum)}, got {arr.dtype}")
    if not (cnp.PyArray_IS_C_CONTIGUOUS(arr) and cnp.PyArray_ISALIGNED(arr)):
        raise ValueError(
            f"{name} must be a C-contiguous, aligned array (got strides {(<object>arr).strides} "
            f"for shape {_shape(arr)})")
    if writable and not cnp.PyArray_ISWRITEABLE(arr):
        raise ValueError(f"{name} must be writable (it receives the result)")
    return arr


cdef cnp.ndarray _matrix(object a, str name, bint writable, bint need_cols=False):
    """A float32 ``(rows, cols)`` array; ``need_cols`` asks for cols >= 1 (a row
    reduction needs at least one element)."""
    cdef cnp.ndarray arr = _array(a, name, F32, writable)
    if cnp.PyArray_NDIM(arr) != 2:
        raise ValueError(f"{name} must be 2-D (batch, features), got shape {_shape(arr)}")
    if need_cols and cnp.PyArray_DIM(arr, 1) == 0:
        raise ValueError(f"{name} must have at least one column, got shape {_shape(arr)}")
    return arr


cdef cnp.ndarray _like(object a, str name, cnp.ndarray ref, str ref_name, int typenum,
                       bint writable):
    """An array of ``typenum`` with the shape of ``ref``."""
    cdef cnp.ndarray arr = _array(a, name, typenum, writable)
    cdef int ndim = cnp.PyArray_NDIM(arr)
    cdef int k
    cdef bint same = ndim == cnp.PyArray_NDIM(ref)
    if same:
        for k in range(ndim):
            if cnp.PyArray_DIM(arr, k) != cnp.PyArray_DIM(ref, k):
                same = False
                break
    if not same:
        raise ValueError(
            f"{name} must have the shape of {ref_name} {_shape(ref)}, got {_shape(arr)}")
    return arr


cdef cnp.ndarray _row_vector(object a, str name, cnp.ndarray ref, str ref_name, bint writable):
    """``a`` as a float32 vector with one entry per column of ``ref``."""
    cdef cnp.ndarray v = _array(a, name, F32, writable)
    if cnp.PyArray_NDIM(v) != 1 or cnp.PyArray_DIM(v, 0) != cnp.PyArray_DIM(ref, 1):
        raise ValueError(f"{name} must have shape ({_shape(ref)[1]},) to match {ref_name} "
                         f"{_shape(ref)}, got {_shape(v)}")
    return v


cdef cnp.ndarray _col_vector(object a, str name, cnp.ndarray ref, str ref_name):
    """``a`` as a float32 vector with one entry per row of ``ref``."""
    cdef cnp.ndarray v = _array(a, name, F32, False)
    if cnp.PyArray_NDIM(v) != 1 or cnp.PyArray_DIM(v, 0) != cnp.PyArray_DIM(ref, 0):
        raise ValueError(f"{name} must have shape ({_shape(ref)[0]},) to match {ref_name} "
                         f"{_shape(ref)}, got {_shape(v)}")
    return v


cdef tuple _xent_outputs(cnp.ndarray x, object dlogits, object weights):
    """The cross-entropy's checked gradient buffer and row weights (None where not given)."""
    d = None if dlogits is None else _like(dlogits, "dlogits", x, "logits", F32, True)
    w = None if weights is None else _col_vector(weights, "weights", x, "logits")
    return d, w


cdef double _xent_scale(object scale, size_t rows):
    """The reduction's scale; None is the mean's 1 / rows (NaN for no rows)."""
    if scale is None:
        return 1.0 / rows if rows else float("nan")
    return scale


cdef cnp.ndarray _labels(object labels, cnp.ndarray scores, str scores_name):
    """int32 labels ``(rows,)`` of ``scores``, each in ``[0, cols)``."""
    cdef cnp.ndarray arr = _array(labels, "labels", I32, False)
    cdef Py_ssize_t rows = cnp.PyArray_DIM(scores, 0)
    cdef Py_ssize_t cols = cnp.PyArray_DIM(scores, 1)
    if cnp.PyArray_NDIM(arr) != 1 or cnp.PyArray_DIM(arr, 0) != rows:
        raise ValueError(
            f"labels must have shape ({rows},) to match {scores_name} {_shape(scores)}, "
            f"got {_shape(arr)}")
    if cols > 2147483647:
        raise ValueError(f"{scores_name} has more classes ({cols}) than int32 labels can name")
    cdef ptrdiff_t bad
    cdef const int32_t *arr_p = <const int32_t *>cnp.PyArray_DATA(arr)
    with nogil:
        bad = fm_first_bad_label(arr_p, rows, <int32_t>cols)
    if bad >= 0:
        raise label_error(arr[bad], bad, cols)
    return arr


cdef inline float *_f(cnp.ndarray a):
    return <float *>cnp.PyArray_DATA(a)


cdef inline float *_f_or_null(object a):
    return NULL if a is None else <float *>cnp.PyArray_DATA(<cnp.ndarray>a)


cdef fm_philox_stream _stream(uint32_t seed_lo, uint32_t seed_hi, uint32_t step_lo,
                              uint32_t step_hi):
    cdef fm_philox_stream s
    s.key[0] = seed_lo
    s.key[1] = seed_hi
    s.step[0] = step_lo
    s.step[1] = step_hi
    return s


# ------------------------------------------------------------------- dense
def bias_act(out, b, bint relu):
    """``out = act(out + b)`` in place over the GEMM output ``out`` (batch,
    units); ``b`` (units,) or None."""
    cdef cnp.ndarray o = _matrix(out, "out", True)
    cdef cnp.ndarray ba = None
    if b is not None:
        ba = _row_vector(b, "b", o, "out", False)
    cdef size_t rows = cnp.PyArray_DIM(o, 0), cols = cnp.PyArray_DIM(o, 1)
    cdef float *ba_p = _f_or_null(ba)
    cdef float *o_p = _f(o)
    with nogil:
        fm_bias_act(o_p, ba_p, rows, cols, relu)


def dense_grad(dy, y, db, bint relu):
    """``dy *= (y > 0)`` in place when ``relu`` (``y`` may be None otherwise),
    then ``db = dy.sum(0)`` unless ``db`` is None, in one pass."""
    cdef cnp.ndarray d = _matrix(dy, "dy", True)
    cdef cnp.ndarray ya = None, dba = None
    if relu:
        ya = _like(y, "y", d, "dy", F32, False)
    if db is not None:
        dba = _row_vector(db, "db", d, "dy", True)
    cdef size_t rows = cnp.PyArray_DIM(d, 0), cols = cnp.PyArray_DIM(d, 1)
    cdef float *ya_p = _f_or_null(ya)
    cdef float *dba_p = _f_or_null(dba)
    cdef float *d_p = _f(d)
    with nogil:
        fm_dense_grad(d_p, ya_p, dba_p, rows, cols, relu)


# ------------------------------------------- elementwise activations
ctypedef void (*elementwise_kernel)(const float *, float *, size_t) noexcept nogil
ctypedef void (*elementwise_grad_kernel)(const float *, const float *, float *,
                                         size_t) noexcept nogil


cdef _elementwise(elementwise_kernel kernel, x, out):
    """``out = f(x)`` elementwise, any shape."""
    cdef cnp.ndarray xa = _array(x, "x", F32, False)
    cdef cnp.ndarray o = _like(out, "out", xa, "x", F32, True)
    cdef size_t n = cnp.PyArray_SIZE(xa)
    cdef float *xa_p = _f(xa)
    cdef float *o_p = _f(o)
    with nogil:
        kernel(xa_p, o_p, n)


cdef _elementwise_grad(elementwise_grad_kernel kernel, a, str a_name, dy, out):
    """``out = dy * f'(...)`` elementwise from ``a`` (the input or the output)."""
    cdef cnp.ndarray aa = _array(a, a_name, F32, False)
    cdef cnp.ndarray d = _like(dy, "dy", aa, a_name, F32, False)
    cdef cnp.ndarray o = _like(out, "out", aa, a_name, F32, True)
    cdef size_t n = cnp.PyArray_SIZE(aa)
    cdef float *aa_p = _f(aa)
    cdef float *d_p = _f(d)
    cdef float *o_p = _f(o)
    with nogil:
        kernel(aa_p, d_p, o_p, n)


def relu_forward(x, out):
    """``out = max(x, 0)``, any shape."""
    _elementwise(fm_relu_forward, x, out)


def relu_backward(y, dy, out):
    """``out = dy * (y > 0)``, any shape."""
    _elementwise_grad(fm_relu_backward, y, "y", dy, out)


def gelu_forward(x, out):
    """``out = x * Phi(x)`` (exact GELU), any shape."""
    _elementwise(fm_gelu_forward, x, out)


def gelu_backward(x, dy, out):
    """``out = dy * (Phi(x) + x * phi(x))`` from the input ``x``."""
    _elementwise_grad(fm_gelu_backward, x, "x", dy, out)


def silu_forward(x, out):
    """``out = x * sigmoid(x)``, any shape."""
    _elementwise(fm_silu_forward, x, out)


def silu_backward(x, dy, out):
    """``out = dy * s * (1 + x * (1 - s))``, ``s = sigmoid(x)``, from the input ``x``."""
    _elementwise_grad(fm_silu_backward, x, "x", dy, out)


def relu6_forward(x, out):
    """``out = min(max(x, 0), 6)``, any shape."""
    _elementwise(fm_relu6_forward, x, out)


def relu6_backward(y, dy, out):
    """``out = dy * (0 < y < 6)`` from the output ``y``."""
    _elementwise_grad(fm_relu6_backward, y, "y", dy, out)


# ----------------------------------------------------------------- dropout
def philox_block(counter, key):
    """Philox4x32-10 of one block: 4 uint32 counter words and 2 key words in,
    the 4 output words out (a tuple of ints). For tests and debugging."""
    cdef uint32_t c[4]
    cdef int k
    if len(counter) != 4 or len(key) != 2:
        raise ValueError(f"need 4 counter words and 2 key words, got {len(counter)} "
                         f"and {len(key)}")
    for k in range(4):
        c[k] = counter[k]
    fm_philox4x32_10(c, key[0], key[1])
    return c[0], c[1], c[2], c[3]


def dropout_mask(uint32_t seed_lo, uint32_t seed_hi, uint32_t step_lo, uint32_t step_hi,
                 uint32_t threshold, mask):
    """Fill the uint8 ``mask`` (any shape) with 1 where the element is kept:
    where its Philox word is >= ``threshold``."""
    cdef cnp.ndarray m = _array(mask, "mask", U8, True)
    cdef fm_philox_stream s = _stream(seed_lo, seed_hi, step_lo, step_hi)
    cdef size_t n = cnp.PyArray_SIZE(m)
    cdef uint8_t *m_p = <uint8_t *>cnp.PyArray_DATA(m)
    with nogil:
        fm_dropout(s, threshold, 1.0, NULL, m_p, NULL, n)


def dropout_forward(x, uint32_t seed_lo, uint32_t seed_hi, uint32_t step_lo,
                    uint32_t step_hi, uint32_t threshold, float scale, mask, out):
    """Draw ``mask`` as :func:`dropout_mask` and set ``out = x * scale * mask``
    in the same pass."""
    cdef cnp.ndarray xa = _array(x, "x", F32, False)
    cdef cnp.ndarray m = _like(mask, "mask", xa, "x", U8, True)
    cdef cnp.ndarray o = _like(out, "out", xa, "x", F32, True)
    cdef fm_philox_stream s = _stream(seed_lo, seed_hi, step_lo, step_hi)
    cdef size_t n = cnp.PyArray_SIZE(xa)
    cdef float *xa_p = _f(xa)
    cdef float *o_p = _f(o)
    cdef uint8_t *m_p = <uint8_t *>cnp.PyArray_DATA(m)
    with nogil:
        fm_dropout(s, threshold, scale, xa_p, m_p, o_p, n)


def dropout_apply(x, mask, float scale, out):
    """``out = x * scale * mask`` with a uint8 mask drawn earlier."""
    cdef cnp.ndarray xa = _array(x, "x", F32, False)
    cdef cnp.ndarray m = _like(mask, "mask", xa, "x", U8, False)
    cdef cnp.ndarray o = _like(out, "out", xa, "x", F32, True)
    cdef size_t n = cnp.PyArray_SIZE(xa)
    cdef float *xa_p = _f(xa)
    cdef float *o_p = _f(o)
    cdef const uint8_t *m_p = <const uint8_t *>cnp.PyArray_DATA(m)
    with nogil:
        fm_dropout_apply(xa_p, m_p, scale, o_p, n)


# ----------------------------------------------------------------- softmax
ctypedef void (*rowwise_kernel)(const float *, float *, size_t, size_t) noexcept nogil


cdef _rowwise(rowwise_kernel kernel, x, out):
    """Check ``x`` (batch, classes) and ``out`` like it, then run ``kernel``."""
    cdef cnp.ndarray xa = _matrix(x, "x", False, True)
    cdef cnp.ndarray o = _like(out, "out", xa, "x", F32, True)
    cdef size_t rows = cnp.PyArray_DIM(xa, 0), cols = cnp.PyArray_DIM(xa, 1)
    cdef float *xa_p = _f(xa)
    cdef float *o_p = _f(o)
    with nogil:
        kernel(xa_p, o_p, rows, cols)


def softmax(x, out):
    """Row-wise softmax of ``x`` (batch, classes) into ``out``."""
    _rowwise(fm_softmax, x, out)


def log_softmax(x, out):
    """Row-wise log-softmax of ``x`` (batch, classes) into ``out``."""
    _rowwise(fm_log_softmax, x, out)


def softmax_backward(y, dy, out):
    """``out = y * (dy - sum(dy * y))`` row-wise."""
    cdef cnp.ndarray ya = _matrix(y, "y", False)
    cdef cnp.ndarray d = _like(dy, "dy", ya, "y", F32, False)
    cdef cnp.ndarray o = _like(out, "out", ya, "y", F32, True)
    cdef size_t rows = cnp.PyArray_DIM(ya, 0), cols = cnp.PyArray_DIM(ya, 1)
    cdef float *ya_p = _f(ya)
    cdef float *d_p = _f(d)
    cdef float *o_p = _f(o)
    with nogil:
        fm_softmax_backward(ya_p, d_p, o_p, rows, cols)


def softmax_xent_sparse(logits, labels, dlogits, weights=None, scale=None):
    """Softmax cross-entropy of int32 ``labels`` reduced as ``scale * sum_i
    weights[i] * loss_i`` (weights None: all 1; scale None: 1 / rows, the
    mean); writes its gradient into ``dlogits`` unless None. A label outside
    [0, classes) is a ValueError."""
    cdef cnp.ndarray x = _matrix(logits, "logits", False, True)
    cdef cnp.ndarray lab = _labels(labels, x, "logits")
    cdef cnp.ndarray d, w
    d, w = _xent_outputs(x, dlogits, weights)
    cdef size_t rows = cnp.PyArray_DIM(x, 0), cols = cnp.PyArray_DIM(x, 1)
    cdef double s = _xent_scale(scale, rows)
    cdef float *d_p = _f_or_null(d)
    cdef const float *w_p = _f_or_null(w)
    cdef double loss
    cdef float *x_p = _f(x)
    cdef const int32_t *lab_p = <const int32_t *>cnp.PyArray_DATA(lab)
    with nogil:
        loss = fm_xent_sparse(x_p, lab_p, w_p, s, d_p, rows, cols)
    return loss


def softmax_xent_dense(logits, targets, dlogits, weights=None, scale=None):
    """Softmax cross-entropy of one-hot or probability ``targets``, reduced as
    :func:`softmax_xent_sparse`; writes its gradient into ``dlogits`` unless None."""
    cdef cnp.ndarray x = _matrix(logits, "logits", False, True)
    cdef cnp.ndarray t = _like(targets, "targets", x, "logits", F32, False)
    cdef cnp.ndarray d, w
    d, w = _xent_outputs(x, dlogits, weights)
    cdef size_t rows = cnp.PyArray_DIM(x, 0), cols = cnp.PyArray_DIM(x, 1)
    cdef double s = _xent_scale(scale, rows)
    cdef float *d_p = _f_or_null(d)
    cdef const float *w_p = _f_or_null(w)
    cdef double loss
    cdef float *x_p = _f(x)
    cdef float *t_p = _f(t)
    with nogil:
        loss = fm_xent_dense(x_p, t_p, w_p, s, d_p, rows, cols)
    return loss


# -------------------------------------------------------------- optimizers
def sgd_update(params, grads, velocity, float lr, float momentum, bint nesterov):
    """One SGD step in place; ``velocity`` may be None when ``momentum == 0``."""
    cdef cnp.ndarray p = _array(params, "params", F32, True)
    cdef cnp.ndarray g = _like(grads, "grads", p, "params", F32, False)
    cdef cnp.ndarray v = None
    if momentum != 0:
        v = _like(velocity, "velocity", p, "params", F32, True)
    cdef float *v_p = _f_or_null(v)
    cdef size_t n = cnp.PyArray_SIZE(p)
    cdef float *p_p = _f(p)
    cdef float *g_p = _f(g)
    with nogil:
        fm_sgd(p_p, g_p, v_p, n, lr, momentum, nesterov)


def adam_update(params, grads, m, v, float alpha, float c1, float c2, float epsilon,
                float wd_lr):
    """One Adam(W) step in place with the step size ``alpha`` already
    bias-corrected, ``c1 = 1 - beta_1``, ``c2 = 1 - beta_2`` and
    ``wd_lr = weight_decay * lr``."""
    cdef cnp.ndarray p = _array(params, "params", F32, True)
    cdef cnp.ndarray g = _like(grads, "grads", p, "params", F32, False)
    cdef cnp.ndarray ma = _like(m, "m", p, "params", F32, True)
    cdef cnp.ndarray va = _like(v, "v", p, "params", F32, True)
    cdef size_t n = cnp.PyArray_SIZE(p)
    cdef float *p_p = _f(p)
    cdef float *g_p = _f(g)
    cdef float *ma_p = _f(ma)
    cdef float *va_p = _f(va)
    with nogil:
        fm_adam(p_p, g_p, ma_p, va_p, n, alpha, c1, c2, epsilon, wd_lr)


def rmsprop_update(params, grads, velocity, momentum_buf, float lr, float rho, float c,
                   float momentum, float epsilon):
    """One RMSprop step in place, ``c = 1 - rho``; ``momentum_buf`` may be None
    when ``momentum == 0``."""
    cdef cnp.ndarray p = _array(params, "params", F32, True)
    cdef cnp.ndarray g = _like(grads, "grads", p, "params", F32, False)
    cdef cnp.ndarray va = _like(velocity, "velocity", p, "params", F32, True)
    cdef cnp.ndarray mb = None
    if momentum != 0:
        mb = _like(momentum_buf, "momentum_buf", p, "params", F32, True)
    cdef float *mb_p = _f_or_null(mb)
    cdef size_t n = cnp.PyArray_SIZE(p)
    cdef float *p_p = _f(p)
    cdef float *g_p = _f(g)
    cdef float *va_p = _f(va)
    with nogil:
        fm_rmsprop(p_p, g_p, va_p, mb_p, n, lr, rho, c, momentum, epsilon)


# ----------------------------------------------------------------- metrics
def count_correct_sparse(scores, labels):
    """Rows whose argmax (first maximum) equals the int32 label."""
    cdef cnp.ndarray s = _matrix(scores, "scores", False, True)
    cdef cnp.ndarray lab = _labels(labels, s, "scores")
    cdef size_t rows = cnp.PyArray_DIM(s, 0), cols = cnp.PyArray_DIM(s, 1)
    cdef size_t hits
    cdef float *s_p = _f(s)
    cdef const int32_t *lab_p = <const int32_t *>cnp.PyArray_DATA(lab)
    with nogil:
        hits = fm_count_correct_sparse(s_p, lab_p, rows, cols)
    return hits


def count_correct_dense(scores, targets):
    """Rows whose argmax equals the argmax of the target row."""
    cdef cnp.ndarray s = _matrix(scores, "scores", False, True)
    cdef cnp.ndarray t = _like(targets, "targets", s, "scores", F32, False)
    cdef size_t rows = cnp.PyArray_DIM(s, 0), cols = cnp.PyArray_DIM(s, 1)
    cdef size_t hits
    cdef float *s_p = _f(s)
    cdef float *t_p = _f(t)
    with nogil:
        hits = fm_count_correct_dense(s_p, t_p, rows, cols)
    return hits


def confusion_counts(preds, labels, thresholds, out, row_weights=None, col_weights=None,
                     bint per_column=False):
    """Add the weighted tp, fp, tn, fn of ``preds`` against ``labels`` at each
    threshold to ``out`` (float64, ``(4, thresholds, cols if per_column else 1)``);
    see NumpyOps.confusion_counts."""
    cdef cnp.ndarray p = _matrix(preds, "preds", False)
    cdef cnp.ndarray t = _like(labels, "labels", p, "preds", F32, False)
    cdef cnp.ndarray th = _array(thresholds, "thresholds", F32, False)
    if cnp.PyArray_NDIM(th) != 1 or cnp.PyArray_DIM(th, 0) == 0:
        raise ValueError(f"thresholds must be a non-empty 1-D array, got shape {_shape(th)}")
    # the kernel's binary search needs them sorted (a NaN fails the test too)
    if not (np.diff(<object>th) >= 0).all():
        raise ValueError("thresholds must be sorted ascending and free of NaN")
    cdef size_t rows = cnp.PyArray_DIM(p, 0), cols = cnp.PyArray_DIM(p, 1)
    cdef size_t count = cnp.PyArray_DIM(th, 0)
    cdef size_t groups = cols if per_column else 1
    cdef cnp.ndarray o = _array(out, "out", cnp.NPY_FLOAT64, True)
    if _shape(o) != (4, count, groups):
        raise ValueError(f"out must have shape (4, {count}, {groups}), got {_shape(o)}")
    cdef cnp.ndarray rw = None, cw = None
    if row_weights is not None:
        rw = _array(row_weights, "row_weights", F32, False)
        if cnp.PyArray_NDIM(rw) != 1 or <size_t>cnp.PyArray_DIM(rw, 0) != rows:
            raise ValueError(f"row_weights must have shape ({rows},) to match preds {_shape(p)}, "
                             f"got {_shape(rw)}")
    if col_weights is not None:
        cw = _row_vector(col_weights, "col_weights", p, "preds", False)
    cdef cnp.ndarray hist = np.empty(2 * (count + 1) * groups, dtype=np.float64)
    cdef float *p_p = _f(p)
    cdef float *t_p = _f(t)
    cdef float *th_p = _f(th)
    cdef float *rw_p = _f_or_null(rw)
    cdef float *cw_p = _f_or_null(cw)
    cdef double *o_p = <double *>cnp.PyArray_DATA(o)
    cdef double *h_p = <double *>cnp.PyArray_DATA(hist)
    with nogil:
        fm_confusion_counts(p_p, t_p, rw_p, cw_p, rows, cols, th_p, count, per_column, o_p, h_p)
