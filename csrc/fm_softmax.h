/* Row-wise softmax, log-softmax, softmax backward and the fused softmax
 * cross-entropy (sparse integer labels and dense targets).
 *
 * Every row is shifted by its maximum before exponentiating, so logits of
 * +-1e4 give finite results; sums of exponentials and losses are accumulated
 * in double. Each function reads x[j] before it writes out[j] at the same j,
 * so out may be x (in place). */
#ifndef FM_SOFTMAX_H
#define FM_SOFTMAX_H

#include "fm_common.h"

/* The row maximum; a NaN wins, as in np.max (n >= 1). */
FM_FN float fm_row_max(const float *x, size_t n)
{
    float m = x[0];
    for (size_t j = 1; j < n; ++j)
        if (x[j] > m || x[j] != x[j])
            m = x[j];
    return m;
}

/* log(sum(exp(x - mx))), the normaliser of a row shifted by its maximum. */
FM_FN float fm_row_shifted_lse(const float *x, float mx, size_t n)
{
    double s = 0.0;
    for (size_t j = 0; j < n; ++j)
        s += expf(x[j] - mx);
    return logf((float)s);
}

FM_FN void fm_softmax_row(const float *x, float *out, size_t n)
{
    float mx = fm_row_max(x, n);
    double s = 0.0;
    for (size_t j = 0; j < n; ++j) {
        out[j] = expf(x[j] - mx);
        s += out[j];
    }
    float sf = (float)s;
    for (size_t j = 0; j < n; ++j)
        out[j] /= sf;
}

FM_FN void fm_log_softmax_row(const float *x, float *out, size_t n)
{
    float mx = fm_row_max(x, n);
    float lse = fm_row_shifted_lse(x, mx, n);
    for (size_t j = 0; j < n; ++j)
        out[j] = (x[j] - mx) - lse;
}

/* out = y * (dy - sum(dy * y)). */
FM_FN void fm_softmax_backward_row(const float *y, const float *dy, float *out, size_t n)
{
    double dot = 0.0;
    for (size_t j = 0; j < n; ++j)
        dot += dy[j] * y[j];
    float d = (float)dot;
    for (size_t j = 0; j < n; ++j)
        out[j] = (dy[j] - d) * y[j];
}

/* The loss -log_softmax(x)[label] of one row; when d is not NULL also
 * d = (exp(log_softmax(x)) - onehot(label)) * coef, coef being the row's
 * share of the reduced loss (its weight times the reduction's scale). The
 * caller has checked 0 <= label < n. */
FM_FN double fm_xent_sparse_row(const float *x, int32_t label, float *d, size_t n,
                                float coef)
{
    float mx = fm_row_max(x, n);
    float lse = fm_row_shifted_lse(x, mx, n);
    double loss = -(double)((x[label] - mx) - lse);
    if (d != NULL) {
        for (size_t j = 0; j < n; ++j) {
            float p = expf((x[j] - mx) - lse);
            if (j == (size_t)label)
                p -= 1.0f;
            d[j] = p * coef;
        }
    }
    return loss;
}

/* The loss -sum(t * log_softmax(x)) of one row; when d is not NULL also
 * d = (exp(log_softmax(x)) * sum(t) - t) * coef. */
FM_FN double fm_xent_dense_row(const float *x, const float *t, float *d, size_t n,
                               float coef)
{
    float mx = fm_row_max(x, n);
    float lse = fm_row_shifted_lse(x, mx, n);
    double loss = 0.0, tsum = 0.0;
    for (size_t j = 0; j < n; ++j) {
        loss -= (double)(t[j] * ((x[j] - mx) - lse));
        tsum += t[j];
    }
    if (d != NULL) {
        float ts = (float)tsum;
        for (size_t j = 0; j < n; ++j)
            d[j] = (expf((x[j] - mx) - lse) * ts - t[j]) * coef;
    }
    return loss;
}

/* Row i's coefficient in the reduced loss: scale * w[i] (w NULL: every
 * weight 1), rounded once to float as the reference does. */
FM_FN float fm_xent_coef(const float *w, size_t i, double scale)
{
    return (float)(w != NULL ? scale * (double)w[i] : scale);
}

#ifndef __CUDACC__
/* All take (rows, cols) arrays with cols >= 1. */
static inline void
fm_softmax(const float *x, float *out, size_t rows, size_t cols)
{
    for (size_t i = 0; i < rows; ++i)
        fm_softmax_row(x + i * cols, out + i * cols, cols);
}

static inline void
fm_log_softmax(const float *x, float *out, size_t rows, size_t cols)
{
    for (size_t i = 0; i < rows; ++i)
        fm_log_softmax_row(x + i * cols, out + i * cols, cols);
}

static inline void
fm_softmax_backward(const float *y, const float *dy, float *out, size_t rows,
                    size_t cols)
{
    for (size_t i = 0; i < rows; ++i)
        fm_softmax_backward_row(y + i * cols, dy + i * cols, out + i * cols, cols);
}

/* The reduced loss scale * sum_i w[i] * loss_i (w NULL: every weight 1) and,
 * when d is not NULL, its gradient: row i of d is scaled by scale * w[i].
 * The unweighted mean is scale = 1 / rows (NaN for zero rows, like the
 * reference). */
static inline double
fm_xent_sparse(const float *x, const int32_t *labels, const float *w, double scale,
               float *d, size_t rows, size_t cols)
{
    double total = 0.0;
    for (size_t i = 0; i < rows; ++i) {
        double loss = fm_xent_sparse_row(x + i * cols, labels[i], d ? d + i * cols : NULL,
                                         cols, fm_xent_coef(w, i, scale));
        total += w != NULL ? (double)w[i] * loss : loss;
    }
    return total * scale;
}

static inline double
fm_xent_dense(const float *x, const float *t, const float *w, double scale, float *d,
              size_t rows, size_t cols)
{
    double total = 0.0;
    for (size_t i = 0; i < rows; ++i) {
        double loss = fm_xent_dense_row(x + i * cols, t + i * cols, d ? d + i * cols : NULL,
                                        cols, fm_xent_coef(w, i, scale));
        total += w != NULL ? (double)w[i] * loss : loss;
    }
    return total * scale;
}
#endif

#endif /* FM_SOFTMAX_H */
