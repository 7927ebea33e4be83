"""The ``cupy`` (GPU) backend.

Everywhere:
* the CUDA sources (``fastmlp/backend/cuda/kernels.cu`` plus the C headers the
  CPU extension is built from) compile with NVRTC exactly as ``RawModule``
  compiles them, to PTX and to machine code for sm_80 and sm_90, without a
  warning (no GPU needed: the test extra installs CuPy and the NVRTC wheel,
  and CI fails rather than skips when NVRTC is missing);
* choosing ``cupy`` without CuPy, or without a GPU, raises
  :class:`fastmlp.backend.BackendUnavailable` saying which is missing, and
  nothing else in the package imports CuPy.

On an NVIDIA GPU with CuPy (skipped elsewhere, with the reason): every kernel
against the NumPy reference with the tolerances of ``test_kernels.py``, the
dropout masks of the CPU bit for bit, and the MNIST seed program.
"""

import importlib.util
import inspect
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import fastmlp
import fastmlp.backend as backend_module
from fastmlp.backend import BackendUnavailable, cuda, cupy_ops, get_ops
from fastmlp.backend.numpy_ops import NumpyOps

from compiled_extension import compiled_module, compiled_ops


def _load_cpu_kernel_tests():
    """tests/backend/test_kernels.py as a module: its shapes, helpers, tolerances."""
    path = Path(__file__).with_name("test_kernels.py")
    spec = importlib.util.spec_from_file_location("_fastmlp_test_kernels_for_cupy", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


K = _load_cpu_kernel_tests()
F32 = np.float32
REF = NumpyOps()
ARCHS = ["sm_80", "sm_90"]  # Ampere and Hopper


def _global_kernels():
    """The __global__ functions kernels.cu defines."""
    return set(re.findall(r"__global__\s+void\s+(\w+)\s*\(", cuda.KERNELS_CU.read_text()))


def _kernels_used():
    """The kernel names cupy_ops.py launches."""
    return set(re.findall(r'"(fm_k_\w+)"', Path(cupy_ops.__file__).read_text()))


# ------------------------------------------------------------ compilation
def test_kernel_sources_are_found():
    assert cuda.KERNELS_CU.is_file()
    headers = cuda.include_dir()
    for name in cuda.HEADERS:
        assert (headers / name).is_file(), name
    assert _kernels_used() <= _global_kernels()
    threads = re.search(r"#define FM_FINISH_THREADS (\d+)", cuda.KERNELS_CU.read_text())
    assert int(threads.group(1)) == cuda.FINISH_THREADS  # the one-block launch's size
    source = cuda.kernel_source()
    for name in cuda.HEADERS:
        assert f'#include "{name}"' in source


def test_gpu_and_cpu_share_the_kernel_bodies():
    """The headers RawModule gets are the ones the CPU extension is built from:
    csrc/ itself in a checkout, a byte-identical copy in an installed package."""
    headers = cuda.include_dir()
    checkout = Path(__file__).resolve().parents[2] / "csrc"
    if checkout.is_dir() and headers.resolve() != checkout.resolve():
        for name in cuda.HEADERS:
            assert (headers / name).read_bytes() == (checkout / name).read_bytes(), name
    # Every fused kernel's body is an FM_FN function of those headers, not code of its own.
    source = cuda.KERNELS_CU.read_text()
    for fn in ("fm_bias_act_row", "fm_dense_grad_row", "fm_relu", "fm_relu_grad",
               "fm_dropout_block", "fm_dropout_apply1", "fm_softmax_row", "fm_log_softmax_row",
               "fm_softmax_backward_row", "fm_xent_sparse_row", "fm_xent_dense_row",
               "fm_sgd_elem", "fm_adam_elem", "fm_rmsprop_elem", "fm_argmax_row"):
        assert re.search(rf"\b{fn}\(", source), fn
        assert any(re.search(rf"FM_FN\s+\w+\s+{fn}\(", (headers / h).read_text())
                   for h in cuda.HEADERS), fn


def _nvrtc():
    """CuPy's binding of NVRTC, the compiler RawModule uses (no GPU needed).

    The test extra installs CuPy and the NVRTC wheel (Linux x86-64), so CI
    compiles every kernel; elsewhere this skips saying why, and
    FASTMLP_STRICT_SKIPS=1 (set by .ci/run, see tests/conftest.py) turns that
    skip into a failure."""
    try:
        from cupy_backends.cuda.libs import nvrtc
        nvrtc.getVersion()
    except Exception as exc:  # no CuPy, or CuPy without its NVRTC library
        pytest.skip(f"NVRTC is not available here (pip install cupy-cuda12x nvidia-cuda-nvrtc-cu12): "
                    f"{type(exc).__name__}: {exc}")
    return nvrtc


class CompileError(AssertionError):
    """NVRTC rejected the source; the message holds its log."""


def _compile(nvrtc, arch, source=None):
    """``source`` (default: exactly what RawModule gets) compiled by NVRTC with
    RawModule's options and ``-arch=arch``.

    Returns:
        ``(ptx, cubin, log)``: the PTX text, the CUBIN bytes for a real
        ``sm_XX`` architecture (None for a virtual ``compute_XX`` one), and
        NVRTC's log (warnings included).

    Raises:
        CompileError: NVRTC failed; the message is its log."""
    prog = nvrtc.createProgram(cuda.kernel_source() if source is None else source, "kernels.cu", [], [])
    try:
        try:
            nvrtc.compileProgram(prog, [*cuda.compile_options(), f"-arch={arch}"])
        except nvrtc.NVRTCError as exc:
            raise CompileError(f"NVRTC -arch={arch}: {exc}\n{nvrtc.getProgramLog(prog)}") from None
        ptx = nvrtc.getPTX(prog)
        cubin = nvrtc.getCUBIN(prog) if arch.startswith("sm_") else None
        log = nvrtc.getProgramLog(prog)
    finally:
        nvrtc.destroyProgram(prog)
    as_text = (lambda b: b.decode().rstrip("\0") if isinstance(b, bytes) else b)
    return as_text(ptx), cubin, as_text(log).strip()


@pytest.mark.parametrize("arch", ARCHS)
def test_nvrtc_compiles_every_kernel_without_warnings(arch):
    """The exact source and options RawModule gets, compiled to PTX: every
    __global__ kernel present, no warning in the log (RawModule would not
    show one), and no contracted multiply-add in the optimizer kernels."""
    ptx, _, log = _compile(_nvrtc(), f"compute_{arch[3:]}")
    assert log == "", f"NVRTC warned:\n{log}"
    assert f".target {arch}" in ptx
    assert set(re.findall(r"\.entry\s+(\w+)\s*\(", ptx)) == _global_kernels()
    # --fmad=false: no contracted multiply-adds in the optimizer kernels, whose
    # results must round exactly as on the CPU (libdevice's expf/logf use fma
    # internally, so the whole file is not checked).
    for kernel in ("fm_k_sgd", "fm_k_adam", "fm_k_rmsprop", "fm_k_dropout_apply"):
        body = re.search(rf"\.entry\s+{kernel}\s*\((.*?)\n\}}", ptx, re.S).group(1)
        assert "fma." not in body, kernel


@pytest.mark.parametrize("arch", ARCHS)
def test_nvrtc_assembles_every_kernel_for_the_gpu(arch):
    """The same compilation down to machine code (NVRTC runs ptxas): what a
    GPU of that generation loads, so register or resource errors show too."""
    _, cubin, log = _compile(_nvrtc(), arch)
    assert log == "", f"NVRTC warned:\n{log}"
    assert cubin[:4] == b"\x7fELF"
    for name in _global_kernels():
        assert name.encode() + b"\0" in cubin, name  # each kernel's symbol


def test_nvrtc_compile_check_catches_a_broken_kernel():
    """A one-character slip in kernels.cu fails the compile tests above,
    with NVRTC's error and line in the message."""
    nvrtc = _nvrtc()
    source = cuda.kernel_source()
    broken = source.replace("__global__ void fm_k_relu_forward(", "__global__ void fm_k_relu_forward(,", 1)
    assert broken != source
    with pytest.raises(CompileError, match=r"kernels\.cu\(\d+\): error"):
        _compile(nvrtc, "compute_80", broken)
    _, _, log = _compile(nvrtc, "compute_80", source + "\nextern \"C\" __global__ void "
                         "fm_k_planted(float* x) { int unused; x[0] = 1.0f; }\n")
    assert "warning" in log and "unused" in log  # what the warning checks above would report


# ------------------------------------------------------------------ errors
@pytest.fixture
def fresh_backend(monkeypatch):
    """The backend registry without a cached cupy instance, restored afterwards."""
    monkeypatch.setattr(backend_module, "_instances", dict(backend_module._instances))
    backend_module._instances.pop("cupy", None)
    monkeypatch.setattr(backend_module, "_current", backend_module._current)
    return backend_module


def test_without_cupy_the_error_says_to_install_it(fresh_backend, monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # `import cupy` raises ImportError
    with pytest.raises(BackendUnavailable) as info:
        fresh_backend.set_backend("cupy")
    assert isinstance(info.value, ImportError)
    assert "the cupy backend needs CuPy: pip install 'fastmlp[gpu]'" in str(info.value)
    with pytest.raises(BackendUnavailable, match="needs CuPy"):
        get_ops("cupy")
    # The environment variable fails the same way, when the backend is first used.
    monkeypatch.setattr(fresh_backend, "_current", None)
    monkeypatch.setenv("FASTMLP_BACKEND", "cupy")
    with pytest.raises(BackendUnavailable, match="needs CuPy"):
        fresh_backend.backend()


def _fake_cupy(get_count):
    class CUDARuntimeError(RuntimeError):
        pass

    def getDeviceCount():
        return get_count(CUDARuntimeError)

    cupy = types.ModuleType("cupy")
    cupy.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(
        getDeviceCount=getDeviceCount, CUDARuntimeError=CUDARuntimeError))
    return cupy


def _no_device(error):
    raise error("cudaErrorNoDevice: no CUDA-capable device is detected")


def _old_driver(error):
    raise error("cudaErrorInsufficientDriver: CUDA driver version is insufficient")


@pytest.mark.parametrize("get_count", [_no_device, _old_driver, lambda error: 0],
                         ids=["no-device", "old-driver", "zero-devices"])
def test_without_a_gpu_the_error_says_so(fresh_backend, monkeypatch, get_count):
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(get_count))
    with pytest.raises(BackendUnavailable) as info:
        fresh_backend.set_backend("cupy")
    message = str(info.value)
    assert "the cupy backend needs an NVIDIA GPU: no CUDA GPU found" in message
    assert "pip install" not in message  # CuPy is there: the GPU is what is missing


def test_real_cupy_without_a_gpu(fresh_backend):
    cupy = pytest.importorskip("cupy", reason="CuPy is not installed")
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception:
        count = 0
    if count:
        pytest.skip("this machine has a GPU: the GPU tests below cover it")
    with pytest.raises(BackendUnavailable, match="no CUDA GPU found"):
        fresh_backend.set_backend("cupy")


def test_nothing_else_imports_cupy():
    """Importing every fastmlp module (cupy_ops included) leaves CuPy unimported."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import fastmlp\n"
        "for info in pkgutil.walk_packages(fastmlp.__path__, 'fastmlp.'):\n"
        "    try:\n"
        "        importlib.import_module(info.name)\n"
        "    except ImportError as exc:\n"
        "        assert 'cupy' not in str(exc).lower(), (info.name, exc)\n"
        "import fastmlp.backend.cupy_ops\n"
        "fastmlp.backend.get_ops('numpy')\n"
        "assert 'cupy' not in sys.modules, sorted(m for m in sys.modules if 'cupy' in m)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "FASTMLP_BACKEND": "numpy"})
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("name", K.KERNELS)
def test_cupy_backend_overrides_every_kernel(name):
    cls = cupy_ops.CupyOps
    assert getattr(cls, name) is not getattr(NumpyOps, name)
    assert inspect.signature(getattr(cls, name)) == inspect.signature(getattr(NumpyOps, name))
    assert cls.dropout_backward is cls.dropout_apply
    for method in ("asarray", "to_numpy"):
        assert getattr(cls, method) is not getattr(NumpyOps, method)
        assert inspect.signature(getattr(cls, method)) == inspect.signature(getattr(NumpyOps, method))


# ----------------------------------------------- an emulated device (CPU)
# CupyOps on a stand-in for CuPy (tests/backend/cuda_emulator.py): device
# arrays that refuse silent NumPy interop as CuPy does, and a RawModule whose
# kernels check every launch against the C signature in kernels.cu (argument
# count, pointer dtypes and contiguity, exact NumPy scalar types), the size of
# every buffer against the size arguments, and the grid against the kernel's
# loop, then run the same FM_FN bodies through the CPU extension
# (cuda_emulations.py) on flat buffers whose shapes come from the size
# arguments alone. The GPU tests below run on it everywhere the extension is
# built, so the Python half of the backend is tested without a GPU; on a GPU
# they run again on the real device.
import cuda_emulator as EMU  # noqa: E402  (tests/backend, on sys.path under pytest as tests/ is)


def _emulated_cupy(kernels):
    return EMU.emulated_cupy(kernels, cuda.KERNELS_CU.read_text())


def _make_gpu(kind):
    if kind == "cuda":
        try:
            return get_ops("cupy")
        except BackendUnavailable as exc:
            pytest.skip(f"GPU tests need CuPy and an NVIDIA GPU: {exc}")
    _kernels = compiled_module("_kernels")  # the emulated device runs the compiled CPU kernels
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "cupy", _emulated_cupy(_kernels))
        return cupy_ops.CupyOps()


# ------------------------------------------------------------ on a GPU
@pytest.fixture(scope="module", params=["emulated", "cuda"])
def gpu(request):
    """The cupy backend on the GPU ("cuda"; skipped, saying why, where it
    cannot run) and on the emulated device ("emulated")."""
    return _make_gpu(request.param)


def test_emulated_device_launches_every_kernel():
    """The GPU tests on the emulated device reach every kernel of kernels.cu."""
    ops = _make_gpu("emulated")
    xp = ops.xp
    launched = xp.launches
    launched.clear()
    rng = np.random.default_rng(0)
    x, W, b = K.rand(rng, 4, 3), K.rand(rng, 3, 5), K.rand(rng, 5)
    y = ops.dense_forward(x, W, b, "relu", xp.empty((4, 5), F32))
    ops.dense_backward(x, W, y, xp.asarray(K.rand(rng, 4, 5)), "relu", xp.empty((3, 5), F32),
                       xp.empty(5, F32), xp.empty((4, 3), F32))
    ops.dense_backward(x, W, y, xp.asarray(K.rand(rng, 4, 5)), "relu", xp.empty((3, 5), F32), None,
                       None)
    ops.relu_backward(y, y, ops.relu_forward(y, xp.empty_like(y)))
    mask = xp.empty(y.shape, np.uint8)
    ops.dropout_backward(y, ops.dropout_mask(1, 2, 0.5, mask), 0.5, ops.dropout_forward(
        y, 0.5, 1, 2, mask, xp.empty_like(y)))
    ops.softmax_backward(y, y, ops.log_softmax(y, ops.softmax(y, xp.empty_like(y))))
    labels = np.array([0, 1, 2, 3], np.int32)
    ops.softmax_xent_sparse(y, labels, xp.empty_like(y))
    ops.softmax_xent_dense(y, y, None)
    ops.count_correct_sparse(y, labels)
    ops.count_correct_dense(y, y)
    p = xp.asarray(K.rand(rng, 10))
    ops.sgd_update(p, p.copy(), None, 0.1)
    ops.adam_update(p, p.copy(), xp.zeros_like(p), xp.zeros_like(p), 0.1, 0.9, 0.99, 1e-7, 1)
    ops.rmsprop_update(p, p.copy(), xp.zeros_like(p), None, 0.1, 0.9, 0.0, 1e-7)
    ops.confusion_counts(y, (y > 0).astype(F32), np.array([0.0, 0.5], F32), np.zeros((4, 2, 1)))
    assert set(launched) == _global_kernels()


def test_emulated_device_refuses_what_a_gpu_refuses():
    """The emulated device is as strict as CuPy and a GPU: no implicit host
    conversion, no host array in device arithmetic or in a kernel launch, every
    buffer exactly the size the kernel indexes, the grid sized for its loop."""
    ops = _make_gpu("emulated")
    xp = ops.xp
    host = np.arange(6, dtype=F32).reshape(2, 3)
    dev = xp.asarray(host)
    host[0, 0] = 99.0  # host to device is a copy
    assert float(dev[0, 0]) == 0.0
    for convert in (np.asarray, np.array, lambda a: a.__array__()):
        with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
            convert(dev)
    for mix in (lambda: dev + host, lambda: host * dev, lambda: np.add(dev, host),
                lambda: xp.matmul(dev, host.T), lambda: xp.maximum(host, 0),
                lambda: np.multiply(dev, 2, out=np.empty_like(host))):
        with pytest.raises(TypeError, match="host numpy.ndarray|out must be a device array"):
            mix()
    with pytest.raises(TypeError, match="ascontiguousarray: a must be a device array"):
        xp.ascontiguousarray(host)
    np.testing.assert_array_equal(xp.asnumpy(dev * np.float32(2) + 1), np.arange(6).reshape(2, 3) * 2 + 1)
    assert isinstance(dev.sum(), xp.ndarray) and dev.sum().ndim == 0  # reductions stay on the device

    relu = ops._dev.kernel("fm_k_relu_forward")
    out = xp.empty((2, 3), F32)
    relu((1,), (256,), (dev, out, np.uint64(6)))  # the launch as CupyOps makes it
    with pytest.raises(TypeError, match="x must be a device array, got ndarray"):
        relu((1,), (256,), (host, out, np.uint64(6)))
    with pytest.raises(EMU.EmulatorError, match=r"x holds 6 elements, the kernel indexes n = 5"):
        relu((1,), (256,), (dev, out, np.uint64(5)))
    with pytest.raises(EMU.EmulatorError, match="n must be a uint64, got int"):
        relu((1,), (256,), (dev, out, 6))
    with pytest.raises(EMU.EmulatorError, match="out must be a C-contiguous float32 array"):
        relu((1,), (256,), (dev, xp.empty((3, 2), F32).T, np.uint64(6)))
    with pytest.raises(EMU.EmulatorError, match=r"grid \(2,\) x block \(256,\) is not sized"):
        relu((2,), (256,), (dev, out, np.uint64(6)))  # a block with nothing to do
    softmax = ops._dev.kernel("fm_k_softmax")
    with pytest.raises(EMU.EmulatorError, match="is not sized for its loop over rows = 2"):
        softmax((1,), (1,), (dev, out, np.uint64(2), np.uint64(3)))  # one thread for two rows
    finish = ops._dev.kernel("fm_k_loss_finish")
    with pytest.raises(EMU.EmulatorError, match=r"must run as grid \(1,\) block \(256,\)"):
        finish((1,), (128,), (xp.zeros(2), ops._dev.dummy(np.int32), np.int32(0), np.uint64(2),
                              np.uint64(3), xp.zeros(2)))


@pytest.mark.parametrize("per_column", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_confusion_counts_match_the_reference(gpu, per_column, weighted):
    """Histogram + suffix-sum kernels against NumpyOps: thresholds at exact
    prediction values (strict), NaN predictions, row and column weights; the
    device sums in another order, so float64 rounding may differ slightly."""
    rng = np.random.default_rng(3)
    for rows, cols in [(1, 1), (7, 3), (65, 5)]:
        preds = rng.random((rows, cols)).astype(F32)
        preds[0, 0] = np.nan
        labels = (rng.random((rows, cols)) < 0.4).astype(F32)
        thresholds = np.sort(np.concatenate([[0.0, 0.5, 1.0], preds.ravel()[1:4]])).astype(F32)
        row_w = rng.random(rows).astype(F32) if weighted else None
        col_w = rng.random(cols).astype(F32) if weighted else None
        groups = cols if per_column else 1
        expected = K.REF.confusion_counts(preds, labels, thresholds, np.zeros((4, len(thresholds), groups)),
                                          row_w, col_w, per_column)
        got = gpu.confusion_counts(gpu.asarray(preds), gpu.asarray(labels), thresholds,
                                   np.ones((4, len(thresholds), groups)), None if row_w is None else
                                   gpu.asarray(row_w), None if col_w is None else gpu.asarray(col_w),
                                   per_column)
        np.testing.assert_allclose(got, expected + 1.0, rtol=1e-12, atol=1e-12)  # added to out


def test_confusion_counts_check_their_arguments(gpu):
    preds = np.zeros((3, 2), F32)
    with pytest.raises(ValueError, match="sorted ascending"):
        gpu.confusion_counts(preds, preds, np.array([0.5, 0.1], F32), np.zeros((4, 2, 1)))
    with pytest.raises(ValueError, match=r"out must be a float64 host array of shape \(4, 1, 1\)"):
        gpu.confusion_counts(preds, preds, np.array([0.5], F32), np.zeros((4, 1, 2)))
    with pytest.raises(ValueError, match=r"row_weights must have shape \(3,\)"):
        gpu.confusion_counts(preds, preds, np.array([0.5], F32), np.zeros((4, 1, 1)), np.ones(2, F32))
    with pytest.raises(ValueError, match="labels must have"):
        gpu.confusion_counts(preds, np.zeros((2, 2), F32), np.array([0.5], F32), np.zeros((4, 1, 1)))


def test_emulated_device_trains_a_model(monkeypatch):
    """A whole fit/evaluate/predict runs through CupyOps on the emulated device
    (its kernels, the layers' xp calls on strict device arrays) and gives the
    CPU's results bit for bit: the same GEMMs (NumPy's matmul, one BLAS thread
    on both sides: the thread count changes OpenBLAS's sgemm rounding, and the
    cython backend's fit runs small batches on one thread), the same kernel
    bodies, the same Philox masks. The compiled training step is turned off:
    it runs on cython only, and its compiled inference chains the GEMMs
    differently (predictions then differ by ~5e-7), so the comparison is with
    the step-by-step path the cupy backend shares."""
    _kernels = compiled_module("_kernels")  # the emulated device runs the compiled CPU kernels
    from fastmlp.backend import blas, compiled_step

    monkeypatch.setitem(sys.modules, "cupy", _emulated_cupy(_kernels))
    was_enabled = compiled_step.set_enabled(False)
    results = {}
    try:
        for name in ("cupy", "cython"):
            monkeypatch.setattr(backend_module, "_instances", {})
            with fastmlp.backend.use_backend(name), blas.single_thread():
                fastmlp.utils.set_random_seed(0)
                (x, y), (xt, yt) = fastmlp.datasets.mnist_sample.load_data()
                model = fastmlp.Sequential([
                    fastmlp.layers.Flatten(input_shape=(28, 28)), fastmlp.layers.Rescaling(1 / 255),
                    fastmlp.layers.Dense(32, activation="relu"), fastmlp.layers.Dropout(0.2),
                    fastmlp.layers.Dense(10)])
                model.compile(optimizer="adam", metrics=["accuracy"],
                              loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True))
                history = model.fit(x[:1000], y[:1000], epochs=2, verbose=0)
                pred = model.predict(xt[:50], verbose=0)
                if name == "cupy":
                    assert isinstance(pred, sys.modules["cupy"].ndarray)  # outputs stay on the device
                results[name] = (history.history, model.evaluate(xt, yt, verbose=0),
                                 model.ops.to_numpy(pred), model.get_weights())
    finally:
        compiled_step.set_enabled(was_enabled)
        monkeypatch.setattr(backend_module, "_instances", {})
    (hist_gpu, eval_gpu, pred_gpu, w_gpu), (hist_cpu, eval_cpu, pred_cpu, w_cpu) = \
        results["cupy"], results["cython"]
    assert eval_cpu[1] > 0.7  # it learned
    assert len(w_gpu) == len(w_cpu) == 4
    for got, expected in zip(w_gpu, w_cpu):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(pred_gpu, pred_cpu)
    assert hist_gpu == hist_cpu and eval_gpu == eval_cpu


def _dev(gpu, a):
    """A device copy of ``a`` (a copy on the emulated device too)."""
    return None if a is None else gpu.xp.array(a)


def _host(gpu, a):
    return None if a is None else gpu.to_numpy(a)


def _empty(gpu, shape, dtype=F32):
    return gpu.xp.asarray(K.empty(shape, dtype))


def _cpu():
    """The CPU backend whose masks and row bodies the GPU must reproduce: cython
    (skipped, or failed under FASTMLP_REQUIRE_COMPILED=1, where it is not built)."""
    return compiled_ops()


def _emulated(gpu):
    """Whether ``gpu`` is the emulated device: its kernels are the cython
    backend's bodies and its GEMMs NumPy's matmul, so it agrees with the CPU
    bit for bit where a real GPU (cuBLAS, CUDA's expf/logf) may not."""
    return gpu.xp.ndarray is EMU.DeviceArray


def _assert_gemm(gpu, actual, expected, bound, terms):
    """A GEMM output: on the emulated device NumPy's matmul, as the reference,
    so exactly equal; on a GPU cuBLAS sums in its own order, within the
    rounding bound of test_kernels.py."""
    if _emulated(gpu):
        np.testing.assert_array_equal(actual, expected)
    else:
        K.assert_gemm_close(actual, expected, bound, terms)


@pytest.mark.parametrize("n,k,m", K.DENSE_SHAPES)
@pytest.mark.parametrize("activation", ["linear", "relu"])
@pytest.mark.parametrize("bias", [True, False])
def test_gpu_dense_matches_reference(gpu, n, k, m, activation, bias):
    rng = np.random.default_rng(n * 7 + k * 3 + m)
    x, W, dy = K.rand(rng, n, k), K.rand(rng, k, m, scale=k ** -0.5), K.rand(rng, n, m)
    b = K.rand(rng, m) if bias else None
    y = gpu.dense_forward(_dev(gpu, x), _dev(gpu, W), _dev(gpu, b), activation, _empty(gpu, (n, m)))
    y_ref = REF.dense_forward(x, W, b, activation, K.empty((n, m)))
    _assert_gemm(gpu, _host(gpu, y), y_ref, np.abs(x) @ np.abs(W) + (0 if b is None else np.abs(b)), k)

    d, d_ref = _dev(gpu, dy), dy.copy()
    db = _empty(gpu, m) if bias else None
    db_ref = K.empty(m) if bias else None
    dW, _, dx = gpu.dense_backward(_dev(gpu, x), _dev(gpu, W), _dev(gpu, y_ref), d, activation,
                                   _empty(gpu, (k, m)), db, _empty(gpu, (n, k)))
    dW_ref, _, dx_ref = REF.dense_backward(x, W, y_ref, d_ref, activation, K.empty((k, m)), db_ref,
                                           K.empty((n, k)))
    np.testing.assert_array_equal(_host(gpu, d), d_ref)  # the ReLU derivative, in place
    _assert_gemm(gpu, _host(gpu, dW), dW_ref, np.abs(x).T @ np.abs(d_ref), n)
    _assert_gemm(gpu, _host(gpu, dx), dx_ref, np.abs(d_ref) @ np.abs(W).T, m)
    if bias:  # one thread per column adding rows in order, as NumPy's sum(axis=0): exact everywhere
        np.testing.assert_array_equal(_host(gpu, db), db_ref)


def test_gpu_dense_first_layer_and_host_inputs(gpu):
    rng = np.random.default_rng(1)
    x, W, dy = K.rand(rng, 4, 3), K.rand(rng, 3, 2), K.rand(rng, 4, 2)
    dW, db, dx = gpu.dense_backward(x, W, np.ones((4, 2), F32), _dev(gpu, dy), "linear",
                                    _empty(gpu, (3, 2)), None, None)
    assert db is None and dx is None
    if _emulated(gpu):  # NumPy's matmul on both sides
        np.testing.assert_array_equal(_host(gpu, dW), x.T @ dy)
    np.testing.assert_allclose(_host(gpu, dW), x.T @ dy, rtol=1e-6)  # cuBLAS: its own order


@pytest.mark.parametrize("shape", K.SHAPES)
def test_gpu_relu_matches_reference_exactly(gpu, shape):
    rng = np.random.default_rng(3)
    x, dy = K.rand(rng, *shape), K.rand(rng, *shape)
    x.flat[0] = 0.0
    np.testing.assert_array_equal(_host(gpu, gpu.relu_forward(_dev(gpu, x), _empty(gpu, shape))),
                                  REF.relu_forward(x, K.empty(shape)))
    y = REF.relu_forward(x, K.empty(shape))
    np.testing.assert_array_equal(
        _host(gpu, gpu.relu_backward(_dev(gpu, y), _dev(gpu, dy), _empty(gpu, shape))),
        REF.relu_backward(y, dy, K.empty(shape)))


def test_gpu_relu_nan_and_in_place(gpu):
    x = np.array([[-1.0, np.nan, 2.0, -0.0], [3.0, -np.inf, np.inf, 0.5]], F32)
    ref = REF.relu_forward(x, K.empty(x.shape))
    y = _dev(gpu, x)
    gpu.relu_forward(y, y)
    np.testing.assert_array_equal(_host(gpu, y), ref)


@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (33, 785), (256, 128), (1000, 1001)])
@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9])
def test_gpu_dropout_masks_are_the_cpus(gpu, shape, rate):
    seed, step = 2**40 + 12345, 2**33 + 7  # both halves of key and step counter used
    mask = _host(gpu, gpu.dropout_mask(seed, step, rate, _empty(gpu, shape, np.uint8)))
    cpu = _cpu().dropout_mask(seed, step, rate, K.empty(shape, np.uint8))
    assert mask.dtype == np.uint8
    np.testing.assert_array_equal(mask, cpu)
    np.testing.assert_array_equal(mask, REF.dropout_mask(seed, step, rate, K.empty(shape, np.uint8)))


@pytest.mark.parametrize("shape", [(3, 7), (32, 128)])
def test_gpu_dropout_forward_backward(gpu, shape):
    rng = np.random.default_rng(4)
    x, dy, rate = K.rand(rng, *shape), K.rand(rng, *shape), 0.3
    mask, out = _empty(gpu, shape, np.uint8), _empty(gpu, shape)
    gpu.dropout_forward(_dev(gpu, x), rate, 99, 5, mask, out)
    ref_mask, ref_out = K.empty(shape, np.uint8), K.empty(shape)
    REF.dropout_forward(x, rate, 99, 5, ref_mask, ref_out)
    np.testing.assert_array_equal(_host(gpu, mask), ref_mask)
    np.testing.assert_array_equal(_host(gpu, out), ref_out)
    d = _dev(gpu, dy)
    gpu.dropout_backward(d, mask, rate, d)  # in place, as the Dropout layer calls it
    np.testing.assert_array_equal(_host(gpu, d), REF.dropout_backward(dy, ref_mask, rate, K.empty(shape)))


def test_gpu_dropout_invalid_arguments(gpu):
    mask = _empty(gpu, (2, 5), np.uint8)
    for rate in (1.0, -0.1):
        with pytest.raises(ValueError, match="rate"):
            gpu.dropout_mask(1, 1, rate, mask)
    with pytest.raises(ValueError, match="seed"):
        gpu.dropout_mask(-1, 1, 0.5, mask)
    with pytest.raises(ValueError, match="step"):
        gpu.dropout_mask(1, 2**64, 0.5, mask)
    with pytest.raises(TypeError, match="mask"):
        gpu.dropout_mask(1, 1, 0.5, _empty(gpu, (2, 5)))


@pytest.mark.parametrize("shape", K.SHAPES)
def test_gpu_softmax_family_matches_reference(gpu, shape):
    rng = np.random.default_rng(5)
    x, dy = K.rand(rng, *shape, scale=3.0), K.rand(rng, *shape)
    p = _host(gpu, gpu.softmax(_dev(gpu, x), _empty(gpu, shape)))
    p_ref = REF.softmax(x, K.empty(shape))
    np.testing.assert_allclose(p, p_ref, rtol=1e-5, atol=1e-30)
    lp = _host(gpu, gpu.log_softmax(_dev(gpu, x), _empty(gpu, shape)))
    lp_ref = REF.log_softmax(x, K.empty(shape))
    assert np.all(np.abs(lp - lp_ref) <= 1e-5 * np.maximum(1, np.abs(lp_ref)))
    g = _host(gpu, gpu.softmax_backward(_dev(gpu, p_ref), _dev(gpu, dy), _empty(gpu, shape)))
    g_ref = REF.softmax_backward(p_ref, dy, K.empty(shape))
    bound = (np.abs(dy) + np.abs(dy * p_ref).sum(1, keepdims=True)) * p_ref
    assert np.all(np.abs(g - g_ref) <= 4 * (shape[1] + 2) * K.EPS * bound + 1e-30)
    if _emulated(gpu):  # the cython backend's row bodies: its results exactly (a GPU's expf/logf
        cpu = _cpu()    # are not correctly rounded, hence the bounds above there)
        np.testing.assert_array_equal(p, cpu.softmax(x, K.empty(shape)))
        np.testing.assert_array_equal(lp, cpu.log_softmax(x, K.empty(shape)))
        np.testing.assert_array_equal(g, cpu.softmax_backward(p_ref, dy, K.empty(shape)))


@pytest.mark.parametrize("shape", K.SHAPES)
def test_gpu_softmax_xent_matches_reference(gpu, shape):
    rng = np.random.default_rng(6)
    n, c = shape
    logits = K.rand(rng, *shape, scale=3.0)
    labels = rng.integers(0, c, n).astype(np.int32)
    targets = rng.random(shape).astype(F32)
    targets /= targets.sum(1, keepdims=True)
    for name, y in (("softmax_xent_sparse", labels), ("softmax_xent_dense", targets)):
        d, d_ref = _empty(gpu, shape), K.empty(shape)
        loss = getattr(gpu, name)(_dev(gpu, logits), _dev(gpu, y), d)
        loss_ref = getattr(REF, name)(logits, y, d_ref)
        assert isinstance(loss, float)
        assert loss == pytest.approx(loss_ref, rel=1e-5, abs=1e-6)
        np.testing.assert_allclose(_host(gpu, d), d_ref, rtol=1e-5, atol=1e-5 / n)
        assert getattr(gpu, name)(_dev(gpu, logits), _dev(gpu, y), None) == loss
        assert getattr(gpu, name)(logits, y, None) == loss  # host inputs
        if _emulated(gpu):  # the cython row bodies; the row losses are float32 values or short
            # float64 sums of them, added without rounding here in either order (the GPU's
            # reduction tree, the CPU's loop)
            d_cpu = K.empty(shape)
            assert loss == getattr(_cpu(), name)(logits, y, d_cpu)
            np.testing.assert_array_equal(_host(gpu, d), d_cpu)


@pytest.mark.parametrize("big", [1e4, -1e4])
def test_gpu_softmax_xent_stable_for_huge_logits(gpu, big):
    logits = np.array([[big, 0.0, -big], [0.0, big, big], [-big, -big, big]], F32)
    labels = np.array([2, 0, 2], np.int32)
    targets = np.eye(3, dtype=F32)[labels]
    x64 = logits.astype(np.float64)
    logp64 = x64 - x64.max(1, keepdims=True)
    logp64 -= np.log(np.exp(logp64).sum(1, keepdims=True))
    expected = -logp64[np.arange(3), labels].mean()
    for name, y in (("softmax_xent_sparse", labels), ("softmax_xent_dense", targets)):
        d = _empty(gpu, logits.shape)
        loss = getattr(gpu, name)(_dev(gpu, logits), _dev(gpu, y), d)
        assert np.isfinite(loss) and np.all(np.isfinite(_host(gpu, d)))
        assert loss == pytest.approx(expected, rel=1e-6)
        np.testing.assert_allclose(_host(gpu, d), (np.exp(logp64) - targets) / 3, atol=1e-7)


def test_gpu_bad_labels_raise_naming_label_and_row(gpu):
    logits = _dev(gpu, np.zeros((5, 10), F32))
    for bad, text in ((10, "label 10 at row 3 is outside [0, 10)"),
                      (-1, "label -1 at row 3 is outside [0, 10)")):
        for dtype in (np.int32, np.int64):
            for labels in (np.array([0, 1, 2, bad, 11], dtype),):
                for lab in (labels, _dev(gpu, labels)):  # host and device labels
                    for fn in (lambda: gpu.softmax_xent_sparse(logits, lab, _empty(gpu, (5, 10))),
                               lambda: gpu.softmax_xent_sparse(logits, lab, None),
                               lambda: gpu.count_correct_sparse(logits, lab)):
                        with pytest.raises(ValueError) as info:
                            fn()
                        assert str(info.value) == text


@pytest.mark.parametrize("shape", K.SHAPES)
def test_gpu_accuracy_counts_match_reference(gpu, shape):
    rng = np.random.default_rng(8)
    n, c = shape
    scores = rng.integers(0, 3, shape).astype(F32)  # many ties: the first maximum wins
    labels = rng.integers(0, c, n).astype(np.int32)
    targets = rng.integers(0, 3, shape).astype(F32)
    hits = gpu.count_correct_sparse(_dev(gpu, scores), _dev(gpu, labels))
    assert isinstance(hits, int) and hits == REF.count_correct_sparse(scores, labels)
    assert (gpu.count_correct_dense(_dev(gpu, scores), _dev(gpu, targets))
            == REF.count_correct_dense(scores, targets))


def test_gpu_accuracy_nan(gpu):
    scores = np.array([[1, np.nan, 5], [2, 2, 1], [np.nan, 9, 9]], F32)
    assert gpu.count_correct_sparse(_dev(gpu, scores), _dev(gpu, np.array([1, 0, 0], np.int32))) == 3


def _run_gpu(gpu, update, state_names, n=1000, seed=12, **kwargs):
    """test_kernels._run on device buffers: the same data, the same steps."""
    rng = np.random.default_rng(seed)
    params = _dev(gpu, K.rand(rng, n))
    state = {name: gpu.alloc(n) for name in state_names}
    grads = [K.rand(rng, n) for _ in range(K.STEPS)]
    for t, g in enumerate(grads, start=1):
        extra = {"step": t} if update == "adam_update" else {}
        getattr(gpu, update)(params, _dev(gpu, g), *state.values(), **kwargs, **extra)
    return _host(gpu, params), {name: _host(gpu, buf) for name, buf in state.items()}


@pytest.mark.parametrize("update,state,kw", K.OPTIMIZERS, ids=K.OPT_IDS)
def test_gpu_optimizer_matches_reference_exactly(gpu, update, state, kw):
    params, st = _run_gpu(gpu, update, state, **kw)
    params_ref, st_ref = K._run(REF, update, state, **kw)[1:3]
    np.testing.assert_array_equal(params, params_ref)
    for name in state:
        np.testing.assert_array_equal(st[name], st_ref[name])


def test_gpu_sgd_without_velocity(gpu):
    p = _dev(gpu, np.ones(3, F32))
    gpu.sgd_update(p, np.full(3, 2.0, F32), None, 0.25)
    np.testing.assert_array_equal(_host(gpu, p), np.full(3, 0.5, F32))


def test_gpu_out_buffers_are_checked(gpu):
    x = _dev(gpu, np.zeros((4, 3), F32))
    with pytest.raises(TypeError, match="out must be a CuPy array on the GPU, got ndarray"):
        gpu.relu_forward(x, np.zeros((4, 3), F32))  # the GPU cannot write a host array
    with pytest.raises(TypeError, match="out"):
        gpu.relu_forward(x, gpu.xp.zeros((4, 3)))
    with pytest.raises(ValueError, match="out"):
        gpu.relu_forward(x, gpu.xp.zeros((4, 2), F32))
    with pytest.raises(ValueError, match="out"):
        gpu.relu_forward(x, gpu.xp.zeros((3, 4), F32).T)


needs_data = pytest.mark.skipif(not os.environ.get("FASTMLP_DATA"),
                                reason="FASTMLP_DATA is not set (CI sets it)")


@needs_data
def test_gpu_mnist_seed_program_reaches_97_5_percent():
    gpu = _make_gpu("cuda")
    with backend_module.use_backend("cupy"):
        fastmlp.utils.set_random_seed(0)
        (x_train, y_train), (x_test, y_test) = fastmlp.datasets.mnist.load_data()
        x_train, x_test = x_train / 255.0, x_test / 255.0
        model = fastmlp.Sequential([
            fastmlp.layers.Flatten(input_shape=(28, 28)),
            fastmlp.layers.Dense(128, activation="relu"),
            fastmlp.layers.Dropout(0.2),
            fastmlp.layers.Dense(10),
        ])
        logits = model(x_train[:1])
        assert isinstance(logits, gpu.xp.ndarray)  # CuPy arrays out on the GPU backend
        assert model.ops is gpu and logits.shape == (1, 10) and logits.dtype == np.float32
        loss_fn = fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True)
        untrained = loss_fn(y_train[:1], logits)
        assert isinstance(untrained, float) and 1.0 < untrained < 4.0
        model.compile(optimizer="adam", loss=loss_fn, metrics=["accuracy"])
        history = model.fit(x_train, y_train, epochs=5, verbose=0)
        assert history.history["loss"][-1] < history.history["loss"][0]
        loss, acc = model.evaluate(x_test, y_test, verbose=0)
        assert acc >= 0.975, acc
        predicted = np.argmax(gpu.to_numpy(model.predict(x_test, verbose=0)), axis=1)
        assert (predicted == y_test).mean() == pytest.approx(acc, abs=1e-6)
