"""fit / evaluate / predict, callbacks, progress output and determinism."""

import csv
import tracemalloc

import numpy as np
import pytest

import fastmlp


def _model(inputs=20, hidden=16, classes=3, dropout=0.0):
    layers = [fastmlp.layers.Dense(hidden, activation="relu", input_shape=(inputs,))]
    if dropout:
        layers.append(fastmlp.layers.Dropout(dropout))
    layers.append(fastmlp.layers.Dense(classes))
    return fastmlp.Sequential(layers)


def _compile(model, optimizer="adam", metrics=("accuracy",)):
    model.compile(optimizer=optimizer,
                  loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=list(metrics))
    return model


def test_fit_returns_history_and_learns(backend, small_data):
    x, y = small_data
    fastmlp.utils.set_random_seed(0)
    model = _compile(_model())
    history = model.fit(x, y, epochs=8, batch_size=16, validation_split=0.25, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.epoch == list(range(8))
    assert model.history is history
    assert history.history["loss"][-1] < history.history["loss"][0]
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "accuracy"} and logs["accuracy"] > 0.9
    assert model.metrics_names == ["loss", "accuracy"]


def test_validation_split_takes_the_last_samples(small_data):
    x, y = small_data
    fastmlp.utils.set_random_seed(0)
    model = _compile(_model())
    history = model.fit(x, y, epochs=1, validation_split=0.25, shuffle=False, verbose=0)
    fastmlp.utils.set_random_seed(0)
    twin = _compile(_model())
    twin_history = twin.fit(x[:180], y[:180], epochs=1, validation_data=(x[180:], y[180:]),
                            shuffle=False, verbose=0)
    assert history.history == twin_history.history


def test_same_seed_same_training_bit_for_bit(backend, small_data):
    x, y = small_data
    runs = []
    for _ in range(2):
        fastmlp.utils.set_random_seed(42)
        model = _compile(_model(dropout=0.3))
        model.fit(x, y, epochs=2, batch_size=10, verbose=0)
        runs.append(model.get_weights())
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
    fastmlp.utils.set_random_seed(43)
    other = _compile(_model(dropout=0.3))
    assert not np.array_equal(other.get_weights()[0], runs[0][0])


def test_progress_bar_format_when_not_a_terminal(capsys, small_data):
    x, y = small_data
    model = _compile(_model())
    model.fit(x, y, epochs=2, batch_size=32, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    # Not a terminal: "Epoch i/n" and one finished bar line per epoch.
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    bar = lines[1]
    assert bar.startswith("8/8 [==============================] - ")
    assert "/step - loss: " in bar and " - accuracy: " in bar


def test_verbose_two_and_zero(capsys, small_data):
    x, y = small_data
    model = _compile(_model())
    model.fit(x, y, epochs=1, verbose=2)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/1" and out[1].startswith("8/8 - ") and "loss: " in out[1]
    model.fit(x, y, epochs=1, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""


def test_evaluate_predict_and_on_batch_apis(small_data):
    x, y = small_data
    model = _compile(_model())
    loss, acc = model.evaluate(x, y, batch_size=50, verbose=0)
    assert isinstance(loss, float) and 0 <= acc <= 1
    no_metrics = _compile(_model(), metrics=())
    assert isinstance(no_metrics.evaluate(x, y, verbose=0), float)
    preds = model.predict(x, batch_size=7, verbose=0)
    assert preds.shape == (240, 3) and preds.dtype == np.float32
    # Batches of 7 and of 240 rows take different BLAS GEMM code paths (blocking
    # and summation order), so outputs agree to float32 rounding of the dot
    # products, not bit for bit: 20 inputs of size ~3 through two layers give
    # sums of |terms| ~10, times float32's eps 1.2e-7, about 1e-6 absolute.
    np.testing.assert_allclose(preds, model(x), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.predict_on_batch(x[:5]), preds[:5], rtol=1e-5, atol=1e-5)
    model.reset_metrics()
    result = model.train_on_batch(x[:32], y[:32])
    assert isinstance(result, list) and len(result) == 2
    logs = model.test_on_batch(x[:32], y[:32], return_dict=True)
    assert set(logs) == {"loss", "accuracy"}


def test_callbacks(tmp_path, small_data):
    x, y = small_data
    fastmlp.utils.set_random_seed(0)
    model = _compile(_model())
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
def test_early_stopping_restores_best_weights(small_data):
    x, y = small_data
    fastmlp.utils.set_random_seed(0)
    model = _compile(_model(), optimizer=fastmlp.optimizers.SGD(learning_rate=50.0))  # diverges
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


def test_summary_table(capsys):
    model = _model()
    model.summary()
    out = capsys.readouterr().out
    assert 'Model: "' in out and "Layer (type)" in out and "Output Shape" in out
    assert "(None, 16)" in out and "336" in out and "Total params: 387" in out


def test_functional_model_and_input_layer(small_data):
    x, y = small_data
    inputs = fastmlp.Input(shape=(20,))
    hidden = fastmlp.layers.Dense(16, activation="relu")(inputs)
    outputs = fastmlp.layers.Dense(3, activation="softmax")(hidden)
    model = fastmlp.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=10, verbose=0)
    assert model.evaluate(x, y, verbose=0)[1] > 0.8
    seq = fastmlp.Sequential([fastmlp.Input(shape=(20,)), fastmlp.layers.Dense(3)])
    assert seq.built and seq.count_params() == 63


def test_nested_model_shares_weights(small_data):
    x, y = small_data
    model = _compile(_model())
    probability_model = fastmlp.Sequential([model, fastmlp.layers.Softmax()])
    before = probability_model(x[:4])
    model.fit(x, y, epochs=1, verbose=0)
    after = probability_model(x[:4])
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, fastmlp.ops.softmax(model(x[:4])), rtol=1e-6)


def test_steady_state_training_step_reuses_buffers(backend, small_data):
    x, y = small_data
    model = _compile(_model(dropout=0.2))
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    xb = np.ascontiguousarray(x[:32])
    yb = np.ascontiguousarray(y[:32], dtype=np.int32)
    for _ in range(3):
        model._train_step(xb, yb)
    out_id = id(model.layers[0]._y)
    tracemalloc.start()
    snapshot = tracemalloc.take_snapshot()
    for _ in range(50):
        model._train_step(xb, yb)
    grown = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(snapshot, "filename"))
    tracemalloc.stop()
    assert id(model.layers[0]._y) == out_id
    assert grown < 4096, grown  # no array allocated per step (32x16 floats alone are 2 KB)


@pytest.mark.parametrize("case,error", [
    (lambda m, x, y: m.fit(x, y[:-1], verbose=0), "samples"),
    (lambda m, x, y: m.fit(x[:, :5], y, verbose=0), "shape"),
    (lambda m, x, y: m.fit(x, np.full_like(y, 3), verbose=0), "label 3"),
    (lambda m, x, y: m.fit(x, -np.ones_like(y), verbose=0), "label -1"),
    (lambda m, x, y: m.fit(x[0], y[:1], verbose=0), "batch"),
    (lambda m, x, y: m.fit(x[:0], y[:0], verbose=0), "empty"),
    (lambda m, x, y: m.fit(np.where(x > 2, np.nan, x), y, verbose=0), "NaN"),
    (lambda m, x, y: m.fit(x, y + 0.5, verbose=0), "whole number"),
    (lambda m, x, y: m.fit(x, y, batch_size=0, verbose=0), "batch_size"),
    (lambda m, x, y: m.fit(x.astype(str), y, verbose=0), "numeric"),
    (lambda m, x, y: m.train_on_batch(x, y[:3]), "samples"),
    (lambda m, x, y: m.set_weights(m.get_weights()[:1]), "weight arrays"),
    (lambda m, x, y: m.set_weights([np.zeros((3, 3))] + m.get_weights()[1:]), "shape"),
    (lambda m, x, y: m.predict(x[0], verbose=0), "batch"),
    (lambda m, x, y: m(x[:, :7]), "shape"),
])
def test_bad_input_raises_and_leaves_model_unchanged(small_data, case, error):
    x, y = small_data
    model = _compile(_model())
    model.fit(x, y, epochs=1, verbose=0)
    weights = model.get_weights()
    iterations = model.optimizer.iterations
    with pytest.raises((ValueError, TypeError), match=error):
        case(model, x, y)
    for a, b in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.iterations == iterations


@pytest.mark.parametrize("make,error", [
    (lambda: fastmlp.layers.Dropout(1.0), ValueError),
    (lambda: fastmlp.layers.Dropout(-0.1), ValueError),
    (lambda: fastmlp.layers.Dense(0), ValueError),
    (lambda: fastmlp.layers.Dense(-3), ValueError),
    (lambda: fastmlp.layers.Dense(2.5), TypeError),
    (lambda: fastmlp.layers.Dense(4, activation="swishy"), ValueError),
    (lambda: _model().compile(optimizer="adamax9", loss="mse"), ValueError),
    (lambda: _model().compile(optimizer="adam", loss="hinge_loss_x"), ValueError),
    (lambda: _model().compile(optimizer="adam", loss="mse", metrics=["precisionish"]), ValueError),
    (lambda: _model().fit(np.zeros((4, 20)), np.zeros(4), verbose=0), RuntimeError),
    (lambda: fastmlp.backend.set_backend("tpu"), ValueError),
])
def test_bad_construction_raises(make, error):
    with pytest.raises(error):
        make()


def test_uint8_and_float64_inputs_are_cast(backend):
    fastmlp.utils.set_random_seed(0)
    model = fastmlp.Sequential([fastmlp.layers.Flatten(input_shape=(2, 3)), fastmlp.layers.Dense(4)])
    xi = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    out_uint8 = model(xi)
    out_f64 = model(xi.astype(np.float64))
    assert out_uint8.dtype == np.float32 and out_uint8.shape == (2, 4)
    np.testing.assert_array_equal(out_uint8, out_f64)


def test_one_hot_targets_with_categorical_loss_and_accuracy(small_data):
    x, y = small_data
    model = fastmlp.Sequential([fastmlp.layers.Dense(16, activation="relu", input_shape=(20,)),
                                fastmlp.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, fastmlp.utils.to_categorical(y, 3), epochs=10, verbose=0)
    assert model.metrics[0].name == "accuracy"
    assert isinstance(model.metrics[0], fastmlp.metrics.CategoricalAccuracy)
    assert history.history["accuracy"][-1] > 0.5
    with pytest.raises(ValueError, match="one-hot"):
        model.fit(x, y, verbose=0)


def test_rescaling_layer_feeds_uint8_images(backend):
    fastmlp.utils.set_random_seed(0)
    x = np.random.default_rng(0).integers(0, 256, size=(8, 3, 4), dtype=np.uint8)
    scaled = fastmlp.Sequential([fastmlp.layers.Flatten(input_shape=(3, 4)),
                                 fastmlp.layers.Rescaling(1 / 255, offset=-0.5)])
    np.testing.assert_allclose(scaled(x), x.reshape(8, -1) / 255 - 0.5, rtol=1e-6, atol=1e-7)
    model = fastmlp.Sequential([fastmlp.layers.Flatten(input_shape=(3, 4)),
                                fastmlp.layers.Rescaling(1 / 255), fastmlp.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(x, np.arange(8) % 2, verbose=0)
    assert fastmlp.layers.deserialize(fastmlp.layers.serialize(model.layers[1])).scale == 1 / 255


@pytest.mark.parametrize("loss", ["mse", "mae"])
def test_regression_with_mse_or_mae_and_mae_metric(backend, loss):
    """The Keras regression recipe: linear output, mse/mae loss, mae metric."""
    fastmlp.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 8)).astype(np.float32)
    y = x @ rng.normal(size=8) + 0.5
    model = fastmlp.Sequential([fastmlp.layers.Dense(16, activation="relu", input_shape=(8,)),
                                fastmlp.layers.Dense(1)])
    model.compile(optimizer="rmsprop", loss=loss, metrics=["mae"])
    history = model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert history.history["mae"][-1] < 0.5 * history.history["mae"][0]
    _, mae = model.evaluate(x, y, verbose=0)
    predictions = model.predict(x, verbose=0)[:, 0]
    assert mae == pytest.approx(np.abs(predictions - y).mean(), rel=1e-4)
    mse = fastmlp.metrics.MeanSquaredError()
    mse.update_state(y, predictions)
    assert mse.result() == pytest.approx(((predictions - y) ** 2).mean(), rel=1e-4)


def test_wrapping_a_built_model_keeps_its_backend():
    previous = fastmlp.backend.backend()
    try:
        fastmlp.backend.set_backend("numpy")
        model = _model()
        fastmlp.backend.set_backend(previous)
        probability_model = fastmlp.Sequential([model, fastmlp.layers.Softmax()])
        assert probability_model.ops.name == "numpy"
        np.testing.assert_allclose(probability_model(np.ones((2, 20))).sum(axis=1), 1.0, rtol=1e-6)
    finally:
        fastmlp.backend.set_backend(previous)
