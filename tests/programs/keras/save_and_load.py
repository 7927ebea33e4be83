"""The shape of TensorFlow's "Save and load models" tutorial, as a Keras 3
user writes it: checkpoints of the weights during training (every epoch, then
every 5 epochs' worth of batches into a folder that does not exist yet), the
whole model saved and loaded. Runs in a temporary working folder. Prints one
RESULT line of JSON."""

import json
import os
import tempfile

import keras

keras.utils.set_random_seed(0)
os.chdir(tempfile.mkdtemp())

(train_images, train_labels), (test_images, test_labels) = keras.datasets.mnist.load_data()
train_labels = train_labels[:1000]
test_labels = test_labels[:1000]
train_images = train_images[:1000].reshape(-1, 28 * 28) / 255.0
test_images = test_images[:1000].reshape(-1, 28 * 28) / 255.0


def create_model():
    model = keras.models.Sequential([
        keras.layers.Dense(512, activation="relu", input_shape=(784,)),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10),
    ])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    return model


model = create_model()
model.summary()

checkpoint_path = "training_1/cp.weights.h5"
checkpoint_dir = os.path.dirname(checkpoint_path)
cp_callback = keras.callbacks.ModelCheckpoint(filepath=checkpoint_path, save_weights_only=True, verbose=1)
model.fit(train_images, train_labels, epochs=10, validation_data=(test_images, test_labels),
          callbacks=[cp_callback])
print(os.listdir(checkpoint_dir))

model = create_model()
loss, untrained_acc = model.evaluate(test_images, test_labels, verbose=2)
print("Untrained model, accuracy: {:5.2f}%".format(100 * untrained_acc))
model.load_weights(checkpoint_path)
loss, restored_acc = model.evaluate(test_images, test_labels, verbose=2)
print("Restored model, accuracy: {:5.2f}%".format(100 * restored_acc))

checkpoint_path = "training_2/cp-{epoch:04d}.weights.h5"
checkpoint_dir = os.path.dirname(checkpoint_path)
batch_size = 32
n_batches = len(train_images) / batch_size
n_batches = int(n_batches) + (n_batches % 1 > 0)  # ceil, as the tutorial computes it
cp_callback = keras.callbacks.ModelCheckpoint(filepath=checkpoint_path, verbose=1, save_weights_only=True,
                                              save_freq=5 * n_batches)
model = create_model()
os.makedirs(checkpoint_dir, exist_ok=True)  # Keras 3's save_weights does not create folders
model.save_weights(checkpoint_path.format(epoch=0))
model.fit(train_images, train_labels, epochs=50, batch_size=batch_size, callbacks=[cp_callback],
          validation_data=(test_images, test_labels), verbose=0)
checkpoints = sorted(os.listdir(checkpoint_dir))
latest = os.path.join(checkpoint_dir, checkpoints[-1])
model = create_model()
model.load_weights(latest)
loss, latest_acc = model.evaluate(test_images, test_labels, verbose=2)

model = create_model()
model.fit(train_images, train_labels, epochs=5)
model.save("my_model.keras")
new_model = keras.models.load_model("my_model.keras")
new_model.summary()
loss, reloaded_acc = new_model.evaluate(test_images, test_labels, verbose=2)
print(new_model.predict(test_images).shape)

print("RESULT " + json.dumps({"untrained_acc": float(untrained_acc), "restored_acc": float(restored_acc),
                              "checkpoints": checkpoints, "latest_acc": float(latest_acc),
                              "reloaded_acc": float(reloaded_acc)}))
