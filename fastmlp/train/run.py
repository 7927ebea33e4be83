"""One ``fastmlp-train`` run, step by step (``run`` reads top to bottom):

1. create the output directory;
2. choose the backend (``--backend`` holds for the run only);
3. load the dataset (``data``);
4. build and compile the seed model (``model``);
5. train it, timing every epoch;
6. test it: loss, accuracy, predictions and confusion matrix;
7. write the model, its history, the plots and the metrics (``outputs``) aside,
   then swap them for an earlier run's in ``--out`` (``replace``);
8. say what was done.

With ``--distributed`` the run trains under DataParallel (``distributed``):
every process trains and tests; only process 0 says anything and writes ``--out``.

``say`` lines go to ``out`` (none with ``--quiet``, which prints one summary
line at the end instead); warnings go to ``err``.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..callbacks import Callback
from . import outputs, replace
from .data import prepare_data
from .distributed import data_parallel
from .errors import CommandError, first_line
from .model import chosen_backend, compiled_model


class Console:
    """Where a run's messages go."""

    def __init__(self, quiet, out, err, chief=True):
        # Processes other than 0 of a distributed run (chief False) print nothing.
        self.quiet, self.out, self.err, self.chief = quiet, out, err, chief

    def say(self, text):
        """Progress for the user (not with ``--quiet``)."""
        if not self.quiet:
            print(text, file=self.out, flush=True)

    def warn(self, text):
        if self.chief:
            print(text, file=self.err, flush=True)


class EpochTimer(Callback):
    """Wall-clock seconds of every epoch (training plus validation)."""

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []
        self._start: Any = None  # perf_counter() at the epoch's start

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


@dataclass
class Training:
    """What ``fit`` gave: the History dict and the seconds of every epoch and of all of it."""

    history: dict
    seconds: list
    fit_seconds: float

    @property
    def mean_seconds(self):
        return float(np.mean(self.seconds)) if self.seconds else 0.0


@dataclass
class Tested:
    """The trained model on the test set."""

    loss: float
    accuracy: float
    y_true: Any       # int64 labels
    y_pred: Any       # predicted classes
    confidence: Any   # softmax probability of each predicted class
    confusion: Any    # (num_classes, num_classes) counts: rows true, columns predicted


def make_outdir(path):
    """Create the output directory (and its parents) unless it exists."""
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"cannot create output directory {path!r}: {first_line(exc)}") from None
    if not os.path.isdir(path):
        raise CommandError(f"--out {path!r} is not a directory")
    return path


def summary_line(args, data, learning_rate, backend_name):
    """The line printed before training: data, model, optimizer, backend, seed."""
    return (f"{data.title} ({data.kind} dataset): {data.n_train} training, {data.n_val} validation, "
            f"{len(data.x_test)} test images | hidden {args.hidden}, dropout {args.dropout:g} | "
            f"{args.optimizer} lr={learning_rate:g} | batch {args.batch_size}, {args.epochs} epochs | "
            f"backend {backend_name} | seed {args.seed}")


def fit_model(model, data, args):
    """Fit ``model`` (the Keras progress bar unless ``--quiet``), timing each epoch."""
    timer = EpochTimer()
    t_fit = time.perf_counter()
    history = model.fit(data.x_train, data.y_train, batch_size=args.batch_size, epochs=args.epochs,
                        verbose=0 if args.quiet else 1, validation_split=args.validation_split,
                        callbacks=[timer])
    return Training(history.history, list(timer.seconds), time.perf_counter() - t_fit)


def evaluate_model(model, data, batch_size):
    """Evaluate and predict the test set."""
    loss, accuracy = model.evaluate(data.x_test, data.y_test, batch_size=batch_size, verbose=0)
    logits = model.predict(data.x_test, batch_size=batch_size, verbose=0)
    y_pred = np.argmax(logits, axis=1)
    shifted = logits - logits.max(axis=1, keepdims=True)
    confidence = 1.0 / np.exp(shifted).sum(axis=1)  # softmax probability of the predicted class
    del logits, shifted
    k = data.num_classes
    y_true = np.asarray(data.y_test).astype(np.int64)
    confusion = np.bincount(y_true * k + y_pred, minlength=k ** 2).reshape(k, k)
    return Tested(loss, accuracy, y_true, y_pred, confidence, confusion)


def report_test(console, training, tested):
    console.say(f"Test loss: {tested.loss:.4f}")
    console.say(f"Test accuracy: {tested.accuracy:.4f}")
    console.say(f"Seconds per epoch: {training.mean_seconds:.2f} ("
                + ", ".join(f"{s:.2f}" for s in training.seconds) + ")")


def report_end(console, data, training, tested, total_seconds, metrics, outdir, written):
    """The closing lines: one summary line with ``--quiet``, else the total and the files."""
    if console.quiet:
        print(f"test_accuracy={tested.accuracy:.4f} test_loss={tested.loss:.4f} "
              f"seconds_per_epoch={training.mean_seconds:.2f} dataset={data.used} out={outdir}",
              file=console.out, flush=True)
    else:
        console.say(f"Total: {total_seconds:.1f} s, peak RSS {metrics['peak_rss_mb']} MB")
        console.say(f"Wrote {', '.join(written)} to {outdir}")


def run(args, out=None, err=None):
    """Train and write everything (with ``--distributed``, data-parallel over
    the launcher's processes, process 0 alone printing and writing).

    Returns:
        The metrics dict; None on the processes other than 0.

    Raises:
        CommandError: a failure to report as one line and an exit status.
    """
    with data_parallel(getattr(args, "distributed", False)) as strategy:
        chief = strategy is None or strategy.rank == 0
        console = Console(args.quiet or not chief, out or sys.stdout, err or sys.stderr, chief)
        return _run(args, console, strategy)


def _run(args, console, strategy):
    t_start = time.perf_counter()
    # Only process 0 creates --out; the others never write to it.
    outdir = make_outdir(args.out) if console.chief else ""
    with chosen_backend(args.backend) as backend_name:
        data = prepare_data(args.dataset, args.validation_split, console.warn)
        model, learning_rate = compiled_model(args, data.x_train.shape[1:], data.num_classes)
        processes = "" if strategy is None else f" | {strategy.size} process{'es' if strategy.size > 1 else ''}"
        console.say(summary_line(args, data, learning_rate, backend_name) + processes)

        training = fit_model(model, data, args)
        tested = evaluate_model(model, data, args.batch_size)
        rss_training = outputs.peak_rss_mb()
        report_test(console, training, tested)
        if not console.chief:  # only process 0 writes the run's outputs
            return None

        # Written aside, then swapped in: no file of an earlier run survives
        # beside this run's (replace.py).
        with replace.staged(outdir) as staging:
            table, written = outputs.write_model_and_history(staging, model, training.history,
                                                             training.seconds)
            drawn, skipped, skip_reason = outputs.write_plots(staging, args, learning_rate, data,
                                                              table, tested, console.warn)
            written += drawn
            total_seconds = time.perf_counter() - t_start
            metrics = outputs.metrics_summary(
                args, data=data, backend_name=backend_name, learning_rate=learning_rate,
                training=training, tested=tested, table=table, rss_training=rss_training,
                total_seconds=total_seconds, files=written + ["metrics.json"],
                skipped=skipped, skip_reason=skip_reason)
            written.append(outputs.write_metrics(staging, metrics))
    report_end(console, data, training, tested, total_seconds, metrics, outdir, written)
    return metrics
