"""``fastmlp-train --distributed`` under ``mpiexec -n 2``: the seed model trains
data-parallel, process 0 prints and writes ``--out``, process 1 writes nothing.

Needs mpi4py and an ``mpiexec`` (the ``mpi`` extra's mpich wheel puts one next
to the interpreter); skipped, saying which is missing, otherwise.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("mpi4py.MPI", reason="mpi4py is not installed (pip install 'fastmlp[mpi]')")

MPIEXEC = (shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec"))
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="no mpiexec next to the interpreter or on PATH")

# One BLAS thread and one compiled-step thread per process (2 processes, 2 cores).
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
       "FASTMLP_NUM_THREADS": "1", "FASTMLP_OFFLINE": "1"}
TINY = ["--distributed", "--dataset", "mnist-sample", "--epochs", "1", "--hidden", "32",
        "--batch-size", "64"]
# What one run writes: the plots only where matplotlib is installed (the plot extra).
PLOTS = ["confusion_matrix.png", "curves.png", "predictions.png", "samples.png"]
FILES = sorted(["history.csv", "history.json", "metrics.json", "model.fastmlp"]
               + (PLOTS if importlib.util.find_spec("matplotlib") else []))


def read_json(path):
    with open(path) as f:
        return json.load(f)


def train(out):
    return [sys.executable, "-m", "fastmlp.train"] + TINY + ["--out", str(out)]


def test_process_0_alone_prints_and_writes_the_outputs(tmp_path):
    # MPMD launch: process 0 is given --out rank0 and process 1 --out rank1, so
    # anything process 1 wrote would show up as tmp_path/rank1.
    command = ([MPIEXEC, "-n", "1"] + train(tmp_path / "rank0")
               + [":", "-n", "1"] + train(tmp_path / "rank1"))
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, env=ENV,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(tmp_path)) == ["rank0"]
    assert sorted(os.listdir(tmp_path / "rank0")) == FILES
    assert done.stdout.count("Test accuracy:") == 1
    assert done.stdout.count("Wrote ") == 1
    assert "| 2 processes" in done.stdout
    # The same run in one process (no launcher): the same global batches, so
    # only the order of the gradient sums differs. Measured on 2 epochs: the
    # logged loss within 3e-9 (of 0.88), accuracies equal, the test loss
    # within 1.2e-8 (of 0.75): rtol 1e-5 leaves a wide margin.
    alone = subprocess.run(train(tmp_path / "alone") + ["--no-plots"], capture_output=True,
                           text=True, timeout=120, env=ENV, cwd=tmp_path)
    assert alone.returncode == 0, alone.stderr
    two, one = read_json(tmp_path / "rank0" / "metrics.json"), read_json(tmp_path / "alone" / "metrics.json")
    assert two["n_train"] == one["n_train"] == 3000
    for key in ("test_loss", "test_accuracy"):
        np.testing.assert_allclose(two[key], one[key], rtol=1e-5, err_msg=key)
    two, one = read_json(tmp_path / "rank0" / "history.json"), read_json(tmp_path / "alone" / "history.json")
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(two[key], one[key], rtol=1e-5, err_msg=key)


def test_a_failure_on_process_0_ends_both_processes(tmp_path):
    # --out is a file: process 0 cannot create it; process 1 (which writes
    # nothing) would otherwise wait for it in fit's first broadcast.
    (tmp_path / "taken").write_text("not a folder")
    command = [MPIEXEC, "-n", "2"] + train(tmp_path / "taken" / "run")
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=ENV)
    assert done.returncode != 0
    assert "fastmlp-train: error: cannot create output directory" in done.stderr
