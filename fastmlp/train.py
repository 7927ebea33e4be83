"""``fastmlp-train`` (also ``python -m fastmlp.train``): train the seed MLP on
MNIST or Fashion-MNIST, print the test accuracy, and write the model, its
history, a metrics summary and plots.

With the defaults it runs the first seed program of the API contract::

    model = fastmlp.Sequential([
        fastmlp.layers.Flatten(input_shape=(28, 28)),
        fastmlp.layers.Dense(128, activation="relu"),
        fastmlp.layers.Dropout(0.2),
        fastmlp.layers.Dense(10),
    ])
    model.compile(optimizer="adam",
                  loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x_train / 255, y_train, epochs=5)         # batch size 32

Files written into ``--out`` (each one atomically: a temporary file renamed
into place): ``model.fastmlp``, ``history.json``, ``history.csv``,
``metrics.json`` and, when matplotlib is installed, ``samples.png``,
``curves.png``, ``confusion_matrix.png`` and ``predictions.png``.

Memory: the uint8 images are fed as they are (47 MB for the MNIST training
set, where ``x / 255`` would make a 376 MB float64 copy): the model starts with
``Rescaling(1 / 255)``, and each batch is cast to float32 and scaled as it is
drawn.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import time

PROG = "fastmlp-train"

#: Accepted --dataset values (after lower-casing and '-'/'_' folding) -> canonical name.
DATASETS = {"mnist": "mnist", "fashion_mnist": "fashion_mnist", "mnist_sample": "mnist-sample"}
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
BACKENDS = ("cython", "numpy", "cupy")
PLOTS = ("samples.png", "curves.png", "confusion_matrix.png", "predictions.png")
TITLES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST", "mnist-sample": "MNIST sample"}


class CommandError(Exception):
    """A failure reported as one line on stderr and a non-zero exit status."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


def _first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


# ----------------------------------------------------------------------------- arguments


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit status 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _dataset(text):
    key = text.strip().lower().replace("-", "_")
    if key not in DATASETS:
        raise argparse.ArgumentTypeError(
            f"unknown dataset {text!r}; choose from mnist, fashion_mnist, mnist-sample")
    return DATASETS[key]


def _choice(options, what):
    def parse(text):
        key = text.strip().lower()
        if key not in options:
            raise argparse.ArgumentTypeError(f"unknown {what} {text!r}; choose from {', '.join(options)}")
        return key
    parse.__name__ = what
    return parse


def _hidden(text):
    sizes = []
    for part in text.replace(",", " ").split():
        try:
            size = int(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"hidden layer sizes must be integers, got {part!r}") from None
        if size <= 0:
            raise argparse.ArgumentTypeError(f"hidden layer sizes must be > 0, got {size}")
        sizes.append(size)
    if not sizes:
        raise argparse.ArgumentTypeError("no hidden layer size given")
    return sizes


def build_parser():
    p = _Parser(
        prog=PROG,
        description="Train the Keras seed MLP (Flatten, Dense+ReLU, Dropout, Dense logits) on MNIST "
                    "or Fashion-MNIST; print the test accuracy; write the model, history, metrics "
                    "and plots into --out.",
        epilog="Data: full datasets are looked for in $FASTMLP_DATA/<name>/, the user cache and "
               "/usr/share/datasets, then downloaded (unless FASTMLP_OFFLINE=1). Without full MNIST "
               "the run falls back to the bundled 3,000/1,000-image MNIST sample and says so.",
    )
    p.add_argument("--dataset", type=_dataset, default="mnist", metavar="NAME",
                   help="mnist (default), fashion_mnist or mnist-sample (bundled subset, no download)")
    p.add_argument("--epochs", type=int, default=5, help="training epochs (default 5)")
    p.add_argument("--batch-size", type=int, default=32, help="batch size (default 32)")
    p.add_argument("--optimizer", type=_choice(OPTIMIZERS, "optimizer"), default="adam",
                   metavar="NAME", help="sgd, adam (default), adamw or rmsprop")
    p.add_argument("--learning-rate", type=float, default=None, metavar="LR",
                   help="learning rate (default: the optimizer's own, e.g. 0.001 for adam, 0.01 for sgd)")
    p.add_argument("--hidden", type=_hidden, nargs="+", default=None, metavar="UNITS",
                   help="hidden layer sizes, e.g. --hidden 128 or --hidden 256 128 (default 128)")
    p.add_argument("--dropout", type=float, default=0.2,
                   help="dropout rate after each hidden layer, in [0, 1) (default 0.2; 0 = no Dropout layer)")
    p.add_argument("--backend", type=_choice(BACKENDS, "backend"), default=None, metavar="NAME",
                   help="cython, numpy or cupy (default: the library default, or $FASTMLP_BACKEND)")
    p.add_argument("--seed", type=int, default=0,
                   help="random seed for initialisation, shuffling and dropout (default 0)")
    p.add_argument("--validation-split", type=float, default=0.0, metavar="FRACTION",
                   help="fraction of the training set held out for validation, in [0, 1) (default 0)")
    p.add_argument("--out", default="fastmlp-run", metavar="DIR",
                   help="output directory, created if missing (default ./fastmlp-run)")
    p.add_argument("--no-plots", action="store_true", help="do not write the PNG plots")
    p.add_argument("--quiet", action="store_true", help="no progress bar; print one summary line")
    return p


def parse_args(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    args.hidden = [size for group in (args.hidden or [[128]]) for size in group]
    if args.epochs <= 0:
        parser.error(f"--epochs must be > 0, got {args.epochs}")
    if args.batch_size <= 0:
        parser.error(f"--batch-size must be > 0, got {args.batch_size}")
    if not 0.0 <= args.dropout < 1.0:
        parser.error(f"--dropout must be in [0, 1), got {args.dropout}")
    if not 0.0 <= args.validation_split < 1.0:
        parser.error(f"--validation-split must be in [0, 1), got {args.validation_split}")
    if args.learning_rate is not None and not (args.learning_rate > 0 and args.learning_rate < float("inf")):
        parser.error(f"--learning-rate must be a positive number, got {args.learning_rate}")
    if args.seed < 0:
        parser.error(f"--seed must be >= 0, got {args.seed}")
    if not args.out:
        parser.error("--out must not be empty")
    return args


# ----------------------------------------------------------------------------- data


def load_data(name, warn):
    """``((x_train, y_train), (x_test, y_test)), used, class_names, fallback_reason``."""
    from . import datasets

    if name == "mnist-sample":
        return datasets.mnist_sample.load_data(), "mnist-sample", datasets.mnist_sample.CLASS_NAMES, None
    module = datasets.mnist if name == "mnist" else datasets.fashion_mnist
    try:
        return module.load_data(), name, module.CLASS_NAMES, None
    except (datasets.DatasetNotFoundError, datasets.DownloadError) as exc:
        why = _first_line(exc)
        searched = getattr(exc, "searched", None)
        if searched:
            why = f"{why.rstrip('.')} (last tried: {searched[-1]})"
        if name != "mnist":
            raise CommandError(
                f"{why}; set FASTMLP_DATA to a directory holding a fashion-mnist/ folder with the "
                f"four IDX files, or apt-get install dataset-fashion-mnist") from None
        sample = datasets.mnist_sample
        warn(f"{PROG}: full MNIST is not available: {why}. Training on the bundled MNIST sample "
             f"instead ({sample.N_TRAIN} training / {sample.N_TEST} test images); set FASTMLP_DATA "
             f"to a directory holding mnist/ for the full dataset.")
        return sample.load_data(), "mnist-sample", sample.CLASS_NAMES, why
    except (datasets.ChecksumError, datasets.IDXFormatError, OSError) as exc:
        raise CommandError(f"cannot load {TITLES[name]}: {_first_line(exc)}") from None


# ----------------------------------------------------------------------------- output files


def atomic_write(path, data):
    """Write ``data`` (bytes or str) to ``path`` atomically."""
    from .utils.files import atomic_output

    with atomic_output(path) as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)


def _json(obj):
    return json.dumps(obj, indent=2, allow_nan=False) + "\n"


def history_table(history, seconds):
    """Per-epoch columns: ``epoch`` (1-based), the History keys, ``seconds``."""
    n = len(history.get("loss", seconds))
    table = {"epoch": list(range(1, n + 1))}
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        if key in history:
            table[key] = [float(v) for v in history[key]]
    for key in sorted(history):
        if key not in table:
            table[key] = [float(v) for v in history[key]]
    table["seconds"] = [round(float(s), 4) for s in seconds[:n]]
    return table


def history_csv(table):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    keys = list(table)
    writer.writerow(keys)
    for i in range(len(table["epoch"])):
        writer.writerow([table[k][i] if i < len(table[k]) else "" for k in keys])
    return buf.getvalue()


def peak_rss_mb():
    """Peak resident set size of this process so far, in MB (None where unknown).

    On Linux this is the address space's high-water mark (VmHWM): getrusage's
    ru_maxrss would also count the image of a large parent that forked this
    process before it exec'd Python."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 2**10, 1)
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)


# ----------------------------------------------------------------------------- the run


def _plots_available():
    """Whether the PNG plots can be drawn here (matplotlib importable)."""
    from . import _plots

    return _plots.available() is None


def _epoch_timer():
    from .callbacks import Callback

    class EpochTimer(Callback):
        """Wall-clock seconds of every epoch (training plus validation)."""

        def __init__(self):
            super().__init__()
            self.seconds = []
            self._start = None

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._start)

    return EpochTimer()


def build_model(input_shape, hidden, dropout, num_classes):
    from . import Sequential, layers

    stack = [layers.Flatten(input_shape=tuple(input_shape)), layers.Rescaling(1 / 255)]
    for units in hidden:
        stack.append(layers.Dense(units, activation="relu"))
        if dropout > 0:
            stack.append(layers.Dropout(dropout))
    stack.append(layers.Dense(num_classes))
    return Sequential(stack)


def make_optimizer(name, learning_rate=None):
    from . import optimizers

    optimizer = optimizers.get(name)
    if learning_rate is not None:
        optimizer = type(optimizer)(learning_rate=learning_rate)
    return optimizer


def _select_backend(name):
    from . import backend

    if name is not None:
        try:
            backend.set_backend(name)
        except (ImportError, ValueError, RuntimeError) as exc:
            raise CommandError(f"backend {name!r} cannot run here: {_first_line(exc)}") from None
    try:
        return backend.backend()
    except (ImportError, ValueError, RuntimeError) as exc:
        raise CommandError(f"no usable backend: {_first_line(exc)}") from None


def run(args, out=None, err=None):
    """Train and write everything; returns the metrics dict. Raises CommandError."""
    import numpy as np

    import fastmlp
    from . import losses
    from .utils import set_random_seed

    out = out or sys.stdout
    err = err or sys.stderr
    t_start = time.perf_counter()

    def say(text):
        if not args.quiet:
            print(text, file=out, flush=True)

    def warn(text):
        print(text, file=err, flush=True)

    outdir = args.out
    try:
        os.makedirs(outdir, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"cannot create output directory {outdir!r}: {_first_line(exc)}") from None
    if not os.path.isdir(outdir):
        raise CommandError(f"--out {outdir!r} is not a directory")

    backend_name = _select_backend(args.backend)

    data, used, class_names, fallback = load_data(args.dataset, warn)
    (x_train_raw, y_train), (x_test_raw, y_test) = data
    del data
    num_classes = len(class_names)
    # The plots need the first training images; the model takes the uint8
    # pixels as they are (its Rescaling layer scales each batch).
    sample_images = np.array(x_train_raw[:25])
    sample_labels = np.array(y_train[:25])
    x_train, x_test = x_train_raw, x_test_raw

    n_total = len(x_train)
    n_val = n_total - int(n_total * (1.0 - args.validation_split)) if args.validation_split else 0
    if args.validation_split and (n_val == 0 or n_val == n_total):
        raise CommandError(f"--validation-split {args.validation_split} leaves no training or no "
                           f"validation images out of {n_total}")

    set_random_seed(args.seed)
    model = build_model(x_train.shape[1:], args.hidden, args.dropout, num_classes)
    optimizer = make_optimizer(args.optimizer, args.learning_rate)
    learning_rate = float(optimizer.learning_rate)
    model.compile(optimizer=optimizer,
                  loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])

    kind = "sample" if used == "mnist-sample" else "full"
    say(f"{TITLES[used]} ({kind} dataset): {n_total - n_val} training, {n_val} validation, {len(x_test)} test "
        f"images | hidden {args.hidden}, dropout {args.dropout:g} | {args.optimizer} lr={learning_rate:g} | "
        f"batch {args.batch_size}, {args.epochs} epochs | backend {backend_name} | seed {args.seed}")

    timer = _epoch_timer()
    t_fit = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                        verbose=0 if args.quiet else 1, validation_split=args.validation_split,
                        callbacks=[timer])
    fit_seconds = time.perf_counter() - t_fit
    del x_train
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=args.batch_size, verbose=0)
    logits = model.predict(x_test, batch_size=args.batch_size, verbose=0)
    del x_test
    y_pred = np.argmax(logits, axis=1)
    shifted = logits - logits.max(axis=1, keepdims=True)
    confidence = 1.0 / np.exp(shifted).sum(axis=1)  # softmax probability of the predicted class
    del logits, shifted
    y_true = np.asarray(y_test).astype(np.int64)
    confusion = np.bincount(y_true * num_classes + y_pred, minlength=num_classes ** 2)
    confusion = confusion.reshape(num_classes, num_classes)
    seconds = list(timer.seconds)
    mean_seconds = float(np.mean(seconds)) if seconds else 0.0
    rss_training = peak_rss_mb()

    say(f"Test loss: {test_loss:.4f}")
    say(f"Test accuracy: {test_accuracy:.4f}")
    say(f"Seconds per epoch: {mean_seconds:.2f} (" + ", ".join(f"{s:.2f}" for s in seconds) + ")")

    # ---- files
    model.save(os.path.join(outdir, "model.fastmlp"))
    table = history_table(history.history, seconds)
    atomic_write(os.path.join(outdir, "history.json"), _json(table))
    atomic_write(os.path.join(outdir, "history.csv"), history_csv(table))

    written = ["model.fastmlp", "history.json", "history.csv"]
    skipped, skip_reason = [], None
    if args.no_plots:
        skipped, skip_reason = list(PLOTS), "--no-plots"
    else:
        from . import _plots

        missing = _plots.available()
        if missing is not None:
            skipped, skip_reason = list(PLOTS), f"matplotlib unavailable ({missing}; pip install matplotlib)"
            warn(f"{PROG}: skipped plots {', '.join(PLOTS)}: {skip_reason}")
        else:
            title = f"{TITLES[used]}"
            figures = {
                "samples.png": lambda: _plots.samples(
                    sample_images, sample_labels, class_names,
                    title=f"{title}: first {len(sample_images)} training images"),
                "curves.png": lambda: _plots.curves(
                    table, test_loss, test_accuracy,
                    title=f"{title}: hidden {args.hidden}, dropout {args.dropout:g}, {args.optimizer} "
                          f"lr={learning_rate:g}, batch {args.batch_size}"),
                "confusion_matrix.png": lambda: _plots.confusion_matrix(
                    confusion, class_names,
                    title=f"{title} test set: accuracy {test_accuracy:.2%} (n={len(y_true)})"),
                "predictions.png": lambda: _plots.predictions(
                    x_test_raw, y_true, y_pred, class_names, confidence,
                    title=f"{title} test images: predicted (true), test index, confidence; "
                          f"wrong in red"),
            }
            for name, draw in figures.items():
                atomic_write(os.path.join(outdir, name), draw())
                written.append(name)

    total_seconds = time.perf_counter() - t_start
    metrics = {
        "dataset": args.dataset,
        "dataset_used": used,
        "data": kind,
        "fallback_reason": fallback,
        "n_train": n_total - n_val,
        "n_val": n_val,
        "n_test": int(len(y_true)),
        "epochs": args.epochs,
        "epochs_run": len(seconds),
        "batch_size": args.batch_size,
        "optimizer": args.optimizer,
        "learning_rate": learning_rate,
        "hidden": list(args.hidden),
        "dropout": args.dropout,
        "backend": backend_name,
        "seed": args.seed,
        "validation_split": args.validation_split,
        "test_loss": float(test_loss),
        "test_accuracy": float(test_accuracy),
        "final": {k: v[-1] for k, v in table.items() if k not in ("epoch", "seconds") and v},
        "seconds_per_epoch": [round(s, 4) for s in seconds],
        "mean_seconds_per_epoch": round(mean_seconds, 4),
        "fit_seconds": round(fit_seconds, 4),
        "total_seconds": round(total_seconds, 4),
        "peak_rss_mb_training": rss_training,
        "peak_rss_mb": peak_rss_mb(),
        "confusion_matrix": confusion.tolist(),
        "class_names": list(class_names),
        "files": written + ["metrics.json"],
        "plots_skipped": skipped,
        "plots_skipped_reason": skip_reason,
        "fastmlp_version": fastmlp.__version__,
        "command": [PROG] + list(args.argv) if getattr(args, "argv", None) is not None else None,
    }
    atomic_write(os.path.join(outdir, "metrics.json"), _json(metrics))
    written.append("metrics.json")

    if args.quiet:
        print(f"test_accuracy={test_accuracy:.4f} test_loss={test_loss:.4f} "
              f"seconds_per_epoch={mean_seconds:.2f} dataset={used} out={outdir}", file=out, flush=True)
    else:
        say(f"Total: {total_seconds:.1f} s, peak RSS {metrics['peak_rss_mb']} MB")
        say(f"Wrote {', '.join(written)} to {outdir}")
    return metrics


def main(argv=None):
    """Entry point of ``fastmlp-train``; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed
        return exc.code if isinstance(exc.code, int) else 2
    args.argv = argv
    from . import backend

    previous = backend._current
    try:
        run(args)
    except CommandError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr, flush=True)
        return exc.status
    except KeyboardInterrupt:
        print(f"\n{PROG}: interrupted", file=sys.stderr, flush=True)
        return 130
    except (OSError, MemoryError) as exc:
        print(f"{PROG}: error: {type(exc).__name__}: {_first_line(exc)}", file=sys.stderr, flush=True)
        return 1
    finally:
        # In-process callers (tests) get their backend choice back.
        if args.backend is not None and backend._current != previous:
            if previous is None:
                backend._current = None
            else:
                backend.set_backend(previous)
    return 0


if __name__ == "__main__":
    sys.exit(main())
