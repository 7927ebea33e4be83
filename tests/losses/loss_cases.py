"""The fixed inputs and loss configurations the losses are compared with Keras on.

``inputs()`` builds every array from one seeded generator, rounded to two
decimals so the values are exactly representable in the text of a test; the
same function fed Keras when the reference numbers in
``keras_loss_reference.py`` were computed.
"""

import numpy as np

N, K = 7, 3  # odd sizes: seven samples, three outputs


def inputs():
    """``{kind: (y_true, y_pred)}`` float32 arrays (int32 labels for "labels")
    and ``"weights"``: per-sample weights with a zero among them."""
    rng = np.random.default_rng(20240611)

    def u(lo, hi, shape=(N, K)):
        return np.round(rng.uniform(lo, hi, shape), 2).astype(np.float32)

    labels = rng.integers(0, K, N).astype(np.int32)
    onehot = np.eye(K, dtype=np.float32)[labels]
    probs = u(0.02, 1.0)
    probs /= probs.sum(axis=1, keepdims=True)
    bits = rng.integers(0, 2, (N, K)).astype(np.float32)
    weights = u(0.0, 2.0, (N,))
    weights[2] = 0.0
    return {
        "regression": (u(-2, 2), u(-2, 2)),
        "positive": (u(0.05, 3), u(0.05, 3)),
        "distributions": (probs, u(0.02, 1.0)),
        "signs": (2 * bits - 1, u(-2, 2)),
        "bits_scores": (bits, u(-2, 2)),
        "onehot_scores": (onehot, u(-2, 2)),
        "bits_probs": (bits, u(0.01, 0.99)),
        "bits_logits": (bits, u(-4, 4)),
        "onehot_probs": (onehot, probs),
        "onehot_logits": (onehot, u(-4, 4)),
        "labels_probs": (labels, probs),
        "labels_logits": (labels, u(-4, 4)),
        "weights": weights,
    }


# (Keras class name, constructor arguments, input kind)
CASES = [
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("Huber", {}, "regression"),
    ("Huber", {"delta": 0.5}, "regression"),
    ("LogCosh", {}, "regression"),
    ("KLDivergence", {}, "distributions"),
    ("Poisson", {}, "positive"),
    ("Hinge", {}, "signs"),
    ("Hinge", {}, "bits_scores"),
    ("SquaredHinge", {}, "signs"),
    ("SquaredHinge", {}, "bits_scores"),
    ("CategoricalHinge", {}, "onehot_scores"),
    ("BinaryCrossentropy", {}, "bits_probs"),
    ("BinaryCrossentropy", {"label_smoothing": 0.2}, "bits_probs"),
    ("BinaryCrossentropy", {"from_logits": True}, "bits_logits"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "bits_logits"),
    ("BinaryFocalCrossentropy", {}, "bits_probs"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5}, "bits_probs"),
    ("BinaryFocalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "bits_logits"),
    ("BinaryFocalCrossentropy", {"from_logits": True, "apply_class_balancing": True, "gamma": 3.0},
     "bits_logits"),
    ("CategoricalCrossentropy", {}, "onehot_probs"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "onehot_probs"),
    ("CategoricalCrossentropy", {"from_logits": True}, "onehot_logits"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "onehot_logits"),
    ("SparseCategoricalCrossentropy", {}, "labels_probs"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "labels_logits"),
]

# (reduction, weighted): the calls each case is compared on
VARIANTS = [
    ("sum_over_batch_size", False),
    ("sum_over_batch_size", True),
    ("sum", True),
    ("mean_with_sample_weight", True),
    (None, True),
]


def case_id(cls_name, kwargs, kind):
    """A readable id: ``Huber(delta=0.5)/regression``."""
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return f"{cls_name}({args})/{kind}"
