"""What the benchmark's numbers ran on: the CPU and its SIMD features, the
BLAS NumPy uses and its thread count, the versions, the load average."""

from __future__ import annotations

import os
import platform

import numpy as np

from ..backend.cpu import cpu_features, cpu_model


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
