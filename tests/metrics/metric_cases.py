"""Fixed inputs and metric constructions shared by tests/metrics/test_metrics_keras.py
and the script that produced its Keras numbers (the same expressions, evaluated
with ``M = keras.metrics`` under Keras 3.15 on torch, and with
``M = fastmlp.metrics`` here). NumPy only: no fastmlp, no Keras."""

import numpy as np

F32 = np.float32
N = 12
# two batches: results accumulate over both
SPLITS = (slice(0, 5), slice(5, N))

_k = np.arange(N)
W = (0.25 + (_k * 7 % 5) * 0.5).astype(F32)                                   # sample weights
Y_BIN = ((_k * 5) % 3 == 0).astype(F32)[:, None]                              # (12, 1) 0/1
# probabilities incl. exact 0, 1, 0.5 and values equal to thresholds used below
P_BIN = F32([0.0, 0.5, 0.9, 0.3, 0.7, 1.0, 0.25, 0.6, 0.5, 0.1, 0.8, 0.45])[:, None]
Y_ML = (((_k[:, None] * 3 + np.arange(3) * 2) % 4) < 2).astype(F32)          # (12, 3) multi-label
P_ML = ((((_k[:, None] * 7 + np.arange(3) * 5) % 11) + 0.5) / 11.5).astype(F32)
P_ML[2, 1] = 0.5                                                               # a value on a threshold
LABELS = ((_k * 7) % 4).astype(np.int64)                                       # (12,) 4 classes
ONEHOT = np.eye(4, dtype=F32)[LABELS]
LOGITS = ((((_k[:, None] * 5 + np.arange(4) * 3) % 7) - 3) * 0.7).astype(F32)
LOGITS[3] = LOGITS[3, 0]                                                       # a row of ties
PROBS = (np.exp(LOGITS) / np.exp(LOGITS).sum(1, keepdims=True)).astype(F32)
Y_REG = (np.sin(_k[:, None] + np.arange(2)) * 2).astype(F32)                  # (12, 2)
P_REG = (np.cos(_k[:, None] * 0.7 + np.arange(2)) * 1.5).astype(F32)
VALUES = (np.arange(N) * 1.5 - 4).astype(F32)

DATA = {
    "bin": (Y_BIN, P_BIN), "ml": (Y_ML, P_ML), "sparse": (LABELS, PROBS), "cat": (ONEHOT, PROBS),
    "sparse_logits": (LABELS, LOGITS), "cat_logits": (ONEHOT, LOGITS), "reg": (Y_REG, P_REG),
    "bin_logits": (Y_BIN, (P_BIN - 0.5) * 6), "ml_logits": (Y_ML, (P_ML - 0.5) * 6),
}

# (id, construction with M = the metrics module, data key); "values" feeds Mean/Sum.
CASES = [
    ("mean", "M.Mean()", "values"),
    ("sum", "M.Sum()", "values"),
    ("binary_accuracy", "M.BinaryAccuracy()", "bin"),
    ("binary_accuracy_0.7", "M.BinaryAccuracy(threshold=0.7)", "bin"),
    ("binary_accuracy_ml", "M.BinaryAccuracy()", "ml"),
    ("categorical_accuracy", "M.CategoricalAccuracy()", "cat"),
    ("sparse_categorical_accuracy", "M.SparseCategoricalAccuracy()", "sparse"),
    ("top2", "M.TopKCategoricalAccuracy(k=2)", "cat"),
    ("sparse_top2", "M.SparseTopKCategoricalAccuracy(k=2)", "sparse"),
    ("sparse_top1", "M.SparseTopKCategoricalAccuracy(k=1)", "sparse"),
    ("tp", "M.TruePositives()", "bin"),
    ("fp", "M.FalsePositives(thresholds=[0.25, 0.5, 0.8])", "bin"),
    ("tn", "M.TrueNegatives(thresholds=0.3)", "ml"),
    ("fn", "M.FalseNegatives(thresholds=[0.0, 0.5, 1.0])", "ml"),
    ("precision", "M.Precision()", "bin"),
    ("precision_thresholds", "M.Precision(thresholds=[0.7, 0.25, 0.5])", "ml"),
    ("precision_top2", "M.Precision(top_k=2)", "ml"),
    ("precision_class1", "M.Precision(class_id=1)", "ml"),
    ("precision_top1_class2", "M.Precision(top_k=1, class_id=2)", "cat"),
    ("recall", "M.Recall()", "bin"),
    ("recall_thresholds", "M.Recall(thresholds=[0.3, 0.6])", "ml"),
    ("recall_top2_class0", "M.Recall(top_k=2, class_id=0)", "cat"),
    ("auc", "M.AUC()", "bin"),
    ("auc_ml_pooled", "M.AUC(num_thresholds=50)", "ml"),
    ("auc_pr", "M.AUC(curve='PR')", "ml"),
    ("auc_pr_minoring", "M.AUC(curve='PR', summation_method='minoring')", "ml"),
    ("auc_roc_majoring", "M.AUC(summation_method='majoring', num_thresholds=7)", "ml"),
    ("auc_prgain", "M.AUC(curve='PRGAIN')", "ml"),
    ("auc_multi_label", "M.AUC(multi_label=True)", "ml"),
    ("auc_multi_label_weights", "M.AUC(multi_label=True, num_labels=3, label_weights=[0.5, 1.0, 2.0])", "ml"),
    ("auc_label_weights", "M.AUC(label_weights=[0.5, 1.0, 2.0], curve='PR')", "ml"),
    ("auc_thresholds", "M.AUC(thresholds=[0.3, 0.5, 0.7])", "ml"),
    ("auc_from_logits", "M.AUC(from_logits=True)", "ml_logits"),
    ("bce", "M.BinaryCrossentropy()", "ml"),
    ("bce_logits_smooth", "M.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)", "ml_logits"),
    ("cce", "M.CategoricalCrossentropy()", "cat"),
    ("cce_logits_smooth", "M.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2)", "cat_logits"),
    ("scce", "M.SparseCategoricalCrossentropy()", "sparse"),
    ("scce_logits", "M.SparseCategoricalCrossentropy(from_logits=True)", "sparse_logits"),
    ("mse", "M.MeanSquaredError()", "reg"),
    ("mae", "M.MeanAbsoluteError()", "reg"),
    ("rmse", "M.RootMeanSquaredError()", "reg"),
    ("f1", "M.F1Score()", "ml"),
    ("f1_micro_thr", "M.F1Score(average='micro', threshold=0.5)", "ml"),
    ("f1_macro", "M.F1Score(average='macro')", "cat"),
    ("f1_weighted", "M.F1Score(average='weighted', threshold=0.4)", "ml"),
    ("fbeta2", "M.FBetaScore(beta=2.0, average='macro', threshold=0.5)", "ml"),
]


def run(M, case_id, weighted):
    """The metric's result after both batches (as a float64 array), and its
    result after the first batch, built and fed through ``M``."""
    expr, key = next((e, k) for c, e, k in CASES if c == case_id)
    metric = eval(expr, {"M": M})
    results = []
    for part in SPLITS:
        w = W[part] if weighted else None
        if key == "values":
            metric.update_state(VALUES[part], sample_weight=w)
        else:
            y_true, y_pred = DATA[key]
            metric.update_state(y_true[part], y_pred[part], sample_weight=w)
        results.append(np.asarray(metric.result(), dtype=np.float64).tolist())
    return results
