"""fit / evaluate / predict, the model API, progress output and determinism."""

import tracemalloc

import numpy as np
import pytest

import fastmlp


def test_fit_returns_history_and_learns(backend, small_data, mlp, compiled):
    x, y = small_data
    fastmlp.utils.set_random_seed(0)
    model = compiled(mlp())
    history = model.fit(x, y, epochs=8, batch_size=16, validation_split=0.25, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.epoch == list(range(8))
    assert model.history is history
    assert history.history["loss"][-1] < history.history["loss"][0]
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "accuracy"} and logs["accuracy"] > 0.9
    # Keras 3.15 (torch backend) gives ["loss", "compile_metrics"] here; [] before compile and
    # ["loss"] without metrics (checked in test_metrics_names_as_keras_3_gives_them).
    assert model.metrics_names == ["loss", "compile_metrics"]


def test_metrics_names_as_keras_3_gives_them(mlp):
    # From Keras 3.15 (torch backend): metrics_names before compile, compiled without
    # metrics, with metrics, and with weighted_metrics only, before and after training.
    model = mlp()
    assert model.metrics_names == []
    model.compile("sgd", "sparse_categorical_crossentropy")
    assert model.metrics_names == ["loss"]
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    assert model.metrics_names == ["loss", "compile_metrics"]
    model.compile("sgd", "sparse_categorical_crossentropy", weighted_metrics=["accuracy"])
    assert model.metrics_names == ["loss", "compile_metrics"]


def test_validation_split_takes_the_last_samples(small_data, mlp, compiled):
    x, y = small_data
    fastmlp.utils.set_random_seed(0)
    model = compiled(mlp())
    history = model.fit(x, y, epochs=1, validation_split=0.25, shuffle=False, verbose=0)
    fastmlp.utils.set_random_seed(0)
    twin = compiled(mlp())
    twin_history = twin.fit(x[:180], y[:180], epochs=1, validation_data=(x[180:], y[180:]),
                            shuffle=False, verbose=0)
    assert history.history == twin_history.history


def test_same_seed_same_training_bit_for_bit(backend, small_data, mlp, compiled):
    x, y = small_data
    runs = []
    for _ in range(2):
        fastmlp.utils.set_random_seed(42)
        model = compiled(mlp(dropout=0.3))
        model.fit(x, y, epochs=2, batch_size=10, verbose=0)
        runs.append(model.get_weights())
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
    fastmlp.utils.set_random_seed(43)
    other = compiled(mlp(dropout=0.3))
    assert not np.array_equal(other.get_weights()[0], runs[0][0])


def test_progress_bar_format_when_not_a_terminal(capsys, small_data, mlp, compiled):
    x, y = small_data
    model = compiled(mlp())
    model.fit(x, y, epochs=2, batch_size=32, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    # Not a terminal: "Epoch i/n" and one finished bar line per epoch.
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    bar = lines[1]
    assert bar.startswith("8/8 [==============================] - ")
    assert "/step - loss: " in bar and " - accuracy: " in bar


def test_verbose_two_and_zero(capsys, small_data, mlp, compiled):
    x, y = small_data
    model = compiled(mlp())
    model.fit(x, y, epochs=1, verbose=2)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/1" and out[1].startswith("8/8 - ") and "loss: " in out[1]
    model.fit(x, y, epochs=1, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""


def test_evaluate_predict_and_on_batch_apis(small_data, mlp, compiled):
    x, y = small_data
    model = compiled(mlp())
    loss, acc = model.evaluate(x, y, batch_size=50, verbose=0)
    assert isinstance(loss, float) and 0 <= acc <= 1
    no_metrics = compiled(mlp(), metrics=())
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


def test_summary_table(capsys, mlp):
    model = mlp()
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


def test_nested_model_shares_weights(small_data, mlp, compiled):
    x, y = small_data
    model = compiled(mlp())
    probability_model = fastmlp.Sequential([model, fastmlp.layers.Softmax()])
    before = probability_model(x[:4])
    model.fit(x, y, epochs=1, verbose=0)
    after = probability_model(x[:4])
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, fastmlp.ops.softmax(model(x[:4])), rtol=1e-6)


def test_steady_state_training_step_reuses_buffers(small_data, mlp, compiled):
    """On the numpy backend, whose kernels make temporaries: the step's buffers are
    reused and nothing stays allocated. On cython the stronger
    tests/hardening/test_robustness.py::test_steady_state_training_step_allocates_nothing
    allows not even a temporary (a new output buffer would show in its peak)."""
    x, y = small_data
    with fastmlp.backend.use_backend("numpy"):
        model = compiled(mlp(dropout=0.2))
    assert model.ops.name == "numpy"  # a model keeps the backend it was built on
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    xb = np.ascontiguousarray(x[:32])
    yb = np.ascontiguousarray(y[:32], dtype=np.int32)
    # NumPy fills small internal caches over a step's first few dozen calls (about 3 KB,
    # once per process): warm up past them, so the measurement does not depend on which
    # tests ran before.
    for _ in range(30):
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


# Bad input at every entry point is tests/hardening/test_bad_input.py's battery (both
# backends, each case's message, weights, optimizer slots, hyperparameters and counters
# compared, in a child process). Only what it does not check stays here: a string-dtype x,
# and predict's message for a sample without its batch axis.
@pytest.mark.parametrize("case,error", [
    (lambda m, x, y: m.fit(x.astype(str), y, verbose=0), "numeric"),
    (lambda m, x, y: m.predict(x[0], verbose=0), "batch"),
])
def test_bad_input_raises_and_leaves_model_unchanged(small_data, case, error, mlp, compiled):
    x, y = small_data
    model = compiled(mlp())
    model.fit(x, y, epochs=1, verbose=0)
    weights = model.get_weights()
    iterations = model.optimizer.iterations
    with pytest.raises((ValueError, TypeError), match=error):
        case(model, x, y)
    for a, b in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.iterations == iterations


@pytest.mark.parametrize("make,error", [
    (lambda model: model.compile(optimizer="adamax9", loss="mse"), ValueError),
    (lambda model: model.compile(optimizer="adam", loss="hinge_loss_x"), ValueError),
    (lambda model: model.compile(optimizer="adam", loss="mse", metrics=["precisionish"]), ValueError),
    (lambda model: fastmlp.backend.set_backend("tpu"), ValueError),
])
def test_bad_construction_raises(mlp, make, error):
    """Unknown names at compile, an unknown backend (the layers' own argument
    checks are in tests/layers; fit before compile is in the bad-input battery)."""
    with pytest.raises(error):
        make(mlp())


def test_uint8_and_float64_inputs_are_cast(backend):
    fastmlp.utils.set_random_seed(0)
    model = fastmlp.Sequential([fastmlp.layers.Flatten(input_shape=(2, 3)), fastmlp.layers.Dense(4)])
    xi = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    out_uint8 = model(xi)
    out_f64 = model(xi.astype(np.float64))
    assert out_uint8.dtype == np.float32 and out_uint8.shape == (2, 4)
    np.testing.assert_array_equal(out_uint8, out_f64)


def test_get_layer_and_clear_session(tiny_model):
    model = tiny_model()
    assert model.get_layer("out") is model.layers[1]
    assert model.get_layer(index=0).name == "hidden"
    with pytest.raises(ValueError, match="no layer named"):
        model.get_layer("missing")
    fastmlp.utils.clear_session()
    assert fastmlp.layers.Dense(3).name == "dense"
    assert fastmlp.layers.Dense(3).name == "dense_1"
