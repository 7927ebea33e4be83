"""Data-parallel fit under ``mpiexec -n 2``: tests/distribution/mpi_program.py
run as subprocesses (with timeouts), compared with the same program alone.

Needs mpi4py and an ``mpiexec`` (the ``mpi`` extra's mpich wheel puts one
next to the interpreter); skipped, saying which is missing, otherwise.
"""

import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

pytest.importorskip("mpi4py.MPI", reason="mpi4py is not installed (pip install 'fastmlp[mpi]')")

PROGRAM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mpi_program.py")
MPIEXEC = (shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec"))
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="no mpiexec next to the interpreter or on PATH")

# One BLAS thread and one compiled-step thread per process: 2 processes on a
# 2-core machine, and sums in a fixed order.
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "FASTMLP_NUM_THREADS": "1"}


def run(mode, out, processes=2, timeout=120):
    command = [sys.executable, PROGRAM, mode, str(out)]
    if processes:
        command = [MPIEXEC, "-n", str(processes)] + command
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=ENV)


def weights(path):
    with np.load(path) as saved:
        return {name: saved[name] for name in saved.files}


def test_two_processes_train_as_one_process_with_the_global_batch(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "again").mkdir()
    for mode, folder, processes in [("single", "one", 0), ("train", "two", 2), ("train", "again", 2)]:
        done = run(mode, tmp_path / folder, processes)
        assert done.returncode == 0, done.stderr
    one = weights(tmp_path / "one" / "weights_0.npz")
    rank0 = weights(tmp_path / "two" / "weights_0.npz")
    rank1 = weights(tmp_path / "two" / "weights_1.npz")
    again = weights(tmp_path / "again" / "weights_0.npz")
    for name in one:
        # Every process holds the same weights, and a repeated run gives the same bits.
        np.testing.assert_array_equal(rank0[name], rank1[name])
        np.testing.assert_array_equal(rank0[name], again[name])
        # Only the summation order differs from one process (each process sums
        # its shard's gradient, then the allreduce adds the two): measured
        # 7.3e-7 at most on the weights after 10 Adam steps (|w| < 0.1), so
        # atol 1e-5 leaves a margin of ten; the logged loss and accuracy agree to 1e-8.
        atol = 1e-5 if name.startswith("arr_") else 1e-6
        np.testing.assert_allclose(rank0[name], one[name], rtol=0, atol=atol, err_msg=name)


def test_an_unchanged_program_under_mpiexec_trains_data_parallel(tmp_path):
    """No set_distribution in the program: fit sees the launcher's processes
    and distributes by itself, as the explicit distribution does."""
    (tmp_path / "explicit").mkdir()
    (tmp_path / "plain").mkdir()
    for mode, folder in [("train", "explicit"), ("plain", "plain")]:
        done = run(mode, tmp_path / folder, 2)
        assert done.returncode == 0, done.stderr
        assert "trains alone" not in done.stderr
    explicit = weights(tmp_path / "explicit" / "weights_0.npz")
    for rank in (0, 1):
        plain = weights(tmp_path / "plain" / f"weights_{rank}.npz")
        for name in explicit:
            if name.startswith("arr_"):  # the weights: the same bits
                np.testing.assert_array_equal(plain[name], explicit[name], err_msg=name)
            else:  # the logged loss and accuracy (measured: within 9e-9)
                np.testing.assert_allclose(plain[name], explicit[name], rtol=1e-6, err_msg=name)


def test_a_rank_that_raises_ends_every_rank_with_its_error(tmp_path):
    start = time.monotonic()
    done = run("raise", tmp_path, timeout=60)
    assert time.monotonic() - start < 30
    assert done.returncode != 0
    assert "planted failure on process 1" in done.stderr
    assert "process 1 of 2 failed; aborting all processes" in done.stderr


def test_only_process_0_writes_files_and_prints(tmp_path):
    done = run("files", tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(tmp_path)) == ["ckpt_0.weights.h5", "log_0.csv", "model_0.keras"]
    assert done.stdout.count("Epoch 1/1") == 1


def test_mismatched_data_sizes_are_a_value_error_naming_the_rank(tmp_path):
    done = run("mismatch", tmp_path)
    assert done.returncode == 0, done.stderr
    for rank in (0, 1):
        assert (f"ValueError on process {rank}: distributed fit: process 1 has samples 291, "
                "but process 0 has 301") in done.stdout


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight"])
def test_weighted_loss_penalties_noise_and_counting_metrics_match_one_process(tmp_path, reduction):
    # Each shard's gradient is scaled by its share of the global loss (rows,
    # 1, or sample-weight total); the penalty's gradient is added once after
    # the allreduce; GaussianNoise draws the global batch's noise; precision,
    # recall, AUC (confusion counts) and the means are summed across processes.
    for mode, processes in [("single-weighted", 0), ("weighted", 2)]:
        command_out = tmp_path / mode
        command_out.mkdir()
        command = [sys.executable, PROGRAM, mode, str(command_out), reduction]
        if processes:
            command = [MPIEXEC, "-n", str(processes)] + command
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=ENV)
        assert done.returncode == 0, done.stderr
    one = weights(tmp_path / "single-weighted" / "weighted_0.npz")
    rank0 = weights(tmp_path / "weighted" / "weighted_0.npz")
    rank1 = weights(tmp_path / "weighted" / "weighted_1.npz")
    assert set(one) >= {"loss", "precision", "recall", "auc", "accuracy", "mae"}
    for name in one:
        np.testing.assert_array_equal(rank0[name], rank1[name])
        # Measured: weights within 6e-8 (|w| < 0.6), the logged loss within
        # 1.3e-7 of 16.4 ('sum'), the counting metrics equal: rtol 1e-5.
        np.testing.assert_allclose(rank0[name], one[name], rtol=1e-5, atol=1e-6, err_msg=name)


def test_processes_without_rows_in_a_batch_still_step_with_the_others(tmp_path):
    # 3 processes, global batches of 3 rows and a last one of 1: shards of
    # (1, 1, 1) and (1, 0, 0) rows; an empty shard adds a zero gradient and
    # moves its Dropout stream on. Measured: 9.3e-10 at most from one process.
    for mode, processes in [("single-tiny", 0), ("tiny", 3)]:
        (tmp_path / mode).mkdir()
        done = run(mode, tmp_path / mode, processes)
        assert done.returncode == 0, done.stderr
    one = weights(tmp_path / "single-tiny" / "tiny_0.npz")
    for rank in range(3):
        got = weights(tmp_path / "tiny" / f"tiny_{rank}.npz")
        for name in one:
            np.testing.assert_allclose(got[name], one[name], rtol=1e-5, atol=1e-6, err_msg=name)


def test_mismatched_models_are_a_value_error_naming_the_rank(tmp_path):
    done = run("mismatch-model", tmp_path)
    assert done.returncode == 0, done.stderr
    for rank in (0, 1):
        assert f"ValueError on process {rank}: distributed fit: process 1 has parameters" in done.stdout
