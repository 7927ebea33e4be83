"""LambdaCallback, CSVLogger, ModelCheckpoint and EarlyStopping in fit."""

import csv

import numpy as np
import pytest

import fastmlp


def test_callbacks(tmp_path, small_data, mlp, compiled):
    x, y = small_data
    fastmlp.utils.set_random_seed(0)
    model = compiled(mlp())
    seen = []
    csv_path = tmp_path / "log.csv"
    ckpt = tmp_path / "best.fastmlp"
    model.fit(
        x, y, epochs=3, verbose=0, validation_split=0.2,
        callbacks=[
            fastmlp.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append((epoch, logs["loss"]))),
            fastmlp.callbacks.CSVLogger(csv_path),
            fastmlp.callbacks.ModelCheckpoint(ckpt, monitor="val_loss", save_best_only=True),
        ],
    )
    assert [e for e, _ in seen] == [0, 1, 2]
    rows = list(csv.DictReader(open(csv_path)))
    assert [r["epoch"] for r in rows] == ["0", "1", "2"]
    assert set(rows[0]) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy"}
    assert float(rows[2]["loss"]) == pytest.approx(seen[2][1])
    assert fastmlp.models.load_model(ckpt).count_params() == model.count_params()


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_early_stopping_restores_best_weights(small_data, mlp, compiled):
    x, y = small_data
    fastmlp.utils.set_random_seed(0)
    model = compiled(mlp(), optimizer=fastmlp.optimizers.SGD(learning_rate=50.0))  # diverges
    snapshots = []
    stopper = fastmlp.callbacks.EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)
    history = model.fit(x, y, epochs=20, verbose=0, callbacks=[
        fastmlp.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: snapshots.append(model.get_weights())),
        stopper,
    ])
    losses = history.history["loss"]
    assert len(losses) < 20
    best = int(np.nanargmin(losses))
    for a, b in zip(model.get_weights(), snapshots[best]):
        np.testing.assert_array_equal(a, b)
