"""tests/skip_policy.py: with FASTMLP_STRICT_SKIPS=1 (CI) a skip fails unless
it needs a GPU at run time or an optional comparison library; without it,
skips stay skips. Checked on a throwaway test file run by a child pytest."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import skip_policy

TESTS = Path(skip_policy.__file__).resolve().parent

SAMPLE = textwrap.dedent('''
    import pytest

    def test_no_matplotlib():
        pytest.skip("could not import 'matplotlib': No module named 'matplotlib'")

    def test_no_gpu():
        pytest.skip("GPU tests need CuPy and an NVIDIA GPU: the cupy backend needs an NVIDIA GPU: "
                    "no CUDA GPU found (CUDARuntimeError: cudaErrorNoDevice)")

    def test_no_torch():
        pytest.importorskip("torch_that_is_not_there", reason="could not import 'torch': gone")

    @pytest.mark.skipif(True, reason="mpi4py is not installed (pip install 'fastmlp[mpi]')")
    def test_no_mpi():
        pass

    @pytest.mark.xfail(reason="known", strict=True)
    def test_known_failure():
        assert False

    def test_runs():
        pass
''')


def _run(tmp_path, strict):
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
           "FASTMLP_STRICT_SKIPS": "1" if strict else "0"}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "skip_policy", "-p", "no:cacheprovider",
                           "-q", "-rA", str(tmp_path / "test_sample.py")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_in_ci_only_gpu_and_comparison_skips_pass(tmp_path):
    run = _run(tmp_path, strict=True)
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    # a skip in the call fails the test; a skipif marker skips in setup, so it is reported as an error
    assert "1 failed, 1 passed, 2 skipped, 1 xfailed, 1 error" in out, out
    assert "FAILED test_sample.py::test_no_matplotlib" in out and "ERROR test_sample.py::test_no_mpi" in out
    assert "skipped in CI (FASTMLP_STRICT_SKIPS=1)" in out and "could not import 'matplotlib'" in out


def test_outside_ci_skips_stay_skips(tmp_path):
    run = _run(tmp_path, strict=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed, 4 skipped, 1 xfailed" in run.stdout, run.stdout


@pytest.mark.parametrize("reason,what", [
    ("GPU tests need CuPy and an NVIDIA GPU: the cupy backend needs an NVIDIA GPU: no CUDA GPU found (x)",
     "a GPU at run time"),
    ("this machine has a GPU: the GPU tests below cover it", "a GPU at run time"),
    ("torch is not installed: the bench leaves its rows out", "an optional comparison library"),
    ("could not import 'jax': No module named 'jax'", "an optional comparison library"),
    ("set FASTMLP_KERAS_PYTHON to an interpreter with Keras 3 to check", "an optional comparison library"),
    ("GPU tests need CuPy and an NVIDIA GPU: the cupy backend needs CuPy: pip install 'fastmlp[gpu]'", None),
    ("NVRTC is not available here: ModuleNotFoundError", None),
    ("the compiled extension is not built", None),
    ("could not import 'matplotlib': No module named 'matplotlib'", None),
    ("pandas is not installed: not checking estimators for pandas objects.", None),
])
def test_allowed_reasons(reason, what):
    found = skip_policy.allowed(reason)
    assert (found is None) if what is None else found.startswith(what)
