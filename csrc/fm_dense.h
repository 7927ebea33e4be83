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
 * the order NumPy's sum(axis=0) uses, so db matches the reference exactly. */
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
/* y (rows, cols) = act(y + b); b (cols,) or NULL. */
static inline void
fm_bias_act(float *y, const float *b, size_t rows, size_t cols, int relu)
{
    for (size_t i = 0; i < rows; ++i)
        fm_bias_act_row(y + i * cols, b, cols, relu);
}

/* dy (rows, cols) *= relu'(y) when relu; db (cols,) = column sums of the
 * result unless NULL. y is only read when relu. */
static inline void
fm_dense_grad(float *dy, const float *y, float *db, size_t rows, size_t cols,
              int relu)
{
    if (db != NULL)
        for (size_t j = 0; j < cols; ++j)
            db[j] = 0.0f;
    for (size_t i = 0; i < rows; ++i)
        fm_dense_grad_row(dy + i * cols, relu ? y + i * cols : NULL, db, cols, relu);
}
#endif

#endif /* FM_DENSE_H */
