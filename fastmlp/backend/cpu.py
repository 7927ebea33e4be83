"""What the CPU offers: its model name and the SIMD features that decide
which kernel versions run (the AVX2 clones, the AVX-512 dropout masks)."""

from __future__ import annotations

import importlib
import platform

_WANTED_FEATURES = ("SSE2", "SSE42", "AVX", "FMA3", "AVX2", "AVX512F", "AVX512_SKX", "ASIMD",
                    "SVE")


def cpu_features() -> list[str]:
    """The SIMD features of this CPU that matter to fastmlp, as NumPy's run-time
    detection finds them (so only those the OS enables too), e.g.
    ``["SSE2", "SSE42", "AVX", "FMA3", "AVX2"]``."""
    feats: dict[str, bool] = {}
    for module in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):  # NumPy 2, 1
        try:
            feats = importlib.import_module(module).__cpu_features__
            break
        except (ImportError, AttributeError):
            continue
    return [name for name in _WANTED_FEATURES if feats.get(name)]


def cpu_model() -> str:
    """The CPU's model name (Linux's /proc/cpuinfo), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
