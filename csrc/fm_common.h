/* Shared definitions of the fastmlp C kernels.
 *
 * Every kernel family has one header. Per-element and per-row bodies are FM_FN
 * functions: plain C (math.h's expf/logf/sqrtf only, no allocation, no BLAS) so
 * that a CUDA build can include the same headers and call them from its own
 * __global__ kernels. The whole-array loops the C extension calls are host-only
 * and sit in `#ifndef __CUDACC__` blocks.
 *
 * Arrays are contiguous float32; sizes and indices are size_t so that arrays
 * with more than 2**31 elements are fine.
 */
#ifndef FM_COMMON_H
#define FM_COMMON_H

#ifdef __CUDACC__
#define FM_FN __device__ static inline
#else
#define FM_FN static inline
#endif

/* NVRTC has no libc headers: there the includer provides the fixed-width
 * integer types, and expf/logf/sqrtf are device built-ins. */
#ifndef __CUDACC_RTC__
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#endif

#ifndef __CUDACC__
/* FM_VECTOR_LOOP marks the host loops over whole arrays. With GCC on x86-64
 * Linux each is compiled twice, for baseline x86-64 and for AVX2, and the
 * loader picks the one the CPU runs (an ifunc): the wheel stays portable while
 * AVX2 machines get 8-wide loops. FP contraction stays off in both clones, so
 * they compute the same bits. Define FASTMLP_NO_MULTIVERSION to build one clone.
 * ifuncs need glibc's loader: musl (no __GLIBC__, defined by <features.h>, which
 * <math.h> above includes), macOS and Windows build the baseline clone only. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) \
    && defined(__GLIBC__) && !defined(FASTMLP_NO_MULTIVERSION)
#define FM_VECTOR_LOOP __attribute__((target_clones("avx2", "default")))
#else
#define FM_VECTOR_LOOP
#endif

/* C99's restrict; MSVC's C compiler spells it __restrict (outside /std:c11). */
#if defined(_MSC_VER) && !defined(__clang__)
#define FM_RESTRICT __restrict
#else
#define FM_RESTRICT restrict
#endif

/* The whole-array loops of the elementwise kernels: one function per element
 * body, so each loop vectorizes with its body inlined (and gets its AVX2
 * clone). FM_MAP_LOOP maps out[i] = fn(x[i]); FM_MAP2_LOOP maps
 * out[i] = fn(a[i], dy[i]) (a gradient from the input or the output). */
#define FM_MAP_LOOP(name, fn)                                              \
    FM_VECTOR_LOOP static void name(const float *x, float *out, size_t n)  \
    {                                                                      \
        for (size_t i = 0; i < n; ++i)                                     \
            out[i] = fn(x[i]);                                             \
    }
#define FM_MAP2_LOOP(name, fn)                                             \
    FM_VECTOR_LOOP static void name(const float *a, const float *dy,       \
                                    float *out, size_t n)                  \
    {                                                                      \
        for (size_t i = 0; i < n; ++i)                                     \
            out[i] = fn(a[i], dy[i]);                                      \
    }

/* The row of the first label outside [0, num_classes), or -1 when all are
 * valid: checked once before a kernel indexes a row with a label. */
static inline ptrdiff_t
fm_first_bad_label(const int32_t *labels, size_t n, int32_t num_classes)
{
    for (size_t i = 0; i < n; ++i)
        if (labels[i] < 0 || labels[i] >= num_classes)
            return (ptrdiff_t)i;
    return -1;
}
#endif

#endif /* FM_COMMON_H */
