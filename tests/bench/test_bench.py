"""Smoke test of fastmlp-bench: its smallest mode runs and reports every
section with the expected structure; the contenders build the same models;
the report says when a contender is absent or a row ran on a busy machine.
No timing is asserted."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import fastmlp
from fastmlp import bench
from fastmlp.bench.fastmlp_cases import build_model
from fastmlp.bench.report_tables import end_to_end_lines
from fastmlp.bench.workloads import WORKLOADS

import png_checks

HOME = os.path.dirname(os.path.dirname(os.path.abspath(fastmlp.__file__)))
NAMES = [w.name for w in WORKLOADS]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    # Run the fastmlp under test (installed, or a checkout built in place).
    env = dict(os.environ, PYTHONPATH=HOME + os.pathsep + os.environ.get("PYTHONPATH", ""))
    res = subprocess.run([sys.executable, "-m", "fastmlp.bench", "--smoke", "--json", str(out)],
                         capture_output=True, text=True, env=env, cwd=HOME, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout, json.loads(out.read_text())


def test_table_has_every_section(report):
    text, _ = report
    for heading in ("fastmlp-bench", "blas:", "Kernels:", "Floor:", "GEMM rate:",
                    "End to end:", "Single-sample latency", "Predict throughput:",
                    "import fastmlp:"):
        assert heading in text
    for kernel in ("dense fwd 784->128 relu", "dropout fwd", "softmax xent fwd+bwd",
                   "adam update"):
        assert kernel in text
    for name in NAMES:
        assert name in text


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
    gemm = data["gemm"]
    assert gemm["rate"]["gflops"] == max(r["gflops"] for r in gemm["runs"]) > 0
    assert len(gemm["runs"]) == 3 and gemm["one_thread"]["threads"] == 1
    e2e = data["end_to_end"][0]
    assert e2e["batch"] == 32
    assert e2e["fastmlp cython"]["median"] > 0 and e2e["fastmlp numpy"]["median"] > 0
    assert e2e["fastmlp numpy / cython"] > 0
    assert data["process"]["import"]["fastmlp"] > 0


def test_every_workload_row_has_its_floor_and_idleness(report):
    _, data = report
    rows = data["end_to_end"]
    assert [r["workload"] for r in rows] == NAMES
    for row, workload in zip(rows, WORKLOADS):
        assert row["flops"] == workload.train_flops() * 60000
        floor = row["floor"]
        assert floor["gflops"] == data["gemm"]["rate"]["gflops"]
        assert floor["seconds"] == pytest.approx(row["flops"] / (floor["gflops"] * 1e9))
        fm = row["fastmlp cython"]
        assert fm["floor_fraction"] == pytest.approx(floor["seconds"] / fm["median"])
        idle = row["idle"]
        assert idle["probes"] == sum(len(v["all"]) for v in row.values()
                                     if isinstance(v, dict) and "all" in v)
        assert idle["idle"] in (True, False, None) and idle["waited"] >= 0
    # only the seed model's rows run the NumPy backend and the weighted epoch
    assert [("fastmlp weighted" in r) for r in rows] == [w.variants for w in WORKLOADS]


def test_inference_rows(report):
    _, data = report
    lat, thr = data["inference"]["latency"], data["inference"]["throughput"]
    for call in ("fastmlp model(x[:1])", "fastmlp predict(x[:1])"):
        assert 0 < lat[call]["median"] < 1 and lat[call]["iqr"] >= 0
    assert thr["batch"] == 32 and thr["images"] == 640  # smoke mode: 640 images
    assert thr["fastmlp cython"]["images_per_s"] == pytest.approx(
        640 / thr["fastmlp cython"]["median"])
    assert thr["fastmlp cython"]["floor_fraction"] > 0


def test_torch_rows_when_installed(report):
    _, data = report
    if data["environment"]["torch"] is None:
        pytest.skip("torch is not installed: the bench leaves its rows out")
    assert all("torch" in row for row in data["kernels"])
    for row in data["end_to_end"]:
        assert row["pytorch loop"]["median"] > 0 and row["pytorch loop / cython"] > 0
    assert data["inference"]["latency"]["pytorch model(x) no_grad"]["median"] > 0
    assert data["inference"]["throughput"]["pytorch loop / cython"] > 0


def test_jax_rows_when_installed(report):
    _, data = report
    if data["environment"]["jax"] is None:
        pytest.skip("jax is not installed: the bench leaves its rows out")
    for row in data["end_to_end"]:
        assert row["jax jit"]["median"] > 0 and row["jax jit / cython"] > 0
    assert data["inference"]["latency"]["jax jitted apply"]["median"] > 0
    assert data["inference"]["throughput"]["jax jit / cython"] > 0


def test_without_contenders_and_plot(tmp_path):
    """The bench runs with PyTorch and JAX left out (as where they are not
    installed) and draws its plot when matplotlib is there."""
    report = bench.run(smoke=True, kernels=False, floor=False, inference=False, process=False,
                       use_torch=False, use_jax=False)
    row = report["end_to_end"][0]
    assert "pytorch loop" not in row and report["environment"]["torch"] is None
    assert "jax jit" not in row and report["environment"]["jax"] is None
    text = bench.format_report(report)
    assert "End to end:" in text and "pytorch " not in text and "jax/fm" not in text
    pytest.importorskip("matplotlib", reason="--plot needs matplotlib (the plot extra)")
    import matplotlib.pyplot as plt

    path = tmp_path / "ratios.png"
    closed = []
    close = plt.close
    with pytest.MonkeyPatch.context() as mp:  # the figure bench.plot draws, kept for its checks
        mp.setattr(plt, "close", lambda fig=None: (closed.append(fig), close(fig)))
        bench.plot(report, path)
    assert path.stat().st_size > 0
    [fig] = closed
    [ax] = fig.axes
    # One bar per end-to-end row (the only section here), of the numpy reference's
    # speed-up, the one contender present (NaN, no bar, on rows the smoke run
    # times without it); the ratios are the report's.
    rows = report["end_to_end"]
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"fit {r['workload']}" for r in rows]
    ratios = [r.get("fastmlp numpy / cython", np.nan) for r in rows]
    np.testing.assert_array_equal([bar.get_width() for bar in ax.patches], ratios)
    drawn = np.count_nonzero(np.isfinite(ratios))
    assert drawn >= 1
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["numpy reference / fastmlp cython"]
    # The PNG: the figure at 120 dpi, not blank, the bars drawn in the first colour.
    size = tuple(int(round(v)) for v in fig.get_size_inches() * 120)
    rgb = png_checks.check_png(path.read_bytes(), size=size, min_colours=20)
    blue = png_checks.colour_mask(png_checks.axes_pixels(rgb, ax), "tab:blue").sum()
    assert blue > 100 * drawn, blue


@pytest.mark.parametrize("workload", WORKLOADS, ids=NAMES)
def test_contenders_build_the_same_model(workload):
    """fastmlp's, PyTorch's and JAX's models of a workload have the same
    layers, so the same parameters (PyTorch's and JAX's when installed)."""
    model = build_model(workload)
    shapes = [w.shape for w in model.get_weights()]
    assert shapes == [s for fi, fo in workload.layer_shapes() for s in ((fi, fo), (fo,))]
    assert model.count_params() == sum(fi * fo + fo for fi, fo in workload.layer_shapes())
    dropouts = [layer for layer in model.layers if type(layer).__name__ == "Dropout"]
    assert len(dropouts) == (len(workload.hidden) if workload.dropout else 0)
    from fastmlp.bench import jax_cases
    assert [(w.shape, b.shape) for w, b in jax_cases.init_params(workload)] == \
        list(zip(shapes[::2], shapes[1::2]))
    try:
        import torch
    except ImportError:
        return
    from fastmlp.bench.torch_train import torch_model
    tm = torch_model(torch, workload)
    # torch keeps Linear weights as (out, in)
    assert [tuple(p.shape[::-1]) for p in tm.parameters()] == shapes
    assert sum(isinstance(m, torch.nn.Dropout) for m in tm) == len(dropouts)


def test_report_says_when_a_contender_failed_and_the_machine_was_busy():
    stats = {"median": 0.5, "iqr": 0.01, "all": [0.5], "floor_fraction": 0.4}
    row = {"workload": "seed b32", "model": "784-128-10", "batch": 32, "samples": 60000,
           "source": "mnist", "passes": 1, "flops": 1, "floor": {"seconds": 0.2, "gflops": 1},
           "fastmlp cython": stats, "errors": {"jax jit": "the jax worker exited"},
           "idle": {"idle": False, "busy_max": 0.62, "waited": 10.0, "probes": 2,
                    "busy_runs": 1, "others_max": 0.25, "disturbed_runs": 1,
                    "busiest": "cc1 120% (cc1 -O2)"}}
    text = "\n".join(end_to_end_lines([row]))
    assert "jax jit left out of this row: the jax worker exited" in text
    assert ("BUSY 62% max before 1/2 runs (cc1 120% (cc1 -O2)); others used up to 25% "
            "during 1/2 runs") in text
    row["idle"].update(busy_runs=0)
    assert "BUSY: others used up to 25% during 1/2 runs" in "\n".join(end_to_end_lines([row]))
    row["idle"] = {"idle": None, "busy_max": None, "waited": 0.0, "probes": 1,
                   "busy_runs": 0, "others_max": None, "disturbed_runs": 0, "busiest": None}
    assert "idle: unknown" in "\n".join(end_to_end_lines([row]))


def test_stability_mode(tmp_path):
    out = tmp_path / "st.json"
    env = dict(os.environ, PYTHONPATH=HOME + os.pathsep + os.environ.get("PYTHONPATH", ""))
    res = subprocess.run([sys.executable, "-m", "fastmlp.bench", "--smoke", "--stability",
                          "0.5", "--json", str(out)], capture_output=True, text=True, env=env,
                         cwd=HOME, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    st = json.loads(out.read_text())["stability"]
    assert st["workload"] == "seed b256" and len(st["epochs"]) >= 3  # at least 3 epochs
    assert st["median"] == pytest.approx(float(np.median(st["epochs"])))
    assert st["max"] == max(st["epochs"])
    assert st["max_over_median"] == pytest.approx(st["max"] / st["median"])
    assert st["slow"] == [i for i, t in enumerate(st["epochs"]) if t > 1.3 * st["median"]]
    assert len(st["others"]) == len(st["idle_each"]) == len(st["epochs"])
    assert "Stability: seed b256" in res.stdout and "max/median" in res.stdout
    assert "End to end:" not in res.stdout  # --stability alone runs only itself


@pytest.mark.parametrize("args, message", [
    (["--passes", "0"], "--passes: must be a finite number above 0"),
    (["--stability", "inf"], "--stability: must be a finite number above 0"),
    (["--max-wait", "-1"], "--max-wait: must be a finite number at least 0"),
    (["--max-wait", "soon"], "--max-wait: not a number")])
def test_bad_options_are_refused(capsys, args, message):
    with pytest.raises(SystemExit) as exc:
        bench.main(args)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_json_to_stdout():
    """``--json -``: stdout is the JSON alone, the text report goes to stderr."""
    env = dict(os.environ, PYTHONPATH=HOME + os.pathsep + os.environ.get("PYTHONPATH", ""))
    res = subprocess.run([sys.executable, "-m", "fastmlp.bench", "--smoke", "--only", "floor",
                          "--no-torch", "--no-jax", "--json", "-"], capture_output=True, text=True,
                         env=env, cwd=HOME, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    data = json.loads(res.stdout)
    assert data["smoke"] is True and data["floor"][0]["sgemm"] > 0
    assert data["command"].endswith("--json -")
    assert "Floor:" in res.stderr and "Floor:" not in res.stdout


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        bench.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"fastmlp-bench (fastmlp {fastmlp.__version__})\n"
