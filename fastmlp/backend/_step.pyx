# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The compiled training step (``csrc/fm_step.h``) behind a checked wrapper.

:class:`StepPlan` holds a chain of Dense layers (pointers into the model's
parameter store, gradient buffer and optimizer slots, which it keeps alive),
their activation buffers and the thread split; :meth:`StepPlan.run` runs many
training steps, or an inference pass, in one call without the GIL. Every array
is checked (dtype, C order, size) before any C code runs.
"""

import numpy as np

cimport numpy as cnp
from cpython.pythread cimport (PyThread_acquire_lock, PyThread_allocate_lock, PyThread_free_lock,
                               PyThread_release_lock, PyThread_type_lock, WAIT_LOCK)
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t, uintptr_t
from libc.stdlib cimport free
from libc.string cimport memset

cnp.import_array()


ACTIVATIONS = {"linear": 0, "relu": 1, "softmax": 2}
OPTIMIZERS = {"sgd": 0, "adam": 1, "rmsprop": 2}
#: The widest split a plan takes.
MAX_THREADS = 16
#: Columns of a thread's block are a multiple of this (64 bytes of float32):
#: no two threads write the same cache line of a split layer.
BLOCK_ALIGN = 16

ctypedef int (*blas_get_threads_fn)() noexcept nogil
ctypedef void (*blas_set_threads_fn)(int) noexcept nogil
cdef blas_get_threads_fn _blas_get_threads = NULL
cdef blas_set_threads_fn _blas_set_threads = NULL


def set_blas_thread_functions(get_address, set_address):
    """Where NumPy's BLAS reads and sets its thread count (addresses, or
    None): each call runs its GEMMs with one BLAS thread (the step's own
    threads split the work), the count restored afterwards."""
    global _blas_get_threads, _blas_set_threads
    if get_address and set_address:
        _blas_get_threads = <blas_get_threads_fn><uintptr_t>int(get_address)
        _blas_set_threads = <blas_set_threads_fn><uintptr_t>int(set_address)
    else:
        _blas_get_threads = NULL
        _blas_set_threads = NULL


# Python threads may train or predict at the same time: a plan's buffers
# serve one call at a time (the plan's lock), and so does the worker pool
# (this lock; always taken after a plan's, so two calls cannot deadlock).
cdef PyThread_type_lock _pool_lock = PyThread_allocate_lock()


cdef void _run_task(fm_pool *pool, fm_step_run *r) noexcept nogil:
    """The task on every thread of ``pool``, BLAS held at one thread."""
    cdef int previous = 0
    if pool.nthreads > 1:
        PyThread_acquire_lock(_pool_lock, WAIT_LOCK)
    if _blas_get_threads != NULL:
        previous = _blas_get_threads()
        if previous != 1:
            _blas_set_threads(1)
    fm_pool_run(pool, fm_step_task, r)
    if _blas_get_threads != NULL and previous != 1 and previous > 0:
        _blas_set_threads(previous)
    if pool.nthreads > 1:
        PyThread_release_lock(_pool_lock)


cdef fm_pool *_pool = NULL
cdef fm_pool *_solo = NULL  # a pool of one thread: single-threaded plans never touch _pool


def pool_threads():
    """Threads of the running pool (0: none started yet)."""
    return _pool.nthreads if _pool != NULL and fm_pool_usable(_pool) else 0


cdef fm_pool *_get_pool(int nthreads) except NULL:
    global _pool, _solo
    if nthreads == 1:
        if _solo == NULL:
            _solo = fm_pool_create(1)
            if _solo == NULL:
                raise MemoryError("cannot allocate the training step's state")
        return _solo
    if _pool != NULL and (not fm_pool_usable(_pool) or _pool.nthreads != nthreads):
        fm_pool_destroy(_pool)
        _pool = NULL
    if _pool == NULL:
        _pool = fm_pool_create(nthreads)
        if _pool == NULL:
            raise MemoryError("cannot start the training threads")
    return _pool


def shutdown_pool():
    """Stop the pool's worker threads (a later run starts them again)."""
    global _pool
    if _pool != NULL:
        fm_pool_destroy(_pool)
        _pool = NULL


cdef float *_aligned_floats(size_t count) except NULL:
    cdef float *ptr = fm_alloc_floats(count)
    if ptr == NULL:
        raise MemoryError(f"cannot allocate {count} floats for the training step")
    return ptr


cdef cnp.ndarray _checked(object a, str name, int typenum, Py_ssize_t size, bint writable):
    """``a`` as a C-contiguous aligned array of ``typenum`` holding ``size``
    elements (-1: any), else a TypeError/ValueError naming it."""
    if not cnp.PyArray_Check(a):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(a).__name__}")
    cdef cnp.ndarray arr = <cnp.ndarray>a
    if cnp.PyArray_TYPE(arr) != typenum:
        raise TypeError(f"{name} must have dtype {cnp.PyArray_DescrFromType(typenum)}, got {arr.dtype}")
    if not (cnp.PyArray_IS_C_CONTIGUOUS(arr) and cnp.PyArray_ISALIGNED(arr)):
        raise ValueError(f"{name} must be a C-contiguous, aligned array")
    if writable and not cnp.PyArray_ISWRITEABLE(arr):
        raise ValueError(f"{name} must be writable")
    if size >= 0 and cnp.PyArray_SIZE(arr) != size:
        raise ValueError(f"{name} must hold {size} values, got {cnp.PyArray_SIZE(arr)}")
    return arr


cdef float *_data(object a, str name, Py_ssize_t size) except? NULL:
    if a is None:
        return NULL
    return <float *>cnp.PyArray_DATA(_checked(a, name, cnp.NPY_FLOAT32, size, True))


def split_columns(int64_t units, int nthreads):
    """Column starts of ``nthreads`` blocks of ``units`` (``nthreads + 1``
    values): as even as blocks of :data:`BLOCK_ALIGN` columns allow."""
    chunks = -(-units // BLOCK_ALIGN)
    return [min(units, (chunks * t // nthreads) * BLOCK_ALIGN) for t in range(nthreads)] + [units]


cdef class StepPlan:
    """A chain of Dense layers ready for :meth:`run`.

    Args:
        layers: one dict per Dense layer, input to output, with ``in``,
            ``out``, ``activation`` (``"linear"``, ``"relu"``, or
            ``"softmax"`` on the last layer), ``trainable``, the float32
            arrays ``kernel``, ``bias`` (or None), ``kernel_grad``,
            ``bias_grad``, ``slots`` (a list of zero to two ``(kernel slot,
            bias slot)`` pairs, the optimizer's state), ``threads`` (1 or the
            plan's ``nthreads``) and, for a Dropout after the layer,
            ``dropout``: ``(seed, threshold, scale)``.
        optimizer: ``(kind, momentum, nesterov, c1, c2, epsilon, rho)``,
            kind in :data:`OPTIMIZERS`.
        features: inputs per sample.
        max_rows: the largest batch :meth:`run` gets.
        nthreads: threads of the split layers.
        sgemm: ``(gemm, gemv, dot, ilp64)``: the addresses of BLAS's
            ``cblas_sgemm``, ``cblas_sgemv`` and ``cblas_sdot``.
        batch_parallel: an inference plan whose threads take whole batches
            (every layer with ``threads`` 1).
    """

    cdef fm_step_plan plan
    cdef PyThread_type_lock _lock
    cdef list _keep
    cdef readonly bint trains  # gradients given: run() may train
    cdef readonly int nthreads
    cdef readonly int64_t max_rows, features, outputs
    cdef public object rescale  # the caller's note of its input rescaling

    def __cinit__(self):
        memset(&self.plan, 0, sizeof(fm_step_plan))
        self._lock = PyThread_allocate_lock()
        if self._lock == NULL:
            raise MemoryError("cannot allocate a lock")

    def __init__(self, list layers, tuple optimizer, int64_t features, int64_t max_rows, int nthreads,
                 tuple sgemm, bint batch_parallel=False):
        if not 1 <= len(layers) <= FM_STEP_MAX_LAYERS:
            raise ValueError(f"a step plan takes 1 to {FM_STEP_MAX_LAYERS} layers, got {len(layers)}")
        if not 1 <= nthreads <= MAX_THREADS:
            raise ValueError(f"nthreads must be in [1, {MAX_THREADS}], got {nthreads}")
        if features <= 0 or max_rows <= 0:
            raise ValueError("features and max_rows must be positive")
        gemm, gemv, dot, ilp64 = sgemm
        if not (gemm and gemv and dot):
            raise ValueError("no BLAS sgemm, sgemv and sdot")
        self._keep = []
        self.nthreads = nthreads
        self.max_rows = max_rows
        self.features = features
        cdef fm_step_plan *P = &self.plan
        P.blas.gemm = <void *><uintptr_t>int(gemm)
        P.blas.gemv = <void *><uintptr_t>int(gemv)
        P.blas.dot = <void *><uintptr_t>int(dot)
        P.blas.ilp64 = 1 if ilp64 else 0
        P.nthreads = nthreads
        P.features = features
        P.max_rows = max_rows
        kind, momentum, nesterov, c1, c2, eps, rho = optimizer
        P.opt.kind = OPTIMIZERS[kind]
        P.opt.momentum = momentum
        P.opt.nesterov = 1 if nesterov else 0
        P.opt.c1 = c1
        P.opt.c2 = c2
        P.opt.eps = eps
        P.opt.rho = rho
        P.opt.one_minus_rho = 1.0 - rho
        cdef int64_t prev_out = features, max_in = 1
        cdef int i, t
        cdef fm_step_layer *L
        self.trains = all(spec.get("kernel_grad") is not None for spec in layers)
        if batch_parallel and (self.trains or any(spec.get("threads", 1) != 1 for spec in layers)):
            raise ValueError("a batch-parallel plan only infers, with no layer split")
        P.batch_parallel = 1 if batch_parallel else 0
        # batch-parallel: each thread its own activations and gathered batch
        cdef int copies = nthreads if batch_parallel else 1
        for i, spec in enumerate(layers):
            L = &P.layers[i]
            L.in_ = spec["in"]
            L.out = spec["out"]
            if L.in_ != prev_out or L.out <= 0:
                raise ValueError(f"layer {i} takes {L.in_} inputs, but receives {prev_out}")
            act = spec["activation"]
            if act not in ACTIVATIONS or (act == "softmax" and i != len(layers) - 1):
                raise ValueError(f"layer {i}: activation {act!r} is not in the compiled step")
            L.act = ACTIVATIONS[act]
            L.trainable = 1 if spec["trainable"] else 0
            L.need_dx = 1 if i > 0 else 0
            L.W = _data(spec["kernel"], f"layer {i} kernel", L.in_ * L.out)
            L.b = _data(spec["bias"], f"layer {i} bias", L.out)
            if self.trains:
                L.dW = _data(spec["kernel_grad"], f"layer {i} kernel gradient", L.in_ * L.out)
                L.db = _data(spec["bias_grad"] if spec["bias"] is not None else None,
                             f"layer {i} bias gradient", L.out)
            slots = list(spec.get("slots", ()) if self.trains else ())
            if len(slots) > 2:
                raise ValueError("an optimizer with more than two slots is not in the compiled step")
            if len(slots) > 0:
                L.slot1_W = _data(slots[0][0], f"layer {i} slot", L.in_ * L.out)
                L.slot1_b = _data(slots[0][1], f"layer {i} bias slot", L.out)
            if len(slots) > 1:
                L.slot2_W = _data(slots[1][0], f"layer {i} slot", L.in_ * L.out)
                L.slot2_b = _data(slots[1][1], f"layer {i} bias slot", L.out)
            self._keep.append(spec)
            dropout = spec.get("dropout")
            if dropout is not None:
                if i == len(layers) - 1:
                    raise ValueError("a Dropout after the output layer is not in the compiled step")
                seed, threshold, scale = dropout
                L.dropout = 1
                L.drop_seed = seed
                L.drop_threshold = threshold
                L.drop_scale = scale
            threads = spec.get("threads", 1)
            if threads not in (1, nthreads):
                raise ValueError(f"layer {i}: threads must be 1 or {nthreads}, got {threads}")
            L.nthreads = threads
            L.ksplit = 1 if spec.get("ksplit") else 0
            if L.ksplit:
                # split by input units: each thread takes the previous layer's columns it computes
                if threads == 1 or i == 0 or P.layers[i - 1].nthreads != threads \
                        or P.layers[i - 1].ksplit:
                    raise ValueError(f"layer {i}: a split by input units needs a layer before it "
                                     f"split by output units over {nthreads} threads")
                for t in range(threads + 1):
                    L.c0[t] = P.layers[i - 1].c0[t]
            else:
                starts = split_columns(L.out, threads)
                for t in range(threads + 1):
                    L.c0[t] = starts[t]
            # A layer split by output units has its rows start on cache
            # lines; the others keep their rows packed (the loss and the
            # whole-array kernels read them as one block).
            L.ld = L.out if threads == 1 or L.ksplit else -(-L.out // BLOCK_ALIGN) * BLOCK_ALIGN
            if threads > 1 and not L.ksplit and self.trains:  # each thread's own block (see fm_step.h)
                for t in range(threads):
                    L.block[t] = _aligned_floats(fm_step_block_size(L, t))
            L.y = _aligned_floats(<size_t>(copies * max_rows * L.ld))
            L.g = _aligned_floats(<size_t>(max_rows * L.ld))
            if L.dropout:
                L.d = _aligned_floats(<size_t>(max_rows * L.ld))
                L.mask = <uint8_t *>_aligned_floats(<size_t>((max_rows * L.ld + 3) // 4))
            if threads > 1 and i > 0:  # the partial sums: input gradients, or K-split outputs
                max_in = max(max_in, L.out if L.ksplit else L.in_)
            prev_out = L.out
            P.nlayers = i + 1
        P.max_in = max_in
        for t in range(nthreads if batch_parallel else P.layers[0].nthreads):
            P.x[t] = _aligned_floats(<size_t>(max_rows * features))
        if nthreads > 1:
            for t in range(2):
                P.partials[t] = _aligned_floats(<size_t>(nthreads * max_rows * max_in))
        self.outputs = prev_out

    cdef void _run(self, fm_pool *pool, fm_step_run *r) noexcept nogil:
        PyThread_acquire_lock(self._lock, WAIT_LOCK)
        _run_task(pool, r)
        PyThread_release_lock(self._lock)

    def __dealloc__(self):
        cdef int i, t
        if self._lock != NULL:
            PyThread_free_lock(self._lock)
        for i in range(self.plan.nlayers):
            free(self.plan.layers[i].y)
            free(self.plan.layers[i].g)
            free(self.plan.layers[i].d)
            free(self.plan.layers[i].mask)
            for t in range(self.plan.layers[i].nthreads):
                free(self.plan.layers[i].block[t])
        for t in range(16):
            free(self.plan.x[t])
        free(self.plan.partials[0])
        free(self.plan.partials[1])

    def infer(self, x, out, int64_t batch_size, scale=None, offset=None):
        """``out`` = the outputs of the samples ``x``, in batches of
        ``batch_size`` (as the step-by-step path cuts them), without dropout;
        a softmax output layer applies its softmax.

        Args:
            x: float32, uint8 or float64 (n, features), C order (cast to
                float32 as it is read).
            out: float32 (n, outputs), C order, written.
            batch_size: rows per batch, at most the plan's ``max_rows``.
            scale, offset: ``x * scale + offset`` first (float32), or None.
        """
        cdef fm_step_run r
        memset(&r, 0, sizeof(fm_step_run))
        cdef object keep = self._source(&r, x, batch_size, scale, offset)
        cdef int64_t n = r.n_samples
        if n == 0:
            raise ValueError("x holds no samples")
        cdef cnp.ndarray oa = _checked(out, "out", cnp.NPY_FLOAT32, n * self.outputs, True)
        r.steps = (n + batch_size - 1) // batch_size
        r.out = <float *>cnp.PyArray_DATA(oa)
        self._execute(&r)
        return out

    cdef object _source(self, fm_step_run *r, object x, int64_t batch_size, object scale, object offset):
        """Check the samples ``x`` and the batch size, and point ``r`` at
        them; returns the checked array (to keep alive during the call)."""
        if not cnp.PyArray_Check(x):
            raise TypeError("x must be a numpy.ndarray")
        cdef int xtype = cnp.PyArray_TYPE(<cnp.ndarray>x)
        if xtype != cnp.NPY_FLOAT32 and xtype != cnp.NPY_UINT8 and xtype != cnp.NPY_FLOAT64:
            raise TypeError(f"x must be float32, uint8 or float64, got {x.dtype}")
        cdef cnp.ndarray xa = _checked(x, "x", xtype, -1, False)
        if cnp.PyArray_NDIM(xa) != 2 or cnp.PyArray_DIM(xa, 1) != self.plan.features:
            raise ValueError(f"x must have shape (n, {self.plan.features}), got {x.shape}")
        if batch_size <= 0 or batch_size > self.plan.max_rows:
            raise ValueError(f"batch_size must be in [1, {self.plan.max_rows}], got {batch_size}")
        r.plan = &self.plan
        r.x_src = cnp.PyArray_DATA(xa)
        r.x_kind = 0 if xtype == cnp.NPY_FLOAT32 else (1 if xtype == cnp.NPY_UINT8 else 2)
        r.n_samples = cnp.PyArray_DIM(xa, 0)
        r.batch_size = batch_size
        if scale is not None:
            r.rescale_on = 1
            r.rescale = scale
        if offset is not None and offset != 0:
            r.offset_on = 1
            r.offset = offset
        return xa

    cdef _execute(self, fm_step_run *r):
        """Run ``r`` on the pool of the plan's thread count."""
        r.pool = _get_pool(self.nthreads)
        if r.pool.nthreads != self.nthreads:
            raise RuntimeError(f"only {r.pool.nthreads} of {self.nthreads} threads started")
        with nogil:
            self._run(r.pool, r)

    def run(self, x, order, int64_t first_row, int64_t batch_size, int64_t steps, *, labels=None,
            targets=None, weights=None, coef=None, wd_lr=None, double loss_scale=0.0,
            dropout_steps=(), totals=(0.0, 0.0, 0.0), bint count_accuracy=False, rescale=None,
            offset=None, out=None):
        """Run ``steps`` training steps (or, with ``out``, an inference pass).

        Args:
            x: the samples, (n, features) float32, uint8 or float64, C order.
            order: int64 sample order of the epoch, or None for the stored order.
            first_row: position in the order of the first batch's first sample.
            batch_size: samples per step (the last may have fewer).
            steps: steps to run.
            labels / targets: int32 labels (n,) or float32 targets (n, outputs).
            weights: float32 per-sample weights (n,) or None.
            coef: float32 (steps,): the learning rate (SGD, RMSprop) or Adam's
                bias-corrected step size of each step.
            wd_lr: float32 (steps,) weight decay times learning rate, or None.
            loss_scale: the loss reduction's factor (0: 1 / batch rows).
            dropout_steps: each Dropout's step counter before the run.
            totals: ``(loss_total, correct, seen)`` to continue from.
            count_accuracy: count argmax hits.
            rescale, offset: ``x * rescale + offset`` at the gather, or None.
            out: float32 (rows, outputs) receiving an inference pass's outputs.

        Returns:
            ``(loss_total, correct, seen)``.
        """
        cdef fm_step_plan *P = &self.plan
        cdef cnp.ndarray oa = None, la = None, ta = None, wa = None, ca = None, da = None
        cdef cnp.ndarray outa = None
        cdef fm_step_run r
        memset(&r, 0, sizeof(fm_step_run))
        cdef object keep = self._source(&r, x, batch_size, rescale, offset)
        cdef int64_t n = r.n_samples
        if steps < 0 or first_row < 0 or (steps > 0 and first_row + (steps - 1) * batch_size >= n):
            raise ValueError(f"{steps} steps of {batch_size} from row {first_row} overrun {n} samples")
        cdef int64_t i, bad = -1, stop = min(n, first_row + steps * batch_size)
        cdef const int64_t *op = NULL
        if order is not None:
            oa = _checked(order, "order", cnp.NPY_INT64, n, False)
            op = <const int64_t *>cnp.PyArray_DATA(oa)
            with nogil:
                for i in range(first_row, stop):
                    if op[i] < 0 or op[i] >= n:
                        bad = i
                        break
            if bad >= 0:
                raise ValueError(f"order[{bad}] = {op[bad]} is not a sample index")
        r.order = op
        r.first_row = first_row
        r.steps = steps
        cdef int64_t outputs = self.outputs
        if out is not None:
            outa = _checked(out, "out", cnp.NPY_FLOAT32, (stop - first_row) * outputs, True)
            r.out = <float *>cnp.PyArray_DATA(outa)
            r.training = 0
        else:
            r.training = 1
            if not self.trains:
                raise ValueError("this plan has no gradient buffers: it can only infer")
            if (labels is None) == (targets is None):
                raise ValueError("training needs labels or targets (one of them)")
            if labels is not None:
                la = _checked(labels, "labels", cnp.NPY_INT32, n, False)
                r.labels = <const int32_t *>cnp.PyArray_DATA(la)
                r.target_kind = 0
                with nogil:
                    for i in range(n):
                        if r.labels[i] < 0 or r.labels[i] >= outputs:
                            bad = i
                            break
                if bad >= 0:
                    raise ValueError(f"label {r.labels[bad]} of sample {bad} is outside [0, {outputs})")
            else:
                ta = _checked(targets, "targets", cnp.NPY_FLOAT32, n * outputs, False)
                r.targets = <const float *>cnp.PyArray_DATA(ta)
                r.target_kind = 1
            if weights is not None:
                wa = _checked(weights, "weights", cnp.NPY_FLOAT32, n, False)
                r.weights = <const float *>cnp.PyArray_DATA(wa)
            ca = _checked(coef, "coef", cnp.NPY_FLOAT32, steps, False)
            r.coef = <const float *>cnp.PyArray_DATA(ca)
            if wd_lr is not None:
                da = _checked(wd_lr, "wd_lr", cnp.NPY_FLOAT32, steps, False)
                r.wd_lr = <const float *>cnp.PyArray_DATA(da)
            r.loss_scale = loss_scale
            r.loss_total, r.correct, r.seen = totals
            r.count_accuracy = 1 if count_accuracy else 0
            dropout_steps = list(dropout_steps)
            k = 0
            for i in range(P.nlayers):
                if P.layers[i].dropout:
                    if k >= len(dropout_steps):
                        raise ValueError("dropout_steps has fewer entries than the plan has Dropouts")
                    P.layers[i].drop_step = dropout_steps[k]
                    k += 1
        self._execute(&r)
        return r.loss_total, r.correct, r.seen
