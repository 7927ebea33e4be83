"""fastmlp-train --out into a folder that already holds a run replaces that
run as a whole: no stale plots beside new metrics, other files untouched, and
a run that fails leaves the previous one as it was."""

import contextlib
import io
import json

import pytest

from fastmlp import train
from fastmlp.train import outputs, replace

SHORT = ["--dataset", "mnist-sample", "--epochs", "1", "--hidden", "8", "--quiet"]


def run_main(args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = train.main([str(a) for a in args])
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def previous_run(tmp_path):
    """A folder holding an earlier run with its four plots, and a file of the user's."""
    for name in replace.RUN_FILES:
        (tmp_path / name).write_bytes(b"old " + name.encode())
    (tmp_path / "notes.txt").write_text("mine")
    return tmp_path


def test_a_new_run_leaves_no_stale_file(previous_run):
    status, _, err = run_main(SHORT + ["--no-plots", "--out", previous_run])
    assert status == 0, err
    metrics = json.loads((previous_run / "metrics.json").read_text())
    names = {p.name for p in previous_run.iterdir()}
    # exactly the files the new run lists, plus the user's file; the old plots are gone
    assert names == set(metrics["files"]) | {"notes.txt"}
    assert not set(outputs.PLOTS) & names
    assert (previous_run / "notes.txt").read_text() == "mine"
    for name in metrics["files"]:
        assert not (previous_run / name).read_bytes().startswith(b"old ")


def test_a_failed_run_keeps_the_previous_one(previous_run, monkeypatch):
    def fail(outdir, metrics):
        raise OSError("disk full")
    monkeypatch.setattr(outputs, "write_metrics", fail)
    status, _, err = run_main(SHORT + ["--no-plots", "--out", previous_run])
    assert status == 1 and "disk full" in err
    assert sorted(p.name for p in previous_run.iterdir()) == sorted(replace.RUN_FILES + ("notes.txt",))
    for name in replace.RUN_FILES:  # nothing replaced, no hidden staging folder left
        assert (previous_run / name).read_bytes() == b"old " + name.encode()


def test_commit_removes_the_old_summary_first_and_moves_it_last(tmp_path, monkeypatch):
    out, staging = tmp_path / "out", tmp_path / "out" / ".staging"
    staging.mkdir(parents=True)
    for name in ("model.fastmlp", "metrics.json", "curves.png"):
        (out / name).write_text("old")
    for name in ("model.fastmlp", "history.json", "metrics.json"):
        (staging / name).write_text("new")
    moves = []
    real_remove, real_replace = replace.os.remove, replace.os.replace
    monkeypatch.setattr(replace.os, "remove", lambda p: (moves.append(("rm", p.rsplit("/", 1)[1])),
                                                         real_remove(p)))
    monkeypatch.setattr(replace.os, "replace", lambda a, b: (moves.append(("mv", b.rsplit("/", 1)[1])),
                                                             real_replace(a, b)))
    replace.commit(str(staging), str(out))
    assert moves[0] == ("rm", "metrics.json") and moves[-1] == ("mv", "metrics.json")
    assert ("rm", "curves.png") in moves
    assert sorted(p.name for p in out.iterdir()) == [".staging", "history.json", "metrics.json",
                                                      "model.fastmlp"]
    with pytest.raises(RuntimeError, match="unexpected files"):
        (staging / "other.txt").write_text("x")
        replace.commit(str(staging), str(out))
