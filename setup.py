"""Builds fastmlp's compiled extensions, fastmlp.backend._kernels and
fastmlp.backend._step (the C kernels in csrc/ behind Cython wrappers). Project
metadata is in pyproject.toml.

Set FASTMLP_NATIVE=1 to add -march=native (a faster build that runs only on
CPUs like the one that built it).
"""

import os
import sys
from glob import glob

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_py import build_py


class build_py_with_cuda_headers(build_py):
    """Also ship csrc/*.h as fastmlp/backend/cuda/include/: the cupy backend's
    RawModule compiles fastmlp/backend/cuda/kernels.cu against the same kernel
    headers the extension is built from. Copied into the build directory only
    (the source tree is left alone); a checkout or an editable install finds
    csrc/ itself (fastmlp.backend.cuda.module.include_dir)."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = os.path.join(self.build_lib, "fastmlp", "backend", "cuda", "include")
        self.mkpath(target)
        for header in sorted(glob("csrc/*.h")):
            self.copy_file(header, os.path.join(target, os.path.basename(header)))


if sys.platform == "win32":
    # MSVC: /fp:precise is its default, the counterpart of the flags below.
    compile_args = ["/O2"]
else:
    # No -ffast-math: the kernels keep NumPy's float32 results. -std=c99 and
    # -ffp-contract=off keep a*b+c from being fused into an FMA (which rounds
    # differently); -fno-math-errno only lets sqrtf inline (no errno write);
    # -fno-trapping-math lets comparisons (ReLU, its derivative) vectorize as
    # selects: it changes which FP exception flags may be raised, never a value.
    compile_args = ["-O3", "-std=c99", "-ffp-contract=off", "-fno-math-errno",
                    "-fno-trapping-math"]
    if os.environ.get("FASTMLP_NATIVE", "").strip() == "1":
        compile_args.append("-march=native")

def _extension(name):
    """fastmlp.backend.<name>, built from fastmlp/backend/<name>.pyx and csrc/."""
    return Extension(
        f"fastmlp.backend.{name}",
        sources=[f"fastmlp/backend/{name}.pyx"],
        include_dirs=["csrc", np.get_include()],
        depends=sorted(glob("csrc/*.h")),
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=compile_args,
        # the compiled step's worker threads
        extra_link_args=[] if sys.platform == "win32" else ["-pthread"],
    )


# _kernels: one kernel per call; _step: many training steps per call, threaded.
extensions = [_extension("_kernels"), _extension("_step")]

setup(
    cmdclass={"build_py": build_py_with_cuda_headers},
    ext_modules=cythonize(
        extensions,
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
        },
    ),
)
