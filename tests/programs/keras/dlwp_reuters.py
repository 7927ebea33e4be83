""""Deep Learning with Python" (2nd ed.), chapter 4: classifying newswires,
as a Keras 3 user writes it: Reuters as multi-hot vectors, Dense(64, relu) x2
and a 46-way softmax, with one-hot labels (categorical cross-entropy) and with
integer labels (sparse categorical cross-entropy), plus the random baseline.
The data (keras.datasets.reuters's file, found in $KERAS_HOME/datasets) is
generated: 2,500 newswires over 4,000 words and 46 unbalanced topics. Prints
one RESULT line of JSON."""

import copy
import json

import numpy as np
import keras
from keras import layers
from keras.datasets import reuters
from keras.utils import to_categorical

keras.utils.set_random_seed(0)
NUM_WORDS = 4000

(train_data, train_labels), (test_data, test_labels) = reuters.load_data(num_words=NUM_WORDS)
print(len(train_data), len(test_data), train_labels[10])
word_index = reuters.get_word_index()
reverse_word_index = dict([(value, key) for (key, value) in word_index.items()])
decoded_newswire = " ".join([reverse_word_index.get(i - 3, "?") for i in train_data[0]])
print(decoded_newswire[:80], reuters.get_label_names()[train_labels[0]])


def vectorize_sequences(sequences, dimension=NUM_WORDS):
    results = np.zeros((len(sequences), dimension))
    for i, sequence in enumerate(sequences):
        for j in sequence:
            results[i, j] = 1.
    return results


x_train = vectorize_sequences(train_data)
x_test = vectorize_sequences(test_data)
y_train = to_categorical(train_labels)
y_test = to_categorical(test_labels, num_classes=46)


def build_model(loss):
    model = keras.Sequential([
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(46, activation="softmax"),
    ])
    model.compile(optimizer="rmsprop", loss=loss, metrics=["accuracy"])
    return model


x_val = x_train[:500]
partial_x_train = x_train[500:]
y_val = y_train[:500]
partial_y_train = y_train[500:]
model = build_model("categorical_crossentropy")
history = model.fit(partial_x_train, partial_y_train, epochs=20, batch_size=512,
                    validation_data=(x_val, y_val), verbose=0)
val_loss = history.history["val_loss"]

model = build_model("categorical_crossentropy")
model.fit(x_train, y_train, epochs=9, batch_size=512, verbose=0)
results = model.evaluate(x_test, y_test, verbose=0)
predictions = model.predict(x_test, verbose=0)

test_labels_copy = copy.copy(test_labels)
np.random.shuffle(test_labels_copy)
hits_array = np.array(test_labels) == np.array(test_labels_copy)
random_baseline = hits_array.mean()

y_train_int = np.array(train_labels)
y_test_int = np.array(test_labels)
sparse_model = build_model("sparse_categorical_crossentropy")
sparse_model.fit(x_train, y_train_int, epochs=9, batch_size=512, verbose=0)
sparse_results = sparse_model.evaluate(x_test, y_test_int, verbose=0)

print("RESULT " + json.dumps({
    "train_shape": list(x_train.shape),
    "test_count": len(test_data),
    "first_labels": [int(v) for v in train_labels[:5]],
    "val_acc_20": float(history.history["val_accuracy"][-1]),
    "val_loss_min": float(min(val_loss)),
    "best_epoch": int(np.argmin(val_loss)) + 1,
    "test_loss": float(results[0]),
    "test_acc": float(results[1]),
    "predictions_sum": float(np.sum(predictions[0])),
    "predicted_class_count": int(len(set(np.argmax(predictions, axis=1).tolist()))),
    "random_baseline": float(random_baseline),
    "sparse_test_acc": float(sparse_results[1]),
}))
