"""The shape of TensorFlow's "Overfit and underfit" tutorial, as a Keras 3 user
writes it, on synthetic data with the Higgs subset's shape (28 features,
10,000 training and 1,000 validation rows) in place of the CSV, fed through a
Python generator with steps_per_epoch where the tutorial uses tf.data.
PROGRAM_EPOCHS caps the epochs (the tutorial's 10,000 by default). Prints one
RESULT line of JSON."""

import json
import os

import numpy as np
import keras

keras.utils.set_random_seed(0)

FEATURES = 28
N_VALIDATION = 1000
N_TRAIN = 10000
BUFFER_SIZE = N_TRAIN
BATCH_SIZE = 500
STEPS_PER_EPOCH = N_TRAIN // BATCH_SIZE

rng = np.random.default_rng(3)
x = rng.normal(size=(N_TRAIN + N_VALIDATION, FEATURES)).astype("float32")
signal = np.sin(x[:, 0] * 2) + x[:, 1] * x[:, 2] - 0.5 * x[:, 3] ** 2 + 0.3 * x[:, 4:10].sum(axis=1)
y = (signal + rng.normal(0, 1.0, len(x)) > 0).astype("float32")[:, None]
train_x, train_y = x[:N_TRAIN], y[:N_TRAIN]
validate_ds = (x[N_TRAIN:], y[N_TRAIN:])


def train_ds():
    """Shuffled batches forever, like dataset.shuffle().repeat().batch()."""
    while True:
        order = rng.permutation(N_TRAIN)
        for start in range(0, N_TRAIN, BATCH_SIZE):
            idx = order[start:start + BATCH_SIZE]
            yield train_x[idx], train_y[idx]


lr_schedule = keras.optimizers.schedules.InverseTimeDecay(
    0.001, decay_steps=STEPS_PER_EPOCH * 1000, decay_rate=1, staircase=False)


def get_optimizer():
    return keras.optimizers.Adam(lr_schedule)


def get_callbacks(name):
    return [keras.callbacks.EarlyStopping(monitor="val_binary_crossentropy", patience=200)]


def compile_and_fit(model, name, optimizer=None, max_epochs=int(os.environ.get("PROGRAM_EPOCHS", 10000))):
    if optimizer is None:
        optimizer = get_optimizer()
    model.compile(optimizer=optimizer, loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryCrossentropy(from_logits=True, name="binary_crossentropy"),
                           "accuracy"])
    model.summary()
    return model.fit(train_ds(), steps_per_epoch=STEPS_PER_EPOCH, epochs=max_epochs,
                     validation_data=validate_ds, callbacks=get_callbacks(name), verbose=0)


size_histories = {}
tiny_model = keras.Sequential([
    keras.layers.Dense(16, activation="elu", input_shape=(FEATURES,)),
    keras.layers.Dense(1),
])
size_histories["Tiny"] = compile_and_fit(tiny_model, "sizes/Tiny")

small_model = keras.Sequential([
    keras.layers.Dense(16, activation="elu", input_shape=(FEATURES,)),
    keras.layers.Dense(16, activation="elu"),
    keras.layers.Dense(1),
])
size_histories["Small"] = compile_and_fit(small_model, "sizes/Small")

large_model = keras.Sequential([
    keras.layers.Dense(512, activation="elu", input_shape=(FEATURES,)),
    keras.layers.Dense(512, activation="elu"),
    keras.layers.Dense(512, activation="elu"),
    keras.layers.Dense(512, activation="elu"),
    keras.layers.Dense(1),
])
size_histories["large"] = compile_and_fit(large_model, "sizes/large")

regularizer_histories = {"Tiny": size_histories["Tiny"]}
l2_model = keras.Sequential([
    keras.layers.Dense(512, activation="elu", kernel_regularizer=keras.regularizers.l2(0.001),
                       input_shape=(FEATURES,)),
    keras.layers.Dense(512, activation="elu", kernel_regularizer=keras.regularizers.l2(0.001)),
    keras.layers.Dense(512, activation="elu", kernel_regularizer=keras.regularizers.l2(0.001)),
    keras.layers.Dense(512, activation="elu", kernel_regularizer=keras.regularizers.l2(0.001)),
    keras.layers.Dense(1),
])
regularizer_histories["l2"] = compile_and_fit(l2_model, "regularizers/l2")
result = l2_model(validate_ds[0][:5])
regularization_loss = float(sum(float(loss) for loss in l2_model.losses))

dropout_model = keras.Sequential([
    keras.layers.Dense(512, activation="elu", input_shape=(FEATURES,)),
    keras.layers.Dropout(0.5),
    keras.layers.Dense(512, activation="elu"),
    keras.layers.Dropout(0.5),
    keras.layers.Dense(512, activation="elu"),
    keras.layers.Dropout(0.5),
    keras.layers.Dense(512, activation="elu"),
    keras.layers.Dropout(0.5),
    keras.layers.Dense(1),
])
regularizer_histories["dropout"] = compile_and_fit(dropout_model, "regularizers/dropout")


def last(history, key):
    return float(history.history[key][-1])


summary = {name: {"epochs": len(h.history["loss"]),
                  "binary_crossentropy": last(h, "binary_crossentropy"),
                  "val_binary_crossentropy": last(h, "val_binary_crossentropy"),
                  "val_accuracy": last(h, "val_accuracy")}
           for name, h in {**size_histories, **regularizer_histories}.items()}
summary["l2_regularization_loss"] = regularization_loss
print("RESULT " + json.dumps(summary))
