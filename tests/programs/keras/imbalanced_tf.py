"""The shape of TensorFlow's "Classification on imbalanced data" tutorial, as a
Keras 3 user writes it (the tf.data oversampling section aside), on synthetic
data with the credit-card table's shape in place of the CSV. PROGRAM_ROWS
scales the table (284,807 rows like the original by default). Prints one
RESULT line of JSON."""

import json
import os
import tempfile

import numpy as np
import keras

keras.utils.set_random_seed(0)

rows = int(os.environ.get("PROGRAM_ROWS", 284807))
rng = np.random.default_rng(2)
# Labels as a column: Keras 3 on torch wants targets shaped like the (n, 1) output.
labels = (rng.random(rows) < 0.00173).astype("float32")[:, None]
features = rng.normal(size=(rows, 29)).astype("float32")
features[labels[:, 0] == 1, :6] += rng.normal(1.8, 1.0, size=(int(labels.sum()), 6)).astype("float32")
neg, pos = np.bincount(labels[:, 0].astype("int64"))
total = neg + pos
print("Examples:\n    Total: {}\n    Positive: {} ({:.2f}% of total)\n".format(total, pos, 100 * pos / total))

order = rng.permutation(rows)
test_at, val_at = int(rows * 0.8), int(rows * 0.64)
train_features, val_features, test_features = (features[order[:val_at]], features[order[val_at:test_at]],
                                               features[order[test_at:]])
train_labels, val_labels, test_labels = labels[order[:val_at]], labels[order[val_at:test_at]], labels[order[test_at:]]
mean, std = train_features.mean(axis=0), train_features.std(axis=0)
train_features = np.clip((train_features - mean) / std, -5, 5)
val_features = np.clip((val_features - mean) / std, -5, 5)
test_features = np.clip((test_features - mean) / std, -5, 5)

METRICS = [
    keras.metrics.BinaryCrossentropy(name="cross entropy"),
    keras.metrics.MeanSquaredError(name="Brier score"),
    keras.metrics.TruePositives(name="tp"),
    keras.metrics.FalsePositives(name="fp"),
    keras.metrics.TrueNegatives(name="tn"),
    keras.metrics.FalseNegatives(name="fn"),
    keras.metrics.BinaryAccuracy(name="accuracy"),
    keras.metrics.Precision(name="precision"),
    keras.metrics.Recall(name="recall"),
    keras.metrics.AUC(name="auc"),
    keras.metrics.AUC(name="prc", curve="PR"),
]


def make_model(metrics=METRICS, output_bias=None):
    if output_bias is not None:
        output_bias = keras.initializers.Constant(output_bias)
    model = keras.Sequential([
        keras.layers.Dense(16, activation="relu", input_shape=(train_features.shape[-1],)),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(1, activation="sigmoid", bias_initializer=output_bias),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss=keras.losses.BinaryCrossentropy(), metrics=metrics)
    return model


EPOCHS = int(os.environ.get("PROGRAM_EPOCHS", 100))
BATCH_SIZE = 2048
early_stopping = keras.callbacks.EarlyStopping(monitor="val_prc", verbose=1, patience=10, mode="max",
                                               restore_best_weights=True)

model = make_model()
model.summary()
print(model.predict(train_features[:10]))
results = model.evaluate(train_features, train_labels, batch_size=BATCH_SIZE, verbose=0)
print("Loss: {:0.4f}".format(results[0]))

initial_bias = np.log([pos / neg])
model = make_model(output_bias=initial_bias)
results = model.evaluate(train_features, train_labels, batch_size=BATCH_SIZE, verbose=0)
careful_bias_loss = results[0]
print("Loss: {:0.4f}".format(careful_bias_loss))

initial_weights = os.path.join(tempfile.mkdtemp(), "initial.weights.h5")
model.save_weights(initial_weights)

model = make_model()
model.load_weights(initial_weights)
model.layers[-1].bias.assign([0.0])
zero_bias_history = model.fit(train_features, train_labels, batch_size=BATCH_SIZE, epochs=20,
                              validation_data=(val_features, val_labels), verbose=0)

model = make_model()
model.load_weights(initial_weights)
careful_bias_history = model.fit(train_features, train_labels, batch_size=BATCH_SIZE, epochs=20,
                                 validation_data=(val_features, val_labels), verbose=0)

model = make_model()
model.load_weights(initial_weights)
baseline_history = model.fit(train_features, train_labels, batch_size=BATCH_SIZE, epochs=EPOCHS,
                             callbacks=[early_stopping], validation_data=(val_features, val_labels))
train_predictions_baseline = model.predict(train_features, batch_size=BATCH_SIZE)
baseline_results = model.evaluate(test_features, test_labels, batch_size=BATCH_SIZE, verbose=0)
for name, value in zip(model.metrics_names, baseline_results):
    print(name, ": ", value)

weight_for_0 = (1 / neg) * (total / 2.0)
weight_for_1 = (1 / pos) * (total / 2.0)
class_weight = {0: weight_for_0, 1: weight_for_1}
weighted_model = make_model()
weighted_model.load_weights(initial_weights)
weighted_history = weighted_model.fit(train_features, train_labels, batch_size=BATCH_SIZE, epochs=EPOCHS,
                                      callbacks=[early_stopping], validation_data=(val_features, val_labels),
                                      class_weight=class_weight)
weighted_results = weighted_model.evaluate(test_features, test_labels, batch_size=BATCH_SIZE,
                                           return_dict=True, verbose=0)

result = {
    "careful_bias_loss": float(careful_bias_loss),
    "zero_bias_val_loss": float(zero_bias_history.history["val_loss"][-1]),
    "careful_bias_val_loss": float(careful_bias_history.history["val_loss"][-1]),
    "baseline": {name: float(v) for name, v in zip(["loss"] + [m.name for m in METRICS], baseline_results)},
    "weighted": {k: float(v) for k, v in weighted_results.items()},
    "test_positives": int(test_labels.sum()),
}
print("RESULT " + json.dumps(result))
