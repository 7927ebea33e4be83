/* The data of the compiled training step (fm_step.h): the layers, the
 * optimizer, the plan with its buffers, one call's arguments, and where each
 * thread's parameters live (its own contiguous block of a split layer during
 * training, the model's buffers otherwise). */
#ifndef FM_STEP_PLAN_H
#define FM_STEP_PLAN_H

#include <string.h>

#include "fm_blas.h"
#include "fm_common.h"
#include "fm_pool.h"

#if defined(__linux__)
#include <sys/mman.h>
#endif

/* Zeroed floats for the plan's buffers, on a cache line; blocks of 2 MiB
 * and more on 2 MiB boundaries, and on Linux marked for transparent huge
 * pages (a thread's kernel block, gradient and slots then take a few TLB
 * entries instead of thousands). NULL when out of memory; free() frees. */
static float *fm_alloc_floats(size_t count)
{
    size_t bytes = (count ? count : 1) * sizeof(float);
    size_t huge = (size_t)2 << 20;
#if defined(_WIN32)
    /* No posix_memalign, and _aligned_malloc's blocks would need _aligned_free
     * rather than free(): calloc's 16-byte alignment costs only speed. */
    (void)huge;
    return (float *)calloc(bytes / sizeof(float), sizeof(float));
#else
    void *ptr = NULL;
    if (posix_memalign(&ptr, bytes >= huge ? huge : 64, bytes) != 0)
        return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (bytes >= huge)
        madvise(ptr, bytes - bytes % huge, MADV_HUGEPAGE); /* advice only: failure changes nothing */
#endif
    memset(ptr, 0, bytes);
    return (float *)ptr;
#endif
}

#define FM_STEP_MAX_LAYERS 64

/* ------------------------------------------------------------- the model */

enum { FM_ACT_LINEAR = 0, FM_ACT_RELU = 1, FM_ACT_SOFTMAX = 2 };
enum { FM_OPT_SGD = 0, FM_OPT_ADAM = 1, FM_OPT_RMSPROP = 2 };
enum { FM_TARGET_SPARSE = 0, FM_TARGET_DENSE = 1 };
enum { FM_X_FLOAT32 = 0, FM_X_UINT8 = 1, FM_X_FLOAT64 = 2 };

typedef struct {
    int64_t in, out;
    int act;             /* FM_ACT_*; softmax only on the last layer */
    int trainable;
    int need_dx;         /* whether the gradient flows on to the layer before */
    float *W, *b;        /* kernel (in, out) and bias (out,) or NULL: the model's store */
    float *dW, *db;
    float *slot1_W, *slot1_b, *slot2_W, *slot2_b; /* optimizer slots, NULL when unused */
    /* Dropout on this layer's output (rate > 0). */
    int dropout;
    uint64_t drop_seed;
    uint64_t drop_step;  /* the step counter of the Dropout layer; advanced per step */
    uint32_t drop_threshold;
    float drop_scale;
    /* The split: threads [0, nthreads) own columns [c0[t], c0[t + 1]) of
     * the output, or with ksplit the rows [c0[t], c0[t + 1]) of the kernel
     * (the previous layer's columns of the same thread). */
    int nthreads;
    int ksplit;
    int64_t c0[FM_POOL_MAX_THREADS + 1];
    /* Thread t's own block when split: kernel, kernel gradient and slots,
     * (in, width) each, then bias, bias gradient and bias slots, (width,)
     * each, in one allocation. NULL when not split. */
    float *block[FM_POOL_MAX_THREADS];
    /* Buffers (rows, ld): output y, its gradient g, dropout output and mask. */
    int64_t ld;
    float *y, *g, *d;
    uint8_t *mask;
} fm_step_layer;

typedef struct {
    int kind;            /* FM_OPT_* */
    float momentum;      /* SGD and RMSprop */
    int nesterov;
    float c1, c2, eps;   /* Adam: 1 - beta_1, 1 - beta_2, epsilon */
    float rho, one_minus_rho; /* RMSprop */
} fm_step_optimizer;

/* One thread's share of a batch's loss, on a cache line of its own. */
typedef struct {
    double total;
    size_t hits;
    char pad[48];
} fm_step_loss_part;

typedef struct {
    int nlayers;
    fm_step_layer layers[FM_STEP_MAX_LAYERS];
    fm_step_optimizer opt;
    int64_t features;    /* inputs per sample */
    int64_t max_rows;    /* the largest batch the buffers hold */
    /* (max_rows, features): the gathered batch, one copy per thread of the
     * first layer */
    float *x[FM_POOL_MAX_THREADS];
    /* Input-gradient partials, (nthreads, max_rows, max_in) each: layers
     * alternate between the two, so a thread may start the next layer's
     * partials while another still adds up this layer's. */
    float *partials[2];
    int64_t max_in;
    int nthreads;        /* threads the plan was laid out for */
    /* Inference only: whole batches per thread (every layer unsplit, each
     * layer's y and the gathered x one per thread). */
    int batch_parallel;
    fm_step_loss_part loss_parts[FM_POOL_MAX_THREADS];
    fm_blas blas;
} fm_step_plan;

/* One call: `steps` batches of the data, in `order`. */
typedef struct {
    fm_step_plan *plan;
    fm_pool *pool;
    /* data */
    const void *x_src;   /* (n_samples, features) */
    int x_kind;          /* FM_X_FLOAT32, FM_X_UINT8, FM_X_FLOAT64 */
    float rescale, offset; /* x * rescale (+ offset when nonzero) at the gather */
    int rescale_on, offset_on;
    const int32_t *labels;  /* sparse targets (n_samples,) */
    const float *targets;   /* dense targets (n_samples, classes) */
    int target_kind;
    const float *weights;   /* per-sample weights or NULL */
    const int64_t *order;   /* sample order of the epoch (NULL: in sequence) */
    int64_t first_row;      /* position in `order` of the first step's batch */
    int64_t batch_size, n_samples;
    int64_t steps;
    int training;
    /* per step */
    const float *coef;      /* lr (SGD, RMSprop) or Adam's alpha, per step */
    const float *wd_lr;     /* Adam's weight_decay * lr per step (NULL: none) */
    double loss_scale;      /* 0: 1 / rows (sum_over_batch_size); else this factor */
    /* Running totals, continued from the caller's (so that they are added
     * in the step-by-step path's order): */
    double loss_total;      /* sum over steps of loss * rows */
    double correct;         /* argmax hits */
    double seen;            /* samples counted */
    int count_accuracy;
    /* inference output (rows, classes) or NULL */
    float *out;
} fm_step_run;

/* The parameters one thread works on: its block of a split layer during
 * training, else the model's buffers (its columns of them). */
typedef struct {
    float *W, *dW, *s1W, *s2W;   /* (in, width), rows ldw apart */
    float *b, *db, *s1b, *s2b;   /* (width,) or NULL */
    int64_t ldw;
} fm_step_params;

static inline float *fm_offset(float *base, size_t off) { return base ? base + off : NULL; }

static fm_step_params fm_step_view(const fm_step_layer *L, int tid, int training)
{
    fm_step_params v;
    int64_t c0 = L->c0[tid];
    if (!training || L->block[tid] == NULL) {
        v.W = L->W + c0;
        v.dW = L->dW + c0;
        v.s1W = fm_offset(L->slot1_W, (size_t)c0);
        v.s2W = fm_offset(L->slot2_W, (size_t)c0);
        v.b = fm_offset(L->b, (size_t)c0);
        v.db = fm_offset(L->db, (size_t)c0);
        v.s1b = fm_offset(L->slot1_b, (size_t)c0);
        v.s2b = fm_offset(L->slot2_b, (size_t)c0);
        v.ldw = L->out;
        return v;
    }
    size_t width = (size_t)(L->c0[tid + 1] - c0), area = (size_t)L->in * width;
    float *at = L->block[tid];
    v.W = at;
    v.dW = at + area;
    at += 2 * area;
    v.s1W = L->slot1_W ? at : NULL;
    at += L->slot1_W ? area : 0;
    v.s2W = L->slot2_W ? at : NULL;
    at += L->slot2_W ? area : 0;
    v.b = L->b ? at : NULL;
    v.db = L->b ? at + width : NULL;
    at += L->b ? 2 * width : 0;
    v.s1b = L->b && L->slot1_b ? at : NULL;
    at += L->b && L->slot1_b ? width : 0;
    v.s2b = L->b && L->slot2_b ? at : NULL;
    v.ldw = (int64_t)width;
    return v;
}

/* Floats in thread t's block of layer L (see fm_step_layer.block). */
static inline size_t fm_step_block_size(const fm_step_layer *L, int tid)
{
    size_t width = (size_t)(L->c0[tid + 1] - L->c0[tid]);
    size_t arrays = 2 + (L->slot1_W != NULL) + (L->slot2_W != NULL);
    size_t bias = L->b ? 2 + (L->slot1_b != NULL) + (L->slot2_b != NULL) : 0;
    return (size_t)L->in * width * arrays + width * bias;
}

/* Copy rows of `width` floats between a (rows, ld_a) and a (rows, ld_b) array. */
static void fm_copy_rows(float *dst, int64_t ld_dst, const float *src, int64_t ld_src,
                         int64_t rows, int64_t width)
{
    if (dst == NULL || src == NULL)
        return;
    for (int64_t i = 0; i < rows; ++i)
        memcpy(dst + i * ld_dst, src + i * ld_src, (size_t)width * sizeof(float));
}

/* Thread tid's block of each split layer from the model's buffers (in) or
 * back into them (out): kernel, bias and their slots; out also gives back
 * the gradients. */
static void fm_step_sync(fm_step_plan *P, int tid, int out)
{
    for (int l = 0; l < P->nlayers; ++l) {
        fm_step_layer *L = &P->layers[l];
        if (tid >= L->nthreads || L->block[tid] == NULL)
            continue;
        fm_step_params mine = fm_step_view(L, tid, 1), model = fm_step_view(L, tid, 0);
        int64_t w = mine.ldw, in = L->in, ld = L->out;
        if (out) {
            fm_copy_rows(model.W, ld, mine.W, w, in, w);
            fm_copy_rows(model.dW, ld, mine.dW, w, in, w);
            fm_copy_rows(model.s1W, ld, mine.s1W, w, in, w);
            fm_copy_rows(model.s2W, ld, mine.s2W, w, in, w);
            fm_copy_rows(model.b, w, mine.b, w, 1, w);
            fm_copy_rows(model.db, w, mine.db, w, 1, w);
            fm_copy_rows(model.s1b, w, mine.s1b, w, 1, w);
            fm_copy_rows(model.s2b, w, mine.s2b, w, 1, w);
        } else {
            fm_copy_rows(mine.W, w, model.W, ld, in, w);
            fm_copy_rows(mine.s1W, w, model.s1W, ld, in, w);
            fm_copy_rows(mine.s2W, w, model.s2W, ld, in, w);
            fm_copy_rows(mine.b, w, model.b, w, 1, w);
            fm_copy_rows(mine.s1b, w, model.s1b, w, 1, w);
            fm_copy_rows(mine.s2b, w, model.s2b, w, 1, w);
        }
    }
}

#endif /* FM_STEP_PLAN_H */
