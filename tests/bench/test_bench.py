"""Smoke test of fastmlp-bench: its smallest mode runs and reports every
section with the expected structure. No timing is asserted."""

import json
import os
import subprocess
import sys

import pytest

import fastmlp
from fastmlp import bench


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    # Run the fastmlp under test (installed, or a checkout built in place).
    home = os.path.dirname(os.path.dirname(os.path.abspath(fastmlp.__file__)))
    env = dict(os.environ, PYTHONPATH=home + os.pathsep + os.environ.get("PYTHONPATH", ""))
    res = subprocess.run([sys.executable, "-m", "fastmlp.bench", "--smoke", "--json", str(out)],
                         capture_output=True, text=True, env=env, cwd=home, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout, json.loads(out.read_text())


def test_table_has_every_section(report):
    text, _ = report
    for heading in ("fastmlp-bench", "blas:", "Kernels:", "Floor:", "End to end:",
                    "import fastmlp:"):
        assert heading in text
    for kernel in ("dense fwd 784->128 relu", "dropout fwd", "softmax xent fwd+bwd",
                   "adam update"):
        assert kernel in text


def test_json_structure(report):
    _, data = report
    env = data["environment"]
    assert env["cpu_count"] >= 1 and isinstance(env["cpu_features"], list)
    assert "blas" in env and "blas_threads" in env
    kernels = {(r["kernel"], r["batch"]) for r in data["kernels"]}
    assert ("dense fwd 784->128 relu", 32) in kernels
    assert any(k.startswith("adam update") for k, _ in kernels)
    for row in data["kernels"]:
        for impl in ("cython", "numpy"):
            assert row[impl]["median"] > 0 and row[impl]["iqr"] >= 0
    for row in data["floor"]:
        assert row["sgemm"] > 0 and row["dense"] > 0 and row["ratio"] > 0
    e2e = data["end_to_end"][0]
    assert e2e["batch"] == 32
    assert e2e["fastmlp cython"]["median"] > 0 and e2e["fastmlp numpy"]["median"] > 0
    assert e2e["fastmlp numpy / cython"] > 0
    assert data["process"]["import"]["fastmlp"] > 0


def test_torch_rows_when_installed(report):
    _, data = report
    if data["environment"]["torch"] is None:
        pytest.skip("torch is not installed: the bench leaves its rows out")
    assert all("torch" in row for row in data["kernels"])
    assert data["end_to_end"][0]["pytorch loop"]["median"] > 0
    assert data["end_to_end"][0]["pytorch loop / cython"] > 0


def test_without_torch_and_plot(tmp_path):
    """The bench runs with torch left out (as where it is not installed) and
    draws its plot when matplotlib is there."""
    report = bench.run(smoke=True, kernels=False, floor=False, process=False, use_torch=False)
    row = report["end_to_end"][0]
    assert "pytorch loop" not in row and report["environment"]["torch"] is None
    text = bench.format_report(report)
    assert "End to end:" in text and "pytorch" not in text
    pytest.importorskip("matplotlib")
    path = tmp_path / "ratios.png"
    bench.plot(report, path)
    assert path.stat().st_size > 0
