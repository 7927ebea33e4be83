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
FM_MAP_LOOP(fm_relu_forward, fm_relu)
FM_MAP2_LOOP(fm_relu_backward, fm_relu_grad)  /* from the output y */
#endif

#endif /* FM_RELU_H */
