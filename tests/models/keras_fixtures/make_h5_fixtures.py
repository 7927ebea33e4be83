"""Write the Keras-made legacy ``.h5`` fixtures and their expected predictions.

Run with real Keras (not part of the suite, which never imports Keras):
``KERAS_BACKEND=torch /tmp/kvenv/bin/python tests/models/keras_fixtures/make_h5_fixtures.py``.
It writes ``h5_classifier.h5`` (Dense/Dropout classifier, compiled with Adam and
trained one epoch, so the file has ``training_config`` and ``optimizer_weights``),
``h5_regressor.h5`` (adapted Normalization + Dense, compiled with RMSprop with
momentum after one epoch) and ``h5_expected.json`` (the input rows and each
model's ``predict`` on them, from Keras).
"""

import json
import os

import keras
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    keras.utils.set_random_seed(7)
    rng = np.random.default_rng(7)
    x = rng.normal(size=(12, 4)).astype("float32") * 3 + 1
    labels = rng.integers(0, 3, size=12)
    targets = (x @ np.array([0.5, -1.0, 0.25, 2.0], "float32"))[:, None]

    classifier = keras.Sequential([
        keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dropout(0.25),
        keras.layers.Dense(3, activation="softmax")], name="classifier")
    classifier.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    classifier.fit(x, labels, epochs=1, batch_size=4, verbose=0)
    classifier.save(os.path.join(HERE, "h5_classifier.h5"))

    norm = keras.layers.Normalization()
    norm.adapt(x)
    regressor = keras.Sequential([keras.Input((4,)), norm, keras.layers.Dense(5, activation="tanh"),
                                  keras.layers.Dense(1)], name="regressor")
    regressor.compile(keras.optimizers.RMSprop(0.01, momentum=0.5), "mse", metrics=["mae"])
    regressor.fit(x, targets, epochs=1, batch_size=4, verbose=0)
    regressor.save(os.path.join(HERE, "h5_regressor.h5"))

    expected = {
        "keras_version": keras.__version__, "backend": keras.backend.backend(),
        "x": x.tolist(),
        "h5_classifier.h5": classifier.predict(x, verbose=0).tolist(),
        "h5_regressor.h5": regressor.predict(x, verbose=0).tolist(),
        "iterations": {"h5_classifier.h5": int(classifier.optimizer.iterations.numpy()),
                       "h5_regressor.h5": int(regressor.optimizer.iterations.numpy())},
    }
    with open(os.path.join(HERE, "h5_expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main()
