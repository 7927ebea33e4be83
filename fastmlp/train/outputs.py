"""The files a run writes into ``--out``, each one atomically (a temporary file
renamed into place): ``model.fastmlp``, ``history.json``, ``history.csv``, the
PNG plots (when matplotlib is installed and ``--no-plots`` is not given) and
``metrics.json``, the run's summary."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from typing import Any

import numpy as np

from ..utils.files import atomic_output
from ..version import __version__
from . import plots
from .errors import PROG

#: The plot files, in the order they are drawn.
PLOTS = ("samples.png", "curves.png", "confusion_matrix.png", "predictions.png")


def atomic_write(path, data):
    """Write ``data`` (bytes or str) to ``path`` atomically."""
    with atomic_output(path) as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)


def _json(obj):
    return json.dumps(obj, indent=2, allow_nan=False) + "\n"


def history_table(history, seconds):
    """Per-epoch columns: ``epoch`` (1-based), the History keys, ``seconds``."""
    n = len(history.get("loss", seconds))
    table: dict[str, list[Any]] = {"epoch": list(range(1, n + 1))}
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


def write_model_and_history(outdir, model, history, seconds):
    """Write ``model.fastmlp``, ``history.json`` and ``history.csv``; returns the
    history table (see ``history_table``) and the names written."""
    model.save(os.path.join(outdir, "model.fastmlp"))
    table = history_table(history, seconds)
    atomic_write(os.path.join(outdir, "history.json"), _json(table))
    atomic_write(os.path.join(outdir, "history.csv"), history_csv(table))
    return table, ["model.fastmlp", "history.json", "history.csv"]


def write_plots(outdir, args, learning_rate, data, table, tested, warn):
    """Draw and write the PNG plots; returns ``(written, skipped, skip_reason)``.

    Skipped, all of them, with ``--no-plots`` or (said through ``warn``) when
    matplotlib is unavailable."""
    if args.no_plots:
        return [], list(PLOTS), "--no-plots"
    missing = plots.available()
    if missing is not None:
        skip_reason = f"matplotlib unavailable ({missing}; pip install matplotlib)"
        warn(f"{PROG}: skipped plots {', '.join(PLOTS)}: {skip_reason}")
        return [], list(PLOTS), skip_reason
    # The first training images, as the model takes them (uint8 pixels).
    sample_images = np.array(data.x_train[:25])
    sample_labels = np.array(data.y_train[:25])
    title = data.title
    figures = {
        "samples.png": lambda: plots.samples(
            sample_images, sample_labels, data.class_names,
            title=f"{title}: first {len(sample_images)} training images"),
        "curves.png": lambda: plots.curves(
            table, tested.loss, tested.accuracy,
            title=f"{title}: hidden {args.hidden}, dropout {args.dropout:g}, {args.optimizer} "
                  f"lr={learning_rate:g}, batch {args.batch_size}"),
        "confusion_matrix.png": lambda: plots.confusion_matrix(
            tested.confusion, data.class_names,
            title=f"{title} test set: accuracy {tested.accuracy:.2%} (n={len(tested.y_true)})"),
        "predictions.png": lambda: plots.predictions(
            data.x_test, tested.y_true, tested.y_pred, data.class_names, tested.confidence,
            title=f"{title} test images: predicted (true), test index, confidence; "
                  f"wrong in red"),
    }
    written = []
    for name, draw in figures.items():
        atomic_write(os.path.join(outdir, name), draw())
        written.append(name)
    return written, [], None


def metrics_summary(args, *, data, backend_name, learning_rate, training, tested, table,
                    rss_training, total_seconds, files, skipped, skip_reason):
    """The contents of ``metrics.json``: the run's settings, data, results,
    timings, memory and files."""
    return {
        "dataset": args.dataset,
        "dataset_used": data.used,
        "data": data.kind,
        "fallback_reason": data.fallback,
        "n_train": data.n_train,
        "n_val": data.n_val,
        "n_test": int(len(tested.y_true)),
        "epochs": args.epochs,
        "epochs_run": len(training.seconds),
        "batch_size": args.batch_size,
        "optimizer": args.optimizer,
        "learning_rate": learning_rate,
        "hidden": list(args.hidden),
        "dropout": args.dropout,
        "backend": backend_name,
        "seed": args.seed,
        "validation_split": args.validation_split,
        "test_loss": float(tested.loss),
        "test_accuracy": float(tested.accuracy),
        "final": {k: v[-1] for k, v in table.items() if k not in ("epoch", "seconds") and v},
        "seconds_per_epoch": [round(s, 4) for s in training.seconds],
        "mean_seconds_per_epoch": round(training.mean_seconds, 4),
        "fit_seconds": round(training.fit_seconds, 4),
        "total_seconds": round(total_seconds, 4),
        "peak_rss_mb_training": rss_training,
        "peak_rss_mb": peak_rss_mb(),
        "confusion_matrix": tested.confusion.tolist(),
        "class_names": list(data.class_names),
        "files": files,
        "plots_skipped": skipped,
        "plots_skipped_reason": skip_reason,
        "fastmlp_version": __version__,
        "command": [PROG] + list(args.argv) if getattr(args, "argv", None) is not None else None,
    }


def write_metrics(outdir, metrics):
    """Write ``metrics.json``; returns its name."""
    atomic_write(os.path.join(outdir, "metrics.json"), _json(metrics))
    return "metrics.json"
