"""NumPy's BLAS, seen from fastmlp: its thread count.

Nothing here is a hard dependency: the thread count is read and set through
the ``*openblas_set_num_threads*`` symbol of the OpenBLAS NumPy bundles (found
with ctypes), or through threadpoolctl when it is importable.
"""

import contextlib
import ctypes
import glob
import os
import threading

import numpy as np

_SET_THREADS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                "openblas_set_num_threads64_", "openblas_set_num_threads")
_GET_THREADS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
                "openblas_get_num_threads64_", "openblas_get_num_threads")

#: The names NumPy's BLAS builds export cblas_<routine> under: (prefix,
#: suffix, 64-bit integers). The ILP64 builds NumPy's wheels ship come first.
_CBLAS_NAMES = (("scipy_cblas_", "64_", True), ("cblas_", "64_", True),
                ("scipy_cblas_", "", False), ("cblas_", "", False))

_lib = None
_lib_searched = False


def _candidate_paths():
    """Shared libraries bundled with NumPy's wheel (numpy.libs/ on Linux,
    .dylibs/ on macOS), OpenBLAS first."""
    base = os.path.dirname(os.path.dirname(np.__file__))
    here = os.path.dirname(np.__file__)
    paths = []
    for pattern in (os.path.join(base, "numpy.libs", "*openblas*"),
                    os.path.join(here, ".dylibs", "*openblas*"),
                    os.path.join(here, "_core", "*openblas*")):
        paths.extend(sorted(glob.glob(pattern)))
    return paths


def openblas():
    """The ctypes handle of NumPy's bundled OpenBLAS (already loaded by NumPy,
    so this opens the same copy), or None."""
    global _lib, _lib_searched
    if _lib_searched:
        return _lib
    _lib_searched = True
    for path in _candidate_paths():
        try:
            _lib = ctypes.CDLL(path, mode=getattr(os, "RTLD_NOLOAD", 0) | ctypes.RTLD_GLOBAL)
            break
        except OSError:
            try:
                _lib = ctypes.CDLL(path)
                break
            except OSError:
                continue
    return _lib


def _symbol(names):
    """The first of the OpenBLAS functions ``names`` that exists, or None."""
    lib = openblas()
    if lib is None:
        return None
    for name in names:
        try:
            return getattr(lib, name)
        except AttributeError:
            continue
    return None


def sgemm_address():
    """``(sgemm, sgemv, sdot, ilp64)``: the addresses of the CBLAS routines
    NumPy's matrix products call (so that compiled code computes the same
    products), or None when NumPy's BLAS is not an OpenBLAS this module can
    open."""
    lib = openblas()
    if lib is None:
        return None
    for prefix, suffix, ilp64 in _CBLAS_NAMES:
        try:
            found = [getattr(lib, f"{prefix}s{routine}{suffix}") for routine in ("gemm", "gemv", "dot")]
        except AttributeError:
            continue
        return tuple(ctypes.cast(fn, ctypes.c_void_p).value for fn in found) + (ilp64,)
    return None


def thread_function_addresses():
    """``(get, set)``: the addresses of OpenBLAS's thread-count getter and
    setter, or ``(None, None)``."""
    get, set_ = _symbol(_GET_THREADS), _symbol(_SET_THREADS)
    if get is None or set_ is None:
        return None, None
    return ctypes.cast(get, ctypes.c_void_p).value, ctypes.cast(set_, ctypes.c_void_p).value


def get_num_threads():
    """BLAS threads NumPy's matrix products use (None if unknown)."""
    fn = _symbol(_GET_THREADS)
    if fn is not None:
        fn.restype = ctypes.c_int
        return int(fn())
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    counts = [lib["num_threads"] for lib in threadpool_info() if lib.get("user_api") == "blas"]
    return counts[0] if counts else None


def set_num_threads(n):
    """Set the BLAS thread count; returns the previous one (None if unknown).
    Threads change only the order of a GEMM's partial sums (float32 rounding),
    never what is computed."""
    previous = get_num_threads()
    fn = _symbol(_SET_THREADS)
    if fn is not None:
        fn.argtypes = [ctypes.c_int]
        fn(int(n))
        return previous
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return previous
    threadpool_limits(int(n), user_api="blas")
    return previous


_limit_lock = threading.Lock()
_limit_users = 0
_limit_restore = None


@contextlib.contextmanager
def single_thread():
    """Run the block with one BLAS thread, restoring the previous count when
    the last of the overlapping blocks (from any thread) ends."""
    global _limit_users, _limit_restore
    with _limit_lock:
        if _limit_users == 0:
            _limit_restore = set_num_threads(1)
        _limit_users += 1
    try:
        yield
    finally:
        with _limit_lock:
            _limit_users -= 1
            if _limit_users == 0 and _limit_restore is not None:
                set_num_threads(_limit_restore)
