/* GELU, SiLU and ReLU6, elementwise: the activations that sit after a Dense
 * layer in a hot path. GELU and SiLU backward take the layer's input x (their
 * derivative is not a function of the output); ReLU6's takes the output y. */
#ifndef FM_ACTIVATIONS_H
#define FM_ACTIVATIONS_H

#include "fm_common.h"

#define FM_SQRT1_2 0.70710678118654752440f     /* 1 / sqrt(2) */
#define FM_INV_SQRT_2PI 0.39894228040143267794f /* 1 / sqrt(2 pi) */

/* Exact GELU, x * Phi(x), with Phi(x) = erfc(-x / sqrt 2) / 2: erfc keeps full
 * relative precision in the left tail, where 1 + erf(x / sqrt 2) would cancel. */
FM_FN float fm_gelu(float x)
{
    return 0.5f * x * erfcf(-x * FM_SQRT1_2);
}

/* d gelu / dx = Phi(x) + x * phi(x). */
FM_FN float fm_gelu_grad(float x, float dy)
{
    float cdf = 0.5f * erfcf(-x * FM_SQRT1_2);
    float pdf = FM_INV_SQRT_2PI * expf(-0.5f * x * x);
    return dy * (cdf + x * pdf);
}

/* sigmoid(x) = 1 / (1 + exp(-x)): exp overflowing to inf for x < -88 gives 0,
 * the right limit, so no branch is needed. */
FM_FN float fm_sigmoid1(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

FM_FN float fm_silu(float x)
{
    return x * fm_sigmoid1(x);
}

/* d silu / dx = s * (1 + x * (1 - s)), s = sigmoid(x). */
FM_FN float fm_silu_grad(float x, float dy)
{
    float s = fm_sigmoid1(x);
    return dy * (s * (1.0f + x * (1.0f - s)));
}

/* min(max(x, 0), 6) with comparisons that let a NaN through, as np.clip does. */
FM_FN float fm_relu6(float x)
{
    return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x);
}

/* dy * (0 < y < 6) with the test as a float factor, as NumPy computes it. */
FM_FN float fm_relu6_grad(float y, float dy)
{
    return dy * (float)(y > 0.0f && y < 6.0f);
}

#ifndef __CUDACC__
FM_MAP_LOOP(fm_gelu_forward, fm_gelu)
FM_MAP2_LOOP(fm_gelu_backward, fm_gelu_grad)    /* from the input x */
FM_MAP_LOOP(fm_silu_forward, fm_silu)
FM_MAP2_LOOP(fm_silu_backward, fm_silu_grad)    /* from the input x */
FM_MAP_LOOP(fm_relu6_forward, fm_relu6)
FM_MAP2_LOOP(fm_relu6_backward, fm_relu6_grad)  /* from the output y */
#endif

#endif /* FM_ACTIVATIONS_H */
