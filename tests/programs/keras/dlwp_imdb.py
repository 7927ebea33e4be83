""""Deep Learning with Python" (2nd ed.), chapter 4: classifying movie reviews,
as a Keras 3 user writes it: IMDB as multi-hot vectors, Dense(16, relu) x2 and
a sigmoid, RMSprop and binary cross-entropy; 20 epochs against a held-out
validation set, then a fresh model retrained for 4 epochs and evaluated. The
data (keras.datasets.imdb's file, found in $KERAS_HOME/datasets) is generated:
2,000 training and 2,000 test reviews over a 4,000-word vocabulary. Prints one
RESULT line of JSON."""

import json

import numpy as np
import keras
from keras import layers
from keras.datasets import imdb

keras.utils.set_random_seed(0)
NUM_WORDS = 4000

(train_data, train_labels), (test_data, test_labels) = imdb.load_data(num_words=NUM_WORDS)
print(train_data[0][:10], train_labels[0])
print(max([max(sequence) for sequence in train_data]))

word_index = imdb.get_word_index()
reverse_word_index = dict([(value, key) for (key, value) in word_index.items()])
decoded_review = " ".join([reverse_word_index.get(i - 3, "?") for i in train_data[0]])
print(decoded_review[:80])


def vectorize_sequences(sequences, dimension=NUM_WORDS):
    results = np.zeros((len(sequences), dimension))
    for i, sequence in enumerate(sequences):
        for j in sequence:
            results[i, j] = 1.
    return results


x_train = vectorize_sequences(train_data)
x_test = vectorize_sequences(test_data)
y_train = np.asarray(train_labels).astype("float32")
y_test = np.asarray(test_labels).astype("float32")

model = keras.Sequential([
    layers.Dense(16, activation="relu"),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])

x_val = x_train[:800]
partial_x_train = x_train[800:]
y_val = y_train[:800]
partial_y_train = y_train[800:]
history = model.fit(partial_x_train, partial_y_train, epochs=20, batch_size=512,
                    validation_data=(x_val, y_val), verbose=0)
history_dict = history.history
print(history_dict.keys())
val_loss = history_dict["val_loss"]
best_epoch = int(np.argmin(val_loss)) + 1

model = keras.Sequential([
    layers.Dense(16, activation="relu"),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=4, batch_size=512, verbose=0)
results = model.evaluate(x_test, y_test, verbose=0)
predictions = model.predict(x_test, verbose=0)

print("RESULT " + json.dumps({
    "train_shape": list(x_train.shape),
    "first_review": [int(w) for w in train_data[0][:5]],
    "train_acc_20": float(history_dict["accuracy"][-1]),
    "val_acc_20": float(history_dict["val_accuracy"][-1]),
    "val_loss_min": float(min(val_loss)),
    "val_loss_20": float(val_loss[-1]),
    "best_epoch": best_epoch,
    "test_loss": float(results[0]),
    "test_acc": float(results[1]),
    "predictions_shape": list(predictions.shape),
}))
