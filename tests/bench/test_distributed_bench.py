"""The distributed row of fastmlp-bench: the ring-allreduce cost model and the
projection on known values, the row without MPI (it says so, the rest runs),
and one tiny real run of ``--only distributed`` under ``mpiexec -n 2``.
No timing is asserted."""

import json
import math

import pytest

from fastmlp.bench import cli, distributed
from fastmlp.bench.distributed import (MACHINES, bench_distributed, distributed_lines,
                                       project, ring_allreduce_s)


def test_ring_allreduce_known_values():
    # by hand: 2 (N-1)/N * bytes / bandwidth + 2 (N-1) * latency
    assert ring_allreduce_s(1e6, 1, 1e9, 1e-5) == 0.0
    assert ring_allreduce_s(1e6, 2, 1e9, 1e-5) == pytest.approx(1e-3 + 2e-5, rel=1e-12)
    assert ring_allreduce_s(1e6, 4, 1e9, 1e-5) == pytest.approx(1.5e-3 + 6e-5, rel=1e-12)
    # 23.3 MB over 10 Gb/s (1.25e9 B/s), 25 us, 16 machines: 2*15/16*23.3e6/1.25e9 + 30*25e-6
    assert ring_allreduce_s(23.3e6, 16, 1.25e9, 25e-6) == pytest.approx(0.034950 + 0.00075,
                                                                         rel=1e-12)
    with pytest.raises(ValueError, match="machines"):
        ring_allreduce_s(1e6, 0, 1e9, 1e-5)


def test_projection_adds_compute_and_allreduce_without_overlap():
    step_at = {1: 0.08, 2: 0.04, 4: 0.02}
    rows = project(step_at, 1e6, 1e9, 1e-5, batch=256, machines=(1, 2, 4))
    steps = math.ceil(60000 / 256)  # 235
    assert [r["machines"] for r in rows] == [1, 2, 4]
    assert rows[0]["epoch_s"] == pytest.approx(235 * 0.08) and steps == 235
    assert rows[1]["allreduce_s"] == pytest.approx(1.02e-3)
    assert rows[1]["epoch_s"] == pytest.approx(235 * (0.04 + 1.02e-3))
    assert rows[2]["epoch_s"] == pytest.approx(235 * (0.02 + 1.56e-3))
    assert rows[0]["speedup"] == 1.0
    assert rows[2]["speedup"] == pytest.approx(0.08 / 0.02156)
    # a free network gives the compute's own speed-up
    free = project(step_at, 1e6, math.inf, 0.0, machines=(1, 2, 4))
    assert [r["speedup"] for r in free] == pytest.approx([1.0, 2.0, 4.0])


def test_mpi_launcher_says_when_mpi4py_is_missing(monkeypatch):
    monkeypatch.setattr(distributed.importlib.util, "find_spec", lambda name: None)
    assert distributed.mpi_launcher() == (
        None, "mpi4py is not installed (pip install 'fastmlp[mpi]')")


def test_row_without_mpi_says_so_and_still_projects():
    report = bench_distributed(1, 1, timeout=120,
                               launcher=lambda: (None, "mpi4py is not installed"))
    assert report["two"] == "mpi4py is not installed"
    assert [r["workload"] for r in report["rows"]] == ["seed b256", "2048-2048 b256"]
    for row in report["rows"]:
        assert row["two"] is None and row["speedup"] is None and row["allreduce_s"] is None
        assert row["one"]["step_s"] > 0
        for rows in row["projection"].values():
            assert [p["machines"] for p in rows] == list(MACHINES)
    text = "\n".join(distributed_lines(report))
    assert "2 processes: not measured: mpi4py is not installed" in text
    assert "the allreduce counted in full after the compute" in text
    assert len(report["load"]) == 2 and "1-minute load average" in text


def test_only_distributed_runs_two_processes(tmp_path, capsys):
    if distributed.mpi_launcher()[0] is None:
        pytest.skip(distributed.mpi_launcher()[1])
    out = tmp_path / "bench.json"
    assert cli.main(["--smoke", "--only", "distributed", "--max-wait", "0",
                     "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Distributed (data-parallel fit over MPI)" in text and "not measured" not in text
    d = json.loads(out.read_text())["distributed"]
    assert d["two"] is None and "kernels" not in json.loads(out.read_text())
    for row in d["rows"]:
        # every weight is trainable: the allreduced buffers are the float32 parameters
        assert row["grad_bytes"] == 4 * row["params"]
        assert row["two"]["step_s"] > 0 and row["allreduce_s"] > 0 and row["speedup"] > 0
