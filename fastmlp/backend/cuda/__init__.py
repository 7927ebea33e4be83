"""CUDA plumbing of the ``cupy`` backend (:mod:`fastmlp.backend.cupy_ops`).

* ``kernels.cu``: the ``__global__`` kernels, over the C headers of ``csrc/``
  (``include/`` in an installed package);
* :mod:`.module`: where those sources are, and their compilation by CuPy's
  ``RawModule`` (NVRTC), lazily, on the first kernel launch;
* :mod:`.device`: importing CuPy and checking for a GPU, launch
  configuration, and the checks of the arrays handed to the kernels.

Importing this package does not import CuPy.
"""

from .device import FINISH_THREADS, MAX_BLOCKS, THREADS, Device, import_cupy
from .module import (CUDA_DIR, HEADERS, KERNELS_CU, NVRTC_OPTIONS, compile_module,
                     compile_options, include_dir, kernel_source)

__all__ = ["CUDA_DIR", "Device", "FINISH_THREADS", "HEADERS", "KERNELS_CU", "MAX_BLOCKS",
           "NVRTC_OPTIONS", "THREADS", "compile_module", "compile_options", "import_cupy",
           "include_dir", "kernel_source"]
