"""NumPy's BLAS, seen from fastmlp: its thread count, and (for the compiled
training step) the addresses of its OpenBLAS routines.

threadpoolctl finds the BLAS libraries loaded into the process, whichever
they are (OpenBLAS, MKL, BLIS, FlexiBLAS, Apple Accelerate), and reads or
sets their thread counts. The compiled step calls NumPy's OpenBLAS directly:
its file comes from threadpoolctl too, and ctypes opens that same copy.
"""

import contextlib
import ctypes
import os
import threading
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

_SET_THREADS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                "openblas_set_num_threads64_", "openblas_set_num_threads")
_GET_THREADS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
                "openblas_get_num_threads64_", "openblas_get_num_threads")

#: The names NumPy's BLAS builds export cblas_<routine> under: (prefix,
#: suffix, 64-bit integers). The ILP64 builds NumPy's wheels ship come first.
_CBLAS_NAMES = (("scipy_cblas_", "64_", True), ("cblas_", "64_", True),
                ("scipy_cblas_", "", False), ("cblas_", "", False))

_found = False
_controller: Any = None  # threadpoolctl's controller of NumPy's BLAS, or None
_lib = None  # ctypes handle of NumPy's OpenBLAS, or None
_find_lock = threading.Lock()


def _is_numpys(filepath):
    """Whether a loaded library ships inside NumPy's wheel (numpy.libs/ on
    Linux, numpy/.dylibs/ on macOS, numpy/ or numpy.libs/ on Windows)."""
    if not filepath:
        return False
    real = os.path.realpath(filepath)
    here = os.path.realpath(os.path.dirname(np.__file__))
    return real.startswith(here + os.sep) or real.startswith(here + ".libs" + os.sep)


def _numpy_blas():
    """threadpoolctl's controller of the BLAS NumPy's matrix products call:
    the one bundled with NumPy, else the only BLAS loaded (a system or conda
    BLAS NumPy was linked against); None when unknown."""
    libs = ThreadpoolController().select(user_api="blas").lib_controllers
    bundled = [lib for lib in libs if _is_numpys(lib.filepath)]
    if bundled:
        return bundled[0]
    return libs[0] if len(libs) == 1 else None


def _find():
    global _found, _controller, _lib
    with _find_lock:
        if _found:
            return
        _controller = _numpy_blas()
        if _controller is not None and _controller.internal_api == "openblas":
            # RTLD_NOLOAD: the copy NumPy already loaded, never a second one
            mode = getattr(os, "RTLD_NOLOAD", 0) | ctypes.RTLD_GLOBAL
            try:
                _lib = ctypes.CDLL(_controller.filepath, mode=mode)
            except OSError:
                _lib = None
        _found = True


def openblas():
    """The ctypes handle of NumPy's OpenBLAS (the copy NumPy loaded), or None
    when NumPy's BLAS is another one."""
    _find()
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
    _find()
    if _controller is None:
        return None
    return int(_controller.get_num_threads())


def set_num_threads(n):
    """Set the thread count of NumPy's BLAS; returns the previous one (None
    if unknown, and then nothing is set). Threads change only the order of a
    GEMM's partial sums (float32 rounding), never what is computed."""
    previous = get_num_threads()
    if previous is not None:
        _controller.set_num_threads(int(n))
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
