/* The elementwise parts of a dense layer around its GEMMs (which NumPy's BLAS
 * does): the forward epilogue y = act(y + b) and the backward prologue
 * dy *= relu'(y), db = sum of dy over rows, each in one pass. */
#ifndef FM_DENSE_H
#define FM_DENSE_H

#include "fm_common.h"
#include "fm_relu.h"

/* One row of y = act(y + b) in place; b may be NULL (no bias). */
FM_FN void fm_bias_act_row(float *y, const float *b, size_t n, int relu)
{
    if (b != NULL && relu) {
        for (size_t j = 0; j < n; ++j)
            y[j] = fm_relu(y[j] + b[j]);
    } else if (b != NULL) {
        for (size_t j = 0; j < n; ++j)
            y[j] += b[j];
    } else if (relu) {
        for (size_t j = 0; j < n; ++j)
            y[j] = fm_relu(y[j]);
    }
}

/* One row of the backward prologue: dy *= relu'(y) in place when relu, then
 * db += dy when db is not NULL. Rows are added one after another in float32,
 * the order NumPy's sum(axis=0) uses for two or more columns, so db matches
 * the reference exactly. */
FM_FN void fm_dense_grad_row(float *dy, const float *y, float *db, size_t n, int relu)
{
    if (relu && db != NULL) {
        for (size_t j = 0; j < n; ++j) {
            dy[j] = fm_relu_grad(y[j], dy[j]);
            db[j] += dy[j];
        }
    } else if (relu) {
        for (size_t j = 0; j < n; ++j)
            dy[j] = fm_relu_grad(y[j], dy[j]);
    } else if (db != NULL) {
        for (size_t j = 0; j < n; ++j)
            db[j] += dy[j];
    }
}

#ifndef __CUDACC__
/* The sum of a[0..n), associated exactly as NumPy's pairwise summation of a
 * contiguous float32 vector (8 accumulators over blocks of up to 128, halves
 * above that), so that a one-unit layer's db matches dy.sum(axis=0). */
static inline float
fm_pairwise_sum(const float *a, size_t n)
{
    if (n < 8) {
        float res = 0.0f;
        for (size_t i = 0; i < n; ++i)
            res += a[i];
        return res;
    }
    if (n <= 128) {
        float r[8];
        size_t i;
        for (size_t j = 0; j < 8; ++j)
            r[j] = a[j];
        for (i = 8; i < n - (n % 8); i += 8)
            for (size_t j = 0; j < 8; ++j)
                r[j] += a[i + j];
        float res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; ++i)
            res += a[i];
        return res;
    }
    size_t half = n / 2;
    half -= half % 8;
    return fm_pairwise_sum(a, half) + fm_pairwise_sum(a + half, n - half);
}

/* y (rows, cols) = act(y + b); b (cols,) or NULL. */
FM_VECTOR_LOOP static void
fm_bias_act(float *y, const float *b, size_t rows, size_t cols, int relu)
{
    for (size_t i = 0; i < rows; ++i)
        fm_bias_act_row(y + i * cols, b, cols, relu);
}

/* dy (rows, cols) *= relu'(y) when relu; db (cols,) = column sums of the
 * result unless NULL. y is only read when relu. */
FM_VECTOR_LOOP static void
fm_dense_grad(float *dy, const float *y, float *db, size_t rows, size_t cols,
              int relu)
{
    /* A single column is contiguous: NumPy sums it pairwise, not row by row. */
    float *row_db = cols == 1 ? NULL : db;
    if (row_db != NULL)
        for (size_t j = 0; j < cols; ++j)
            row_db[j] = 0.0f;
    for (size_t i = 0; i < rows; ++i)
        fm_dense_grad_row(dy + i * cols, relu ? y + i * cols : NULL, row_db, cols, relu);
    if (db != NULL && cols == 1)
        db[0] = 0.0f + fm_pairwise_sum(dy, rows);
}
#endif

#endif /* FM_DENSE_H */
