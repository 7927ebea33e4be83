"""The shape of TensorFlow's "Basic regression: predict fuel efficiency"
tutorial, as a Keras 3 user writes it, on synthetic data with the Auto MPG
table's shape (398 cars; 6 numeric columns and a one-hot origin) in place of
the downloaded CSV. Prints one RESULT line of JSON."""

import json
import os
import tempfile

import numpy as np
import keras

keras.utils.set_random_seed(0)

# Synthetic Auto MPG: cylinders, displacement, horsepower, weight,
# acceleration, model year, then origin one-hot (Europe, Japan, USA).
rng = np.random.default_rng(0)
n = 392
cylinders = rng.choice([4, 6, 8], size=n, p=[0.5, 0.25, 0.25]).astype("float32")
displacement = cylinders * 40 + rng.normal(0, 20, n)
horsepower = 20 + displacement * 0.45 + rng.normal(0, 10, n)
weight = 1500 + displacement * 7 + rng.normal(0, 200, n)
acceleration = 22 - horsepower / 25 + rng.normal(0, 1.5, n)
year = rng.integers(70, 83, n).astype("float32")
origin = rng.integers(0, 3, n)
mpg = (60 - 0.008 * weight - 0.05 * horsepower + 0.7 * (year - 70) + 2.0 * (origin == 1)
       + rng.normal(0, 2.5, n))
features = np.stack([cylinders, displacement, horsepower, weight, acceleration, year,
                     origin == 0, origin == 1, origin == 2], axis=1).astype("float32")
labels = mpg.astype("float32")

order = rng.permutation(n)
train_idx, test_idx = order[:int(0.8 * n)], order[int(0.8 * n):]
train_features, test_features = features[train_idx], features[test_idx]
train_labels, test_labels = labels[train_idx], labels[test_idx]

# One variable: horsepower
horsepower_train = train_features[:, 2]
horsepower_normalizer = keras.layers.Normalization(input_shape=[1], axis=None)
horsepower_normalizer.adapt(horsepower_train)
horsepower_model = keras.Sequential([horsepower_normalizer, keras.layers.Dense(units=1)])
horsepower_model.summary()
print(horsepower_model.predict(horsepower_train[:10]))
horsepower_model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.1), loss="mean_absolute_error")
history = horsepower_model.fit(horsepower_train, train_labels, epochs=100, verbose=0,
                               validation_split=0.2)
x = np.linspace(0.0, 250, 251)
y = horsepower_model.predict(x)

test_results = {}
test_results["horsepower_model"] = horsepower_model.evaluate(test_features[:, 2], test_labels, verbose=0)

# All inputs: a linear model
normalizer = keras.layers.Normalization(axis=-1)
normalizer.adapt(np.array(train_features))
print(normalizer.mean.numpy())
linear_model = keras.Sequential([normalizer, keras.layers.Dense(units=1)])
print(linear_model.predict(train_features[:10]))
print(linear_model.layers[1].kernel)
linear_model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.1), loss="mean_absolute_error")
linear_model.fit(train_features, train_labels, epochs=100, verbose=0, validation_split=0.2)
test_results["linear_model"] = linear_model.evaluate(test_features, test_labels, verbose=0)


def build_and_compile_model(norm):
    model = keras.Sequential([
        norm,
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(1),
    ])
    model.compile(loss="mean_absolute_error", optimizer=keras.optimizers.Adam(0.001))
    return model


dnn_horsepower_model = build_and_compile_model(horsepower_normalizer)
dnn_horsepower_model.fit(horsepower_train, train_labels, validation_split=0.2, verbose=0, epochs=100)
test_results["dnn_horsepower_model"] = dnn_horsepower_model.evaluate(test_features[:, 2], test_labels,
                                                                     verbose=0)

dnn_model = build_and_compile_model(normalizer)
dnn_model.summary()
history = dnn_model.fit(train_features, train_labels, validation_split=0.2, verbose=0, epochs=100)
test_results["dnn_model"] = dnn_model.evaluate(test_features, test_labels, verbose=0)

test_predictions = dnn_model.predict(test_features).flatten()
error = test_predictions - test_labels

path = os.path.join(tempfile.mkdtemp(), "dnn_model.keras")
dnn_model.save(path)
reloaded = keras.models.load_model(path)
test_results["reloaded"] = reloaded.evaluate(test_features, test_labels, verbose=0)

print("RESULT " + json.dumps({k: float(v) for k, v in test_results.items()}))
