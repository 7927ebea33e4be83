"""Sharded validation, evaluate and predict under ``mpiexec`` (compared with
the same program alone), and a process killed by SIGKILL mid-epoch:
tests/distribution/mpi_eval_program.py run as subprocesses with timeouts."""

import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

import fastmlp
import fastmlp.distribution as distribution

MPI = pytest.importorskip("mpi4py.MPI", reason="mpi4py is not installed (pip install 'fastmlp[mpi]')")

PROGRAM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mpi_eval_program.py")
MPIEXEC = (shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec"))
needs_mpiexec = pytest.mark.skipif(MPIEXEC is None, reason="no mpiexec next to the interpreter or on PATH")

# One BLAS thread per process (2 processes on a 2-core machine).
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "FASTMLP_NUM_THREADS": "1"}


@pytest.fixture(autouse=True)
def no_distribution_left():
    yield
    distribution.set_distribution(None)


def run(mode, out, processes=0, timeout=120):
    command = [sys.executable, PROGRAM, mode, str(out)]
    if processes:
        command = [MPIEXEC, "-n", str(processes)] + command
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=ENV)


def results(path):
    with np.load(path) as saved:
        return {name: saved[name] for name in saved.files}


@needs_mpiexec
@pytest.mark.parametrize("mode,processes", [("eval", 2), ("tiny-eval", 3)])
def test_sharded_validation_evaluate_and_predict_equal_one_process(tmp_path, mode, processes):
    for name, count in [("single-" + mode, 0), (mode, processes)]:
        (tmp_path / name).mkdir()
        done = run(name, tmp_path / name, count)
        assert done.returncode == 0, done.stderr
    one = results(tmp_path / ("single-" + mode) / "eval_0.npz")
    assert {"first_loss", "weighted_loss", "stepped_accuracy", "fit_val_loss", "split_val_accuracy",
            "pred", "stepped_pred"} <= set(one)
    assert one["pred"].shape == (2 if mode == "tiny-eval" else 101, 4)
    assert one["stepped_pred"].shape == (2 if mode == "tiny-eval" else 32, 4)
    # Each process ran only its shard's batches (101 rows in batches of 16:
    # 7 alone, 4 on each of 2 processes; 2 rows: 1 alone, 1 on 2 of 3).
    alone = results(tmp_path / ("single-" + mode) / "batches_0.npz")
    shared = [results(tmp_path / mode / f"batches_{rank}.npz") for rank in range(processes)]
    for kind in ("test", "predict"):
        assert [int(s[kind]) for s in shared] == ([4, 4] if mode == "eval" else [1, 1, 0]), kind
        assert int(alone[kind]) == (7 if mode == "eval" else 1)
    for rank in range(processes):
        got = results(tmp_path / mode / f"eval_{rank}.npz")
        assert set(got) == set(one)
        for name in one:
            if rank:  # every process returns the same global values and the whole array
                np.testing.assert_array_equal(got[name], results(tmp_path / mode / "eval_0.npz")[name])
            if name.endswith("pred"):
                # The same weights; only the BLAS blocking of a shard's rows differs:
                # measured 4.8e-7 at most on outputs |y| < 4.
                np.testing.assert_allclose(got[name], one[name], rtol=0, atol=2e-6, err_msg=name)
            else:
                # Losses: summation order (shards, then the allreduce) and weights
                # trained 2 processes vs 1: measured 4.8e-8 at most on losses ~2;
                # the accuracies are counts, equal.
                np.testing.assert_allclose(got[name], one[name], rtol=1e-6, atol=0, err_msg=name)


@needs_mpiexec
def test_a_killed_process_ends_the_run_and_the_last_checkpoint_loads(tmp_path):
    start = time.monotonic()
    done = run("kill", tmp_path, 2, timeout=60)
    ended = time.time()
    elapsed = time.monotonic() - start
    assert done.returncode != 0
    assert "signal 9" in done.stdout + done.stderr  # the launcher names the dead process's signal
    # Measured (5 runs): the launcher ends the run 0.03 s after the kill, 0.5-0.75 s in all.
    assert elapsed < 30
    assert ended - float((tmp_path / "killed").read_text()) < 30
    # Epochs 1 to 3 completed before process 1 died in epoch 4.
    saved = sorted(name for name in os.listdir(tmp_path) if name.startswith("ckpt_"))
    assert saved == ["ckpt_1.keras", "ckpt_2.keras", "ckpt_3.keras"]
    model = fastmlp.models.load_model(str(tmp_path / "ckpt_3.keras"))
    x = np.random.default_rng(0).normal(size=(5, 12)).astype(np.float32)
    out = model.predict(x, verbose=0)
    assert out.shape == (5, 4) and np.all(np.isfinite(out))
    first = fastmlp.models.load_model(str(tmp_path / "ckpt_1.keras")).predict(x, verbose=0)
    assert not np.array_equal(out, first)  # a later epoch's weights


def test_under_a_one_process_distribution_evaluate_and_predict_are_unchanged():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(37, 6)).astype(np.float32)
    y = rng.normal(size=(37, 2)).astype(np.float32)
    fastmlp.utils.set_random_seed(1)
    model = fastmlp.Sequential([fastmlp.Input((6,)), fastmlp.layers.Dense(2)])
    model.compile(loss="mse", metrics=["mae"])
    plain = model.evaluate(x, y, batch_size=8, verbose=0)
    plain_pred = model.predict(x, batch_size=8, verbose=0)
    distribution.set_distribution(distribution.DataParallel())
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=8, verbose=0), plain, rtol=1e-12)
    np.testing.assert_array_equal(model.predict(x, batch_size=8, verbose=0), plain_pred)
    with pytest.raises(ValueError, match="x has 37 samples but y has 30"):
        model.evaluate(x, y[:30], verbose=0)
