"""LearningRateScheduler, ReduceLROnPlateau, TerminateOnNaN, Keras 2 batch hooks."""

import numpy as np
import pytest

import fastmlp


def test_learning_rate_scheduler_sets_each_epoch(tiny_model, tiny_data):
    x, y = tiny_data
    model = tiny_model()
    seen = []
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[
        fastmlp.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1)),
        fastmlp.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(model.optimizer.learning_rate)),
    ])
    assert seen == pytest.approx([0.1, 0.05, 0.1 / 3])
    assert history.history["learning_rate"] == pytest.approx(seen)


def test_reduce_lr_on_plateau_cuts_the_rate(tiny_model, tiny_data):
    x, y = tiny_data
    model = tiny_model()
    model.optimizer.learning_rate = 1e-9  # the loss barely moves: no improvement of 1.0
    reducer = fastmlp.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=1.0)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[reducer])
    assert model.optimizer.learning_rate == pytest.approx(1e-9 * 0.25)


def test_terminate_on_nan_stops_training(tiny_model, tiny_data):
    x, y = tiny_data
    model = tiny_model()
    model.optimizer.learning_rate = 1e30
    with np.errstate(all="ignore"):
        history = model.fit(x * 1e20, y, epochs=5, batch_size=8, verbose=0,
                            callbacks=[fastmlp.callbacks.TerminateOnNaN()])
    assert len(history.history["loss"]) == 1


def test_keras2_style_on_batch_end_is_called(tiny_model, tiny_data):
    x, y = tiny_data
    model = tiny_model()
    calls = []

    class Counter(fastmlp.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            calls.append(logs["loss"])

    model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[Counter()])
    assert len(calls) == 4 and all(np.isfinite(calls))
