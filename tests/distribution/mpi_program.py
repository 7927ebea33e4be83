"""A small training program the distribution tests run, alone or under
``mpiexec -n 2``: ``python mpi_program.py MODE OUT_DIR``.

Modes: ``train`` (the seed model, 2 epochs; writes ``weights_<rank>.npz``),
``single`` (the same without a distribution), ``plain`` (the same without
``set_distribution``: under ``mpiexec`` fit distributes by itself), ``raise`` (process 1 raises
mid-epoch), ``files`` (ModelCheckpoint, CSVLogger and model.save with a
path per process), ``mismatch`` (process 1 has fewer samples), ``mismatch-model`` (process 1 has
a narrower layer), ``weighted
REDUCTION`` (``single-weighted REDUCTION`` alone: a binary model with
GaussianNoise, an L2 penalty, sample weights, the loss reduction REDUCTION and
counting metrics; writes ``weighted_<rank>.npz``), ``tiny`` (``single-tiny``
alone: global batches of 3 and 1 rows, so under ``-n 3`` some processes get
no rows; writes ``tiny_<rank>.npz``).
"""

import os
import sys

import numpy as np

import fastmlp
import fastmlp.distribution as distribution
from fastmlp.train.model import build_model

MODE, OUT = sys.argv[1], sys.argv[2]
SAMPLES, BATCH = 301, 63  # an odd batch: shards of 32 and 31 rows, and a last batch of 49


def data(samples=SAMPLES):
    rng = np.random.default_rng(7)
    x = rng.integers(0, 256, size=(SAMPLES, 28, 28), dtype=np.uint8)
    y = (x.reshape(SAMPLES, -1)[:, :10].argmax(axis=1)).astype(np.int64)  # learnable labels
    return x[:samples], y[:samples]


def model():
    fastmlp.utils.set_random_seed(3)
    net = build_model((28, 28), [64, 32], 0.25, 10)
    net.compile(optimizer="adam", loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=["accuracy"])
    return net


def weighted_model(reduction):
    fastmlp.utils.set_random_seed(4)
    # Weight penalties with a 'sum' reduction are refused by a distributed fit.
    penalty = None if reduction == "sum" else fastmlp.regularizers.L2(1e-3)
    net = fastmlp.Sequential([
        fastmlp.Input((12,)), fastmlp.layers.GaussianNoise(0.3),
        fastmlp.layers.Dense(16, activation="relu", kernel_regularizer=penalty),
        fastmlp.layers.Dense(1, activation="sigmoid")])
    net.compile(optimizer="sgd", loss=fastmlp.losses.BinaryCrossentropy(reduction=reduction),
                metrics=["precision", "recall", "mae"], weighted_metrics=["auc", "accuracy"])
    return net


if MODE == "weighted" or MODE == "single-weighted":
    if MODE == "weighted":
        distribution.set_distribution(distribution.DataParallel())
    rng = np.random.default_rng(11)
    xw = rng.normal(size=(101, 12)).astype("float32")
    yw = (xw[:, 0] + 0.5 * xw[:, 1] > 0).astype("float32")
    sw = rng.uniform(0.1, 2.0, size=101).astype("float32")
    net = weighted_model(sys.argv[3])
    history = net.fit(xw, yw, sample_weight=sw, batch_size=25, epochs=2, verbose=0).history
    np.savez(os.path.join(OUT, f"weighted_{distribution.process_index()}.npz"), *net.get_weights(),
             **{name: np.array(values) for name, values in history.items()})
    sys.exit(0)

if MODE in ("tiny", "single-tiny"):
    if MODE == "tiny":
        distribution.set_distribution(distribution.DataParallel())
    fastmlp.utils.set_random_seed(1)
    net = fastmlp.Sequential([fastmlp.Input((4,)), fastmlp.layers.Dense(5, activation="relu"),
                              fastmlp.layers.Dropout(0.4), fastmlp.layers.Dense(2)])
    net.compile("adam", fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    rng = np.random.default_rng(0)
    history = net.fit(rng.normal(size=(7, 4)).astype("float32"), rng.integers(0, 2, 7), batch_size=3,
                      epochs=3, verbose=0).history
    np.savez(os.path.join(OUT, f"tiny_{distribution.process_index()}.npz"), *net.get_weights(),
             loss=np.array(history["loss"]), accuracy=np.array(history["accuracy"]))
    sys.exit(0)

if MODE not in ("single", "plain"):  # plain: an unchanged program, distributed by the launcher alone
    distribution.set_distribution(distribution.DataParallel())
net = model()
x, y = data()

if MODE in ("train", "single", "plain"):
    history = net.fit(x, y, batch_size=BATCH, epochs=2, verbose=0)
    rank = distribution.process_index()
    np.savez(os.path.join(OUT, f"weights_{rank}.npz"), *net.get_weights(),
             loss=np.array(history.history["loss"]), accuracy=np.array(history.history["accuracy"]))
rank = distribution.process_index()
if MODE == "raise":
    class Fail(fastmlp.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if rank == 1 and batch == 2:
                raise RuntimeError("planted failure on process 1")
    net.fit(x, y, batch_size=BATCH, epochs=1000, verbose=0, callbacks=[Fail()])
elif MODE == "files":
    callbacks = [fastmlp.callbacks.ModelCheckpoint(os.path.join(OUT, f"ckpt_{rank}.weights.h5")),
                 fastmlp.callbacks.CSVLogger(os.path.join(OUT, f"log_{rank}.csv"))]
    net.fit(x, y, batch_size=BATCH, epochs=1, verbose=1, callbacks=callbacks)
    net.save(os.path.join(OUT, f"model_{rank}.keras"))
elif MODE == "mismatch-model":
    if rank == 1:
        fastmlp.utils.set_random_seed(3)
        net = build_model((28, 28), [64, 31], 0.25, 10)
        net.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    try:
        net.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    except ValueError as exc:
        print(f"ValueError on process {rank}: {exc}", flush=True)
elif MODE == "mismatch":
    x, y = data(SAMPLES - 10 if rank == 1 else SAMPLES)
    try:
        net.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    except ValueError as exc:
        print(f"ValueError on process {rank}: {exc}", flush=True)
