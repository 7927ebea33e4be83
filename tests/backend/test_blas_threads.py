"""fastmlp.backend.blas: NumPy's BLAS found through threadpoolctl, its thread
count read and set, and the OpenBLAS routines the compiled step calls."""

import ctypes
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from fastmlp.backend import blas


def _numpy_blas_info():
    infos = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]
    bundled = [lib for lib in infos if blas._is_numpys(lib["filepath"])]
    return (bundled or infos)[0]


def test_thread_count_is_numpys_blas():
    assert blas.get_num_threads() == _numpy_blas_info()["num_threads"]


def test_set_num_threads_returns_the_previous_count():
    before = blas.get_num_threads()
    assert blas.set_num_threads(1) == before
    try:
        assert blas.get_num_threads() == 1
        assert _numpy_blas_info()["num_threads"] == 1
    finally:
        assert blas.set_num_threads(before) == 1
    assert blas.get_num_threads() == before


def test_single_thread_blocks_overlap_and_restore():
    before = blas.get_num_threads()
    entered = threading.Barrier(2)
    seen = []

    def inner():
        with blas.single_thread():
            entered.wait(timeout=10)
            seen.append(blas.get_num_threads())
            entered.wait(timeout=10)

    with blas.single_thread():
        worker = threading.Thread(target=inner)
        worker.start()
        entered.wait(timeout=10)
        entered.wait(timeout=10)
        worker.join(timeout=10)
        assert blas.get_num_threads() == 1  # the other block ended: this one still holds
    assert seen == [1]
    assert blas.get_num_threads() == before


needs_openblas = pytest.mark.skipif(_numpy_blas_info()["internal_api"] != "openblas",
                                    reason="NumPy's BLAS is not OpenBLAS")


@needs_openblas
def test_openblas_is_the_copy_threadpoolctl_reports():
    assert blas.openblas()._name == _numpy_blas_info()["filepath"]
    get, set_ = blas.thread_function_addresses()
    assert get and set_
    getter = ctypes.CFUNCTYPE(ctypes.c_int)(get)
    assert getter() == blas.get_num_threads()


@needs_openblas
def test_sgemm_address_computes_numpys_product():
    gemm, gemv, dot, ilp64 = blas.sgemm_address()
    assert gemv and dot
    integer = ctypes.c_int64 if ilp64 else ctypes.c_int
    f32p = ctypes.POINTER(ctypes.c_float)
    sgemm = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_int, ctypes.c_int, integer, integer,
                             integer, ctypes.c_float, f32p, integer, f32p, integer,
                             ctypes.c_float, f32p, integer)(gemm)
    rng = np.random.default_rng(0)
    m, k, n = 5, 7, 3  # odd sizes
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    c = np.zeros((m, n), dtype=np.float32)
    ptr = lambda x: x.ctypes.data_as(f32p)  # noqa: E731
    # row-major (101), no transposes (111)
    sgemm(101, 111, 111, m, n, k, 1.0, ptr(a), k, ptr(b), n, 0.0, ptr(c), n)
    # same routine, same operands: the same rounding as NumPy's matmul up to
    # the order of its partial sums
    np.testing.assert_allclose(c, a @ b, rtol=1e-6, atol=1e-6)


def test_other_blas_gives_no_addresses(monkeypatch):
    class FakeMKL:
        internal_api = "mkl"
        filepath = "/nowhere/libmkl_rt.so"
        threads = 4

        def get_num_threads(self):
            return self.threads

        def set_num_threads(self, n):
            self.threads = n

    fake = FakeMKL()
    monkeypatch.setattr(blas, "_numpy_blas", lambda: fake)
    monkeypatch.setattr(blas, "_found", False)
    monkeypatch.setattr(blas, "_controller", None)
    monkeypatch.setattr(blas, "_lib", None)
    assert blas.openblas() is None
    assert blas.sgemm_address() is None
    assert blas.thread_function_addresses() == (None, None)
    # thread counts still go through threadpoolctl's controller of that BLAS
    assert blas.set_num_threads(1) == 4 and fake.threads == 1


def test_unknown_blas_sets_nothing(monkeypatch):
    monkeypatch.setattr(blas, "_numpy_blas", lambda: None)
    monkeypatch.setattr(blas, "_found", False)
    monkeypatch.setattr(blas, "_controller", None)
    monkeypatch.setattr(blas, "_lib", None)
    assert blas.get_num_threads() is None
    assert blas.set_num_threads(1) is None
    with blas.single_thread():
        pass
