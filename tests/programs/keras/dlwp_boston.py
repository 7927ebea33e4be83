""""Deep Learning with Python" (2nd ed.), chapter 4: predicting house prices,
as a Keras 3 user writes it: Boston housing, features normalised with the
training statistics, Dense(64, relu) x2 and a linear output, MSE with MAE as
the metric, K-fold validation (k = 4), then a final model trained on all the
training data and evaluated. The data (keras.datasets.boston_housing's file,
found in $KERAS_HOME/datasets) is generated with the real table's shape (506
districts, 13 attributes). Prints one RESULT line of JSON."""

import json

import numpy as np
import keras
from keras import layers
from keras.datasets import boston_housing

keras.utils.set_random_seed(0)

(train_data, train_targets), (test_data, test_targets) = boston_housing.load_data()
print(train_data.shape, test_data.shape, train_targets[:5])

mean = train_data.mean(axis=0)
train_data -= mean
std = train_data.std(axis=0)
train_data /= std
test_data -= mean
test_data /= std


def build_model():
    model = keras.Sequential([
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
    return model


k = 4
num_val_samples = len(train_data) // k
num_epochs = 100
all_scores = []
all_mae_histories = []
for i in range(k):
    print(f"Processing fold #{i}")
    val_data = train_data[i * num_val_samples: (i + 1) * num_val_samples]
    val_targets = train_targets[i * num_val_samples: (i + 1) * num_val_samples]
    partial_train_data = np.concatenate(
        [train_data[:i * num_val_samples], train_data[(i + 1) * num_val_samples:]], axis=0)
    partial_train_targets = np.concatenate(
        [train_targets[:i * num_val_samples], train_targets[(i + 1) * num_val_samples:]], axis=0)
    model = build_model()
    history = model.fit(partial_train_data, partial_train_targets,
                        validation_data=(val_data, val_targets),
                        epochs=num_epochs, batch_size=16, verbose=0)
    all_mae_histories.append(history.history["val_mae"])
    val_mse, val_mae = model.evaluate(val_data, val_targets, verbose=0)
    all_scores.append(val_mae)

average_mae_history = [np.mean([x[i] for x in all_mae_histories]) for i in range(num_epochs)]

model = build_model()
model.fit(train_data, train_targets, epochs=80, batch_size=16, verbose=0)
test_mse_score, test_mae_score = model.evaluate(test_data, test_targets, verbose=0)
predictions = model.predict(test_data, verbose=0)

print("RESULT " + json.dumps({
    "train_shape": list(train_data.shape),
    "test_shape": list(test_data.shape),
    "first_targets": [float(v) for v in train_targets[:3]],
    "fold_mae": [float(s) for s in all_scores],
    "mean_fold_mae": float(np.mean(all_scores)),
    "mae_epoch_1": float(average_mae_history[0]),
    "mae_epoch_100": float(average_mae_history[-1]),
    "test_mae": float(test_mae_score),
    "test_mse": float(test_mse_score),
    "prediction_0": float(predictions[0][0]),
}))
