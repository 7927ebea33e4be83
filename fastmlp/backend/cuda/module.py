"""The CUDA sources of the ``cupy`` backend and their compilation.

``kernels.cu`` (next to this file) holds the ``__global__`` kernels; their
per-element and per-row bodies are the ``FM_FN`` functions of the C headers in
``csrc/`` -- the very code the CPU extension runs -- which an installed package
carries as ``fastmlp/backend/cuda/include/`` (copied there by ``setup.py``'s
``build_py``); a source checkout uses ``csrc/`` directly.

Nothing here imports CuPy: :func:`compile_module` is handed the ``cupy``
module, and is called on the first kernel launch only (NVRTC, a second or so;
CuPy then caches the binary on disk).
"""

import hashlib
from pathlib import Path

from ..errors import BackendUnavailable

CUDA_DIR = Path(__file__).resolve().parent
KERNELS_CU = CUDA_DIR / "kernels.cu"
#: headers every build of kernels.cu needs (the first one marks an include dir)
HEADERS = ("fm_common.h", "fm_dense.h", "fm_relu.h", "fm_philox.h", "fm_softmax.h",
           "fm_optim.h", "fm_metrics.h")
#: NVRTC options: C++14; no FMA contraction, so that with IEEE division and
#: square root (NVRTC's defaults) elementwise results round as on the CPU;
#: flush-to-zero, which CuPy appends to every compilation anyway (the last
#: -ftz wins), so it is written here to be what the NVRTC tests compile too.
#: Results therefore match the reference bit for bit on normal floats; a
#: subnormal (below ~1.2e-38) is read and written as zero, as the CPU
#: optimizer loops do with FTZ/DAZ.
NVRTC_OPTIONS = ("--std=c++14", "--fmad=false", "-ftz=true")


def include_dir():
    """The directory holding the kernel headers (``fm_*.h``).

    Returns:
        The copy shipped in the package (``cuda/include/``), else ``csrc/`` of
        the source checkout this module is in, as a :class:`pathlib.Path`.

    Raises:
        BackendUnavailable: neither directory holds the headers.
    """
    for candidate in (CUDA_DIR / "include", CUDA_DIR.parents[2] / "csrc"):
        if (candidate / HEADERS[0]).is_file():
            return candidate
    raise BackendUnavailable(
        f"fastmlp's CUDA kernel headers ({HEADERS[0]}, ...) are neither in {CUDA_DIR / 'include'} "
        f"nor in a source checkout's csrc/: reinstall fastmlp with `pip install .`")


def kernel_source():
    """The source handed to RawModule.

    Returns:
        ``kernels.cu`` behind a comment with a digest of the headers (a str),
        so that CuPy's on-disk cache (keyed by the source and the options,
        blind to included files) recompiles when a header changes.
    """
    headers = include_dir()
    digest = hashlib.sha256()
    for name in sorted(p.name for p in headers.glob("*.h")):
        digest.update(name.encode() + b"\0" + (headers / name).read_bytes())
    return f"// fastmlp headers sha256 {digest.hexdigest()}\n" + KERNELS_CU.read_text()


def compile_options():
    """RawModule's options.

    Returns:
        A tuple: the include path of the headers (``-I...``), then NVRTC_OPTIONS.
    """
    return ("-I" + str(include_dir()),) + NVRTC_OPTIONS


def compile_module(cupy):
    """Compile ``kernels.cu`` with CuPy's NVRTC.

    Args:
        cupy: the imported ``cupy`` module.

    Returns:
        The compiled ``cupy.RawModule``.

    Raises:
        BackendUnavailable: NVRTC failed (a compile error, a missing library).
    """
    module = cupy.RawModule(code=kernel_source(), options=compile_options())
    try:
        module.compile()
    except Exception as exc:  # CompileException, missing NVRTC library...
        raise BackendUnavailable(
            f"the cupy backend could not compile its CUDA kernels ({KERNELS_CU}): "
            f"{type(exc).__name__}: {exc}") from exc
    return module
