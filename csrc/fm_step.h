/* The compiled training step: many steps of a chain of Dense layers (ReLU or
 * linear, Dropout after any of them, a softmax output fused into the
 * cross-entropy) in one call without the GIL: gather the batch, forward,
 * loss and its gradient, backward, optimizer update and accuracy counts.
 *
 * Threads split each wide layer by output units: thread t computes the
 * columns [c0[t], c0[t+1]) of the layer's output and of its kernel's gradient,
 * and updates those columns of the kernel and its optimizer slots. For a
 * training call each thread copies its columns of the kernel, the bias and
 * their optimizer slots out of the model's (Keras-shaped) buffers into one
 * contiguous block of its own, trains on that block, and copies it back at
 * the end of the call: no cache line of weights, gradients or slots is
 * shared between cores during the steps (not even through the hardware
 * prefetchers, which fetch the neighbouring lines of strided column blocks).
 * The input gradient of a split layer is a sum over the blocks: each thread
 * writes its partial product, and the partials are added in thread order (a
 * fixed order, so runs repeat bit for bit). A narrow layer after a split one
 * is split by input units instead (fm_step_forward_k); other narrow layers
 * run on thread 0; the loss rows are shared out. Inference over many batches
 * gives each thread whole batches (fm_step_infer_batches).
 *
 * Each piece is the same C the step-by-step path runs (fm_dense.h,
 * fm_philox.h, fm_softmax.h, fm_optim.h) and the same BLAS GEMM NumPy calls,
 * so with one thread the results equal the step-by-step path bit for bit; a
 * split adds the input gradient's partials in another order (see the tests
 * for the tolerance).
 */
#ifndef FM_STEP_H
#define FM_STEP_H

#include <string.h>

#include "fm_dense.h"
#include "fm_metrics.h"
#include "fm_optim.h"
#include "fm_philox.h"
#include "fm_softmax.h"
#include "fm_step_plan.h"

/* ---------------------------------------------------------- the pieces */

/* Rows the gather asks the memory system for ahead of the one it copies:
 * shuffled rows are scattered over the data set, and waiting for each in
 * turn leaves the memory system mostly idle. */
#define FM_GATHER_AHEAD 8

/* A read hint with no temporal locality; a no-op where the compiler has no
 * __builtin_prefetch (MSVC). */
#if defined(__GNUC__)
#define FM_PREFETCH(p) __builtin_prefetch((p), 0, 0)
#else
#define FM_PREFETCH(p) ((void)(p))
#endif

static inline const char *fm_step_row(const fm_step_run *r, int64_t start, int64_t i, size_t *bytes)
{
    int64_t src = r->order ? r->order[start + i] : start + i;
    size_t item = r->x_kind == FM_X_UINT8 ? 1 : (r->x_kind == FM_X_FLOAT64 ? 8 : 4);
    *bytes = (size_t)r->plan->features * item;
    return (const char *)r->x_src + (size_t)src * *bytes;
}

/* The batch's rows [0, rows) gathered into x, cast and rescaled as the
 * step-by-step path does (uint8 -> float32, then * scale, + offset). */
static void fm_step_gather(const fm_step_run *r, float *x, int64_t start, int64_t rows)
{
    const fm_step_plan *P = r->plan;
    int64_t f = P->features;
    size_t bytes;
    for (int64_t i = 0; i < rows && i < FM_GATHER_AHEAD; ++i) {
        const char *row = fm_step_row(r, start, i, &bytes);
        for (size_t b = 0; b < bytes; b += 64)
            FM_PREFETCH(row + b);
    }
    for (int64_t i = 0; i < rows; ++i) {
        if (i + FM_GATHER_AHEAD < rows) {
            const char *ahead = fm_step_row(r, start, i + FM_GATHER_AHEAD, &bytes);
            for (size_t b = 0; b < bytes; b += 64)
                FM_PREFETCH(ahead + b);
        }
        const char *row = fm_step_row(r, start, i, &bytes);
        float *dst = x + i * f;
        if (r->x_kind == FM_X_UINT8) {
            const uint8_t *s = (const uint8_t *)row;
            for (int64_t j = 0; j < f; ++j)
                dst[j] = (float)s[j];
        } else if (r->x_kind == FM_X_FLOAT64) {
            const double *s = (const double *)row;
            for (int64_t j = 0; j < f; ++j)
                dst[j] = (float)s[j];
        } else {
            memcpy(dst, row, bytes);
        }
        if (r->rescale_on)
            for (int64_t j = 0; j < f; ++j)
                dst[j] = dst[j] * r->rescale;
        if (r->offset_on)
            for (int64_t j = 0; j < f; ++j)
                dst[j] = dst[j] + r->offset;
    }
}

/* One optimizer update of n parameters (a contiguous run). */
FM_VECTOR_LOOP static void
fm_step_update_run(const fm_step_optimizer *o, float coef, float wd_lr, float *p, const float *g,
                   float *s1, float *s2, size_t n)
{
    switch (o->kind) {
    case FM_OPT_SGD:
        if (o->momentum == 0.0f) {
            for (size_t i = 0; i < n; ++i)
                fm_sgd_elem(p, g, NULL, i, coef, 0.0f, 0);
        } else if (o->nesterov) {
            for (size_t i = 0; i < n; ++i)
                fm_sgd_elem(p, g, s1, i, coef, o->momentum, 1);
        } else {
            for (size_t i = 0; i < n; ++i)
                fm_sgd_elem(p, g, s1, i, coef, o->momentum, 0);
        }
        break;
    case FM_OPT_ADAM:
        if (wd_lr != 0.0f) {
            for (size_t i = 0; i < n; ++i)
                fm_adam_elem(p, g, s1, s2, i, coef, o->c1, o->c2, o->eps, wd_lr);
        } else {
            for (size_t i = 0; i < n; ++i)
                fm_adam_elem(p, g, s1, s2, i, coef, o->c1, o->c2, o->eps, 0.0f);
        }
        break;
    default:
        if (o->momentum != 0.0f) {
            for (size_t i = 0; i < n; ++i)
                fm_rmsprop_elem(p, g, s1, s2, i, coef, o->rho, o->one_minus_rho, o->momentum,
                                o->eps);
        } else {
            for (size_t i = 0; i < n; ++i)
                fm_rmsprop_elem(p, g, s1, NULL, i, coef, o->rho, o->one_minus_rho, 0.0f, o->eps);
        }
        break;
    }
}

/* Update the parameters of view v (width columns). */
static void fm_step_update_block(const fm_step_plan *P, const fm_step_layer *L,
                                 const fm_step_params *v, float coef, float wd_lr, int64_t width)
{
    unsigned int csr = fm_ftz_begin();
    const fm_step_optimizer *o = &P->opt;
    if (v->ldw == width) {
        fm_step_update_run(o, coef, wd_lr, v->W, v->dW, v->s1W, v->s2W, (size_t)(L->in * width));
    } else {
        for (int64_t r = 0; r < L->in; ++r) {
            size_t off = (size_t)(r * v->ldw);
            fm_step_update_run(o, coef, wd_lr, v->W + off, v->dW + off, fm_offset(v->s1W, off),
                               fm_offset(v->s2W, off), (size_t)width);
        }
    }
    if (v->b != NULL)
        fm_step_update_run(o, coef, wd_lr, v->b, v->db, v->s1b, v->s2b, (size_t)width);
    fm_ftz_end(csr);
}

/* The input of layer l (rows, ld) in this step; x0 is the batch. */
static inline const float *fm_step_input(const fm_step_plan *P, int l, int training,
                                         const float *x0, int64_t *ld)
{
    if (l == 0) {
        *ld = P->features;
        return x0;
    }
    const fm_step_layer *prev = &P->layers[l - 1];
    *ld = prev->ld;
    return training && prev->dropout ? prev->d : prev->y;
}

/* Forward of layer l on thread tid's columns. */
static void fm_step_forward(fm_step_plan *P, int l, int64_t rows, int training, int tid,
                            const float *x0)
{
    fm_step_layer *L = &P->layers[l];
    if (tid >= L->nthreads)
        return;
    int64_t c0 = L->c0[tid], c1 = L->c0[tid + 1], cw = c1 - c0;
    if (cw <= 0)
        return;
    int64_t ld_in;
    const float *x = fm_step_input(P, l, training, x0, &ld_in);
    fm_step_params v = fm_step_view(L, tid, training);
    fm_gemm(&P->blas, 0, 0, rows, cw, L->in, x, ld_in, v.W, v.ldw, L->y + c0, L->ld);
    int relu = L->act == FM_ACT_RELU;
    if (v.b != NULL || relu)
        for (int64_t i = 0; i < rows; ++i)
            fm_bias_act_row(L->y + i * L->ld + c0, v.b, (size_t)cw, relu);
    if (training && L->dropout) {
        fm_philox_stream s;
        s.key[0] = (uint32_t)L->drop_seed;
        s.key[1] = (uint32_t)(L->drop_seed >> 32);
        s.step[0] = (uint32_t)L->drop_step;
        s.step[1] = (uint32_t)(L->drop_step >> 32);
        for (int64_t i = 0; i < rows; ++i)
            fm_dropout_range(s, L->drop_threshold, L->drop_scale, L->y + i * L->ld + c0,
                             L->mask + i * L->ld + c0, L->d + i * L->ld + c0,
                             (uint64_t)(i * L->out + c0), (size_t)cw);
    }
}

/* The gradient of layer L's pre-activation output on columns [c0, c0 + cw),
 * in place in L->g: the Dropout's backward, then the ReLU derivative, with
 * the bias gradient db (NULL: not needed). */
static void fm_step_output_grad(fm_step_layer *L, int64_t rows, int64_t c0, int64_t cw, float *db)
{
    int relu = L->act == FM_ACT_RELU;
    float *g = L->g + c0;
    if (L->dropout)
        for (int64_t i = 0; i < rows; ++i)
            fm_dropout_apply(g + i * L->ld, L->mask + i * L->ld + c0, L->drop_scale,
                             g + i * L->ld, (size_t)cw);
    if (!relu && db == NULL)
        return;
    if (cw == L->out && L->ld == L->out) {
        fm_dense_grad(L->g, L->y, db, (size_t)rows, (size_t)L->out, relu);
    } else {
        if (db != NULL)
            memset(db, 0, (size_t)cw * sizeof(float));
        for (int64_t i = 0; i < rows; ++i)
            fm_dense_grad_row(g + i * L->ld, relu ? L->y + i * L->ld + c0 : NULL, db, (size_t)cw, relu);
    }
}

/* ---- layers split by input units (K-split): narrow layers after a split one.
 * Thread t owns the rows [c0[t], c0[t+1]) of the kernel -- the units of the
 * previous layer it computes -- a contiguous block of the model's buffer, so
 * no private copy is needed. The bias and the sums across threads belong to
 * thread 0. */

static inline float *fm_step_partial(fm_step_plan *P, int l, int tid)
{
    return P->partials[l % 2] + (size_t)tid * (size_t)(P->max_rows * P->max_in);
}

/* Thread tid's partial output: its input columns times its kernel rows. */
static void fm_step_forward_k(fm_step_plan *P, int l, int64_t rows, int training, int tid,
                              const float *x0)
{
    fm_step_layer *L = &P->layers[l];
    int64_t k0 = L->c0[tid], kw = L->c0[tid + 1] - k0, ld_in;
    const float *x = fm_step_input(P, l, training, x0, &ld_in);
    float *part = fm_step_partial(P, l, tid);
    if (kw > 0)
        fm_gemm(&P->blas, 0, 0, rows, L->out, kw, x + k0, ld_in, L->W + k0 * L->out, L->out, part, L->out);
    else
        memset(part, 0, (size_t)(rows * L->out) * sizeof(float));
}

/* Thread 0: the output as the partials' sum in thread order, bias,
 * activation and dropout. */
static void fm_step_finish_k(fm_step_plan *P, int l, int64_t rows, int training)
{
    fm_step_layer *L = &P->layers[l];
    int relu = L->act == FM_ACT_RELU;
    for (int64_t i = 0; i < rows; ++i) {
        float *y = L->y + i * L->ld;
        const float *p0 = fm_step_partial(P, l, 0) + i * L->out;
        for (int64_t j = 0; j < L->out; ++j)
            y[j] = p0[j];
        for (int t = 1; t < L->nthreads; ++t) {
            const float *pt = fm_step_partial(P, l, t) + i * L->out;
            for (int64_t j = 0; j < L->out; ++j)
                y[j] += pt[j];
        }
        if (L->b != NULL || relu)
            fm_bias_act_row(y, L->b, (size_t)L->out, relu);
    }
    if (training && L->dropout) {
        fm_philox_stream s;
        s.key[0] = (uint32_t)L->drop_seed;
        s.key[1] = (uint32_t)(L->drop_seed >> 32);
        s.step[0] = (uint32_t)L->drop_step;
        s.step[1] = (uint32_t)(L->drop_step >> 32);
        fm_dropout_range(s, L->drop_threshold, L->drop_scale, L->y, L->mask, L->d, 0,
                         (size_t)(rows * L->out));
    }
}

/* Thread tid's rows of the kernel gradient, its columns of the input
 * gradient (the columns it owns in the previous layer: no sum needed), and
 * the update of its kernel rows (and, on thread 0, of the bias). L->g must
 * already hold the pre-activation gradient (fm_step_output_grad). */
static void fm_step_backward_k(fm_step_plan *P, int l, int64_t rows, int tid, float coef,
                               float wd_lr, const float *x0)
{
    fm_step_layer *L = &P->layers[l];
    int64_t k0 = L->c0[tid], kw = L->c0[tid + 1] - k0, ld_in, out = L->out;
    if (kw <= 0)
        return;
    const float *x = fm_step_input(P, l, 1, x0, &ld_in);
    if (L->trainable)
        fm_gemm(&P->blas, 1, 0, kw, out, rows, x + k0, ld_in, L->g, out, L->dW + k0 * out, out);
    fm_step_layer *prev = &P->layers[l - 1];
    fm_gemm(&P->blas, 0, 1, rows, kw, out, L->g, out, L->W + k0 * out, out, prev->g + k0, prev->ld);
    if (!L->trainable)
        return;
    unsigned int csr = fm_ftz_begin();
    size_t off = (size_t)(k0 * out);
    fm_step_update_run(&P->opt, coef, wd_lr, L->W + off, L->dW + off, fm_offset(L->slot1_W, off),
                       fm_offset(L->slot2_W, off), (size_t)(kw * out));
    if (tid == 0 && L->b != NULL)
        fm_step_update_run(&P->opt, coef, wd_lr, L->b, L->db, L->slot1_b, L->slot2_b, (size_t)out);
    fm_ftz_end(csr);
}

/* The backward of layer l on thread tid's columns: the gradient of its
 * output (after the dropout backward and the ReLU derivative), the bias and
 * kernel gradients, the partial input gradient, then the update. */
static void fm_step_backward(fm_step_plan *P, int l, int64_t rows, int tid, float coef, float wd_lr,
                             const float *x0)
{
    fm_step_layer *L = &P->layers[l];
    if (tid >= L->nthreads)
        return;
    int64_t c0 = L->c0[tid], c1 = L->c0[tid + 1], cw = c1 - c0;
    if (cw <= 0)
        return;
    float *g = L->g + c0;
    fm_step_params v = fm_step_view(L, tid, 1);
    fm_step_output_grad(L, rows, c0, cw, L->trainable ? v.db : NULL);
    int64_t ld_in;
    const float *x = fm_step_input(P, l, 1, x0, &ld_in);
    if (L->trainable)
        fm_gemm(&P->blas, 1, 0, L->in, cw, rows, x, ld_in, g, L->ld, v.dW, v.ldw);
    if (L->need_dx) {
        fm_step_layer *prev = &P->layers[l - 1];
        if (L->nthreads == 1)
            fm_gemm(&P->blas, 0, 1, rows, L->in, cw, g, L->ld, v.W, v.ldw, prev->g, prev->ld);
        else
            fm_gemm(&P->blas, 0, 1, rows, L->in, cw, g, L->ld, v.W, v.ldw,
                    P->partials[l % 2] + (size_t)tid * (size_t)(P->max_rows * P->max_in),
                    P->max_in);
    }
    if (L->trainable)
        fm_step_update_block(P, L, &v, coef, wd_lr, cw);
}

/* dx of a split layer l: the partials added in thread order, on thread
 * tid's columns of the previous layer (its own split when it has one). */
static void fm_step_reduce_dx(fm_step_plan *P, int l, int64_t rows, int tid, int nthreads)
{
    fm_step_layer *L = &P->layers[l], *prev = &P->layers[l - 1];
    int64_t c0, c1;
    if (prev->nthreads == nthreads) {
        c0 = prev->c0[tid];
        c1 = prev->c0[tid + 1];
    } else {
        c0 = L->in * tid / nthreads;
        c1 = L->in * (tid + 1) / nthreads;
    }
    size_t stride = (size_t)(P->max_rows * P->max_in);
    for (int64_t i = 0; i < rows; ++i) {
        float *dst = prev->g + i * prev->ld;
        const float *p0 = P->partials[l % 2] + i * P->max_in;
        for (int64_t j = c0; j < c1; ++j)
            dst[j] = p0[j];
        for (int t = 1; t < L->nthreads; ++t) {
            const float *pt = P->partials[l % 2] + t * stride + i * P->max_in;
            for (int64_t j = c0; j < c1; ++j)
                dst[j] += pt[j];
        }
    }
}

/* The loss of the batch rows [r0, r1) from the last layer's logits, their
 * gradient into the last layer's g, and their accuracy counts, into
 * `part`: the step-by-step path's fused kernel, whose value is scale * sum_i
 * w_i * loss_i. */
static void fm_step_loss_rows(fm_step_run *r, int64_t start, int64_t rows, int64_t r0, int64_t r1,
                              fm_step_loss_part *part)
{
    fm_step_plan *P = r->plan;
    fm_step_layer *L = &P->layers[P->nlayers - 1];
    int64_t C = L->out, ld = L->ld;
    double scale = r->loss_scale != 0.0 ? r->loss_scale : 1.0 / (double)rows;
    double total = 0.0;
    size_t hits = 0;
    for (int64_t i = r0; i < r1; ++i) {
        int64_t src = r->order ? r->order[start + i] : start + i;
        const float *x = L->y + i * ld;
        float *d = L->g + i * ld;
        float w = r->weights ? r->weights[src] : 1.0f;
        float coef = (float)(r->weights ? scale * (double)w : scale);
        double loss;
        int64_t label;
        if (r->target_kind == FM_TARGET_SPARSE) {
            label = r->labels[src];
            loss = fm_xent_sparse_row(x, (int32_t)label, d, (size_t)C, coef);
        } else {
            const float *t = r->targets + src * C;
            loss = fm_xent_dense_row(x, t, d, (size_t)C, coef);
            label = r->count_accuracy ? (int64_t)fm_argmax_row(t, (size_t)C) : 0;
        }
        total += r->weights ? (double)w * loss : loss;
        if (r->count_accuracy)
            hits += (int64_t)fm_argmax_row(x, (size_t)C) == label;
    }
    part->total = total;
    part->hits = hits;
}

/* Thread 0, once every thread's rows are done: the batch's loss (the
 * threads' sums added in thread order) into the running totals. */
static void fm_step_loss_total(fm_step_run *r, int64_t rows, int nthreads)
{
    double scale = r->loss_scale != 0.0 ? r->loss_scale : 1.0 / (double)rows;
    double total = r->plan->loss_parts[0].total;
    size_t hits = r->plan->loss_parts[0].hits;
    for (int t = 1; t < nthreads; ++t) {
        total += r->plan->loss_parts[t].total;
        hits += r->plan->loss_parts[t].hits;
    }
    double batch_loss = total * scale;
    r->loss_total += batch_loss * (double)rows;
    if (r->count_accuracy) {
        r->correct += (double)hits;
        r->seen += (double)rows;
    }
}

/* ------------------------------------------------------------ the task */

/* Inference with whole batches shared out: thread t runs batches t, t + n,
 * ... through every layer on buffers of its own (the weights are only read,
 * so sharing them costs nothing). Each batch computes exactly what one
 * thread would: no barriers, no partial sums. */
static void fm_step_infer_batches(fm_step_run *r, int tid, int nthreads)
{
    fm_step_plan *P = r->plan;
    int direct = r->x_kind == FM_X_FLOAT32 && !r->rescale_on && !r->offset_on;
    for (int64_t s = tid; s < r->steps; s += nthreads) {
        int64_t start = r->first_row + s * r->batch_size;
        int64_t rows = r->n_samples - start < r->batch_size ? r->n_samples - start : r->batch_size;
        const float *in = P->x[tid];
        int64_t ld_in = P->features;
        if (direct)
            in = (const float *)r->x_src + start * P->features;
        else
            fm_step_gather(r, P->x[tid], start, rows);
        fm_step_layer *L = NULL;
        float *y = NULL;
        for (int l = 0; l < P->nlayers; ++l) {
            L = &P->layers[l];
            y = L->y + (size_t)tid * (size_t)(P->max_rows * L->ld);
            fm_gemm(&P->blas, 0, 0, rows, L->out, L->in, in, ld_in, L->W, L->out, y, L->ld);
            if (L->b != NULL || L->act == FM_ACT_RELU)
                for (int64_t i = 0; i < rows; ++i)
                    fm_bias_act_row(y + i * L->ld, L->b, (size_t)L->out, L->act == FM_ACT_RELU);
            in = y;
            ld_in = L->ld;
        }
        float *dst = r->out + (start - r->first_row) * L->out;
        for (int64_t i = 0; i < rows; ++i) {
            if (L->act == FM_ACT_SOFTMAX)
                fm_softmax(y + i * L->ld, dst + i * L->out, 1, (size_t)L->out);
            else
                memcpy(dst + i * L->out, y + i * L->ld, (size_t)L->out * sizeof(float));
        }
    }
}

static void fm_step_task(void *arg, int tid, int nthreads)
{
    fm_step_run *r = (fm_step_run *)arg;
    fm_step_plan *P = r->plan;
    if (P->batch_parallel && !r->training) {
        fm_step_infer_batches(r, tid, nthreads);
        return;
    }
    fm_pool *pool = r->pool;
    int sense = fm_pool_sense(pool);
    int last = P->nlayers - 1;
    int direct = r->x_kind == FM_X_FLOAT32 && r->order == NULL && !r->rescale_on && !r->offset_on;
    if (r->training)
        fm_step_sync(P, tid, 0);
    for (int64_t s = 0; s < r->steps; ++s) {
        int64_t start = r->first_row + s * r->batch_size;
        int64_t rows = r->n_samples - start < r->batch_size ? r->n_samples - start : r->batch_size;
        /* Rows read in place when they need no gather, cast or rescaling;
         * else each thread of the first layer gathers the whole batch into
         * its own buffer (copying rows is cheaper than reading the rows
         * another core just wrote). */
        const float *x0 = P->x[tid];
        if (direct)
            x0 = (const float *)r->x_src + start * P->features;
        else if (tid < P->layers[0].nthreads)
            fm_step_gather(r, P->x[tid], start, rows);
        for (int l = 0; l <= last; ++l) {
            if (P->layers[l].ksplit) {
                fm_step_forward_k(P, l, rows, r->training, tid, x0);
                fm_pool_barrier(pool, &sense);
                if (tid == 0)
                    fm_step_finish_k(P, l, rows, r->training);
            } else {
                fm_step_forward(P, l, rows, r->training, tid, x0);
            }
            fm_pool_barrier(pool, &sense);
        }
        if (!r->training) {
            /* inference: the output rows, softmax applied when the model has one */
            if (tid == 0) {
                fm_step_layer *L = &P->layers[last];
                for (int64_t i = 0; i < rows; ++i) {
                    float *dst = r->out + (start + i - r->first_row) * L->out;
                    if (L->act == FM_ACT_SOFTMAX)
                        fm_softmax(L->y + i * L->ld, dst, 1, (size_t)L->out);
                    else
                        memcpy(dst, L->y + i * L->ld, (size_t)L->out * sizeof(float));
                }
            }
            fm_pool_barrier(pool, &sense);
            continue;
        }
        /* the loss rows shared out; one thread when the split would
         * leave a thread less than a few rows */
        int loss_threads = rows >= 16 * nthreads ? nthreads : 1;
        if (tid < loss_threads)
            fm_step_loss_rows(r, start, rows, rows * tid / loss_threads, rows * (tid + 1) / loss_threads,
                              &P->loss_parts[tid]);
        fm_pool_barrier(pool, &sense);
        if (tid == 0)
            fm_step_loss_total(r, rows, loss_threads);
        float coef = r->coef[s], wd_lr = r->wd_lr ? r->wd_lr[s] : 0.0f;
        for (int l = last; l >= 0; --l) {
            fm_step_layer *L = &P->layers[l];
            if (L->ksplit) {
                /* thread 0 forms the whole output gradient; then each
                 * thread writes its own columns of the previous layer's */
                if (tid == 0)
                    fm_step_output_grad(L, rows, 0, L->out, L->trainable ? L->db : NULL);
                fm_pool_barrier(pool, &sense);
                fm_step_backward_k(P, l, rows, tid, coef, wd_lr, x0);
                continue;
            }
            fm_step_backward(P, l, rows, tid, coef, wd_lr, x0);
            if (l == 0)
                break;
            /* Layer l - 1 reads its output gradient on its own columns:
             * wait unless the thread that wrote those columns is this one. */
            int prev_threads = P->layers[l - 1].nthreads, wait;
            if (L->nthreads > 1) {
                fm_pool_barrier(pool, &sense); /* all partials written */
                fm_step_reduce_dx(P, l, rows, tid, nthreads);
                wait = prev_threads != nthreads;
            } else {
                wait = prev_threads > 1;
            }
            if (wait)
                fm_pool_barrier(pool, &sense);
        }
        if (tid == 0)
            for (int l = 0; l <= last; ++l)
                if (P->layers[l].dropout)
                    P->layers[l].drop_step += 1;
        fm_pool_barrier(pool, &sense);
    }
    if (r->training)
        fm_step_sync(P, tid, 1);
}

#endif /* FM_STEP_H */
