/* fastmlp's CUDA kernels: the GPU side of the `cupy` backend.
 *
 * Every per-element and per-row body is an FM_FN function of the C headers in
 * csrc/ (shipped inside the package as fastmlp/backend/cuda/include/), the
 * same code the CPU extension runs: under __CUDACC__ FM_FN is
 * `__device__ static inline`. This file only adds the __global__ kernels that
 * map threads onto elements or rows. It is compiled at run time by CuPy's
 * RawModule (NVRTC) with `-I <include dir> --std=c++14 --fmad=false -ftz=true`
 * (fastmlp/backend/cuda/module.py), and by tests/backend/test_cupy.py with
 * `nvcc -ptx` for sm_80 and sm_90 and the same options.
 *
 * --fmad=false keeps a*b+c from being contracted into an FMA (the CPU build's
 * -ffp-contract=off): with IEEE division and square root (NVRTC's default),
 * the elementwise kernels then round exactly as the CPU and NumPy do on
 * normal floats. -ftz=true (which CuPy imposes) reads and writes subnormals
 * as zero, as the CPU optimizer loops do.
 *
 * Thread layouts: elementwise kernels run one thread per element (a grid-
 * stride loop, so any grid size covers any n) and call the row functions with
 * n = 1; row-wise kernels (softmax family, cross-entropy, accuracy) run one
 * thread per row; the bias gradient runs one thread per column, adding rows
 * in order, the summation order of the reference.
 */

#ifdef __CUDACC_RTC__
/* NVRTC has no libc headers (fm_common.h skips them there). */
typedef unsigned char uint8_t;
typedef int int32_t;
typedef unsigned int uint32_t;
typedef long long int64_t;
typedef unsigned long long uint64_t;
#ifndef NULL
#define NULL 0
#endif
#endif

#include "fm_common.h"
#include "fm_dense.h"
#include "fm_relu.h"
#include "fm_philox.h"
#include "fm_softmax.h"
#include "fm_optim.h"
#include "fm_metrics.h"

#define FM_FOR(i, n)                                                         \
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
         i += (size_t)gridDim.x * blockDim.x)

extern "C" {

/* ------------------------------------------------------------------- dense */

/* y (rows, cols) = act(y + b) in place; b (cols,) is read when has_b. */
__global__ void fm_k_bias_act(float *y, const float *b, int has_b, uint64_t rows,
                              uint64_t cols, int relu)
{
    FM_FOR(i, rows * cols)
        fm_bias_act_row(y + i, has_b ? b + i % cols : NULL, 1, relu);
}

/* dy *= relu'(y) in place, elementwise (no bias gradient wanted). */
__global__ void fm_k_relu_grad_inplace(float *dy, const float *y, uint64_t n)
{
    FM_FOR(i, n)
        fm_dense_grad_row(dy + i, y + i, NULL, 1, 1);
}

/* One thread per column j: db[j] = sum over rows of dy[:, j] (after
 * dy *= relu'(y) when relu), rows added in order as NumPy's sum(axis=0) does.
 * y is only read when relu. */
__global__ void fm_k_dense_grad_cols(float *dy, const float *y, float *db, uint64_t rows,
                                     uint64_t cols, int relu)
{
    FM_FOR(j, cols) {
        db[j] = 0.0f;
        for (size_t i = 0; i < rows; ++i)
            fm_dense_grad_row(dy + i * cols + j, relu ? y + i * cols + j : NULL, db + j, 1,
                              relu);
    }
}

/* -------------------------------------------------------------------- relu */

__global__ void fm_k_relu_forward(const float *x, float *out, uint64_t n)
{
    FM_FOR(i, n)
        out[i] = fm_relu(x[i]);
}

__global__ void fm_k_relu_backward(const float *y, const float *dy, float *out, uint64_t n)
{
    FM_FOR(i, n)
        out[i] = fm_relu_grad(y[i], dy[i]);
}

/* ----------------------------------------------------------------- dropout */

/* One thread per Philox block of four elements: mask = word >= threshold and,
 * when has_x, out = x * scale * mask (the fused forward). Word i of the stream
 * depends only on (seed, step, i), so the mask is the CPU's, bit for bit. */
__global__ void fm_k_dropout(uint32_t seed_lo, uint32_t seed_hi, uint32_t step_lo,
                             uint32_t step_hi, uint32_t threshold, float scale,
                             const float *x, int has_x, uint8_t *mask, float *out, uint64_t n)
{
    fm_philox_stream s;
    s.key[0] = seed_lo;
    s.key[1] = seed_hi;
    s.step[0] = step_lo;
    s.step[1] = step_hi;
    FM_FOR(block, n / 4 + (n % 4 != 0))
        fm_dropout_block(s, threshold, scale, has_x ? x : NULL, mask, out, n, block);
}

/* out = x * scale * mask with a mask drawn earlier (also the backward). */
__global__ void fm_k_dropout_apply(const float *x, const uint8_t *mask, float scale,
                                   float *out, uint64_t n)
{
    FM_FOR(i, n)
        out[i] = fm_dropout_apply1(x[i], mask[i], scale);
}

/* ----------------------------------------------------------------- softmax */

__global__ void fm_k_softmax(const float *x, float *out, uint64_t rows, uint64_t cols)
{
    FM_FOR(i, rows)
        fm_softmax_row(x + i * cols, out + i * cols, cols);
}

__global__ void fm_k_log_softmax(const float *x, float *out, uint64_t rows, uint64_t cols)
{
    FM_FOR(i, rows)
        fm_log_softmax_row(x + i * cols, out + i * cols, cols);
}

__global__ void fm_k_softmax_backward(const float *y, const float *dy, float *out,
                                      uint64_t rows, uint64_t cols)
{
    FM_FOR(i, rows)
        fm_softmax_backward_row(y + i * cols, dy + i * cols, out + i * cols, cols);
}

/* Per-row weighted loss w[i] * loss_i of the sparse cross-entropy into
 * row_loss (double; w[i] is 1 unless has_w), and when has_d its gradient into
 * d, row i scaled by scale * w[i] (the host multiplies the summed row_loss by
 * scale). A row whose label lies outside [0, cols) is skipped (loss NaN, d
 * untouched): fm_k_loss_finish reports it. */
__global__ void fm_k_xent_sparse_rows(const float *x, const int32_t *labels, const float *w,
                                      int has_w, float *d, int has_d, double *row_loss,
                                      uint64_t rows, uint64_t cols, double scale)
{
    FM_FOR(i, rows) {
        int32_t label = labels[i];
        if (label < 0 || (uint64_t)label >= cols) {
            row_loss[i] = __longlong_as_double(0x7ff8000000000000LL); /* NaN */
            continue;
        }
        double loss = fm_xent_sparse_row(x + i * cols, label, has_d ? d + i * cols : NULL,
                                         cols, fm_xent_coef(has_w ? w : NULL, i, scale));
        row_loss[i] = has_w ? (double)w[i] * loss : loss;
    }
}

__global__ void fm_k_xent_dense_rows(const float *x, const float *t, const float *w, int has_w,
                                     float *d, int has_d, double *row_loss, uint64_t rows,
                                     uint64_t cols, double scale)
{
    FM_FOR(i, rows) {
        double loss = fm_xent_dense_row(x + i * cols, t + i * cols,
                                        has_d ? d + i * cols : NULL, cols,
                                        fm_xent_coef(has_w ? w : NULL, i, scale));
        row_loss[i] = has_w ? (double)w[i] * loss : loss;
    }
}

#define FM_FINISH_THREADS 256

/* Launched as ONE block of FM_FINISH_THREADS threads: result[0] = the sum of
 * row_loss (a fixed reduction tree, so the same inputs give the same loss on
 * every run) and, when has_labels, result[1] = the first row whose label lies
 * outside [0, cols), or -1. One kernel and one 16-byte copy to the host. */
__global__ void fm_k_loss_finish(const double *row_loss, const int32_t *labels,
                                 int has_labels, uint64_t rows, uint64_t cols,
                                 double *result)
{
    __shared__ double sums[FM_FINISH_THREADS];
    __shared__ long long bad[FM_FINISH_THREADS];
    unsigned t = threadIdx.x;
    double s = 0.0;
    long long first_bad = -1;
    for (size_t i = t; i < rows; i += FM_FINISH_THREADS) {
        if (has_labels && first_bad < 0 && (labels[i] < 0 || (uint64_t)labels[i] >= cols))
            first_bad = (long long)i;
        s += row_loss[i];
    }
    sums[t] = s;
    bad[t] = first_bad;
    __syncthreads();
    for (unsigned half = FM_FINISH_THREADS / 2; half > 0; half /= 2) {
        if (t < half) {
            sums[t] += sums[t + half];
            long long other = bad[t + half];
            if (other >= 0 && (bad[t] < 0 || other < bad[t]))
                bad[t] = other;
        }
        __syncthreads();
    }
    if (t == 0) {
        result[0] = sums[0];
        result[1] = (double)bad[0];
    }
}

/* ---------------------------------------------------------------- optimizers */

/* velocity is not read when mu == 0 (the caller passes any valid pointer). */
__global__ void fm_k_sgd(float *p, const float *g, float *v, uint64_t n, float lr, float mu,
                         int nesterov)
{
    FM_FOR(i, n)
        fm_sgd_elem(p, g, v, i, lr, mu, nesterov);
}

__global__ void fm_k_adam(float *p, const float *g, float *m, float *v, uint64_t n,
                          float alpha, float c1, float c2, float eps, float wd_lr)
{
    FM_FOR(i, n)
        fm_adam_elem(p, g, m, v, i, alpha, c1, c2, eps, wd_lr);
}

/* mb is not read when mu == 0. */
__global__ void fm_k_rmsprop(float *p, const float *g, float *v, float *mb, uint64_t n,
                             float lr, float rho, float c, float mu, float eps)
{
    FM_FOR(i, n)
        fm_rmsprop_elem(p, g, v, mb, i, lr, rho, c, mu, eps);
}

/* ------------------------------------------------------------------ metrics */

/* result (2,) zeroed by the caller: result[0] += rows whose argmax equals the
 * label; result[1] = max(rows - i) over rows i with a label outside
 * [0, cols), so the first bad row is rows - result[1] (none when 0). Integer
 * atomics: the counts do not depend on the order threads run in. */
__global__ void fm_k_count_sparse(const float *scores, const int32_t *labels, uint64_t rows,
                                  uint64_t cols, unsigned long long *result)
{
    FM_FOR(i, rows) {
        int32_t label = labels[i];
        if (label < 0 || (uint64_t)label >= cols)
            atomicMax(result + 1, (unsigned long long)(rows - i));
        else if (fm_argmax_row(scores + i * cols, cols) == (size_t)label)
            atomicAdd(result, 1ULL);
    }
}

__global__ void fm_k_count_dense(const float *scores, const float *targets, uint64_t rows,
                                 uint64_t cols, unsigned long long *result)
{
    FM_FOR(i, rows) {
        if (fm_argmax_row(scores + i * cols, cols) == fm_argmax_row(targets + i * cols, cols))
            atomicAdd(result, 1ULL);
    }
}

/* Confusion counts, pass 1 (one thread per element): the element's weight goes
 * to the histogram bucket of the thresholds below its prediction, in the
 * positive plane or the negative one (hist: 2 * (count + 1) * groups doubles,
 * zeroed by the caller). Same bucketing as fm_confusion_counts; the sums are
 * in another order, so they may differ from the CPU's in the last bits. */
__global__ void fm_k_confusion_hist(const float *preds, const float *labels, const float *row_w,
                                    int has_rw, const float *col_w, int has_cw, uint64_t rows,
                                    uint64_t cols, const float *thresholds, uint64_t count,
                                    int per_column, double *hist)
{
    size_t groups = per_column ? cols : 1;
    double *neg = hist + (count + 1) * groups;
    FM_FOR(k, rows * cols) {
        size_t i = k / cols, j = k % cols;
        double wi = has_rw ? (double)row_w[i] : 1.0;
        double w = has_cw ? wi * (double)col_w[j] : wi;
        size_t b = fm_thresholds_below(thresholds, count, preds[k]);
        double *plane = labels[k] != 0.0f ? hist : neg;
        atomicAdd(plane + b * groups + (per_column ? j : 0), w);
    }
}

/* Pass 2 (one thread per group): suffix sums over the buckets give each
 * threshold's tp, fp, tn, fn, added to out (4, count, groups). */
__global__ void fm_k_confusion_finish(const double *hist, uint64_t count, uint64_t groups,
                                      double *out)
{
    FM_FOR(g, groups)
        fm_confusion_from_buckets(hist, hist + (count + 1) * groups, count, groups, g, out);
}

} /* extern "C" */
