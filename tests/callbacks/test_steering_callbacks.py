"""LearningRateScheduler, ReduceLROnPlateau, TerminateOnNaN, and model lookups."""

import numpy as np
import pytest

import fastmlp


def _model():
    fastmlp.utils.set_random_seed(0)
    model = fastmlp.Sequential([fastmlp.layers.Dense(8, activation="relu", input_shape=(4,), name="hidden"),
                                fastmlp.layers.Dense(2, name="out")])
    model.compile(optimizer=fastmlp.optimizers.SGD(learning_rate=0.1),
                  loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(64, 4)).astype(np.float32), rng.integers(0, 2, size=64)


def test_learning_rate_scheduler_sets_each_epoch():
    x, y = _data()
    model = _model()
    seen = []
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[
        fastmlp.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1)),
        fastmlp.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(model.optimizer.learning_rate)),
    ])
    assert seen == pytest.approx([0.1, 0.05, 0.1 / 3])
    assert history.history["learning_rate"] == pytest.approx(seen)


def test_reduce_lr_on_plateau_cuts_the_rate():
    x, y = _data()
    model = _model()
    model.optimizer.learning_rate = 1e-9  # the loss barely moves: no improvement of 1.0
    reducer = fastmlp.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=1.0)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[reducer])
    assert model.optimizer.learning_rate == pytest.approx(1e-9 * 0.25)


def test_terminate_on_nan_stops_training():
    x, y = _data()
    model = _model()
    model.optimizer.learning_rate = 1e30
    with np.errstate(all="ignore"):
        history = model.fit(x * 1e20, y, epochs=5, batch_size=8, verbose=0,
                            callbacks=[fastmlp.callbacks.TerminateOnNaN()])
    assert len(history.history["loss"]) == 1


def test_get_layer_and_clear_session():
    model = _model()
    assert model.get_layer("out") is model.layers[1]
    assert model.get_layer(index=0).name == "hidden"
    with pytest.raises(ValueError, match="no layer named"):
        model.get_layer("missing")
    fastmlp.utils.clear_session()
    assert fastmlp.layers.Dense(3).name == "dense"
    assert fastmlp.layers.Dense(3).name == "dense_1"


def test_learning_rate_schedule_drives_the_optimizer(tmp_path):
    schedule = fastmlp.optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5, staircase=True)
    optimizer = fastmlp.optimizers.SGD(learning_rate=schedule)
    assert optimizer.learning_rate == pytest.approx(0.1)
    x, y = _data()
    model = _model()
    model.compile(optimizer=optimizer, loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True))
    weights = model.get_weights()
    model.train_on_batch(x[:8], y[:8])
    model.train_on_batch(x[:8], y[:8])
    assert optimizer.iterations == 2 and optimizer.learning_rate == pytest.approx(0.05)
    model.save(tmp_path / "m.fastmlp")
    loaded = fastmlp.models.load_model(tmp_path / "m.fastmlp")
    assert loaded.optimizer.learning_rate == pytest.approx(0.05)
    # the first two steps used 0.1: replay them by hand with plain SGD
    replay = _model()
    replay.set_weights(weights)
    replay.compile(optimizer=fastmlp.optimizers.SGD(learning_rate=0.1),
                   loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True))
    replay.train_on_batch(x[:8], y[:8])
    replay.train_on_batch(x[:8], y[:8])
    for a, b in zip(replay.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("schedule,expected", [
    (lambda s: s.InverseTimeDecay(1.0, decay_steps=1, decay_rate=1.0), [1.0, 0.5, 1 / 3]),
    (lambda s: s.PiecewiseConstantDecay([1], [1.0, 0.1]), [1.0, 1.0, 0.1]),
    (lambda s: s.CosineDecay(1.0, decay_steps=2), [1.0, 0.5, 0.0]),
])
def test_schedule_formulas(schedule, expected):
    sched = schedule(fastmlp.optimizers.schedules)
    assert [sched(step) for step in range(3)] == pytest.approx(expected, abs=1e-12)
    again = fastmlp.optimizers.schedules.deserialize(fastmlp.optimizers.schedules.serialize(sched))
    assert [again(step) for step in range(3)] == pytest.approx(expected, abs=1e-12)


def test_keras2_style_on_batch_end_is_called():
    x, y = _data()
    model = _model()
    calls = []

    class Counter(fastmlp.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            calls.append(logs["loss"])

    model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[Counter()])
    assert len(calls) == 4 and all(np.isfinite(calls))
