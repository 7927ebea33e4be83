"""``python -m fastmlp`` (fastmlp/__main__.py): the version, the backend, the
BLAS and the CPU's SIMD features, as ``fastmlp.backend.info()`` reports them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import fastmlp
from fastmlp import __main__ as main_module

ROOT = Path(fastmlp.__file__).resolve().parents[1]


def run(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "fastmlp", *args], capture_output=True, text=True,
                          env=env, cwd=str(ROOT), timeout=120)


def test_report():
    res = run()
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    info = fastmlp.backend.info()
    assert lines[0] == f"fastmlp {fastmlp.__version__}"
    assert lines[1].startswith(f"backend: {info['backend']} (compiled kernels: ")
    assert any(line.startswith("blas: ") for line in lines)
    features = [line for line in lines if line.startswith("cpu features: ")]
    assert features == [f"cpu features: {' '.join(info['cpu_features']) or 'none detected'}"]


def test_version_and_json():
    res = run("--version")
    assert res.returncode == 0 and res.stdout == f"fastmlp {fastmlp.__version__}\n"
    res = run("--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["fastmlp"] == fastmlp.__version__ and isinstance(data["cpu_features"], list)
    assert run("--nonsense").returncode == 2


def test_cpu_features_come_from_numpy_detection():
    import numpy as np
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as feats
    except ImportError:
        from numpy.core._multiarray_umath import __cpu_features__ as feats
    found = fastmlp.backend.info()["cpu_features"]
    assert all(feats[name] for name in found)
    assert ("AVX2" in found) == bool(feats.get("AVX2"))
    assert np.__version__ in main_module.describe(fastmlp.backend.info())


def test_describe_a_missing_build():
    info = dict(fastmlp.backend.info(), compiled_kernels=False, compiled_error="no _kernels",
                blas=[], cpu_features=[])
    text = main_module.describe(info)
    assert "compiled kernels: missing (no _kernels)" in text
    assert "blas: unknown" in text and "cpu features: none detected" in text
