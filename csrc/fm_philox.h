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
/* Blocks computed side by side. With AVX-512 or AVX2 (chosen at run time,
 * so the portable build keeps them) sixteen or eight blocks go through each
 * round together: _mm*_mul_epu32 forms the 32x32->64-bit products of the
 * even lanes, a second one those of the odd lanes. The words are the same
 * as fm_philox_block's: only integer arithmetic, in the same order. */
#define FM_PHILOX_LANES 128

#if defined(__GNUC__) && defined(__x86_64__) && !defined(FASTMLP_NO_MULTIVERSION)
#include <immintrin.h>
#define FM_PHILOX_AVX2 1

/* low and high 32-bit halves of c * m for 8 lanes of c */
__attribute__((target("avx2"))) static inline void
fm_philox_mul8(__m256i c, __m256i m, __m256i *lo, __m256i *hi)
{
    __m256i even = _mm256_mul_epu32(c, m);
    __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(c, 32), m);
    *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

/* Four groups of eight blocks at a time: one group alone would wait on each
 * round's multiply latency; four keep the multipliers busy. */
#define FM_PHILOX_GROUPS 4

__attribute__((target("avx2"))) static void
fm_philox_lanes_avx2(fm_philox_stream s, uint64_t first, size_t count, uint32_t *words)
{
    const __m256i m0 = _mm256_set1_epi32((int)FM_PHILOX_M0);
    const __m256i m1 = _mm256_set1_epi32((int)FM_PHILOX_M1);
    for (size_t base = 0; base < count; base += 8 * FM_PHILOX_GROUPS) {
        __m256i c0[FM_PHILOX_GROUPS], c1[FM_PHILOX_GROUPS], c2[FM_PHILOX_GROUPS], c3[FM_PHILOX_GROUPS];
        for (int g = 0; g < FM_PHILOX_GROUPS; ++g) {
            uint32_t lo_words[8], hi_words[8];
            for (int i = 0; i < 8; ++i) {
                uint64_t block = first + base + (uint64_t)(8 * g + i);
                lo_words[i] = (uint32_t)block;
                hi_words[i] = (uint32_t)(block >> 32);
            }
            c0[g] = _mm256_loadu_si256((const __m256i *)lo_words);
            c1[g] = _mm256_loadu_si256((const __m256i *)hi_words);
            c2[g] = _mm256_set1_epi32((int)s.step[0]);
            c3[g] = _mm256_set1_epi32((int)s.step[1]);
        }
        uint32_t k0 = s.key[0], k1 = s.key[1];
        for (int r = 0; r < 10; ++r) {
            if (r > 0) {
                k0 += FM_PHILOX_W0;
                k1 += FM_PHILOX_W1;
            }
            __m256i key0 = _mm256_set1_epi32((int)k0), key1 = _mm256_set1_epi32((int)k1);
            for (int g = 0; g < FM_PHILOX_GROUPS; ++g) {
                __m256i lo0, hi0, lo1, hi1;
                fm_philox_mul8(c0[g], m0, &lo0, &hi0);
                fm_philox_mul8(c2[g], m1, &lo1, &hi1);
                __m256i next0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c1[g]), key0);
                __m256i next2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c3[g]), key1);
                c1[g] = lo1;
                c3[g] = lo0;
                c0[g] = next0;
                c2[g] = next2;
            }
        }
        for (int g = 0; g < FM_PHILOX_GROUPS; ++g) {
            uint32_t w[4][8];
            _mm256_storeu_si256((__m256i *)w[0], c0[g]);
            _mm256_storeu_si256((__m256i *)w[1], c1[g]);
            _mm256_storeu_si256((__m256i *)w[2], c2[g]);
            _mm256_storeu_si256((__m256i *)w[3], c3[g]);
            size_t at = base + 8 * (size_t)g;
            size_t n = count > at ? (count - at < 8 ? count - at : 8) : 0;
            for (size_t i = 0; i < n; ++i)
                for (int t = 0; t < 4; ++t)
                    words[4 * (at + i) + (size_t)t] = w[t][i];
        }
    }
}

/* The same with AVX-512: sixteen blocks per group. */
__attribute__((target("avx512f"))) static inline void
fm_philox_mul16(__m512i c, __m512i m, __m512i *lo, __m512i *hi)
{
    __m512i even = _mm512_mul_epu32(c, m);
    __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(c, 32), m);
    *lo = _mm512_mask_blend_epi32((__mmask16)0xAAAA, even, _mm512_slli_epi64(odd, 32));
    *hi = _mm512_mask_blend_epi32((__mmask16)0xAAAA, _mm512_srli_epi64(even, 32), odd);
}

__attribute__((target("avx512f"))) static void
fm_philox_lanes_avx512(fm_philox_stream s, uint64_t first, size_t count, uint32_t *words)
{
    const __m512i m0 = _mm512_set1_epi32((int)FM_PHILOX_M0);
    const __m512i m1 = _mm512_set1_epi32((int)FM_PHILOX_M1);
    for (size_t base = 0; base < count; base += 16 * FM_PHILOX_GROUPS) {
        __m512i c0[FM_PHILOX_GROUPS], c1[FM_PHILOX_GROUPS], c2[FM_PHILOX_GROUPS], c3[FM_PHILOX_GROUPS];
        for (int g = 0; g < FM_PHILOX_GROUPS; ++g) {
            uint32_t lo_words[16], hi_words[16];
            for (int i = 0; i < 16; ++i) {
                uint64_t block = first + base + (uint64_t)(16 * g + i);
                lo_words[i] = (uint32_t)block;
                hi_words[i] = (uint32_t)(block >> 32);
            }
            c0[g] = _mm512_loadu_si512((const void *)lo_words);
            c1[g] = _mm512_loadu_si512((const void *)hi_words);
            c2[g] = _mm512_set1_epi32((int)s.step[0]);
            c3[g] = _mm512_set1_epi32((int)s.step[1]);
        }
        uint32_t k0 = s.key[0], k1 = s.key[1];
        for (int r = 0; r < 10; ++r) {
            if (r > 0) {
                k0 += FM_PHILOX_W0;
                k1 += FM_PHILOX_W1;
            }
            __m512i key0 = _mm512_set1_epi32((int)k0), key1 = _mm512_set1_epi32((int)k1);
            for (int g = 0; g < FM_PHILOX_GROUPS; ++g) {
                __m512i lo0, hi0, lo1, hi1;
                fm_philox_mul16(c0[g], m0, &lo0, &hi0);
                fm_philox_mul16(c2[g], m1, &lo1, &hi1);
                __m512i next0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c1[g]), key0);
                __m512i next2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c3[g]), key1);
                c1[g] = lo1;
                c3[g] = lo0;
                c0[g] = next0;
                c2[g] = next2;
            }
        }
        for (int g = 0; g < FM_PHILOX_GROUPS; ++g) {
            uint32_t w[4][16];
            _mm512_storeu_si512((void *)w[0], c0[g]);
            _mm512_storeu_si512((void *)w[1], c1[g]);
            _mm512_storeu_si512((void *)w[2], c2[g]);
            _mm512_storeu_si512((void *)w[3], c3[g]);
            size_t at = base + 16 * (size_t)g;
            size_t n = count > at ? (count - at < 16 ? count - at : 16) : 0;
            for (size_t i = 0; i < n; ++i)
                for (int t = 0; t < 4; ++t)
                    words[4 * (at + i) + (size_t)t] = w[t][i];
        }
    }
}
#endif

/* The words of blocks [first, first + count) of stream s, count <=
 * FM_PHILOX_LANES: words[4 * i + t] is word t of block first + i, exactly
 * as fm_philox_block gives it. */
static void
fm_philox_lanes(fm_philox_stream s, uint64_t first, size_t count, uint32_t *words)
{
#ifdef FM_PHILOX_AVX2
    if (__builtin_cpu_supports("avx512f")) {
        fm_philox_lanes_avx512(s, first, count, words);
        return;
    }
    if (__builtin_cpu_supports("avx2")) {
        fm_philox_lanes_avx2(s, first, count, words);
        return;
    }
#endif
    for (size_t i = 0; i < count; ++i)
        fm_philox_block(s, first + i, words + 4 * i);
}
/* mask[i] = words[i] >= threshold and, when x is not NULL, out[i] = x[i] *
 * scale * mask[i]: restrict lets the loop vectorize (a uint8 store may
 * otherwise alias anything). */
FM_VECTOR_LOOP static void
fm_dropout_words(const uint32_t *FM_RESTRICT words, uint32_t threshold, float scale,
                 const float *FM_RESTRICT x, uint8_t *FM_RESTRICT mask, float *FM_RESTRICT out, size_t n)
{
    if (x == NULL) {
        for (size_t i = 0; i < n; ++i)
            mask[i] = words[i] >= threshold;
        return;
    }
    for (size_t i = 0; i < n; ++i) {
        uint8_t keep = words[i] >= threshold;
        mask[i] = keep;
        out[i] = fm_dropout_apply1(x[i], keep, scale);
    }
}

/* Elements [start, start + count) of the stream for (s): mask = word >=
 * threshold (kept) and, when x is not NULL, out = x * scale * mask; x, mask
 * and out point at element `start`. A thread may draw any range: the words
 * depend only on the element's index. */
static void
fm_dropout_range(fm_philox_stream s, uint32_t threshold, float scale, const float *x,
                 uint8_t *mask, float *out, uint64_t start, size_t count)
{
    uint32_t words[4 * FM_PHILOX_LANES];
    size_t done = 0;
    while (done < count) {
        uint64_t idx = start + done;
        uint64_t first = idx / 4;
        uint64_t last = (start + count - 1) / 4;
        size_t blocks = last - first + 1 < FM_PHILOX_LANES ? (size_t)(last - first + 1) : FM_PHILOX_LANES;
        fm_philox_lanes(s, first, blocks, words);
        size_t offset = (size_t)(idx - 4 * first);
        size_t take = 4 * blocks - offset;
        if (take > count - done)
            take = count - done;
        fm_dropout_words(words + offset, threshold, scale, x ? x + done : NULL, mask + done,
                         x ? out + done : NULL, take);
        done += take;
    }
}

/* Draw mask (n,) and, when x is not NULL, set out = x * scale * mask in the
 * same pass (the fused dropout forward). */
static inline void
fm_dropout(fm_philox_stream s, uint32_t threshold, float scale,
           const float *x, uint8_t *mask, float *out, size_t n)
{
    fm_dropout_range(s, threshold, scale, x, mask, out, 0, n);
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
