"""Bad input to the Keras metrics (thresholds, top_k, class_id, AUC settings,
sample weights, label weights): a clear exception naming the problem, the
metric's state as it was, and the model untouched -- run in child processes by
the machinery of test_bad_input.py.

What Keras 3.15 accepts, fastmlp accepts too (checked there): predictions
outside [0, 1] (AUC, Precision and the counts clip them to [0, 1] when the
thresholds are evenly spread, else compare them as they are), NaN predictions
(a negative at every threshold), negative sample weights. Beyond Keras, fastmlp
rejects non-finite sample weights and top_k < 1 (Keras silently gives 0), and
names an out-of-range class_id in a ValueError (Keras: an IndexError).
"""

import pytest

from test_bad_input import BACKENDS, case, case_ids, case_params, check_case

GOOD = "([0, 1, 1, 0], [0.2, 0.8, 0.6, 0.4])"
P3 = "np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3], [0.6, 0.3, 0.1]], np.float32)"
Y3 = "np.eye(3, dtype=np.float32)[[0, 2, 1, 1]]"


def kept(make, bad, good=GOOD):
    """A snippet: build ``make``, feed a good batch, then run ``bad``; the result
    must be what it was after the good batch, whatever ``bad`` raised."""
    return (f"M = fastmlp.metrics\na = {make}\na.update_state(*{good})\nbefore = np.array(a.result())\n"
            f"try:\n    {bad}\nfinally:\n    assert np.array_equal(np.array(a.result()), before, equal_nan=True)")


CASES = [
    # thresholds: Keras's "Threshold values must be in [0, 1]"
    case("metrics", "thresholds out of range", "fastmlp.metrics.Precision(thresholds=1.5)", "ValueError", "[0, 1]"),
    case("metrics", "thresholds out of range", "fastmlp.metrics.TruePositives(thresholds=[-0.1, 0.5])",
         "ValueError", "[0, 1]"),
    case("metrics", "thresholds out of range", "fastmlp.metrics.AUC(thresholds=[0.5, 2.0])", "ValueError"),
    case("metrics", "thresholds out of range", "fastmlp.metrics.Recall(thresholds=float('nan'))", "ValueError"),
    case("metrics", "thresholds out of range", "fastmlp.metrics.FalseNegatives(thresholds='half')", "TypeError",
         "thresholds must be numbers in [0, 1], got 'half'"),
    # top_k, class_id
    case("metrics", "bad arguments", "fastmlp.metrics.Precision(top_k=0)", "ValueError", "top_k"),
    case("metrics", "bad arguments", "fastmlp.metrics.Recall(top_k=1.5)", "ValueError", "top_k"),
    case("metrics", "bad arguments", "fastmlp.metrics.Precision(class_id=-1)", "ValueError", "class_id"),
    case("metrics", "class_id out of range",
         kept("M.Precision(class_id=3)", f"a.update_state({Y3}, {P3})", good=f"({Y3}[:, [0, 1, 2]], {P3})"),
         "ValueError", "class_id 3"),
    case("metrics", "bad arguments", "fastmlp.metrics.TopKCategoricalAccuracy(k=0)", "ValueError", "k"),
    case("metrics", "bad arguments", "fastmlp.metrics.AUC(num_thresholds=1)", "ValueError", "num_thresholds"),
    case("metrics", "bad arguments", "fastmlp.metrics.AUC(curve='ROCK')", "ValueError", "curve"),
    case("metrics", "bad arguments", "fastmlp.metrics.AUC(summation_method='sum')", "ValueError",
         "summation_method"),
    case("metrics", "bad arguments", "fastmlp.metrics.AUC(num_labels=3)", "ValueError", "multi_label"),
    case("metrics", "bad arguments", "fastmlp.metrics.AUC(label_weights=[1.0, -2.0])", "ValueError",
         "label_weights"),
    case("metrics", "bad arguments", "fastmlp.metrics.F1Score(threshold=0.0)", "ValueError", "threshold"),
    case("metrics", "bad arguments", "fastmlp.metrics.FBetaScore(beta=2)", "ValueError", "beta"),
    case("metrics", "bad arguments", "fastmlp.metrics.F1Score(average='mean')", "ValueError", "average"),
    case("metrics", "bad arguments", "fastmlp.metrics.BinaryAccuracy(threshold=float('nan'))", "ValueError"),
    case("metrics", "bad arguments", "fastmlp.metrics.CategoricalCrossentropy(label_smoothing=1.5)",
         "ValueError", "label_smoothing"),
    case("metrics", "bad arguments", "fastmlp.metrics.MeanMetricWrapper(3)", "TypeError", "MeanMetricWrapper needs a function, got 3"),
    # label weights against the data
    case("metrics", "wrong feature size",
         kept("M.AUC(label_weights=[1.0, 2.0, 3.0])", f"a.update_state({Y3}[:, :2], {P3}[:, :2])",
              good=f"({Y3}, {P3})"), "ValueError", "label_weights"),
    case("metrics", "wrong feature size",
         kept("M.AUC(multi_label=True)", f"a.update_state({Y3}[:, :2], {P3}[:, :2])", good=f"({Y3}, {P3})"),
         "ValueError", "labels"),
    case("metrics", "wrong feature size",
         kept("M.F1Score()", f"a.update_state({Y3}[:, :2], {P3}[:, :2])", good=f"({Y3}, {P3})"),
         "ValueError", "classes"),
    # sample weights
    case("metrics", "wrong sample_weight shape",
         kept("M.AUC()", "a.update_state([0, 1, 1, 0], [0.1, 0.9, 0.5, 0.3], sample_weight=[1, 2, 3])"),
         "ValueError", "sample_weight"),
    case("metrics", "wrong sample_weight shape",
         kept("M.Precision()", "a.update_state([0, 1, 1, 0], [0.1, 0.9, 0.5, 0.3], sample_weight=np.ones((4, 2)))"),
         "ValueError", "sample_weight"),
    case("metrics", "wrong sample_weight shape",
         "fastmlp.metrics.Mean().update_state([1.0, 2.0], sample_weight=[1.0, 2.0, 3.0])", "ValueError",
         "sample_weight"),
    case("metrics", "non-finite weights",
         kept("M.Recall()", "a.update_state([0, 1, 1, 0], [0.1, 0.9, 0.5, 0.3], sample_weight=[1, np.nan, 1, 1])"),
         "ValueError", "NaN"),
    case("metrics", "non-finite weights",
         kept("M.MeanSquaredError()", "a.update_state([0, 1, 1, 0], [0.1, 0.9, 0.5, 0.3], sample_weight=np.inf)"),
         "ValueError", "NaN"),
    case("metrics", "non-finite weights",
         kept("M.BinaryAccuracy()", "a.update_state([0, 1, 1, 0], [0.1, 0.9, 0.5, 0.3], sample_weight='x')"),
         "TypeError", "sample_weight"),
    # targets and predictions
    case("metrics", "mismatched lengths", kept("M.AUC()", "a.update_state([0, 1, 1], [0.1, 0.9, 0.5, 0.3])"),
         "ValueError", "samples"),
    case("metrics", "NaN/inf", kept("M.Precision()", "a.update_state([0, np.nan, 1, 0], [0.1, 0.9, 0.5, 0.3])"),
         "ValueError", "NaN"),
    case("metrics", "labels for a multi-column metric",
         kept("M.Recall()", f"a.update_state([0, 2, 1, 1], {P3})", good=f"({Y3}, {P3})"), "ValueError",
         "shape (n, 3)"),
    case("metrics", "object", kept("M.AUC()", "a.update_state([0, 1, 1, 0], np.array([0.1, 0.9, 0.5, 'x'], object))"),
         "TypeError", "y_pred must hold real numbers, got dtype object"),
    # what Keras accepts, with its results
    case("metrics", "predictions outside [0, 1]",
         "a = fastmlp.metrics.AUC()\na.update_state([0, 1], [-0.5, 1.5])\nassert a.result() == 1.0"),
    case("metrics", "predictions outside [0, 1]",
         # from Keras 3.15: TruePositives(thresholds=[0, 0.5, 1]) on [1, 1, 1] vs [-0.5, 1.5, 0.5] is
         # [2, 1, 0] (evenly spread thresholds: predictions clipped), [0, 0.4, 1] gives [2, 2, 1]
         "a = fastmlp.metrics.TruePositives(thresholds=[0, 0.5, 1])\na.update_state([1, 1, 1], [-0.5, 1.5, 0.5])\n"
         "assert a.result().tolist() == [2, 1, 0]\nb = fastmlp.metrics.TruePositives(thresholds=[0, 0.4, 1])\n"
         "b.update_state([1, 1, 1], [-0.5, 1.5, 0.5])\nassert b.result().tolist() == [2, 2, 1]"),
    case("metrics", "NaN predictions",
         "a = fastmlp.metrics.Precision()\na.update_state([1, 0, 1], [np.nan, 0.9, 0.8])\n"
         "assert a.result() == 0.5"),
    case("metrics", "empty arrays", "a = fastmlp.metrics.AUC()\na.update_state(np.zeros(0), np.zeros(0))\n"
         "assert a.result() == 0.0"),
    case("metrics", "non-contiguous",
         "a = fastmlp.metrics.AUC(multi_label=True)\nb = fastmlp.metrics.AUC(multi_label=True)\n"
         "p = np.repeat(x[:, :3] > 0, 2, axis=1)[:, ::2].astype(np.float32)\nq = np.abs(strided[:, :3]) / 4\n"
         "a.update_state(p, q)\nb.update_state(np.ascontiguousarray(p), np.ascontiguousarray(q))\n"
         "assert a.result() == b.result()"),
]
IDS = case_ids(CASES)


@pytest.mark.parametrize("backend,c", case_params(CASES, IDS))
def test_bad_input_metrics(backend, c):
    check_case(backend, c, CASES, IDS)


def test_backends_are_the_shared_ones():
    assert all(c.backends == BACKENDS for c in CASES)
