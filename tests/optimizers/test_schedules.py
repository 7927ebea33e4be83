"""Learning-rate schedules: the formulas, and a schedule driving an optimizer."""

import numpy as np
import pytest

import fastmlp


def test_learning_rate_schedule_drives_the_optimizer(tmp_path, tiny_model, tiny_data):
    schedule = fastmlp.optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5, staircase=True)
    optimizer = fastmlp.optimizers.SGD(learning_rate=schedule)
    assert optimizer.learning_rate == pytest.approx(0.1)
    x, y = tiny_data
    model = tiny_model()
    model.compile(optimizer=optimizer, loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True))
    weights = model.get_weights()
    model.train_on_batch(x[:8], y[:8])
    model.train_on_batch(x[:8], y[:8])
    assert optimizer.iterations == 2 and optimizer.learning_rate == pytest.approx(0.05)
    model.save(tmp_path / "m.fastmlp")
    loaded = fastmlp.models.load_model(tmp_path / "m.fastmlp")
    assert loaded.optimizer.learning_rate == pytest.approx(0.05)
    # the first two steps used 0.1: replay them by hand with plain SGD
    replay = tiny_model()
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
