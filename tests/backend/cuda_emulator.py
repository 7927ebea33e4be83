"""An emulated CUDA device for the ``cupy`` backend's tests (CPU only).

:func:`emulated_cupy` builds a stand-in for the ``cupy`` module that is as
strict as a GPU where the Python half of the backend (``CupyOps``,
``fastmlp.backend.cuda.Device``, the layers' ``ops.xp`` calls) could go wrong:

* **device arrays** (``DeviceArray``, cuda_arrays.py) wrap NumPy arrays but
  refuse silent NumPy interop as CuPy does: ``np.asarray(dev)`` raises TypeError ("Implicit
  conversion to a NumPy array is not allowed"), and so does mixing a device
  array with a host ``numpy.ndarray`` in arithmetic, ufuncs or ``cupy.*``
  functions. Data crosses only through ``cupy.asarray``/``cupy.array`` (host to
  device, always a copy) and ``cupy.asnumpy``/``.get()`` (device to host);
* **kernel launches** (``RawModule.get_function(name)(grid, block, args)``) are
  checked against the C signature parsed from ``kernels.cu``: argument count,
  every pointer a C-contiguous device array of the parameter's C type, every
  scalar the exact NumPy type of its C type (a Python int or float would reach
  the GPU with the wrong width). Pointers reach the emulation flattened (1-D,
  a raw pointer's view; ``const`` ones read-only); each emulation rebuilds its
  shapes from the size arguments (``n``, ``rows``, ``cols``, ``count``,
  ``groups``), and every buffer must hold exactly the elements the kernel
  indexes (:data:`BUFFER_SIZES`), except one whose ``has_*`` flag says it is
  not read. The grid must be sized for the kernel's loop: every kernel but
  ``fm_k_loss_finish`` is a grid-stride loop (``FM_FOR``), correct for any
  grid, and Device sizes the grid to cover its bound (capped at MAX_BLOCKS
  blocks) without an idle block; ``fm_k_loss_finish`` must run as exactly one
  block of ``FM_FINISH_THREADS`` threads (its reduction tree assumes it).

The emulations (cuda_emulations.py) run the same ``FM_FN`` bodies through the
CPU extension, so on the emulated device the elementwise and row-wise results
are the CPU's bit for bit; GEMMs are NumPy's matmul, as on the CPU backends.
"""

import re
import types

import numpy as np

from cuda_arrays import DeviceArray, device_module
from cuda_emulations import emulations
from fastmlp.backend.cuda import device as cuda_device

MAX_THREADS_PER_BLOCK = 1024  # every CUDA GPU since compute capability 2.0

_C_TYPES = {"float": np.float32, "double": np.float64, "int": np.int32, "int32_t": np.int32,
            "uint8_t": np.uint8, "uint32_t": np.uint32, "uint64_t": np.uint64,
            "unsigned long long": np.uint64}

#: {kernel: {pointer parameter: (elements the kernel indexes, the condition under
#: which it reads the buffer; None: always)}} -- Python expressions over the
#: kernel's scalar arguments, read off kernels.cu.
BUFFER_SIZES = {
    "fm_k_bias_act": {"y": ("rows * cols", None), "b": ("cols", "has_b")},
    "fm_k_relu_grad_inplace": {"dy": ("n", None), "y": ("n", None)},
    "fm_k_dense_grad_cols": {"dy": ("rows * cols", None), "y": ("rows * cols", "relu"),
                             "db": ("cols", None)},
    "fm_k_relu_forward": {"x": ("n", None), "out": ("n", None)},
    "fm_k_relu_backward": {"y": ("n", None), "dy": ("n", None), "out": ("n", None)},
    "fm_k_dropout": {"x": ("n", "has_x"), "mask": ("n", None), "out": ("n", "has_x")},
    "fm_k_dropout_apply": {"x": ("n", None), "mask": ("n", None), "out": ("n", None)},
    "fm_k_softmax": {"x": ("rows * cols", None), "out": ("rows * cols", None)},
    "fm_k_log_softmax": {"x": ("rows * cols", None), "out": ("rows * cols", None)},
    "fm_k_softmax_backward": {"y": ("rows * cols", None), "dy": ("rows * cols", None),
                              "out": ("rows * cols", None)},
    "fm_k_xent_sparse_rows": {"x": ("rows * cols", None), "labels": ("rows", None),
                              "w": ("rows", "has_w"), "d": ("rows * cols", "has_d"),
                              "row_loss": ("rows", None)},
    "fm_k_xent_dense_rows": {"x": ("rows * cols", None), "t": ("rows * cols", None),
                             "w": ("rows", "has_w"), "d": ("rows * cols", "has_d"),
                             "row_loss": ("rows", None)},
    "fm_k_loss_finish": {"row_loss": ("rows", None), "labels": ("rows", "has_labels"),
                         "result": ("2", None)},
    "fm_k_sgd": {"p": ("n", None), "g": ("n", None), "v": ("n", "mu != 0")},
    "fm_k_adam": {"p": ("n", None), "g": ("n", None), "m": ("n", None), "v": ("n", None)},
    "fm_k_rmsprop": {"p": ("n", None), "g": ("n", None), "v": ("n", None), "mb": ("n", "mu != 0")},
    "fm_k_count_sparse": {"scores": ("rows * cols", None), "labels": ("rows", None),
                          "result": ("2", None)},
    "fm_k_count_dense": {"scores": ("rows * cols", None), "targets": ("rows * cols", None),
                         "result": ("2", None)},
    "fm_k_confusion_hist": {"preds": ("rows * cols", None), "labels": ("rows * cols", None),
                            "row_w": ("rows", "has_rw"), "col_w": ("cols", "has_cw"),
                            "thresholds": ("count", None),
                            "hist": ("2 * (count + 1) * (cols if per_column else 1)", None)},
    "fm_k_confusion_finish": {"hist": ("2 * (count + 1) * groups", None),
                              "out": ("4 * count * groups", None)},
}


class EmulatorError(AssertionError):
    """A launch the real GPU would run wrongly (or not at all)."""


def _signatures(source):
    """{kernel: [(numpy dtype, is_pointer, is_const, name), ...]} of kernels.cu's __global__ functions."""
    signatures = {}
    for name, params in re.findall(r"__global__\s+void\s+(\w+)\s*\((.*?)\)", source, re.S):
        parsed = []
        for param in params.split(","):
            words = param.replace("*", " * ").split()
            const = "const" in words
            words = [w for w in words if w != "const"]
            pointer = "*" in words
            ctype = " ".join(w for w in words[:-1] if w != "*")
            parsed.append((np.dtype(_C_TYPES[ctype]), pointer, const, words[-1]))
        signatures[name] = parsed
    return signatures


def grid_stride_bounds(source):
    """{kernel: the C bound of its FM_FOR loop} (kernels without one absent);
    asserts that FM_FOR is a grid-stride loop, so any grid covers any bound."""
    macro = re.search(r"#define FM_FOR\(i, n\)(.*?)\n\n", source, re.S).group(1)
    assert "i += (size_t)gridDim.x * blockDim.x" in macro.replace("\\\n", " ").replace("  ", " ") \
        or "gridDim.x * blockDim.x" in macro, macro
    bounds = {}
    bodies = re.split(r"(?=__global__\s+void\s)", source)
    for body in bodies[1:]:
        name = re.match(r"__global__\s+void\s+(\w+)", body).group(1)
        loops = re.findall(r"^\s*FM_FOR\(\w+,\s*(.*)\)\s*\{?\s*$", body, re.M)
        if loops:
            assert len(loops) == 1, (name, loops)
            bounds[name] = loops[0]
    return bounds


def _c_eval(expr, scalars):
    """A C size expression of kernels.cu over the launch's scalars, in Python
    (C's integer division)."""
    return int(eval(expr.replace("/", "//"), {"__builtins__": {}}, dict(scalars)))  # noqa: S307


def _fixed_launches(source):
    """Kernels launched as one block of a fixed size: {kernel: (grid, block)}."""
    threads = int(re.search(r"#define FM_FINISH_THREADS (\d+)", source).group(1))
    assert threads == cuda_device.FINISH_THREADS, "Device.FINISH_THREADS must match kernels.cu"
    return {"fm_k_loss_finish": ((1,), (threads,))}


def _check_grid(name, grid, block, scalars, bounds, fixed):
    grid, block = tuple(grid), tuple(block)
    if name in fixed:
        if (grid, block) != fixed[name]:
            raise EmulatorError(f"{name} must run as grid {fixed[name][0]} block {fixed[name][1]}, "
                                f"got grid {grid} block {block}")
        return
    work = _c_eval(bounds[name], scalars)
    blocks, threads = grid[0], block[0]
    if len(grid) != 1 or len(block) != 1 or not 1 <= threads <= MAX_THREADS_PER_BLOCK:
        raise EmulatorError(f"{name}: a 1-D grid of 1..1024-thread blocks, got {grid} x {block}")
    if work < 1:
        raise EmulatorError(f"{name} launched for an empty loop ({bounds[name]} = {work})")
    covers = blocks * threads >= work or blocks == cuda_device.MAX_BLOCKS
    if not (1 <= blocks <= cuda_device.MAX_BLOCKS and covers and (blocks - 1) * threads < work):
        raise EmulatorError(f"{name}: grid {grid} x block {block} is not sized for its loop over "
                            f"{bounds[name]} = {work}")


def _flat_buffers(name, signature, args, scalars):
    """The launch's pointers as flat NumPy views, sizes checked; None for a
    buffer its has_* flag says the kernel does not read."""
    sizes = BUFFER_SIZES[name]
    assert set(sizes) == {p for _, pointer, _, p in signature if pointer}, name
    buffers = {}
    for arg, (dtype, pointer, const, param) in zip(args, signature):
        if not pointer:
            continue
        count, condition = sizes[param]
        if condition is not None and not _c_eval(condition, scalars):
            buffers[param] = None
            continue
        expected = _c_eval(count, scalars)
        if arg.size != expected:
            raise EmulatorError(f"{name}: {param} holds {arg.size} elements, the kernel indexes "
                                f"{count} = {expected}")
        flat = arg._a.reshape(-1)
        if const:
            flat = flat.view()
            flat.flags.writeable = False
        buffers[param] = flat
    return buffers


def emulated_cupy(kernels, source):
    """A ``cupy`` stand-in whose kernels are ``kernels`` (the CPU extension).

    Args:
        kernels: ``fastmlp.backend._kernels``.
        source: the text of kernels.cu.

    Returns:
        The module; its ``launches`` list records every kernel launched.
    """
    signatures = _signatures(source)
    bounds = grid_stride_bounds(source)
    fixed = _fixed_launches(source)
    launches = []

    class RawModule:
        def __init__(self, code, options=()):
            assert any(o.startswith("-I") for o in options) and "--fmad=false" in options
            self.emulations = emulations(kernels, cuda_device.FINISH_THREADS)

        def compile(self):
            assert set(signatures) == set(self.emulations) == set(BUFFER_SIZES)
            assert set(signatures) == set(bounds) | set(fixed)

        def get_function(self, name):
            signature, emulate = signatures[name], self.emulations[name]

            def launch(grid, block, args):
                if len(args) != len(signature):
                    raise EmulatorError(f"{name} takes {len(signature)} arguments, got {len(args)}")
                scalars = {}
                for arg, (dtype, pointer, _, param) in zip(args, signature):
                    if pointer:
                        if not isinstance(arg, DeviceArray):  # CuPy: "Unsupported type"
                            raise TypeError(f"{name}: {param} must be a device array, got "
                                            f"{type(arg).__name__}")
                        if arg.dtype != dtype or not arg.flags.c_contiguous:
                            raise EmulatorError(f"{name}: {param} must be a C-contiguous {dtype} "
                                                f"array, got {arg.dtype} {arg.strides}")
                    elif type(arg) is not dtype.type:
                        raise EmulatorError(f"{name}: {param} must be a {dtype.type.__name__}, "
                                            f"got {type(arg).__name__}")
                    else:
                        scalars[param] = arg.item() if dtype.kind in "iu" else arg
                _check_grid(name, grid, block, scalars, bounds, fixed)
                buffers = _flat_buffers(name, signature, args, scalars)
                launches.append(name)
                emulate(**buffers, **scalars)

            return launch

    cupy = device_module()
    cupy.RawModule = RawModule
    cupy.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 1))
    cupy.launches = launches
    return cupy
