"""The GPU as the ``cupy`` backend sees it: CuPy and a device, the kernels of
``kernels.cu`` and how they are launched, and the checks and conversions of
the arrays handed to them.

CuPy is imported by :func:`import_cupy` only, which :class:`Device` calls when
it is constructed, so importing this module needs no CuPy.
"""

import numpy as np

from ..errors import BackendUnavailable
from ..checks import check_labels, label_error
from .module import compile_module, include_dir

THREADS = 256          # threads per block of the grid-stride kernels
MAX_BLOCKS = 65535     # grid-stride loops cover any size with at most this many blocks
FINISH_THREADS = 256   # must equal FM_FINISH_THREADS in kernels.cu

MISSING_CUPY = "the cupy backend needs CuPy: pip install 'fastmlp[gpu]'"
MISSING_GPU = "the cupy backend needs an NVIDIA GPU: no CUDA GPU found"


def import_cupy():
    """CuPy, with a usable CUDA device.

    Returns:
        The ``cupy`` module.

    Raises:
        BackendUnavailable: CuPy is not installed (the message says to install
        ``fastmlp[gpu]``), or CUDA finds no device (no driver, a driver too
        old, no GPU: the message says which).
    """
    try:
        import cupy
    except ImportError as exc:
        raise BackendUnavailable(f"{MISSING_CUPY} ({exc})") from exc
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDARuntimeError: no driver, driver too old, no device...
        raise BackendUnavailable(f"{MISSING_GPU} ({type(exc).__name__}: {exc})") from exc
    if count < 1:
        raise BackendUnavailable(f"{MISSING_GPU} (CUDA reports {count} devices)")
    return cupy


def _possessive(name):
    return name + ("'" if name.endswith("s") else "'s")


class Device:
    """CuPy's current device: kernel launches and argument checks.

    Constructing one imports CuPy (:func:`import_cupy`) and finds the kernel
    headers (:func:`~fastmlp.backend.cuda.module.include_dir`), raising
    BackendUnavailable now rather than at the first kernel; ``kernels.cu`` is
    compiled on the first launch.
    """

    def __init__(self):
        self.xp = import_cupy()
        include_dir()
        self._module = None
        self._kernels = {}
        self._dummies = {}

    # ------------------------------------------------------------- launches
    def kernel(self, name):
        """The compiled ``__global__`` function ``name`` (the module is built on
        first use: NVRTC, a second or so, then cached by CuPy on disk)."""
        fn = self._kernels.get(name)
        if fn is None:
            if self._module is None:
                self._module = compile_module(self.xp)
            fn = self._kernels[name] = self._module.get_function(name)
        return fn

    def launch(self, name, n, *args):
        """Run kernel ``name`` with enough threads for ``n`` elements/rows
        (its grid-stride loop covers the rest beyond MAX_BLOCKS blocks); nothing
        runs when ``n`` is 0."""
        if n == 0:
            return
        blocks = min((n + THREADS - 1) // THREADS, MAX_BLOCKS)
        self.kernel(name)((blocks,), (THREADS,), args)

    def launch_block(self, name, *args):
        """Run kernel ``name`` as one block of FINISH_THREADS threads (the
        fixed reduction tree of ``fm_k_loss_finish``)."""
        self.kernel(name)((1,), (FINISH_THREADS,), args)

    def dummy(self, dtype=np.float32):
        """A one-element device array of ``dtype``, passed for a pointer the
        kernel does not read (its ``has_*`` flag is 0 where the C body wants NULL)."""
        dummy = self._dummies.get(np.dtype(dtype))
        if dummy is None:
            dummy = self._dummies[np.dtype(dtype)] = self.xp.zeros(1, dtype=dtype)
        return dummy

    # ------------------------------------------------------------ arguments
    def input(self, a, dtype=np.float32):
        """A read-only input as a C-contiguous device array of ``dtype`` (no
        copy when it already is one)."""
        return self.xp.ascontiguousarray(self.xp.asarray(a, dtype=dtype))

    def output(self, a, name, dtype=np.float32, shape=None):
        """``a`` checked as a writable C-contiguous device array of ``dtype``
        (and ``shape``): it is written in place. TypeError/ValueError naming
        ``name`` otherwise."""
        if not isinstance(a, self.xp.ndarray):
            raise TypeError(f"{name} must be a CuPy array on the GPU, got {type(a).__name__}")
        if a.dtype != dtype:
            raise TypeError(f"{name} must have dtype {np.dtype(dtype).name}, got {a.dtype}")
        if shape is not None and tuple(a.shape) != tuple(shape):
            raise ValueError(f"{name} must have shape {tuple(shape)}, got {tuple(a.shape)}")
        if not a.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous")
        return a

    def like(self, a, ref, name, ref_name, dtype=np.float32):
        """A read-only input (see :meth:`input`) that must have the shape of
        the array ``ref`` (named ``ref_name``); ValueError naming both otherwise."""
        a = self.input(a, dtype)
        if a.shape != ref.shape:
            raise ValueError(f"{name} must have {_possessive(ref_name)} shape "
                             f"{tuple(ref.shape)}, got {tuple(a.shape)}")
        return a

    def matrix(self, a, name):
        """A read-only input that must be 2-D (batch, columns) with at least
        one column; ValueError naming ``name`` otherwise."""
        a = self.input(a)
        if a.ndim != 2:
            raise ValueError(f"{name} must be 2-D (batch, columns), got shape {a.shape}")
        if a.shape[1] == 0:
            raise ValueError(f"{name} must have at least one column")
        return a

    def labels(self, labels, rows, cols):
        """Labels as a C-contiguous int32 device array of shape (rows,).

        Host labels are checked on the host (check_labels: the error names the
        label and its row); int32 device labels are checked by the kernels
        themselves, at no extra synchronisation; device labels of another
        integer dtype are range-checked before the cast (which could wrap)."""
        cp = self.xp
        if not isinstance(labels, cp.ndarray):
            labels = cp.asarray(check_labels(labels, cols))
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels[:, 0]
        if labels.dtype != np.int32:
            if labels.dtype.kind not in "iu":
                labels = cp.asarray(check_labels(cp.asnumpy(labels), cols))
            else:
                bad = (labels < 0) | (labels >= cols)
                if bool(bad.any()):  # one synchronisation, only for non-int32 labels
                    row = int(cp.flatnonzero(bad)[0])
                    raise label_error(int(labels[row]), row, cols)
                labels = labels.astype(np.int32)
        labels = cp.ascontiguousarray(labels)
        if labels.shape != (rows,):
            raise ValueError(f"labels must have shape ({rows},), got {tuple(labels.shape)}")
        return labels
