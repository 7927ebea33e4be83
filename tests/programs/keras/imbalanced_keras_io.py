"""The shape of keras.io's "Imbalanced classification: credit card fraud
detection" example, as a Keras 3 user writes it, on synthetic data with the
Kaggle table's shape (30 features, 0.17% positives) in place of the CSV.
PROGRAM_ROWS scales the table (284,807 rows like the original by default).
Prints one RESULT line of JSON."""

import json
import os
import tempfile

import numpy as np
import keras

keras.utils.set_random_seed(0)

rows = int(os.environ.get("PROGRAM_ROWS", 284807))
rng = np.random.default_rng(1)
targets = (rng.random(rows) < 0.00173).astype("uint8")[:, None]
features = rng.normal(size=(rows, 30)).astype("float32")
# Frauds differ in a few directions, with overlap, as in the real table.
features[targets[:, 0] == 1, :8] += rng.normal(1.6, 1.0, size=(int(targets.sum()), 8)).astype("float32")
features[:, 29] = np.abs(features[:, 29]) * 80.0  # an "Amount"-like column of another scale
print("features.shape:", features.shape)
print("targets.shape:", targets.shape)

num_val_samples = int(len(features) * 0.2)
train_features = features[:-num_val_samples]
train_targets = targets[:-num_val_samples]
val_features = features[-num_val_samples:]
val_targets = targets[-num_val_samples:]
print("Number of training samples:", len(train_features))
print("Number of validation samples:", len(val_features))

counts = np.bincount(train_targets[:, 0])
print("Number of positive samples in training data: {} ({:.2f}% of total)".format(
    counts[1], 100 * float(counts[1]) / len(train_targets)))
weight_for_0 = 1.0 / counts[0]
weight_for_1 = 1.0 / counts[1]

mean = np.mean(train_features, axis=0)
train_features -= mean
val_features -= mean
std = np.std(train_features, axis=0)
train_features /= std
val_features /= std

model = keras.Sequential([
    keras.layers.Dense(256, activation="relu", input_shape=(train_features.shape[-1],)),
    keras.layers.Dense(256, activation="relu"),
    keras.layers.Dropout(0.3),
    keras.layers.Dense(256, activation="relu"),
    keras.layers.Dropout(0.3),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.summary()

metrics = [
    keras.metrics.FalseNegatives(name="fn"),
    keras.metrics.FalsePositives(name="fp"),
    keras.metrics.TrueNegatives(name="tn"),
    keras.metrics.TruePositives(name="tp"),
    keras.metrics.Precision(name="precision"),
    keras.metrics.Recall(name="recall"),
]
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=metrics)

folder = tempfile.mkdtemp()
callbacks = [keras.callbacks.ModelCheckpoint(os.path.join(folder, "fraud_model_at_epoch_{epoch}.keras"))]
class_weight = {0: weight_for_0, 1: weight_for_1}
history = model.fit(
    train_features,
    train_targets,
    batch_size=2048,
    epochs=int(os.environ.get("PROGRAM_EPOCHS", 30)),
    verbose=2,
    callbacks=callbacks,
    validation_data=(val_features, val_targets),
    class_weight=class_weight,
)
final = {key: float(values[-1]) for key, values in history.history.items()}
final["val_positives"] = int(val_targets.sum())
final["checkpoints"] = len(os.listdir(folder))
print("RESULT " + json.dumps(final))
