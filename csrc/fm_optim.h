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
static inline void
fm_sgd(float *p, const float *g, float *v, size_t n, float lr, float mu,
       int nesterov)
{
    for (size_t i = 0; i < n; ++i)
        fm_sgd_elem(p, g, v, i, lr, mu, nesterov);
}

static inline void
fm_adam(float *p, const float *g, float *m, float *v, size_t n, float alpha,
        float c1, float c2, float eps, float wd_lr)
{
    for (size_t i = 0; i < n; ++i)
        fm_adam_elem(p, g, m, v, i, alpha, c1, c2, eps, wd_lr);
}

static inline void
fm_rmsprop(float *p, const float *g, float *v, float *mb, size_t n, float lr,
           float rho, float c, float mu, float eps)
{
    for (size_t i = 0; i < n; ++i)
        fm_rmsprop_elem(p, g, v, mb, i, lr, rho, c, mu, eps);
}
#endif

#endif /* FM_OPTIM_H */
