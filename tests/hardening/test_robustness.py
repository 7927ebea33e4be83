"""Robustness: memory that stays flat, training in threads, model files that
survive a kill and refuse hostile content, and Ctrl-C during fit.

Anything that could crash or hang runs in a child process."""

import importlib
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

import fastmlp
from fastmlp.models import ModelFileError

# The folder holding the fastmlp under test (site-packages for an installed
# package, the checkout for one built in place): child processes run there and
# import that same fastmlp.
REPO = os.path.dirname(os.path.dirname(os.path.abspath(fastmlp.__file__)))


def child_env(**extra):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
               FASTMLP_OFFLINE="1", MPLBACKEND="Agg")
    env.pop("FASTMLP_BACKEND", None)
    env.update(extra)
    return env


def run_child(code, timeout=300, **env):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, env=child_env(**env),
                          capture_output=True, text=True, timeout=timeout)


# ----------------------------------------------------------------------- memory
# Trains the first seed program for EPOCHS epochs and prints the resident set
# size after each one. With FASTMLP_DATA pointing at the real datasets it is the
# full-MNIST measurement of the README (FULL=1).
RSS_SCRIPT = r'''
import json, os, sys
import numpy as np
import fastmlp

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

class Rss(fastmlp.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.values = []
    def on_epoch_end(self, epoch, logs=None):
        self.values.append(round(rss_mb(), 1))
        print(f"epoch {epoch + 1}: rss {self.values[-1]} MB", file=sys.stderr, flush=True)

full = os.environ.get("FULL") == "1"
loader = fastmlp.datasets.mnist if full else fastmlp.datasets.mnist_sample
(x_train, y_train), _ = loader.load_data()
n = int(os.environ.get("N", len(x_train)))
x_train, y_train = x_train[:n] / 255.0, y_train[:n]
fastmlp.utils.set_random_seed(0)
model = fastmlp.Sequential([
    fastmlp.layers.Flatten(input_shape=(28, 28)),
    fastmlp.layers.Dense(128, activation="relu"),
    fastmlp.layers.Dropout(0.2),
    fastmlp.layers.Dense(10),
])
model.compile(optimizer="adam", loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
before = round(rss_mb(), 1)
cb = Rss()
model.fit(x_train, y_train, epochs=int(os.environ.get("EPOCHS", 20)), verbose=0, callbacks=[cb])
print(json.dumps({"before": before, "epochs": cb.values, "n": len(x_train),
                  "backend": fastmlp.backend.backend()}))
'''


@pytest.mark.parametrize("backend_name", ["cython", "numpy"])
def test_rss_stays_flat_over_20_epochs(backend_name):
    if backend_name == "cython":
        from compiled_extension import compiled_ops  # tests/ (here lazily: this file also runs as a script)
        compiled_ops()  # skipped where not built, failed under FASTMLP_REQUIRE_COMPILED=1
    proc = run_child(RSS_SCRIPT, FASTMLP_BACKEND=backend_name, EPOCHS="20", N="1500")
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    rss = result["epochs"]
    assert len(rss) == 20 and result["backend"] == backend_name
    # After the first epochs (buffers, allocator pools) the footprint must not
    # grow: a leak of one 32x128 float32 buffer per step would add 0.8 MB per
    # epoch here, 15 MB over 20 epochs.
    growth = max(rss[2:]) - rss[2]
    assert growth < 8, f"RSS grew by {growth:.1f} MB between epoch 3 and the end: {rss}"


def test_steady_state_training_step_allocates_nothing(cython_backend, seed_model, compiled):
    """tracemalloc sees NumPy's array buffers: a steady-state step on the
    cython backend (seed model, batch 32) must not allocate one."""
    fastmlp.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((256, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 256)
    model = compiled(seed_model())
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    xb = np.ascontiguousarray(x[:32].reshape(32, -1))
    yb = np.ascontiguousarray(y[:32], dtype=np.int32)
    for _ in range(5):
        model._train_step(xb, yb)
    tracemalloc.start()
    try:
        snapshot = tracemalloc.take_snapshot()
        tracemalloc.reset_peak()
        start, _ = tracemalloc.get_traced_memory()
        for _ in range(50):
            model._train_step(xb, yb)
        current, peak = tracemalloc.get_traced_memory()
        stats = tracemalloc.take_snapshot().compare_to(snapshot, "lineno")
    finally:
        tracemalloc.stop()
    # The smallest array of a step is the (32, 10) logits gradient: 1280 bytes.
    assert peak - start < 1024, (peak - start, [str(s) for s in stats[:5]])
    assert current - start < 1024, [str(s) for s in stats[:5]]


# ---------------------------------------------------------------------- threads
def _thread_data():
    rng = np.random.default_rng(5)
    centers = rng.normal(0, 2, size=(4, 48))
    y = rng.integers(0, 4, 2000)
    x = (centers[y] + rng.normal(size=(2000, 48))).astype(np.float32)
    return x, y


def _thread_models(seed_model, compiled):
    models = []
    for seed, optimizer in ((11, "adam"), (12, "rmsprop")):
        fastmlp.utils.set_random_seed(seed)
        models.append(compiled(seed_model(input_shape=(48,), hidden=96, classes=4, dropout=0.3), optimizer))
    return models


def test_two_models_trained_in_two_threads_match_sequential_training(backend, seed_model, compiled):
    x, y = _thread_data()
    sequential = _thread_models(seed_model, compiled)
    for model in sequential:
        model.fit(x, y, epochs=3, batch_size=32, verbose=0)

    concurrent = _thread_models(seed_model, compiled)
    # the barrier's timeout: a thread that never starts cannot hold the other forever
    barrier = threading.Barrier(2, timeout=120)
    errors, histories = [], {}

    def train(i, model):
        try:
            barrier.wait()
            histories[i] = model.fit(x, y, epochs=3, batch_size=32, verbose=0)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=train, args=(i, m), daemon=True) for i, m in enumerate(concurrent)]
    for t in threads:
        t.start()
    # one deadline for all: joins with 300 s each would wait for a hung thread
    # while the next join runs, and see it finished by then
    deadline = time.monotonic() + 300
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not [t for t in threads if t.is_alive()], "a training thread did not finish within 300 s"
    assert not errors, errors
    # each thread did its whole job: three epochs, 63 steps of its own model
    assert sorted(histories) == [0, 1], histories
    for i, model in enumerate(concurrent):
        assert histories[i] is model.history and len(histories[i].history["loss"]) == 3
        assert model.optimizer.iterations == 3 * 63
    for a, b in zip(sequential, concurrent):
        for wa, wb in zip(a.get_weights(), b.get_weights()):
            np.testing.assert_array_equal(wa, wb)
        assert a.history.history == b.history.history
        np.testing.assert_array_equal(a.predict(x[:100], verbose=0), b.predict(x[:100], verbose=0))


# ------------------------------------------------------------------------ files
SAVE_LOOP = r'''
import os, sys
import numpy as np
import fastmlp
path = sys.argv[1]
model = fastmlp.Sequential([fastmlp.layers.Dense(1200, input_shape=(1200,)), fastmlp.layers.Dense(600)])
model.compile(optimizer="adam", loss="mse")
shapes = [w.shape for w in model.get_weights()]
k = 0
while True:
    model.set_weights([np.full(s, k, np.float32) for s in shapes])
    model.save(path)
    if k == 0:
        print("ready", flush=True)
    k += 1
'''


@pytest.mark.parametrize("delay", [0.15, 0.4, 0.75])
def test_sigkill_during_save_leaves_a_loadable_file(tmp_path, delay):
    path = tmp_path / "m.fastmlp"
    proc = subprocess.Popen([sys.executable, "-c", SAVE_LOOP, str(path)], cwd=REPO, env=child_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        time.sleep(delay)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    model = fastmlp.models.load_model(path)
    values = {float(v) for w in model.get_weights() for v in np.unique(w)}
    assert len(values) == 1, f"weights from two different saves: {sorted(values)[:5]}"
    # the optimizer state was saved with it (all zeros: never trained)
    assert model.optimizer.iterations == 0
    # the temporary file of the killed save, if any, is the only other file (a
    # hidden one that nothing loads; SIGKILL leaves no chance to remove it)
    others = [p.name for p in tmp_path.iterdir() if p.name != "m.fastmlp"]
    assert all(name.startswith(".") for name in others), others


@pytest.fixture
def small_saved_model(tmp_path, seed_model, compiled):
    """A trained 6-5-3 seed model and the file it was saved to."""
    fastmlp.utils.set_random_seed(0)
    model = compiled(seed_model(input_shape=(6,), hidden=5, classes=3))
    x = np.random.default_rng(0).normal(size=(20, 6)).astype(np.float32)
    model.fit(x, np.arange(20) % 3, epochs=1, verbose=0)
    path = tmp_path / "good.fastmlp"
    model.save(path)
    return model, path


def _rewrite(src, dst, replace):
    """Copy the zip ``src`` to ``dst``, entries passed through ``replace(name, data)``
    (which returns the new bytes, or None to leave the entry out)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = replace(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info.filename, data)


def test_newer_format_version_is_a_clear_error(tmp_path, small_saved_model):
    _, path = small_saved_model

    def newer(name, data):
        if name != "fastmlp.json":
            return data
        manifest = json.loads(data)
        manifest["format_version"] = 99
        manifest["fastmlp_version"] = "9.0.0"
        return json.dumps(manifest)

    _rewrite(path, tmp_path / "newer.fastmlp", newer)
    with pytest.raises(ModelFileError, match=r"format version 99.*fastmlp 9\.0\.0.*Upgrade"):
        fastmlp.models.load_model(tmp_path / "newer.fastmlp")


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5, 0.9, 0.999])
def test_truncated_file_is_a_clear_error(tmp_path, fraction, small_saved_model):
    _, path = small_saved_model
    data = path.read_bytes()
    cut = tmp_path / "cut.fastmlp"
    cut.write_bytes(data[:int(len(data) * fraction)])
    with pytest.raises(ModelFileError):
        fastmlp.models.load_model(cut)


def test_corrupted_entry_is_a_clear_error(tmp_path, small_saved_model):
    _, path = small_saved_model
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("weights/0000.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 8, start + min(info.compress_size, 64)):
        data[i] ^= 0xFF
    bad = tmp_path / "bad.fastmlp"
    bad.write_bytes(bytes(data))
    with pytest.raises(ModelFileError):
        fastmlp.models.load_model(bad)


BOMB = r'''
import resource, sys, time, zipfile
import fastmlp
from fastmlp.models import ModelFileError
path = sys.argv[1]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.time()
try:
    fastmlp.models.load_model(path)
except ModelFileError as exc:
    print("refused:", exc)
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(f"grown_mb={grown:.1f} seconds={time.time() - t:.2f}")
'''

BOMB_MB = 400


def _make_bomb(good, bomb, lie):
    """``good`` with its first weight entry replaced by BOMB_MB MB of zeros
    (compressed ~1000:1). With ``lie`` the archive's size fields are patched
    to claim the entry's true size, so only reading it can tell."""
    with zipfile.ZipFile(good) as zin:
        entries = [(i.filename, zin.read(i)) for i in zin.infolist()]
    target = "weights/0000.npy"
    true_size = dict(entries)[target].__len__()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in entries:
            if name != target:
                zout.writestr(name, data)
                continue
            with zout.open(name, "w") as f:
                f.write(data[:128])  # a valid .npy header first
                chunk = bytes(2**20)
                for _ in range(BOMB_MB):
                    f.write(chunk)
    if lie:
        raw = bytearray(bomb.read_bytes())
        with zipfile.ZipFile(bomb) as z:
            info = z.getinfo(target)
        # local header: uncompressed size at +22; central directory entry: +24
        raw[info.header_offset + 22:info.header_offset + 26] = true_size.to_bytes(4, "little")
        cd = raw.find(b"PK\x01\x02" + raw[info.header_offset + 4:info.header_offset + 6])
        while cd >= 0:
            name_len = int.from_bytes(raw[cd + 28:cd + 30], "little")
            if raw[cd + 46:cd + 46 + name_len] == target.encode():
                raw[cd + 24:cd + 28] = true_size.to_bytes(4, "little")
                break
            cd = raw.find(b"PK\x01\x02", cd + 4)
        bomb.write_bytes(bytes(raw))


@pytest.mark.parametrize("lie", [False, True], ids=["declared-size", "lying-size"])
def test_zip_bomb_is_refused_in_bounded_memory(tmp_path, lie, small_saved_model):
    _, path = small_saved_model
    bomb = tmp_path / "bomb.fastmlp"
    _make_bomb(path, bomb, lie)
    assert bomb.stat().st_size < BOMB_MB * 2**20 / 100
    proc = subprocess.run(
        [sys.executable, "-c", BOMB, str(bomb)], cwd=REPO, env=child_env(), capture_output=True, text=True,
        timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "refused:" in proc.stdout, proc.stdout
    stats = dict(part.split("=") for part in proc.stdout.split()[-2:])
    assert float(stats["grown_mb"]) < 50, proc.stdout
    assert float(stats["seconds"]) < 10, proc.stdout


def test_file_with_non_finite_weights_is_refused(tmp_path, small_saved_model):
    _, path = small_saved_model
    import io

    def poison(name, data):
        if name != "weights/0001.npy":
            return data
        array = np.load(io.BytesIO(data))
        array[0] = np.nan
        buf = io.BytesIO()
        np.save(buf, array)
        return buf.getvalue()

    _rewrite(path, tmp_path / "nan.fastmlp", poison)
    with pytest.raises(ValueError, match="NaN"):
        fastmlp.models.load_model(tmp_path / "nan.fastmlp")


class _Marker:
    """Unpickling this creates the file ``path``: proof that code ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_pickled_object_array_is_refused_and_never_executed(tmp_path, small_saved_model, seed_model):
    _, path = small_saved_model
    marker = tmp_path / "code-ran"
    payload = np.empty(3, dtype=object)
    payload[:] = [_Marker(marker)] * 3
    import io
    buf = io.BytesIO()
    np.save(buf, payload, allow_pickle=True)
    evil = tmp_path / "evil.fastmlp"
    _rewrite(path, evil, lambda name, data: buf.getvalue() if name.startswith(("weights/", "optimizer/"))
             else data)
    # sanity: this payload does run code when unpickled
    np.load(io.BytesIO(buf.getvalue()), allow_pickle=True)
    assert marker.exists()
    marker.unlink()
    with pytest.raises(ModelFileError):
        fastmlp.models.load_model(evil)
    with pytest.raises(ModelFileError):
        seed_model(input_shape=(6,), hidden=5, classes=3).load_weights(evil)
    assert not marker.exists()


def _hostile_manifest(path, evil, spec):
    """``path``'s model file rewritten to ``evil`` with its first layer replaced by ``spec``;
    returns the model config it wrote."""
    written = {}

    def hostile(name, data):
        if name != "fastmlp.json":
            return data
        manifest = json.loads(data)
        manifest["model"]["config"]["layers"][0] = spec
        written.update(manifest["model"])
        return json.dumps(manifest)

    _rewrite(path, evil, hostile)
    return written


# The loader's own refusals: a name outside the layer registry, or a registered
# class the config cannot build (a Model needs its layers).
REFUSED = {"unknown": "unknown layer class {!r} in saved configuration",
           "Model": "a Model config needs its 'layers' as a list"}


@pytest.mark.parametrize("class_name", ["os.system", "__import__", "eval", "Layer", "Model"])
def test_manifest_naming_arbitrary_callables_is_refused(tmp_path, class_name, small_saved_model):
    _, path = small_saved_model
    marker = tmp_path / "code-ran"
    evil = tmp_path / "evil.fastmlp"
    _hostile_manifest(path, evil, {"class_name": class_name, "config": {"command": f"touch {marker}", "name": "x"}})
    message = REFUSED.get(class_name, REFUSED["unknown"]).format(class_name)
    # (a loader that resolved the name would fail with some other error -- a
    # TypeError from os.system(command=...) -- which this does not accept)
    with pytest.raises(ModelFileError, match="cannot build: " + re.escape(message)):
        fastmlp.models.load_model(evil)
    assert not marker.exists()


def _resolve_dotted(name):
    """What a loader that trusted the file would do with a dotted class name."""
    module, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module), attr)


# Configs that run code when the named callable is called with them as keyword
# arguments (as ``cls(**config)`` would): each creates ``marker``.
EXECUTING = {
    "builtins.open": lambda marker: {"file": str(marker), "mode": "w"},
    "os.makedirs": lambda marker: {"name": str(marker)},
    "subprocess.run": lambda marker: {"args": [sys.executable, "-c", f"open({str(marker)!r}, 'w').close()"]},
}


@pytest.mark.parametrize("class_name", sorted(EXECUTING))
def test_a_manifest_naming_a_callable_is_refused_by_name_and_nothing_runs(tmp_path, class_name,
                                                                           small_saved_model):
    _, path = small_saved_model
    marker = tmp_path / "code-ran"
    config = EXECUTING[class_name](marker)
    # sanity: resolving the name and calling it with this config does run code
    result = _resolve_dotted(class_name)(**config)
    if hasattr(result, "close"):
        result.close()
    assert marker.exists()
    os.rmdir(marker) if marker.is_dir() else marker.unlink()

    evil = tmp_path / "evil.fastmlp"
    model_config = _hostile_manifest(path, evil, {"class_name": class_name, "config": config})
    message = re.escape(REFUSED["unknown"].format(class_name))
    with pytest.raises(ModelFileError, match="cannot build: " + message):
        fastmlp.models.load_model(evil)
    assert not marker.exists()
    # the same architecture as JSON text: the same refusal
    with pytest.raises(ValueError, match=message):
        fastmlp.models.model_from_json(json.dumps(model_config))
    assert not marker.exists()


# -------------------------------------------------------------------- interrupt
SIGINT_FIT = r'''
import json, os, signal
import numpy as np
import fastmlp

AT = 5  # SIGINT arrives at the start of step AT (steps count from 0)

def build():
    fastmlp.utils.set_random_seed(3)
    m = fastmlp.Sequential([fastmlp.layers.Dense(16, activation="relu", input_shape=(8,)),
                            fastmlp.layers.Dropout(0.2), fastmlp.layers.Dense(3)])
    m.compile(optimizer="adam", loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m

rng = np.random.default_rng(0)
x = rng.normal(size=(320, 8)).astype(np.float32)
y = rng.integers(0, 3, 320)

class Interrupt(fastmlp.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.ended = 0
    def on_train_batch_begin(self, batch, logs=None):
        if batch == AT:
            os.kill(os.getpid(), signal.SIGINT)
    def on_train_batch_end(self, batch, logs=None):
        self.ended += 1

model, cb = build(), Interrupt()
raised = False
try:
    model.fit(x, y, epochs=3, batch_size=32, verbose=0, callbacks=[cb])
except KeyboardInterrupt:
    raised = True

class StopAfter(fastmlp.callbacks.Callback):
    def __init__(self, n):
        super().__init__()
        self.n = n
    def on_train_batch_end(self, batch, logs=None):
        if batch + 1 == self.n:
            self.model.stop_training = True

reference = build()
steps = model.optimizer.iterations
if steps:
    reference.fit(x, y, epochs=1, batch_size=32, verbose=0, callbacks=[StopAfter(steps)])
same = all(np.array_equal(a, b) for a, b in zip(model.get_weights(), reference.get_weights()))
# usable afterwards: predicts, trains on, and the handler is gone
model.predict(x, verbose=0)
model.fit(x, y, epochs=1, verbose=0)
print(json.dumps({"raised": raised, "steps": steps, "ended": cb.ended, "same_as_reference": same,
                  "handler_restored": signal.getsignal(signal.SIGINT) is signal.default_int_handler}))
'''


def _sigint_fit_result():
    proc = run_child(SIGINT_FIT, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_sigint_during_fit_raises_keyboard_interrupt_and_leaves_the_model_usable():
    result = _sigint_fit_result()
    assert result["raised"]
    assert result["handler_restored"]
    # the weights are those of the steps the optimizer counted, none half-applied
    assert result["same_as_reference"], result


def test_sigint_during_fit_stops_at_the_end_of_the_current_step():
    result = _sigint_fit_result()
    assert result["steps"] == 6 and result["ended"] == 6, result  # step 5 ran to its end


def test_sigint_cli_exits_130_and_writes_nothing(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "fastmlp.train", "--dataset", "mnist-sample", "--epochs",
                             "100000", "--out", str(out), "--no-plots"], cwd=REPO, env=child_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()  # the summary line, printed just before fit
        assert "training" in first, (first, proc.stderr.read() if proc.poll() is not None else "")
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, stderr[-2000:]
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert lines[-1] == "fastmlp-train: interrupted", stderr[-2000:]
    assert "Traceback" not in stderr
    assert sorted(p.name for p in out.iterdir()) == [], "an interrupted run left files behind"


if __name__ == "__main__":
    # The full-MNIST RSS figure of the README:
    #   FASTMLP_DATA=/path/to/datasets nice -n 19 python tests/hardening/test_robustness.py
    env = child_env(FULL="1", EPOCHS=os.environ.get("EPOCHS", "20"))
    sys.exit(subprocess.call([sys.executable, "-c", RSS_SCRIPT], cwd=REPO, env=env))
