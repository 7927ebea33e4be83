# The C declarations of the compiled step (csrc/fm_pool.h, fm_step_plan.h,
# fm_step.h) that _step.pyx wraps; Cython reads this file with _step.pyx.

from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t


cdef extern from "fm_pool.h" nogil:
    ctypedef struct fm_pool:
        int nthreads
    int FM_POOL_MAX_THREADS
    fm_pool *fm_pool_create(int nthreads)
    void fm_pool_destroy(fm_pool *p)
    int fm_pool_usable(const fm_pool *p)


cdef extern from "fm_step.h" nogil:
    int FM_STEP_MAX_LAYERS
    ctypedef struct fm_blas:
        void *gemm
        void *gemv
        void *dot
        int ilp64
    ctypedef struct fm_step_layer:
        int64_t in_ "in"
        int64_t out
        int act
        int trainable
        int need_dx
        float *W
        float *b
        float *dW
        float *db
        float *slot1_W
        float *slot1_b
        float *slot2_W
        float *slot2_b
        int dropout
        uint64_t drop_seed
        uint64_t drop_step
        uint32_t drop_threshold
        float drop_scale
        int nthreads
        int ksplit
        int64_t c0[17]
        float *block[16]
        int64_t ld
        float *y
        float *g
        float *d
        uint8_t *mask
    ctypedef struct fm_step_optimizer:
        int kind
        float momentum
        int nesterov
        float c1, c2, eps
        float rho, one_minus_rho
    ctypedef struct fm_step_plan:
        int nlayers
        fm_step_layer layers[64]
        fm_step_optimizer opt
        int64_t features
        int64_t max_rows
        float *x[16]
        float *partials[2]
        int64_t max_in
        int nthreads
        int batch_parallel
        fm_blas blas
    ctypedef struct fm_step_run:
        fm_step_plan *plan
        fm_pool *pool
        const void *x_src
        int x_kind
        float rescale, offset
        int rescale_on, offset_on
        const int32_t *labels
        const float *targets
        int target_kind
        const float *weights
        const int64_t *order
        int64_t first_row
        int64_t batch_size, n_samples
        int64_t steps
        int training
        const float *coef
        const float *wd_lr
        double loss_scale
        double loss_total
        double correct
        double seen
        int count_accuracy
        float *out
    void fm_step_task(void *arg, int tid, int nthreads)
    size_t fm_step_block_size(const fm_step_layer *L, int tid)
    float *fm_alloc_floats(size_t count)
    void fm_pool_run(fm_pool *p, void (*task)(void *, int, int) noexcept nogil, void *arg)

