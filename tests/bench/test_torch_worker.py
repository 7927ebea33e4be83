"""The PyTorch worker of fastmlp-bench (``python -m fastmlp.bench.torch_worker``)
as its own entry point, and its line protocol's greeting and error paths."""

import json
import os
import subprocess
import sys

import pytest

import fastmlp
from fastmlp.bench.torch_worker import TorchWorker

HOME = os.path.dirname(os.path.dirname(os.path.abspath(fastmlp.__file__)))


def _worker(stdin="", **env):
    """Run the worker of the fastmlp under test on ``stdin``."""
    env = dict(os.environ, PYTHONPATH=HOME + os.pathsep + os.environ.get("PYTHONPATH", ""),
               **env)
    return subprocess.run([sys.executable, "-m", "fastmlp.bench.torch_worker"], input=stdin,
                          capture_output=True, text=True, env=env, cwd=HOME, timeout=120)


def test_help():
    env = dict(os.environ, PYTHONPATH=HOME + os.pathsep + os.environ.get("PYTHONPATH", ""))
    res = subprocess.run([sys.executable, "-m", "fastmlp.bench.torch_worker", "--help"],
                         capture_output=True, text=True, env=env, cwd=HOME, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "fastmlp.bench.torch_worker" in res.stdout and "JSON" in res.stdout
    assert "RuntimeWarning" not in res.stderr  # the package does not import it before runpy


def test_without_torch_the_worker_says_so():
    res = _worker(FASTMLP_BENCH_NO_TORCH="1")
    assert res.returncode == 1
    assert json.loads(res.stdout) == {"error": "torch is not installed"}


def test_client_raises_when_the_worker_cannot_start(monkeypatch):
    monkeypatch.setenv("FASTMLP_BENCH_NO_TORCH", "1")
    monkeypatch.setenv("PYTHONPATH", HOME + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with pytest.raises(RuntimeError, match="torch is not installed"):
        TorchWorker()


def test_greeting_errors_and_quit_with_torch():
    pytest.importorskip("torch")
    cmds = [{"cmd": "nonsense"}, {"cmd": "epoch", "batch": 32}, {"cmd": "quit"}]
    res = _worker("".join(json.dumps(c) + "\n" for c in cmds))
    assert res.returncode == 0, res.stderr[-2000:]
    hello, unknown, unprepared = (json.loads(line) for line in res.stdout.splitlines())
    assert hello["version"] and hello["threads"] >= 1
    assert unknown == {"error": "unknown command 'nonsense'"}
    assert unprepared["error"].startswith("KeyError")
