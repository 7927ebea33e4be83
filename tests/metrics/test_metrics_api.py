"""The stateful metric API: state, reset, configs, names, get, and metrics in
compile/fit (plain functions, a user's Metric subclass, the confusion family)."""

import numpy as np
import pytest

import fastmlp

M = fastmlp.metrics


def test_update_result_reset_and_call():
    m = M.Precision()
    m.update_state([1, 0, 1], [0.9, 0.6, 0.2])
    assert m.result() == pytest.approx(0.5)
    m.reset_state()
    assert m.result() == 0.0
    assert m([1, 1], [0.9, 0.8]) == pytest.approx(1.0)  # __call__ updates, then returns result()
    m.update_state([0], [0.7])
    assert m.result() == pytest.approx(2 / 3)


def test_a_prediction_equal_to_the_threshold_is_a_negative():
    # from Keras 3.15 (torch backend): BinaryAccuracy(threshold=0.5) on y_true [[1], [0]],
    # y_pred [[0.5], [0.5]] gives 0.5: the 0.5 prediction is a 0
    m = M.BinaryAccuracy(threshold=0.5)
    m.update_state([[1], [0]], [[0.5], [0.5]])
    assert m.result() == 0.5
    tp = M.TruePositives(thresholds=[0.25, 0.5])
    tp.update_state([1, 1], [0.25, 0.5])
    np.testing.assert_array_equal(tp.result(), [1, 0])


def test_weighted_mean_divides_by_the_weights():
    # from Keras 3.15 (torch backend): MeanSquaredError on [[0, 1], [1, 1]] vs [[0.5, 1], [0, 0]]
    # with sample_weight [2, 1] is 0.41666667 = (0.125 * 2 + 1 * 1) / 3, not / 2 as a loss would
    m = M.MeanSquaredError()
    m.update_state([[0, 1], [1, 1]], [[0.5, 1], [0, 0]], sample_weight=[2.0, 1.0])
    assert m.result() == pytest.approx(0.41666667, rel=1e-6)
    mean = M.Mean()
    mean.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert mean.result() == 2.0


@pytest.mark.parametrize("metric", [
    M.AUC(num_thresholds=7, curve="PR", multi_label=True, num_labels=3, label_weights=[1, 2, 3]),
    M.Precision(thresholds=[0.3, 0.6], top_k=2, class_id=1), M.Recall(name="r"),
    M.TruePositives(thresholds=0.4), M.BinaryAccuracy(threshold=0.3), M.F1Score(average="macro"),
    M.FBetaScore(beta=2.0), M.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
    M.SparseTopKCategoricalAccuracy(k=3), M.RootMeanSquaredError(), M.Mean(name="m")])
def test_config_round_trip(metric):
    config = metric.get_config()
    clone = type(metric).from_config(config)
    assert clone.get_config() == config
    again = M.deserialize(M.serialize(metric))
    assert type(again) is type(metric) and again.get_config() == config


def test_default_names_and_configs_follow_keras():
    # from Keras 3.15 (torch backend): get_config() of default-constructed metrics (name without
    # the _1 suffix Keras adds to later instances)
    assert M.AUC().get_config() == {
        "name": "auc", "dtype": "float32", "num_thresholds": 200, "curve": "ROC",
        "summation_method": "interpolation", "multi_label": False, "num_labels": None,
        "label_weights": None, "from_logits": False}
    assert M.Precision().get_config() == {"name": "precision", "dtype": "float32", "thresholds": None,
                                          "top_k": None, "class_id": None}
    assert M.BinaryAccuracy().get_config() == {"name": "binary_accuracy", "dtype": "float32",
                                               "threshold": 0.5}
    assert M.F1Score().get_config() == {"name": "f1_score", "dtype": "float32", "average": None,
                                        "threshold": None}
    assert M.Mean().get_config() == {"name": "mean", "dtype": "float32"}


@pytest.mark.parametrize("name,cls", [
    ("auc", "AUC"), ("AUC", "AUC"), ("precision", "Precision"), ("recall", "Recall"),
    ("mse", "MeanSquaredError"), ("mae", "MeanAbsoluteError"), ("bce", "BinaryCrossentropy"),
    ("root_mean_squared_error", "RootMeanSquaredError"), ("f1_score", "F1Score"),
    ("top_k_categorical_accuracy", "TopKCategoricalAccuracy"), ("true_positives", "TruePositives"),
    ("sum", "Sum"), ("Mean", "Mean")])
def test_get_accepts_keras_names(name, cls):
    metric = M.get(name)
    assert type(metric).__name__ == cls
    assert metric.name == name  # compile logs a metric given by name under that name


def test_get_rejects_names_keras_rejects():
    # from Keras 3.15: keras.metrics.get("rmse") and get("crossentropy") raise ValueError
    for name in ("rmse", "crossentropy"):
        with pytest.raises(ValueError, match="unknown metric"):
            M.get(name)


def test_variables():
    auc = M.AUC(num_thresholds=3)
    auc.update_state([0, 1], [0.2, 0.7])
    assert [v.shape for v in auc.variables] == [(3,)] * 4
    np.testing.assert_array_equal(auc.variables[0], [1, 1, 0])  # true positives per threshold
    mean = M.Mean()
    mean.update_state([2.0, 4.0])
    assert [float(v) for v in mean.variables] == [6.0, 2.0]


def my_metric(y_true, y_pred):
    return np.asarray(y_pred).mean(axis=-1)


class CountAbove(M.Metric):
    """A user's metric in NumPy: how many predictions exceed 0.5."""

    def __init__(self, name="count_above", **kwargs):
        super().__init__(name=name, **kwargs)
        self.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.count += int((np.asarray(y_pred) > 0.5).sum())

    def result(self):
        return self.count

    def reset_state(self):
        self.count = 0


def test_plain_function_user_metric_and_confusion_metrics_in_fit(backend, tiny_data):
    x, y = tiny_data
    model = fastmlp.Sequential([fastmlp.layers.Dense(8, activation="relu", input_shape=(4,)),
                                fastmlp.layers.Dense(1, activation="sigmoid")])
    user = CountAbove()
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=[my_metric, user, "auc", "precision", M.Recall(), "mse"])
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert set(history.history) >= {"loss", "my_metric", "count_above", "auc", "precision", "recall", "mse"}
    probs = model.predict(x, verbose=0)
    evaluated = model.evaluate(x, y, verbose=0, return_dict=True)
    assert evaluated["count_above"] == int((probs > 0.5).sum())
    assert evaluated["my_metric"] == pytest.approx(float(probs.mean()), rel=1e-5)
    want_auc = M.AUC()
    want_auc.update_state(y, probs)
    assert evaluated["auc"] == pytest.approx(want_auc.result(), rel=1e-5)


def test_update_batch_is_the_checked_path_without_checks(backend):
    ops = fastmlp.backend.get_ops()
    rng = np.random.default_rng(0)
    y = (rng.random((9, 3)) > 0.5).astype(np.float32)
    p = rng.random((9, 3)).astype(np.float32)
    w = rng.random(9).astype(np.float32)
    for make in (lambda: M.AUC(multi_label=True), lambda: M.Precision(top_k=1),
                 lambda: M.BinaryCrossentropy(), lambda: M.F1Score(threshold=0.5)):
        a, b = make(), make()
        a.update_state(y, p, sample_weight=w)
        b.update_batch(ops, ops.asarray(y), ops.asarray(p), ops.asarray(w))
        np.testing.assert_allclose(a.result(), b.result(), rtol=1e-12)


def test_argmax_accuracies_take_logits():
    assert M.SparseCategoricalAccuracy.argmax_only and M.CategoricalAccuracy.argmax_only
    assert not M.AUC.argmax_only and not M.BinaryAccuracy.argmax_only
