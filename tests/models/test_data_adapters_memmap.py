"""A memory-mapped input larger than the memory fastmlp may use trains
without being read whole: the child process's peak RSS grows by far less than
the file's size (the adapter hands pages back to the kernel as it reads)."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fastmlp

# The child imports the fastmlp under test (installed, or built in place), not
# a source tree that happens to be its working directory.
REPO = os.path.dirname(os.path.dirname(os.path.abspath(fastmlp.__file__)))
ROWS, FEATURES = 100_000, 784  # 314 MB of float32

CHILD = textwrap.dedent("""
    import json, os, resource, sys
    import numpy as np


    def peak_kb():
        # VmHWM is this process's own peak; ru_maxrss also counts the peak of
        # the process it was forked from (Linux keeps it across exec).
        if os.path.exists("/proc/self/status"):
            for line in open("/proc/self/status"):
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    import fastmlp
    path, rows, features = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    x = np.memmap(path, dtype=np.float32, mode="r", shape=(rows, features))
    y = (np.arange(rows) % 2).astype(np.float32)
    fastmlp.utils.set_random_seed(0)
    model = fastmlp.Sequential([fastmlp.Input((features,)), fastmlp.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    model.fit(x[:64], y[:64], verbose=0)  # buffers, imports: the baseline
    before = peak_kb()
    history = model.fit(x, y, batch_size=256, epochs=1, verbose=0)
    after = peak_kb()
    print(json.dumps({"grown_kb": after - before, "loss": history.history["loss"][0]}))
""")


@pytest.mark.skipif("asan" in os.environ.get("LD_PRELOAD", ""),
                    reason="AddressSanitizer's shadow memory and quarantine inflate the resident set")
def test_memmap_larger_than_the_budget_trains_with_bounded_memory(tmp_path):
    path = tmp_path / "x.f32"
    block = np.random.default_rng(0).random((10_000, FEATURES), dtype=np.float32).tobytes()
    with open(path, "wb") as f:  # plain writes: this process's memory stays small too
        for _ in range(ROWS // 10_000):
            f.write(block)
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), str(ROWS), str(FEATURES)],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": REPO})
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    file_kb = ROWS * FEATURES * 4 // 1024
    assert np.isfinite(result["loss"])
    # the whole file is read (one epoch, plus the finite scan); at most a third stays resident
    assert result["grown_kb"] < file_kb // 3, (result, file_kb)
