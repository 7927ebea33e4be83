"""``fastmlp-train --distributed`` under ``mpiexec -n 2``: the seed model trains
data-parallel, process 0 prints and writes ``--out``, process 1 writes nothing.

Needs mpi4py and an ``mpiexec`` (the ``mpi`` extra's mpich wheel puts one next
to the interpreter); skipped, saying which is missing, otherwise.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

pytest.importorskip("mpi4py.MPI", reason="mpi4py is not installed (pip install 'fastmlp[mpi]')")

MPIEXEC = (shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec"))
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="no mpiexec next to the interpreter or on PATH")

# One BLAS thread and one compiled-step thread per process (2 processes, 2 cores).
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
       "FASTMLP_NUM_THREADS": "1", "FASTMLP_OFFLINE": "1"}
TINY = ["--distributed", "--dataset", "mnist-sample", "--epochs", "1", "--hidden", "32",
        "--batch-size", "64"]
FILES = ["confusion_matrix.png", "curves.png", "history.csv", "history.json", "metrics.json",
         "model.fastmlp", "predictions.png", "samples.png"]


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
    with open(tmp_path / "rank0" / "metrics.json") as f:
        metrics = json.load(f)
    # 3,000 sample images in global batches of 64: 47 steps, every image once.
    assert metrics["n_train"] == 3000
    assert 0.0 <= metrics["test_accuracy"] <= 1.0


def test_a_failure_on_process_0_ends_both_processes(tmp_path):
    # --out is a file: process 0 cannot create it; process 1 (which writes
    # nothing) would otherwise wait for it in fit's first broadcast.
    (tmp_path / "taken").write_text("not a folder")
    command = [MPIEXEC, "-n", "2"] + train(tmp_path / "taken" / "run")
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=ENV)
    assert done.returncode != 0
    assert "fastmlp-train: error: cannot create output directory" in done.stderr
