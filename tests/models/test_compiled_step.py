"""The compiled training step against the step-by-step path.

Each case trains the same seeded model twice on the ``cython`` backend, once
step by step (``compiled_step.set_enabled(False)``) and once through the
compiled step, and compares the weights, the optimizer's state and step
count, the Dropouts' step counters and the history.

Tolerance: with one thread the compiled step runs the same kernels and the
same BLAS calls in the same order, so everything agrees bit for bit. Split
over two threads, a layer's GEMMs run on column blocks (OpenBLAS may take
another kernel for the narrower shape) and its input gradient is the sum of
two partial products, so each step's gradients agree to a few float32 ulps
(relative ~1e-6); over the ~50 updates of a case, with learning rates of at
most 0.1 and unit-scale data, that stays below 1e-4 absolute on weights of
magnitude ~0.1-1 (measured: < 1e-5). Runs with the same thread count repeat
bit for bit.
"""

import time

import numpy as np
import pytest

import fastmlp
from compiled_extension import missing
from fastmlp.backend import compiled_step
from fastmlp.models import compiled_training

if compiled_step.unavailable_reason() is not None:  # a failure under FASTMLP_REQUIRE_COMPILED=1
    missing(f"the compiled step cannot run here: {compiled_step.unavailable_reason()}", module_level=True)

SPLIT_ATOL = 1e-4


@pytest.fixture(autouse=True)
def _cython_backend():
    with fastmlp.backend.use_backend("cython"):
        yield
    compiled_step.set_enabled(True)


def _data(n=300, features=24, classes=4, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features)).astype(dtype)
    y = rng.integers(0, classes, n)
    return x, y


def _model(kind, features=24, classes=4):
    L = fastmlp.layers
    if kind == "seed":
        layers = [L.Dense(96, activation="relu", input_shape=(features,)), L.Dropout(0.25),
                  L.Dense(classes)]
    elif kind == "softmax":
        layers = [L.Dense(64, activation="relu", input_shape=(features,)), L.Dense(classes, activation="softmax")]
    elif kind == "deep":
        layers = [L.Dense(80, activation="relu", input_shape=(features,)), L.Dropout(0.2),
                  L.Dense(70), L.Dropout(0.1), L.Dense(48, activation="relu"), L.Dense(classes)]
    elif kind == "no_bias":
        layers = [L.Dense(64, activation="relu", use_bias=False, input_shape=(features,)),
                  L.Dense(classes, use_bias=False)]
    elif kind == "linear":
        layers = [L.Dense(classes, input_shape=(features,))]
    elif kind == "images":
        layers = [L.Flatten(input_shape=(4, 6)), L.Rescaling(1 / 255, offset=-0.5),
                  L.Dense(64, activation="relu"), L.Dropout(0.2), L.Dense(classes)]
    else:
        raise AssertionError(kind)
    return fastmlp.Sequential(layers)


def _optimizer(name):
    O = fastmlp.optimizers
    return {
        "sgd": lambda: O.SGD(0.05),
        "momentum": lambda: O.SGD(0.05, momentum=0.9),
        "nesterov": lambda: O.SGD(0.05, momentum=0.9, nesterov=True),
        "adam": lambda: O.Adam(0.01),
        "adamw": lambda: O.AdamW(0.01, weight_decay=0.05),
        "rmsprop": lambda: O.RMSprop(0.005),
        "rmsprop_momentum": lambda: O.RMSprop(0.005, momentum=0.5),
        "adam_schedule": lambda: O.Adam(O.schedules.ExponentialDecay(0.01, decay_steps=5, decay_rate=0.8)),
    }[name]()


def _train(kind, optimizer, compiled, threads, monkeypatch, weights=None, epochs=2, batch=32,
           one_hot=False, freeze_first=False, **fit_kwargs):
    monkeypatch.setenv("FASTMLP_NUM_THREADS", str(threads))
    compiled_step.set_enabled(compiled)
    x, y = _data()
    if kind == "images":
        x = np.random.default_rng(3).integers(0, 256, (300, 4, 6), dtype=np.uint8)
    fastmlp.utils.set_random_seed(7)
    model = _model(kind)
    if freeze_first:
        model.layers[0].trainable = False
    softmax_out = kind == "softmax"
    if one_hot:
        y = np.eye(4, dtype=np.float32)[y]
        loss = fastmlp.losses.CategoricalCrossentropy(from_logits=not softmax_out)
    else:
        loss = fastmlp.losses.SparseCategoricalCrossentropy(from_logits=not softmax_out)
    model.compile(optimizer=_optimizer(optimizer), loss=loss, metrics=["accuracy"])
    sample_weight = None
    if weights == "sample":
        sample_weight = np.random.default_rng(5).uniform(0.2, 2.0, len(x)).astype(np.float32)
    class_weight = {0: 0.5, 1: 2.0, 2: 1.0, 3: 1.5} if weights == "class" else None
    assert (compiled_training.why_not(model, _adapter(model, x, y, batch)) is None) == compiled
    history = model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, sample_weight=sample_weight,
                        class_weight=class_weight, **fit_kwargs)
    return model, history.history


def _adapter(model, x, y, batch):
    from fastmlp.models.data_adapters import ArrayData
    adapter = ArrayData(model, x, y, "x")
    adapter.batching(batch)
    model._prepare_run()
    model._bind_optimizer()
    return adapter


def _state(model):
    opt = model.optimizer
    return {"weights": model.get_weights(), "slots": opt.state_arrays(), "iterations": opt.iterations,
            "dropout_steps": [layer.step for layer in model.layers if isinstance(layer, fastmlp.layers.Dropout)]}


def _compare(a, b, history_a, history_b, exact):
    assert a["iterations"] == b["iterations"]
    assert a["dropout_steps"] == b["dropout_steps"]
    assert sorted(a["slots"]) == sorted(b["slots"])
    pairs = list(zip(a["weights"], b["weights"])) + [(a["slots"][k], b["slots"][k]) for k in a["slots"]]
    for left, right in pairs:
        if exact:
            np.testing.assert_array_equal(left, right)
        else:
            np.testing.assert_allclose(left, right, rtol=0, atol=SPLIT_ATOL)
    assert history_a.keys() == history_b.keys()
    for key in history_a:
        if exact:
            assert history_a[key] == history_b[key], key
        else:
            np.testing.assert_allclose(history_a[key], history_b[key], rtol=1e-4, atol=1e-6)


CASES = [
    ("seed", "adam", None, False, False),
    ("seed", "sgd", "sample", False, False),
    ("seed", "momentum", "class", False, False),
    ("seed", "nesterov", None, False, False),
    ("seed", "adamw", None, False, False),
    ("seed", "rmsprop", None, False, False),
    ("seed", "rmsprop_momentum", "sample", False, False),
    ("seed", "adam_schedule", None, False, False),
    ("softmax", "adam", None, True, False),
    ("softmax", "rmsprop", "sample", False, False),
    ("deep", "adam", None, False, False),
    ("deep", "momentum", "sample", True, False),
    ("deep", "adam", None, False, True),
    ("no_bias", "adamw", None, False, False),
    ("linear", "sgd", None, True, False),
    ("images", "adam", None, False, False),
]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kind, optimizer, weights, one_hot, freeze_first", CASES,
                         ids=["-".join(str(v) for v in case if v not in (None, False)) for case in CASES])
def test_compiled_step_matches_the_step_by_step_path(kind, optimizer, weights, one_hot, freeze_first,
                                                     threads, monkeypatch):
    kwargs = dict(weights=weights, one_hot=one_hot, freeze_first=freeze_first)
    reference, ref_history = _train(kind, optimizer, False, threads, monkeypatch, **kwargs)
    compiled, history = _train(kind, optimizer, True, threads, monkeypatch, **kwargs)
    _compare(_state(reference), _state(compiled), ref_history, history, exact=threads == 1)
    if freeze_first:
        fresh = _model(kind)
        fastmlp.utils.set_random_seed(7)
        fresh = _model(kind)
        fresh.build((None, 24))
        np.testing.assert_array_equal(compiled.layers[0].get_weights()[0], fresh.layers[0].get_weights()[0])


@pytest.mark.parametrize("kind, optimizer, weights, one_hot, freeze_first",
                         [case for case in CASES if case[0] in ("seed", "softmax", "deep", "images")][::2])
def test_every_layer_split_matches_the_step_by_step_path(kind, optimizer, weights, one_hot, freeze_first,
                                                         monkeypatch):
    """With the size thresholds at zero every wide-enough layer is split by
    output units and every narrow layer after one by input units (its
    partial outputs summed on one thread)."""
    monkeypatch.setattr(compiled_step, "SPLIT_MIN_MACS", 0)
    monkeypatch.setattr(compiled_step, "SPLIT_MIN_UNITS", 8)
    monkeypatch.setattr(compiled_step, "KSPLIT_MIN_MACS", 0)
    kwargs = dict(weights=weights, one_hot=one_hot, freeze_first=freeze_first)
    reference, ref_history = _train(kind, optimizer, False, 2, monkeypatch, **kwargs)
    compiled, history = _train(kind, optimizer, True, 2, monkeypatch, **kwargs)
    _compare(_state(reference), _state(compiled), ref_history, history, exact=False)


def test_layer_splits_follow_the_shapes(monkeypatch):
    monkeypatch.setenv("FASTMLP_NUM_THREADS", "2")
    L = fastmlp.layers
    model = fastmlp.Sequential([L.Dense(512, activation="relu", input_shape=(24,)), L.Dropout(0.1),
                                L.Dense(40, activation="relu"), L.Dense(10)])
    model.compile("adam", fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = _data(n=256, classes=10)
    compiled = compiled_training.prepare(model, _adapter(model, x, y, 64))
    splits = [(spec["threads"], spec["ksplit"]) for spec in compiled.specs]
    assert splits == [(2, False), (2, True), (1, False)]
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)
    assert np.isfinite(model.get_weights()[0]).all()


def test_split_runs_repeat_bit_for_bit(monkeypatch):
    first, h1 = _train("deep", "adam", True, 2, monkeypatch, batch=64)
    second, h2 = _train("deep", "adam", True, 2, monkeypatch, batch=64)
    _compare(_state(first), _state(second), h1, h2, exact=True)


def test_a_layer_wide_enough_is_split():
    assert compiled_step.split_threads(32, 784, 128, 2) == 2
    assert compiled_step.split_threads(32, 128, 10, 2) == 1   # too few units
    assert compiled_step.split_threads(1, 20, 64, 2) == 1     # too little work
    assert compiled_step.split_threads(32, 784, 128, 1) == 1


class _BatchRecorder(fastmlp.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.begins, self.ends = [], []

    def on_train_batch_begin(self, batch, logs=None):
        self.begins.append(batch)

    def on_train_batch_end(self, batch, logs=None):
        self.ends.append((batch, logs["loss"]))


@pytest.mark.parametrize("steps_per_execution, begins", [(1, list(range(10))), (4, [0, 4, 8])])
def test_batch_callbacks_see_every_execution(steps_per_execution, begins, monkeypatch):
    """As Keras: with a callback watching batches, the step returns to Python
    every ``steps_per_execution`` steps, and the hooks get the first and the
    last step of each execution."""
    monkeypatch.setenv("FASTMLP_NUM_THREADS", "1")
    x, y = _data(n=300)
    fastmlp.utils.set_random_seed(7)
    model = _model("seed")
    model.compile("adam", fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True),
                  steps_per_execution=steps_per_execution)
    recorder = _BatchRecorder()
    model.fit(x, y, batch_size=30, epochs=1, verbose=0, callbacks=[recorder])
    assert recorder.begins == begins
    assert [batch for batch, _ in recorder.ends] == [min(b + steps_per_execution, 10) - 1 for b in begins]
    assert model.optimizer.iterations == 10


def test_chunking_does_not_change_the_result(monkeypatch):
    monkeypatch.setenv("FASTMLP_NUM_THREADS", "1")
    results = []
    for steps_per_execution in (1, 3, "auto"):
        x, y = _data()
        fastmlp.utils.set_random_seed(7)
        model = _model("seed")
        model.compile("adam", fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"], steps_per_execution=steps_per_execution)
        history = model.fit(x, y, batch_size=32, epochs=2, verbose=0, callbacks=[_BatchRecorder()])
        results.append((model.get_weights(), history.history))
    for weights, history in results[1:]:
        for a, b in zip(results[0][0], weights):
            np.testing.assert_array_equal(a, b)
        assert history == results[0][1]


@pytest.mark.parametrize("value", [0, -1, 2.5, "fast", None])
def test_steps_per_execution_is_checked(value):
    model = _model("seed")
    with pytest.raises((TypeError, ValueError), match="steps_per_execution"):
        model.compile("adam", "sparse_categorical_crossentropy", steps_per_execution=value)


class _CustomAdam(fastmlp.optimizers.Adam):
    """A user's optimizer may update differently: it trains step by step."""


def _why(model, x, y, loss="sparse_categorical_crossentropy", metrics=("accuracy",), optimizer="adam"):
    model.compile(optimizer, loss, metrics=list(metrics))
    return compiled_training.why_not(model, _adapter(model, x, y, 32))


def test_what_the_compiled_step_does_not_cover_trains_step_by_step():
    x, y = _data()
    L = fastmlp.layers
    cases = [
        (fastmlp.Sequential([L.Dense(8, activation="sigmoid", input_shape=(24,)), L.Dense(4)]),
         {}, "activation 'sigmoid'"),
        (fastmlp.Sequential([L.Dense(8, input_shape=(24,)), L.BatchNormalization(), L.Dense(4)]),
         {}, "BatchNormalization"),
        (fastmlp.Sequential([L.Dense(8, input_shape=(24,), kernel_regularizer="l2"), L.Dense(4)]),
         {}, "regularizers"),
        (_model("seed"), {"metrics": ["accuracy", "sparse_top_k_categorical_accuracy"]}, "metric"),
        (_model("seed"), {"loss": "sparse_categorical_crossentropy"}, "probabilities"),
        (_model("seed"), {"optimizer": _CustomAdam()}, "optimizer _CustomAdam"),
    ]
    for model, overrides, reason in cases:
        kwargs = {"loss": fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True), **overrides}
        assert reason in _why(model, x, y, **kwargs)
        model.fit(x, y, epochs=1, verbose=0)  # and still trains


def test_the_numpy_backend_trains_step_by_step():
    with fastmlp.backend.use_backend("numpy"):
        model = _model("seed")
        x, y = _data()
        assert "numpy" in _why(model, x, y, loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True))


def test_thread_count_follows_the_limits(monkeypatch):
    monkeypatch.setenv("FASTMLP_NUM_THREADS", "1")
    assert compiled_step.training_threads() == 1
    monkeypatch.delenv("FASTMLP_NUM_THREADS")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert compiled_step.training_threads() == 1
    monkeypatch.delenv("OMP_NUM_THREADS")
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        assert compiled_step.training_threads() == 1


def test_an_idle_process_uses_no_cpu_after_fit(monkeypatch):
    """The workers spin for well under a millisecond after a call, then sleep."""
    _train("seed", "adam", True, 2, monkeypatch, epochs=1)
    assert compiled_step.worker_threads() == 2
    time.sleep(0.2)
    started = time.process_time()
    time.sleep(0.5)
    assert time.process_time() - started < 0.05


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kind", ["seed", "softmax", "images", "deep"])
def test_compiled_inference_matches_the_layer_by_layer_path(kind, threads, monkeypatch):
    monkeypatch.setenv("FASTMLP_NUM_THREADS", str(threads))
    fastmlp.utils.set_random_seed(3)
    model = _model(kind)
    rng = np.random.default_rng(4)
    shape = (4, 6) if kind == "images" else (24,)
    x = (rng.integers(0, 256, (500,) + shape).astype(np.float32) if kind == "images"
         else rng.standard_normal((500,) + shape, dtype=np.float32))
    model.build((None,) + shape)
    fast = [model(x[:1]), model(x[:7]), model.predict(x, verbose=0), model.predict(x, batch_size=64, verbose=0)]
    compiled_step.set_enabled(False)
    slow = [model(x[:1]), model(x[:7]), model.predict(x, verbose=0), model.predict(x, batch_size=64, verbose=0)]
    # model(x) runs one batch as the layer-by-layer path does: the same bits
    # on one thread. predict runs blocks of at least 128 rows, whose GEMMs
    # round a few ulps differently from 32-row blocks.
    for i, (a, b) in enumerate(zip(fast, slow)):
        assert a.shape == b.shape and a.dtype == b.dtype == np.float32
        if threads == 1 and i < 2:
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_inference_sees_new_weights():
    fastmlp.utils.set_random_seed(3)
    model = _model("softmax")
    x = np.random.default_rng(0).standard_normal((5, 24), dtype=np.float32)
    before = model(x)
    model.set_weights([w * 2 for w in model.get_weights()])
    after = model(x)
    compiled_step.set_enabled(False)
    np.testing.assert_array_equal(after, model(x))
    assert not np.array_equal(before, after)


def test_step_plan_rejects_bad_arguments():
    from fastmlp.backend import _step
    rng = np.random.default_rng(0)
    kernel = rng.standard_normal((5, 3)).astype(np.float32)
    spec = {"in": 5, "out": 3, "activation": "linear", "trainable": True, "kernel": kernel,
            "bias": np.zeros(3, np.float32), "kernel_grad": np.zeros((5, 3), np.float32),
            "bias_grad": np.zeros(3, np.float32), "slots": []}
    plan = compiled_step.make_plan([spec], ("sgd", 0.0, False, 0.0, 0.0, 0.0, 0.0), 5, 4, 1)
    x = rng.standard_normal((8, 5)).astype(np.float32)
    labels = np.zeros(8, np.int32)
    coef = np.full(2, 0.1, np.float32)
    with pytest.raises(ValueError, match="not a sample index"):
        plan.run(x, np.array([0, 1, 2, 3, 4, 5, 6, 99], np.int64), 0, 4, 2, labels=labels, coef=coef)
    with pytest.raises(ValueError, match="label 7"):
        plan.run(x, None, 0, 4, 2, labels=np.full(8, 7, np.int32), coef=coef)
    with pytest.raises(ValueError, match="overrun"):
        plan.run(x, None, 4, 4, 2, labels=labels, coef=coef)
    with pytest.raises(ValueError, match="batch_size"):
        plan.run(x, None, 0, 5, 1, labels=labels, coef=coef[:1])
    with pytest.raises(TypeError, match="float32, uint8 or float64"):
        plan.run(x.astype(np.int16), None, 0, 4, 2, labels=labels, coef=coef)
    with pytest.raises(ValueError, match=r"shape \(n, 5\)"):
        plan.infer(x[:, :4].copy(), np.empty((8, 3), np.float32), 4)
    with pytest.raises(ValueError, match="hold 24"):
        plan.infer(x, np.empty((8, 2), np.float32), 4)
    with pytest.raises(ValueError, match="takes 4 inputs"):
        compiled_step.make_plan([{**spec, "in": 4}], ("sgd", 0.0, False, 0.0, 0.0, 0.0, 0.0), 5, 4, 1)
    with pytest.raises(ValueError, match="hold 15"):
        compiled_step.make_plan([{**spec, "kernel": kernel[:4]}], ("sgd", 0.0, False, 0.0, 0.0, 0.0, 0.0),
                                5, 4, 1)
    np.testing.assert_array_equal(spec["kernel"], kernel)  # nothing ran
    assert _step.split_columns(100, 2) == [0, 48, 100]  # blocks of 16 columns: 3 and 4


def test_steps_per_execution_travels_in_keras_files(tmp_path):
    model = _model("seed")
    model.compile("adam", fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True), steps_per_execution=8)
    model.save(tmp_path / "m.keras")
    assert fastmlp.saving.load_model(tmp_path / "m.keras").steps_per_execution == 8


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_a_forked_child_trains_with_threads_of_its_own(monkeypatch):
    """A child forked after a threaded fit has none of the parent's workers:
    it starts its own instead of waiting forever on theirs."""
    import os
    _train("seed", "adam", True, 2, monkeypatch, epochs=1)
    assert compiled_step.worker_threads() == 2
    pid = os.fork()
    if pid == 0:  # the child: exit status 0 only if training ran through
        try:
            model, _ = _train("seed", "adam", True, 2, monkeypatch, epochs=1)
            os._exit(0 if model.optimizer.iterations == 10 else 1)
        except BaseException:  # noqa: BLE001 - any failure is a non-zero status
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


class _Rescaler(fastmlp.callbacks.Callback):
    """Changes the weights and the learning rate between steps, as user callbacks may."""

    def on_train_batch_end(self, batch, logs=None):
        if batch == 4:
            self.model.set_weights([w * 0.5 for w in self.model.get_weights()])
            self.model.optimizer.learning_rate = 0.002


@pytest.mark.parametrize("threads", [1, 2])
def test_callbacks_may_change_weights_between_executions(threads, monkeypatch):
    ref, ref_history = _train("deep", "adam", False, threads, monkeypatch, callbacks=[_Rescaler()])
    got, history = _train("deep", "adam", True, threads, monkeypatch, callbacks=[_Rescaler()])
    _compare(_state(ref), _state(got), ref_history, history, exact=threads == 1)
