"""A changed learning rate reaches the update: after a schedule step, a
LearningRateScheduler, a ReduceLROnPlateau or ``optimizer.learning_rate = x``
by hand, the next training steps move the weights by ``-new_lr * grad``.

The model is a one-layer softmax classifier trained with plain SGD, so each
step can be replayed independently in float64: ``g = softmax(x W + b) -
onehot(y)`` over the batch's rows, ``W -= lr * x.T g / rows``, ``b -= lr *
sum(g) / rows``, with the rates the test expects (written from the rule, not
read back from the optimizer). Each case runs on the NumPy backend, on the
compiled backend step by step, and through the compiled training step (the
per-step coefficients fastmlp/models/compiled_training.py computes), where it
also checks that the compiled step did run.

Tolerance: the float32 forward, backward and update of O(1) data round to a
few 1e-7 per step; over at most 8 steps with rates <= 0.5 the weights (of
magnitude ~0.1-1) stay within 1e-6 of the float64 replay (measured: < 1e-7 on
both backends). A stale rate moves them by (old - new) * |grad|: measured
0.2-0.45 when every step keeps the first rate.
"""

import numpy as np
import pytest

import fastmlp
import model_builders
from compiled_extension import missing
from fastmlp.backend import compiled_step
from fastmlp.models import compiled_training

ATOL = 1e-6
FEATURES, CLASSES, ROWS, BATCH = 4, 3, 48, 16


@pytest.fixture(params=["numpy", "cython-stepwise", "cython-compiled"])
def path(request, monkeypatch):
    """The backend and training path; yields a list that records how many
    chunks the compiled step ran (it must stay empty off the compiled path)."""
    backend = request.param.split("-")[0]
    runs = []
    if backend == "cython":
        # the compiled backend's fixture: skips, or fails under FASTMLP_REQUIRE_COMPILED=1
        request.getfixturevalue("cython_backend")
        compiled = request.param.endswith("compiled")
        if compiled and compiled_step.unavailable_reason() is not None:
            missing(f"the compiled step cannot run here: {compiled_step.unavailable_reason()}")
        previous = compiled_step.set_enabled(compiled)
        original = compiled_training.CompiledTraining.run

        def spy(self, order, first_step, steps):
            runs.append(steps)
            return original(self, order, first_step, steps)

        monkeypatch.setattr(compiled_training.CompiledTraining, "run", spy)
        yield runs
        compiled_step.set_enabled(previous)
        if compiled:
            assert runs, "fit did not take the compiled step"
        else:
            assert not runs
    else:
        with fastmlp.backend.use_backend("numpy"):
            yield runs


def _data():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((ROWS, FEATURES)).astype(np.float32)
    y = rng.integers(0, CLASSES, ROWS)
    return x, y


def _model(optimizer=None):
    model = model_builders.softmax_classifier(seed=1, features=FEATURES, classes=CLASSES)
    if optimizer is not None:
        model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _replay(weights, x, y, rates, batch=BATCH):
    """Plain SGD in float64, one step per rate, over consecutive batches of
    (x, y) (cycling, as unshuffled epochs do); returns [W, b]."""
    W, b = (w.astype(np.float64) for w in weights)
    steps_per_epoch = -(-len(x) // batch)
    for t, lr in enumerate(rates):
        start = (t % steps_per_epoch) * batch
        xb, yb = x[start:start + batch].astype(np.float64), y[start:start + batch]
        z = xb @ W + b
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        g = (p - np.eye(CLASSES)[yb]) / len(xb)
        W, b = W - lr * (xb.T @ g), b - lr * g.sum(0)
    return [W, b]


def _assert_replayed(model, weights, x, y, rates):
    for got, want in zip(model.get_weights(), _replay(weights, x, y, rates)):
        np.testing.assert_allclose(got, want, rtol=0, atol=ATOL)


def _fit(model, x, y, epochs, callbacks=()):
    return model.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0,
                     callbacks=list(callbacks))


def test_rate_set_by_hand_reaches_the_next_fit(path):
    x, y = _data()
    model = _model(fastmlp.optimizers.SGD(learning_rate=0.5))
    start = model.get_weights()
    _fit(model, x, y, epochs=1)
    model.optimizer.learning_rate = 0.05
    _fit(model, x, y, epochs=1)
    _assert_replayed(model, start, x, y, [0.5] * 3 + [0.05] * 3)


def test_rate_set_by_hand_reaches_the_next_train_on_batch(backend):  # (never the compiled step)
    x, y = _data()
    model = _model(fastmlp.optimizers.SGD(learning_rate=0.5))
    start = model.get_weights()
    model.train_on_batch(x[:BATCH], y[:BATCH])
    model.optimizer.learning_rate = 0.05
    model.train_on_batch(x[BATCH:2 * BATCH], y[BATCH:2 * BATCH])
    _assert_replayed(model, start, x, y, [0.5, 0.05])


def test_schedule_rate_of_each_step_reaches_its_update(path):
    x, y = _data()
    # Keras's rule: the update of iteration t (from 0) uses schedule(t) (checked with
    # Keras 3.15, torch backend: its first SGD step with this schedule moves the
    # weights as SGD(0.5), not SGD(0.25))
    schedule = fastmlp.optimizers.schedules.ExponentialDecay(0.5, decay_steps=1, decay_rate=0.5)
    model = _model(fastmlp.optimizers.SGD(learning_rate=schedule))
    start = model.get_weights()
    _fit(model, x, y, epochs=2)
    assert model.optimizer.iterations == 6
    _assert_replayed(model, start, x, y, [0.5 * 0.5 ** t for t in range(6)])


def test_learning_rate_scheduler_rate_reaches_the_epoch(path):
    x, y = _data()
    rates = [0.5, 0.1, 0.02]
    model = _model(fastmlp.optimizers.SGD(learning_rate=0.3))
    start = model.get_weights()
    _fit(model, x, y, epochs=3, callbacks=[fastmlp.callbacks.LearningRateScheduler(lambda epoch, lr: rates[epoch])])
    _assert_replayed(model, start, x, y, [lr for lr in rates for _ in range(3)])


def test_reduce_lr_on_plateau_rate_reaches_the_next_epoch(path):
    x, y = _data()
    model = _model(fastmlp.optimizers.SGD(learning_rate=0.5))
    start = model.get_weights()
    # no epoch improves the loss by 10: from the second epoch's end on, each cuts the rate
    # (Keras 3.15, torch backend, the same fit: epoch rates 0.5, 0.5, 0.1, 0.02, then 0.004)
    # (the last cut, after the last epoch, moves no weight)
    reducer = fastmlp.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.2, patience=1, min_delta=10.0)
    _fit(model, x, y, epochs=4, callbacks=[reducer])
    assert model.optimizer.learning_rate == pytest.approx(0.5 * 0.2 ** 3)
    _assert_replayed(model, start, x, y, [0.5] * 6 + [0.1] * 3 + [0.02] * 3)


def test_rate_changed_by_a_batch_callback_reaches_the_next_step(path):
    x, y = _data()
    rates = [0.5, 0.25, 0.05, 0.4, 0.1, 0.02]
    model = _model(fastmlp.optimizers.SGD(learning_rate=rates[0]))
    start = model.get_weights()

    def after(batch, logs):
        step = model.optimizer.iterations  # steps taken so far, over both epochs
        if step < len(rates):
            model.optimizer.learning_rate = rates[step]

    _fit(model, x, y, epochs=2, callbacks=[fastmlp.callbacks.LambdaCallback(on_train_batch_end=after)])
    assert model.optimizer.iterations == 6
    _assert_replayed(model, start, x, y, rates)
