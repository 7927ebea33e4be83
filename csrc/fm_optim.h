/* Optimizer steps over a flat float32 buffer, one pass each, with the float32
 * operation order of NumpyOps (Keras 3 formulas), so results match the
 * reference bit for bit. Scalars (learning rate, bias-corrected step size, ...)
 * are computed once by the caller. Each *_elem updates element i. */
#ifndef FM_OPTIM_H
#define FM_OPTIM_H

#include "fm_common.h"

/* SGD: p -= lr*g; with momentum v = v*mu - lr*g and p += v, or with Nesterov
 * p += mu*v - lr*g. v is unused when mu == 0. */
FM_FN void fm_sgd_elem(float *p, const float *g, float *v, size_t i, float lr, float mu,
                       int nesterov)
{
    float step = lr * g[i];
    if (mu == 0.0f) {
        p[i] -= step;
        return;
    }
    v[i] = v[i] * mu - step;
    p[i] += nesterov ? mu * v[i] - step : v[i];
}

/* Adam / AdamW: wd_lr = weight_decay * lr (0 for Adam), c1 = 1 - beta_1,
 * c2 = 1 - beta_2, alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t). */
FM_FN void fm_adam_elem(float *p, const float *g, float *m, float *v, size_t i, float alpha,
                        float c1, float c2, float eps, float wd_lr)
{
    if (wd_lr != 0.0f)
        p[i] -= p[i] * wd_lr;
    m[i] += (g[i] - m[i]) * c1;
    v[i] += (g[i] * g[i] - v[i]) * c2;
    p[i] -= alpha * m[i] / (sqrtf(v[i]) + eps);
}

/* RMSprop: v = v*rho + (1-rho)*g*g, inc = lr*g / sqrt(v + eps); with momentum
 * mb = mb*mu + inc and p -= mb, else p -= inc. c = 1 - rho. */
FM_FN void fm_rmsprop_elem(float *p, const float *g, float *v, float *mb, size_t i, float lr,
                           float rho, float c, float mu, float eps)
{
    v[i] = v[i] * rho + c * g[i] * g[i];
    float inc = lr * g[i] / sqrtf(v[i] + eps);
    if (mu != 0.0f) {
        mb[i] = mb[i] * mu + inc;
        p[i] -= mb[i];
    } else {
        p[i] -= inc;
    }
}

#ifndef __CUDACC__
/* Subnormal floats cost x86 cores a microcode assist of ~100 cycles per
 * operation. Adam's moments of weights whose gradient is always zero (MNIST's
 * blank border pixels) decay geometrically into that range within a few
 * hundred steps, which made the update 5x slower mid-epoch. The updates
 * therefore run with flush-to-zero and denormals-are-zero set (and the
 * caller's MXCSR restored afterwards): results differ from the reference only
 * where a value is below FLT_MIN (~1.2e-38), i.e. optimizer state that has
 * decayed to nothing; on normal values they agree bit for bit. */
#if defined(__SSE2__) || defined(_M_X64)
#include <xmmintrin.h>
static inline unsigned int fm_ftz_begin(void)
{
    unsigned int old = _mm_getcsr();
    _mm_setcsr(old | 0x8040u); /* FTZ (bit 15) | DAZ (bit 6) */
    return old;
}
static inline void fm_ftz_end(unsigned int old) { _mm_setcsr(old); }
#else
static inline unsigned int fm_ftz_begin(void) { return 0; }
static inline void fm_ftz_end(unsigned int old) { (void)old; }
#endif

FM_VECTOR_LOOP static void
fm_sgd(float *p, const float *g, float *v, size_t n, float lr, float mu,
       int nesterov)
{
    /* One loop per case (the same per-element code), so that each vectorizes. */
    unsigned int csr = fm_ftz_begin();
    if (mu == 0.0f) {
        for (size_t i = 0; i < n; ++i)
            fm_sgd_elem(p, g, NULL, i, lr, 0.0f, 0);
    } else if (nesterov) {
        for (size_t i = 0; i < n; ++i)
            fm_sgd_elem(p, g, v, i, lr, mu, 1);
    } else {
        for (size_t i = 0; i < n; ++i)
            fm_sgd_elem(p, g, v, i, lr, mu, 0);
    }
    fm_ftz_end(csr);
}

FM_VECTOR_LOOP static void
fm_adam(float *p, const float *g, float *m, float *v, size_t n, float alpha,
        float c1, float c2, float eps, float wd_lr)
{
    unsigned int csr = fm_ftz_begin();
    if (wd_lr != 0.0f) {
        for (size_t i = 0; i < n; ++i)
            fm_adam_elem(p, g, m, v, i, alpha, c1, c2, eps, wd_lr);
    } else {
        for (size_t i = 0; i < n; ++i)
            fm_adam_elem(p, g, m, v, i, alpha, c1, c2, eps, 0.0f);
    }
    fm_ftz_end(csr);
}

FM_VECTOR_LOOP static void
fm_rmsprop(float *p, const float *g, float *v, float *mb, size_t n, float lr,
           float rho, float c, float mu, float eps)
{
    unsigned int csr = fm_ftz_begin();
    if (mu != 0.0f) {
        for (size_t i = 0; i < n; ++i)
            fm_rmsprop_elem(p, g, v, mb, i, lr, rho, c, mu, eps);
    } else {
        for (size_t i = 0; i < n; ++i)
            fm_rmsprop_elem(p, g, v, NULL, i, lr, rho, c, 0.0f, eps);
    }
    fm_ftz_end(csr);
}
#endif

#endif /* FM_OPTIM_H */
