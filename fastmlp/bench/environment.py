"""What the benchmark's numbers ran on: the CPU and its SIMD features, the
BLAS NumPy uses and its thread count, the versions, the load average."""

from __future__ import annotations

import os
import platform

import numpy as np

_WANTED_FEATURES = ("SSE2", "SSE42", "AVX", "FMA3", "AVX2", "AVX512F", "AVX512_SKX", "ASIMD",
                    "SVE")


def cpu_features():
    """The SIMD features of this CPU that matter here, from NumPy's detection."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as feats
    except ImportError:  # NumPy < 2
        try:
            from numpy.core._multiarray_umath import __cpu_features__ as feats
        except ImportError:
            feats = {}
    return [name for name in _WANTED_FEATURES if feats.get(name)]


def cpu_model():
    """The CPU's model name (Linux's /proc/cpuinfo), else what platform knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(workers=None, absent=None):
    """The report's ``environment`` dict. ``workers`` ({"pytorch loop":
    worker, "jax jit": worker}, those running) add each framework's version
    and thread count (``torch``, ``torch_threads``, ``jax``, ``jax_threads``;
    None when absent); ``absent`` ({contender: why}) says why the others are
    not there."""
    import fastmlp
    from fastmlp import backend
    from fastmlp.backend import blas

    env = {
        "fastmlp": fastmlp.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_features": cpu_features(),
        "blas": backend._blas_info(),
        "blas_threads": blas.get_num_threads(),
        "compiled_kernels": backend._compiled_import_error() is None,
        "torch": None,
        "jax": None,
        "absent": dict(absent or {}),
    }
    try:
        env["load_average"] = list(os.getloadavg())
    except OSError:
        env["load_average"] = None
    for name, key in (("pytorch loop", "torch"), ("jax jit", "jax")):
        worker = (workers or {}).get(name)
        if worker is not None:
            env[key], env[f"{key}_threads"] = worker.version, worker.threads
    return env
