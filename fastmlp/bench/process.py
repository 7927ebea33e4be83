"""Process-level costs: the import time of fastmlp in a fresh interpreter and
the peak RSS of a ``fastmlp-train`` run, each measured in a child process."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

_IMPORT_CODE = ("import time; t = time.perf_counter(); import {m}; "
                "print(time.perf_counter() - t)")


def import_time(runs=5):
    """``{"numpy": s, "fastmlp": s}``: median seconds of ``import fastmlp`` in
    a fresh interpreter, and of ``import numpy`` alone, for scale."""
    out = {}
    for module in ("numpy", "fastmlp"):
        ts = []
        for _ in range(runs):
            res = subprocess.run([sys.executable, "-c", _IMPORT_CODE.format(m=module)],
                                 capture_output=True, text=True, check=True)
            ts.append(float(res.stdout.strip().splitlines()[-1]))
        out[module] = statistics.median(ts)
    return out


def train_peak_rss(epochs=1, extra=()):
    """Peak resident set size (bytes) and wall time of ``fastmlp-train`` on the
    MNIST it finds, in a child process. The peak is the one the child reports
    in its metrics.json (its own high-water mark: a child's ru_maxrss would
    include the image of this large process, which forked it)."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "fastmlp.train", "--epochs", str(epochs), "--quiet",
               "--no-plots", "--out", tmp, *extra]
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t
        rss = None
        if proc.returncode == 0:
            with open(os.path.join(tmp, "metrics.json")) as f:
                peak_mb = json.load(f).get("peak_rss_mb")
            rss = None if peak_mb is None else int(peak_mb * 2**20)
    if proc.returncode == 0:
        output = (proc.stdout.strip().splitlines() or [""])[-1]
    else:
        output = proc.stderr.strip()[-300:]
    return {"peak_rss_bytes": rss, "wall_s": wall, "command": " ".join(cmd[1:]),
            "exit_status": proc.returncode, "output": output}
