/* NumPy's BLAS called from C: the compiled step runs the matrix products
 * with the routines NumPy's matmul would pick, found at run time (nothing
 * is linked: the addresses come from NumPy's own OpenBLAS, see
 * fastmlp/backend/blas.py). */
#ifndef FM_BLAS_H
#define FM_BLAS_H

#include <stdint.h>

/* NumPy's BLAS, found at run time: cblas_sgemm, cblas_sgemv and cblas_sdot
 * with 64-bit integers (ILP64, the scipy-openblas builds NumPy ships) or
 * 32-bit ones. */
typedef void (*fm_sgemm64_fn)(int, int, int, int64_t, int64_t, int64_t, float, const float *,
                              int64_t, const float *, int64_t, float, float *, int64_t);
typedef void (*fm_sgemm32_fn)(int, int, int, int, int, int, float, const float *, int,
                              const float *, int, float, float *, int);
typedef void (*fm_sgemv64_fn)(int, int, int64_t, int64_t, float, const float *, int64_t,
                              const float *, int64_t, float, float *, int64_t);
typedef void (*fm_sgemv32_fn)(int, int, int, int, float, const float *, int, const float *, int,
                              float, float *, int);
typedef float (*fm_sdot64_fn)(int64_t, const float *, int64_t, const float *, int64_t);
typedef float (*fm_sdot32_fn)(int, const float *, int, const float *, int);

/* The addresses are kept as void *; each call goes through uintptr_t to the
 * function type, which ISO C allows (a direct object-to-function pointer
 * cast is an extension -pedantic rejects). */
typedef struct {
    void *gemm, *gemv, *dot;
    int ilp64;
} fm_blas;

enum { FM_ROW_MAJOR = 101, FM_NO_TRANS = 111, FM_TRANS = 112 };

static inline void fm_gemv(const fm_blas *blas, int trans, int64_t m, int64_t n, const float *a,
                           int64_t lda, const float *x, int64_t incx, float *y, int64_t incy)
{
    int t = trans ? FM_TRANS : FM_NO_TRANS;
    if (blas->ilp64)
        ((fm_sgemv64_fn)(uintptr_t)blas->gemv)(FM_ROW_MAJOR, t, m, n, 1.0f, a, lda, x, incx, 0.0f, y, incy);
    else
        ((fm_sgemv32_fn)(uintptr_t)blas->gemv)(FM_ROW_MAJOR, t, (int)m, (int)n, 1.0f, a, (int)lda, x,
                                    (int)incx, 0.0f, y, (int)incy);
}

/* C (m, n) = op(A) @ op(B), row-major, with the BLAS routine NumPy's matmul
 * picks for these shapes (a dot product, a matrix-vector product when one
 * side is a single row or column, else a GEMM), so that the results are
 * NumPy's bit for bit. */
static inline void fm_gemm(const fm_blas *blas, int trans_a, int trans_b, int64_t m, int64_t n,
                           int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
                           float *c, int64_t ldc)
{
    int64_t inc_a = trans_a ? lda : 1, inc_b = trans_b ? 1 : ldb;
    if (m == 1 && n == 1) {
        c[0] = blas->ilp64 ? ((fm_sdot64_fn)(uintptr_t)blas->dot)(k, a, inc_a, b, inc_b)
                           : ((fm_sdot32_fn)(uintptr_t)blas->dot)((int)k, a, (int)inc_a, b, (int)inc_b);
    } else if (m == 1) {
        if (trans_b)
            fm_gemv(blas, 0, n, k, b, ldb, a, inc_a, c, 1);
        else
            fm_gemv(blas, 1, k, n, b, ldb, a, inc_a, c, 1);
    } else if (n == 1) {
        if (trans_a)
            fm_gemv(blas, 1, k, m, a, lda, b, inc_b, c, ldc);
        else
            fm_gemv(blas, 0, m, k, a, lda, b, inc_b, c, ldc);
    } else {
        int ta = trans_a ? FM_TRANS : FM_NO_TRANS, tb = trans_b ? FM_TRANS : FM_NO_TRANS;
        if (blas->ilp64)
            ((fm_sgemm64_fn)(uintptr_t)blas->gemm)(FM_ROW_MAJOR, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f,
                                        c, ldc);
        else
            ((fm_sgemm32_fn)(uintptr_t)blas->gemm)(FM_ROW_MAJOR, ta, tb, (int)m, (int)n, (int)k, 1.0f, a,
                                        (int)lda, b, (int)ldb, 0.0f, c, (int)ldc);
    }
}

#endif /* FM_BLAS_H */
