"""Writes the Keras 3 fixture files the keras_files tests read, with the
expected numbers, in ``keras_expected.json``.

Run with a Keras 3 interpreter (written with Keras 3.15.1, torch backend):

    KERAS_BACKEND=torch /tmp/kvenv/bin/python tests/models/keras_fixtures/make_fixtures.py

Files: ``k_clf`` (Dense/Dropout classifier, Adam, trained) and ``k_reg``
(adapted Normalization + Dense, SGD with momentum, trained) as ``.keras`` and
``.weights.h5``; ``k_opt_<name>.keras`` (one Dense layer trained two epochs
with Adam, SGD+momentum, RMSprop+momentum, AdamW) with the weights after one
more epoch; ``k_nested.keras`` (a functional model around a nested Sequential
with BatchNormalization and LayerNormalization); ``k_conv.keras`` (a Conv1D,
which fastmlp lacks); ``k_custom.keras`` (a registered custom layer).
"""

import json
import os

import keras
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(7)
X = rng.normal(size=(24, 4)).astype("float32")
Y = rng.integers(0, 3, 24)
YR = (X @ np.array([1.0, -2.0, 0.5, 3.0], "float32") + 2.0).astype("float32")
expected = {"x": X.tolist(), "y": Y.tolist(), "y_reg": YR.tolist()}
keras.utils.set_random_seed(0)


def path(name):
    return os.path.join(HERE, name)


clf = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                        keras.layers.Dropout(0.25), keras.layers.Dense(3, activation="softmax")], name="clf")
clf.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
clf.fit(X, Y, epochs=2, batch_size=8, verbose=0)
clf.save(path("k_clf.keras"))
clf.save_weights(path("k_clf.weights.h5"))
expected["k_clf"] = clf.predict(X, verbose=0).tolist()

norm = keras.layers.Normalization()
norm.adapt(X * 3 + 1)
reg = keras.Sequential([keras.Input((4,)), norm, keras.layers.Dense(1)], name="reg")
reg.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9), loss="mse")
reg.fit(X * 3 + 1, YR, epochs=2, batch_size=8, verbose=0)
reg.save(path("k_reg.keras"))
reg.save_weights(path("k_reg.weights.h5"))
expected["k_reg"] = reg.predict(X * 3 + 1, verbose=0).tolist()

for name, opt in (("adam", keras.optimizers.Adam(0.05)),
                  ("sgd", keras.optimizers.SGD(0.05, momentum=0.9)),
                  ("rmsprop", keras.optimizers.RMSprop(0.01, momentum=0.5)),
                  ("adamw", keras.optimizers.AdamW(0.05, weight_decay=0.1))):
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")], name=f"opt_{name}")
    m.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
    m.fit(X, Y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    m.save(path(f"k_opt_{name}.keras"))
    m.fit(X, Y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    expected[f"k_opt_{name}"] = {"weights_after": [w.tolist() for w in m.get_weights()],
                                 "iterations": int(m.optimizer.iterations)}

inputs = keras.Input((4,), name="features")
inner = keras.Sequential([keras.layers.Dense(5, activation="tanh"), keras.layers.BatchNormalization(),
                          keras.layers.LayerNormalization()], name="inner")
outputs = keras.layers.Dense(2)(inner(keras.layers.Dense(6, activation="relu")(inputs)))
nested = keras.Model(inputs, outputs, name="nested")
nested.compile(optimizer="adam", loss="mse")
nested.fit(X, np.stack([YR, -YR], 1), epochs=1, batch_size=8, verbose=0)  # moving stats move
nested.save(path("k_nested.keras"))
expected["k_nested"] = nested.predict(X, verbose=0).tolist()

conv = keras.Sequential([keras.Input((4, 1)), keras.layers.Conv1D(2, 2), keras.layers.Flatten(),
                         keras.layers.Dense(1)], name="conv")
conv.save(path("k_conv.keras"))


@keras.saving.register_keras_serializable(package="Fixture")
class ScaledDense(keras.layers.Dense):
    """Dense whose output is doubled."""

    def call(self, inputs):
        return super().call(inputs) * 2.0


custom = keras.Sequential([keras.Input((4,)), ScaledDense(2, name="scaled")], name="custom")
custom.save(path("k_custom.keras"))
expected["k_custom"] = custom.predict(X, verbose=0).tolist()

with open(path("keras_expected.json"), "w") as f:
    json.dump(expected, f)
