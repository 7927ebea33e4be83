/* ReLU forward and backward, elementwise. */
#ifndef FM_RELU_H
#define FM_RELU_H

#include "fm_common.h"

/* max(x, 0) the way np.maximum computes it: a NaN propagates (NaN < 0 is
 * false), which fmaxf would turn into 0. */
FM_FN float fm_relu(float x)
{
    return x < 0.0f ? 0.0f : x;
}

/* dy * (y > 0) with the comparison as a float factor, as NumPy does, so that
 * a NaN or infinite dy behind a dead unit gives NaN there too. */
FM_FN float fm_relu_grad(float y, float dy)
{
    return dy * (float)(y > 0.0f);
}

#ifndef __CUDACC__
FM_VECTOR_LOOP static void
fm_relu_forward(const float *x, float *out, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        out[i] = fm_relu(x[i]);
}

FM_VECTOR_LOOP static void
fm_relu_backward(const float *y, const float *dy, float *out, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        out[i] = fm_relu_grad(y[i], dy[i]);
}
#endif

#endif /* FM_RELU_H */
