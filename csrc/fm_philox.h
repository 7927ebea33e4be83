/* Philox4x32-10 (Salmon et al., SC'11) and the dropout masks drawn from it.
 * C twin of fastmlp/backend/philox.py: word i of the stream for (seed, step)
 * is word i % 4 of philox(key = seed, counter = (i / 4, step)), so a mask
 * depends only on (seed, step, i), whatever the backend or thread layout. */
#ifndef FM_PHILOX_H
#define FM_PHILOX_H

#include "fm_common.h"

#define FM_PHILOX_M0 0xD2511F53u
#define FM_PHILOX_M1 0xCD9E8D57u
#define FM_PHILOX_W0 0x9E3779B9u
#define FM_PHILOX_W1 0xBB67AE85u

/* The key (seed) and the high counter words (step) of one stream, as 32-bit
 * halves: lo, hi. */
typedef struct {
    uint32_t key[2];
    uint32_t step[2];
} fm_philox_stream;

/* Ten Philox rounds on the counter c, in place. */
FM_FN void fm_philox4x32_10(uint32_t c[4], uint32_t k0, uint32_t k1)
{
    for (int r = 0; r < 10; ++r) {
        if (r > 0) {
            k0 += FM_PHILOX_W0; /* unsigned: wraps mod 2**32 */
            k1 += FM_PHILOX_W1;
        }
        uint64_t p0 = (uint64_t)FM_PHILOX_M0 * c[0];
        uint64_t p1 = (uint64_t)FM_PHILOX_M1 * c[2];
        uint32_t c1 = c[1], c3 = c[3];
        c[0] = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        c[1] = (uint32_t)p1;
        c[2] = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c[3] = (uint32_t)p0;
    }
}

/* The four words of block `block` of stream s. */
FM_FN void fm_philox_block(fm_philox_stream s, uint64_t block, uint32_t w[4])
{
    w[0] = (uint32_t)block;
    w[1] = (uint32_t)(block >> 32);
    w[2] = s.step[0];
    w[3] = s.step[1];
    fm_philox4x32_10(w, s.key[0], s.key[1]);
}

/* x * scale * mask, the reference's operation order: a NaN or inf x behind a
 * dropped element gives NaN, as in NumPy. */
FM_FN float fm_dropout_apply1(float x, uint8_t mask, float scale)
{
    return x * scale * (float)mask;
}

/* Elements [4*block, min(4*block + 4, n)): mask = word >= threshold (kept),
 * and when x is not NULL also out = x * scale * mask. */
FM_FN void fm_dropout_block(fm_philox_stream s, uint32_t threshold, float scale,
                            const float *x, uint8_t *mask, float *out, size_t n,
                            size_t block)
{
    uint32_t w[4];
    size_t start = block * 4;
    size_t count = n - start < 4 ? n - start : 4;
    fm_philox_block(s, (uint64_t)block, w);
    for (size_t t = 0; t < count; ++t) {
        uint8_t keep = w[t] >= threshold;
        mask[start + t] = keep;
        if (x != NULL)
            out[start + t] = fm_dropout_apply1(x[start + t], keep, scale);
    }
}

#ifndef __CUDACC__
/* Draw mask (n,) and, when x is not NULL, set out = x * scale * mask in the
 * same pass (the fused dropout forward). */
static inline void
fm_dropout(fm_philox_stream s, uint32_t threshold, float scale,
           const float *x, uint8_t *mask, float *out, size_t n)
{
    size_t blocks = n / 4 + (n % 4 != 0);
    for (size_t b = 0; b < blocks; ++b)
        fm_dropout_block(s, threshold, scale, x, mask, out, n, b);
}

/* out = x * scale * mask with a mask drawn earlier: also the backward pass. */
FM_VECTOR_LOOP static void
fm_dropout_apply(const float *x, const uint8_t *mask, float scale, float *out,
                 size_t n)
{
    for (size_t i = 0; i < n; ++i)
        out[i] = fm_dropout_apply1(x[i], mask[i], scale);
}
#endif

#endif /* FM_PHILOX_H */
