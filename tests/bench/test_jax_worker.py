"""The JAX contender of fastmlp-bench (:mod:`fastmlp.bench.jax_cases` and
``python -m fastmlp.bench.jax_worker``): its model, loss, gradients and
hand-written Adam/RMSprop against Keras's numbers on a tiny model, its
dropout, and its worker process. A fake or absent JAX must not break the
worker or the benchmark: those tests run everywhere; the others need jax."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import fastmlp
from fastmlp.bench import jax_cases
from fastmlp.bench.jax_worker import JaxWorker
from fastmlp.bench.workloads import Workload

HOME = os.path.dirname(os.path.dirname(os.path.abspath(fastmlp.__file__)))
f32 = np.float32

# The tiny model of the Keras runs below: Input(4), Dense(3, relu), Dense(2)
# (softmax for the categorical loss), these weights, one batch of five.
W1 = (np.arange(12, dtype=f32).reshape(4, 3) / 10 - 0.5).astype(f32)
B1 = np.array([0.1, -0.2, 0.05], f32)
W2 = (np.arange(6, dtype=f32).reshape(3, 2) / 5 - 0.4).astype(f32)
B2 = np.array([0.0, 0.1], f32)
X = (np.arange(20, dtype=f32).reshape(5, 4) % 7 / 7).astype(f32)
Y = np.array([0, 1, 1, 0, 1])

# from Keras 3.15 (torch backend): the model above compiled with
# SGD(learning_rate=1.0), one train_on_batch(X, y); the weights before minus
# after, i.e. the gradient of the mean loss; and the loss train_on_batch returned.
# Sparse: Dense(2) + SparseCategoricalCrossentropy(from_logits=True), y = Y.
GRAD_SPARSE = [np.array([[-0.00740927458, -0.00740927458, -0.018112272],
         [-0.00915238261, -0.00915239006, -0.0225311667],
         [-0.010895513, -0.0108955204, -0.0269500613],
         [-0.0126386285, -0.0126386285, -0.0126386285]], f32),
     np.array([-0.0122018829, -0.0122018903, -0.0309321694], f32),
     np.array([[0.00915044546, -0.00915043056],
         [0.010895513, -0.0108955055],
         [0.0589056015, -0.0589056015]], f32),
     np.array([0.0496649817, -0.0496649817], f32)]
LOSS_SPARSE = [0.6666409969329834]
# Categorical: Dense(2, activation="softmax") + "categorical_crossentropy", y = one-hot Y.
GRAD_CATEGORICAL = [np.array([[-0.00740927458, -0.00740927458, -0.018112272],
         [-0.00915238261, -0.00915239006, -0.0225311629],
         [-0.010895513, -0.0108955204, -0.0269500315],
         [-0.0126386285, -0.0126386285, -0.0126386285]], f32),
     np.array([-0.0122018829, -0.0122018903, -0.0309321694], f32),
     np.array([[0.00915044546, -0.00915043056],
         [0.010895513, -0.0108955204],
         [0.0589056015, -0.0589056015]], f32),
     np.array([0.0496649817, -0.0496649668], f32)]
LOSS_CATEGORICAL = [0.6666410565376282]
# from Keras 3.15 (torch backend): three train_on_batch(X, y) with Adam() (sparse
# loss) and with RMSprop() (categorical loss): the weights after, and the losses.
ADAM_SPARSE = [np.array([[-0.497000366, -0.397000372, -0.296999723],
         [-0.197000325, -0.0970003381, 0.00300030783],
         [0.102999702, 0.202999666, 0.303000331],
         [0.402999669, 0.502999663, 0.602999687]], f32),
     np.array([0.102999143, -0.197000861, 0.0530001298], f32),
     np.array([[-0.402999967, -0.197000057],
         [-0.0030008438, 0.203000858],
         [0.396999896, 0.603000164]], f32),
     np.array([-0.00299769454, 0.102997698], f32)]
ADAM_LOSSES = [0.6666409969329834, 0.6661680936813354, 0.6656955480575562]
RMSPROP_CATEGORICAL = [np.array([[-0.492615223, -0.392614782, -0.292569876],
         [-0.192614019, -0.0926135629, 0.00742711127],
         [0.10738492, 0.207385346, 0.307424724],
         [0.407383144, 0.507383585, 0.60738337]], f32),
     np.array([0.107336082, -0.192663461, 0.0574057102], f32),
     np.array([[-0.407407165, -0.1925928],
         [-0.00748551171, 0.207485527],
         [0.392601699, 0.607398391]], f32),
     np.array([-0.0072033219, 0.107203327], f32)]
RMSPROP_LOSSES = [0.6666410565376282, 0.6651489734649658, 0.6640678644180298]

# float32 throughout: rtol 1e-5 as for every Keras comparison; atol 1e-7
# because the SGD "gradients" are differences of weights near 0.5, which
# carry one float32 rounding of those weights (6e-8).
TOL = dict(rtol=1e-5, atol=1e-7)


def _workload(optimizer, loss, dropout=0.0):
    return Workload("tiny", (3,), dropout, optimizer, loss, 5)


def _params(jnp):
    return [(jnp.asarray(W1), jnp.asarray(B1)), (jnp.asarray(W2), jnp.asarray(B2))]


def _labels(loss):
    return np.eye(2, dtype=f32)[Y] if loss == "categorical" else Y.astype(np.int32)


def _flat(params):
    return [np.asarray(a) for pair in params for a in pair]


@pytest.mark.parametrize("loss, grads, value", [("sparse", GRAD_SPARSE, LOSS_SPARSE),
                                                ("categorical", GRAD_CATEGORICAL,
                                                 LOSS_CATEGORICAL)])
def test_loss_and_gradients_match_keras(loss, grads, value):
    jax = pytest.importorskip("jax")
    wl = _workload("adam", loss)
    val, g = jax.value_and_grad(lambda p: jax_cases.loss_fn(jax, wl, p, X, _labels(loss)))(
        _params(jax.numpy))
    np.testing.assert_allclose(float(val), value[0], rtol=1e-5)
    for got, want in zip(_flat(g), grads):
        np.testing.assert_allclose(got, want, **TOL)


@pytest.mark.parametrize("optimizer, loss, weights, losses", [
    ("adam", "sparse", ADAM_SPARSE, ADAM_LOSSES),
    ("rmsprop", "categorical", RMSPROP_CATEGORICAL, RMSPROP_LOSSES)])
def test_three_jitted_steps_match_keras(optimizer, loss, weights, losses):
    jax = pytest.importorskip("jax")
    init, step = jax_cases.make_step(jax, _workload(optimizer, loss))
    params = _params(jax.numpy)
    state = init(params)
    x, y = jax.device_put(X), jax.device_put(_labels(loss))
    idx = np.arange(5, dtype=np.int32)
    got = []
    for _ in range(3):
        params, state, value = step(params, state, x, y, idx, jax.random.PRNGKey(0))
        got.append(float(value))
    np.testing.assert_allclose(got, losses, rtol=1e-5)
    for have, want in zip(_flat(params), weights):
        np.testing.assert_allclose(have, want, **TOL)
    assert int(state[-1]) == 3


def test_dropout_is_inverted_and_random_per_step():
    jax = pytest.importorskip("jax")
    wl = Workload("drop", (2000,), 0.2, "adam", "sparse", 64)
    a = np.asarray(_dropped(jax, wl, 1))
    b = np.asarray(_dropped(jax, wl, 2))
    assert a.shape == (64, 2000)
    assert set(np.unique(a)) <= {0.0, np.float32(1.25)}  # kept units scaled by 1 / (1 - 0.2)
    assert abs((a == 0).mean() - 0.2) < 0.01  # 128,000 draws: the standard error is 0.0011
    assert (a != b).any()  # another key, another mask
    no_key = np.asarray(jax_cases.forward(jax, wl, _identity_params(jax), np.zeros((64, 4), f32)))
    assert (no_key == 1.0).all()  # inference: no dropout


def _identity_params(jax):
    """Two layers whose output is the first layer's activations: all 1."""
    jnp = jax.numpy
    return [(jnp.zeros((4, 2000)), jnp.ones(2000)), (jnp.eye(2000), jnp.zeros(2000))]


def _dropped(jax, wl, seed):
    """The hidden layer's output after dropout, every unit 1 before it."""
    return jax_cases.forward(jax, wl, _identity_params(jax), np.zeros((64, 4), f32),
                             jax.random.PRNGKey(seed))


def _worker(stdin="", pythonpath=(), **env):
    """Run the JAX worker of the fastmlp under test on ``stdin``."""
    path = os.pathsep.join([*map(str, pythonpath), HOME, os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, PYTHONPATH=path, **env)
    return subprocess.run([sys.executable, "-m", "fastmlp.bench.jax_worker"], input=stdin,
                          capture_output=True, text=True, env=env, cwd=HOME, timeout=300)


def test_help():
    env = dict(os.environ, PYTHONPATH=HOME + os.pathsep + os.environ.get("PYTHONPATH", ""))
    res = subprocess.run([sys.executable, "-m", "fastmlp.bench.jax_worker", "--help"],
                         capture_output=True, text=True, cwd=HOME, timeout=120, env=env)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "fastmlp.bench.jax_worker" in res.stdout and "JSON" in res.stdout
    assert "RuntimeWarning" not in res.stderr


def test_disabled_jax_is_absent():
    res = _worker(FASTMLP_BENCH_NO_JAX="1")
    assert res.returncode == 1
    assert json.loads(res.stdout) == {"error": "jax is not installed"}


@pytest.fixture
def fake_jax(tmp_path):
    """A directory holding a broken ``jax`` package, by kind."""
    def make(kind):
        pkg = tmp_path / kind / "jax"
        pkg.mkdir(parents=True)
        body = {"raises": "raise RuntimeError('this jax is broken')\n",
                "no_jit": "__version__ = '0.0-fake'\n",
                "wrong": "__version__ = '0.0-fake'\n"
                         "def jit(fn, **kw):\n    return lambda *a: a[0] * 0\n"}[kind]
        (pkg / "__init__.py").write_text(body)
        return tmp_path / kind
    return make


@pytest.mark.parametrize("kind, message", [
    ("raises", "jax does not import: RuntimeError: this jax is broken"),
    ("no_jit", "jax does not run here: AttributeError"),
    ("wrong", "jax computes a wrong result")])
def test_a_fake_jax_is_reported_not_run(fake_jax, kind, message):
    res = _worker(pythonpath=[fake_jax(kind)])
    assert res.returncode == 1, res.stderr[-2000:]
    assert json.loads(res.stdout)["error"].startswith(message)


def test_client_raises_when_the_worker_cannot_start(monkeypatch, fake_jax):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(fake_jax("raises")), HOME,
                                                      os.environ.get("PYTHONPATH", "")]))
    with pytest.raises(RuntimeError, match="jax does not import"):
        JaxWorker(timeout=120)


def test_the_bench_runs_with_a_broken_jax(monkeypatch, fake_jax):
    """The parent sees a jax package, its worker fails to start: the run goes
    on, the environment says why JAX is absent, and no row has a JAX column."""
    from fastmlp import bench
    from fastmlp.bench import cli

    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(fake_jax("raises")), HOME,
                                                      os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name: object())
    report = bench.run(smoke=True, kernels=False, floor=False, process=False,
                       use_torch=False, max_wait=0)
    assert report["environment"]["jax"] is None
    assert "jax does not import" in report["environment"]["absent"]["jax jit"]
    assert all("jax jit" not in row for row in report["end_to_end"])
    assert "jax jit" not in report["inference"]["throughput"]
    text = bench.format_report(report)
    assert "jax absent (jax does not import" in text


def test_worker_trains_and_predicts():
    pytest.importorskip("jax")
    wl = {"name": "seed b32", "hidden": [128], "dropout": 0.2, "optimizer": "adam",
          "loss": "sparse", "batch": 32}
    cmds = [{"cmd": "prepare", "workload": wl, "samples": 100},
            {"cmd": "epoch", "workload": "seed b32"},
            {"cmd": "prepare_inference", "images": 100},
            {"cmd": "latency", "repeats": 20},
            {"cmd": "predict", "images": 100, "batch": 32},
            {"cmd": "epoch", "workload": "nothing prepared"},
            {"cmd": "nonsense"}, {"cmd": "quit"}]
    res = _worker("".join(json.dumps(c) + "\n" for c in cmds))
    assert res.returncode == 0, res.stderr[-2000:]
    hello, prep, epoch, prep_inf, lat, pred, missing, unknown = map(json.loads,
                                                                     res.stdout.splitlines())
    assert hello["version"] and hello["threads"] >= 1
    assert prep == prep_inf == {"ok": True}
    assert epoch["seconds"] > 0 and pred["seconds"] > 0
    assert 0 < lat["median"] < 1 and lat["iqr"] >= 0
    assert missing["error"].startswith("KeyError")
    assert unknown == {"error": "unknown command 'nonsense'"}


def test_an_epoch_learns():
    """Epochs of the jitted step lower the loss of the seed model on data
    with one bright pixel per class: the step trains, and each epoch runs."""
    jax = pytest.importorskip("jax")
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 640).astype(np.uint8)
    x = (rng.random((640, 28, 28)) * 0.1).astype(f32)
    x.reshape(640, -1)[np.arange(640), y.astype(int) * 50] = 1.0
    wl = Workload("seed b32", (128,), 0.2, "adam", "sparse", 32)
    epoch = jax_cases.jax_epoch(jax, wl, x, y)
    first = epoch()
    for _ in range(10):
        last = epoch()
    assert first["loss"] > 5 * last["loss"], (first, last)
    assert first["steps"] == last["steps"] == 20  # 640 / 32
