"""What the CPU offers: its model name and the SIMD features that decide
which kernel versions run (the AVX2 clones, the AVX-512 dropout masks)."""

from __future__ import annotations

import platform

_WANTED_FEATURES = ("SSE2", "SSE42", "AVX", "FMA3", "AVX2", "AVX512F", "AVX512_SKX", "ASIMD",
                    "SVE")


def cpu_features() -> list[str]:
    """The SIMD features of this CPU that matter to fastmlp, as NumPy's run-time
    detection finds them (so only those the OS enables too), e.g.
    ``["SSE2", "SSE42", "AVX", "FMA3", "AVX2"]``."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as feats
    except ImportError:  # NumPy < 2
        try:
            from numpy.core._multiarray_umath import __cpu_features__ as feats
        except ImportError:
            feats = {}
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
