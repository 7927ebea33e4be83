/* Accuracy counts: rows whose argmax equals the label (or the argmax of the
 * target row). */
#ifndef FM_METRICS_H
#define FM_METRICS_H

#include "fm_common.h"

/* Index of the row maximum like np.argmax: the first maximum wins, and the
 * first NaN beats everything (n >= 1). */
FM_FN size_t fm_argmax_row(const float *x, size_t n)
{
    size_t best = 0;
    float m = x[0];
    if (m != m)
        return 0;
    for (size_t j = 1; j < n; ++j) {
        if (x[j] != x[j])
            return j;
        if (x[j] > m) {
            m = x[j];
            best = j;
        }
    }
    return best;
}

#ifndef __CUDACC__
/* scores (rows, cols), labels (rows,) checked to lie in [0, cols). */
static inline size_t
fm_count_correct_sparse(const float *scores, const int32_t *labels, size_t rows,
                        size_t cols)
{
    size_t hits = 0;
    for (size_t i = 0; i < rows; ++i)
        hits += fm_argmax_row(scores + i * cols, cols) == (size_t)labels[i];
    return hits;
}

static inline size_t
fm_count_correct_dense(const float *scores, const float *targets, size_t rows,
                       size_t cols)
{
    size_t hits = 0;
    for (size_t i = 0; i < rows; ++i)
        hits += fm_argmax_row(scores + i * cols, cols) ==
                fm_argmax_row(targets + i * cols, cols);
    return hits;
}
#endif

#endif /* FM_METRICS_H */
