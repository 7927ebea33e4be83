/* Accuracy counts (rows whose argmax equals the label, or the argmax of the
 * target row) and the weighted confusion counts per threshold behind
 * TruePositives ... AUC. */
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

/* Number of thresholds strictly below p (thresholds sorted ascending): p is a
 * positive at exactly the first that many thresholds. A NaN compares false,
 * so it is a negative everywhere, as in Keras's `y_pred > threshold`. */
FM_FN size_t fm_thresholds_below(const float *thresholds, size_t count, float p)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (thresholds[mid] < p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Group g's counts from its histogram: the weights of positives (pos) and
 * negatives (neg) per bucket, (count + 1) buckets strided by groups. A
 * threshold's predicted positives are the buckets above it, summed from the
 * top; its tp, fp, tn, fn are added to out (4, count, groups). Shared by the
 * CPU kernel and the CUDA one (one thread per group). */
FM_FN void fm_confusion_from_buckets(const double *pos, const double *neg, size_t count,
                                     size_t groups, size_t g, double *out)
{
    double *tp = out, *fp = out + count * groups;
    double *tn = out + 2 * count * groups, *fn = out + 3 * count * groups;
    double all_pos = 0.0, all_neg = 0.0;
    for (size_t b = 0; b <= count; ++b) {
        all_pos += pos[b * groups + g];
        all_neg += neg[b * groups + g];
    }
    double pos_above = 0.0, neg_above = 0.0;
    for (size_t t = count; t-- > 0;) {
        pos_above += pos[(t + 1) * groups + g];
        neg_above += neg[(t + 1) * groups + g];
        tp[t * groups + g] += pos_above;
        fp[t * groups + g] += neg_above;
        tn[t * groups + g] += all_neg - neg_above;
        fn[t * groups + g] += all_pos - pos_above;
    }
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

/* Weighted confusion counts per threshold, added to `out`.
 *
 * preds, labels: (rows, cols); a nonzero label is a positive. row_weights
 * (rows,) and col_weights (cols,) may be NULL (weight 1); an element weighs
 * row_weights[i] * col_weights[j]. thresholds: (count,) sorted ascending.
 * With per_column the counts are kept per column (groups = cols), else all
 * elements are pooled (groups = 1). out: (4, count, groups) doubles, the
 * tp, fp, tn, fn planes, added to. hist: scratch of 2 * (count + 1) * groups
 * doubles.
 *
 * One pass buckets each prediction by binary search (O(log count)); a suffix
 * sum over the buckets then gives every threshold's counts (O(count)). */
static inline void
fm_confusion_counts(const float *preds, const float *labels, const float *row_weights,
                    const float *col_weights, size_t rows, size_t cols,
                    const float *thresholds, size_t count, int per_column,
                    double *out, double *hist)
{
    size_t groups = per_column ? cols : 1;
    size_t buckets = count + 1;
    double *pos = hist, *neg = hist + buckets * groups;
    for (size_t k = 0; k < 2 * buckets * groups; ++k)
        hist[k] = 0.0;
    for (size_t i = 0; i < rows; ++i) {
        double wi = row_weights ? (double)row_weights[i] : 1.0;
        const float *p = preds + i * cols;
        const float *t = labels + i * cols;
        for (size_t j = 0; j < cols; ++j) {
            double w = col_weights ? wi * (double)col_weights[j] : wi;
            size_t b = fm_thresholds_below(thresholds, count, p[j]);
            size_t g = per_column ? j : 0;
            if (t[j] != 0.0f)
                pos[b * groups + g] += w;
            else
                neg[b * groups + g] += w;
        }
    }
    for (size_t g = 0; g < groups; ++g)
        fm_confusion_from_buckets(pos, neg, count, groups, g, out);
}
#endif

#endif /* FM_METRICS_H */
