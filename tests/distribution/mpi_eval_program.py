"""Sharded evaluation and a killed process, for test_distributed_eval.py:
``python mpi_eval_program.py MODE OUT_DIR``, alone or under ``mpiexec -n N``.

Modes: ``eval`` (``single-eval`` alone, without a distribution): a model
fitted 2 epochs with ``validation_data`` and then ``validation_split``, then
``evaluate`` (with sample weights, and with ``steps``) and ``predict``; writes
``eval_<rank>.npz`` and the batches it ran itself in ``batches_<rank>.npz``. ``tiny-eval`` (``single-tiny-eval``): the same with 2
validation samples, so under ``-n 3`` a process has none. ``kill``: ModelCheckpoint saves every epoch on process 0
while process 1 kills itself with SIGKILL in epoch 4 (index 3), after writing
the time to ``killed``; the checkpoints are ``ckpt_<epoch>.keras``.
"""

import os
import signal
import sys
import time

import numpy as np

import fastmlp
import fastmlp.distribution as distribution

MODE, OUT = sys.argv[1], sys.argv[2]
# Odd sizes: shards of unequal rows and last batches shorter than the batch.
SAMPLES, VALIDATION, BATCH = 203, 101, 16
if MODE.endswith("tiny-eval"):  # under -n 3, process 2 has no validation rows
    VALIDATION = 2


def data(samples, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, 12)).astype(np.float32)
    y = (x[:, :4].argmax(axis=1)).astype(np.int64)
    w = rng.uniform(0.5, 2.0, size=samples).astype(np.float32)
    return x, y, w


def model():
    fastmlp.utils.set_random_seed(5)
    net = fastmlp.Sequential([fastmlp.Input((12,)), fastmlp.layers.Dense(24, activation="relu"),
                              fastmlp.layers.Dense(4)])
    net.compile(optimizer="adam", loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=["accuracy"], weighted_metrics=["sparse_categorical_accuracy"])
    return net


class Batches(fastmlp.callbacks.Callback):
    """The rows this process evaluated and predicted itself."""

    def __init__(self):
        super().__init__()
        self.seen = {"test": 0, "predict": 0}

    def on_test_batch_end(self, batch, logs=None):
        self.seen["test"] += 1

    def on_predict_batch_end(self, batch, logs=None):
        self.seen["predict"] += 1


class KillAt(fastmlp.callbacks.Callback):
    """Process 1 dies by SIGKILL at batch 5 of epoch 3, as an OOM kill would."""

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if distribution.process_index() == 1 and self.epoch == 3 and batch == 5:
            with open(os.path.join(OUT, "killed"), "w") as file:
                file.write(repr(time.time()))
            os.kill(os.getpid(), signal.SIGKILL)


if MODE in ("eval", "single-eval", "tiny-eval", "single-tiny-eval"):
    if not MODE.startswith("single"):
        distribution.set_distribution(distribution.DataParallel())
    rank = distribution.process_index()
    x, y, w = data(SAMPLES, 1)
    vx, vy, vw = data(VALIDATION, 2)
    net = model()
    # Before training: evaluate and predict on the same weights everywhere.
    counter = Batches()
    first = net.evaluate(vx, vy, batch_size=BATCH, verbose=0, return_dict=True, callbacks=[counter])
    first_pred = net.predict(vx, batch_size=BATCH, verbose=0, callbacks=[counter])
    history = net.fit(x, y, batch_size=BATCH, epochs=2, validation_data=(vx, vy, vw),
                      validation_batch_size=7, verbose=0)
    split = net.fit(x, y, batch_size=BATCH, epochs=1, validation_split=0.3, verbose=0)
    weighted = net.evaluate(vx, vy, sample_weight=vw, batch_size=BATCH, verbose=0, return_dict=True)
    stepped = net.evaluate(vx, vy, batch_size=BATCH, steps=3, verbose=0, return_dict=True)
    pred = net.predict(vx, batch_size=BATCH, verbose=0)
    stepped_pred = net.predict(vx, batch_size=BATCH, steps=2, verbose=0)
    results = {"first_pred": first_pred, "pred": pred, "stepped_pred": stepped_pred}
    for name, logs in [("first", first), ("weighted", weighted), ("stepped", stepped)]:
        results.update({f"{name}_{key}": np.float64(value) for key, value in logs.items()})
    for name, logs in [("fit", history.history), ("split", split.history)]:
        results.update({f"{name}_{key}": np.asarray(value, dtype=np.float64)
                        for key, value in logs.items() if key.startswith("val_")})
    np.savez(os.path.join(OUT, f"eval_{rank}.npz"), **results)
    np.savez(os.path.join(OUT, f"batches_{rank}.npz"), **counter.seen)
elif MODE == "kill":
    distribution.set_distribution(distribution.DataParallel())
    x, y, _ = data(2000, 1)
    net = model()
    checkpoint = fastmlp.callbacks.ModelCheckpoint(os.path.join(OUT, "ckpt_{epoch}.keras"))
    net.fit(x, y, batch_size=BATCH, epochs=50, callbacks=[checkpoint, KillAt()], verbose=0)
else:
    raise SystemExit(f"unknown mode {MODE!r}")
