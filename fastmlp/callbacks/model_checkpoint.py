"""ModelCheckpoint: save the model (or its weights) during training."""

from __future__ import annotations

import os
import warnings

import numpy as np

from .. import distribution
from ..utils.types import PathLike
from .monitor_callback import MonitorCallback


def check_save_freq(save_freq):
    """``"epoch"`` or a positive number of batches (Keras's rule)."""
    if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, (int, np.integer))
                                 or save_freq <= 0):
        raise ValueError(f"Unrecognized save_freq: {save_freq!r}. Expected save_freq are 'epoch' or "
                         "positive integer values")
    return save_freq if save_freq == "epoch" else int(save_freq)


class BatchCounter:
    """Counts training batches across epochs, as Keras's checkpoint callbacks
    do, and says when ``save_freq`` of them have passed since the last save."""

    def __init__(self, save_freq):
        self.save_freq = save_freq
        self.since_last = 0
        self.last_batch = -1

    def due(self, batch):
        if self.save_freq == "epoch":
            return False
        self.since_last += batch + 1 if batch <= self.last_batch else batch - self.last_batch
        self.last_batch = batch
        if self.since_last >= self.save_freq:
            self.since_last = 0
            return True
        return False


class ModelCheckpoint(MonitorCallback):
    """Save to ``filepath`` after each epoch, or every ``save_freq`` batches.

    ``filepath`` may name fields of the logs and ``epoch`` (and ``batch`` with
    an integer ``save_freq``): ``"ckpt-{epoch:02d}-{val_loss:.2f}.keras"``.
    Keras's names (``.keras``, ``.weights.h5``, ``cp.ckpt``) are accepted as
    they are and hold fastmlp's format; missing parent folders are created.

    Args:
        filepath: where to save, a path or a format string as above.
        monitor: the log value ``save_best_only`` follows (default
            ``"val_loss"``).
        verbose: 1 prints a line at each save (or skipped save); 0 (the
            default) prints nothing.
        save_best_only: save only when ``monitor`` improves on the best so far.
        save_weights_only: ``save_weights`` instead of ``save``.
        mode: ``"auto"``, ``"min"`` or ``"max"`` (see MonitorCallback).
        save_freq: ``"epoch"`` or an integer number of batches.
        initial_value_threshold: the value ``monitor`` must beat first.

    Raises:
        ValueError: a ``save_freq`` that is not ``"epoch"`` or a positive
            integer, or a bad ``mode``.
        KeyError: ``filepath`` names a field the logs lack (raised by
            ``fit`` at the first save).

    Example:
        >>> import os
        >>> model = fastmlp.Sequential([fastmlp.Input((2,)), fastmlp.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> x, y = np.ones((8, 2), dtype="float32"), np.zeros((8, 1), dtype="float32")
        >>> checkpoint = fastmlp.callbacks.ModelCheckpoint("ckpt/model-{epoch:02d}.keras")
        >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[checkpoint])
        >>> sorted(os.listdir("ckpt"))
        ['model-01.keras', 'model-02.keras']
        >>> fastmlp.models.load_model("ckpt/model-02.keras").count_params()
        3
    """

    def __init__(self, filepath: PathLike, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False, mode: str = "auto",
                 save_freq: str | int = "epoch", initial_value_threshold: float | None = None) -> None:
        super().__init__(monitor=monitor, mode=mode)
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = check_save_freq(save_freq)
        self.best = initial_value_threshold
        self._counter = BatchCounter(self.save_freq)
        self._current_epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._counter.due(batch):
            self._save(self._current_epoch, batch, logs if logs is not None else self.model._logs())

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _path(self, epoch, batch, logs):
        if batch is None or "batch" in logs:
            return self.filepath.format(epoch=epoch + 1, **logs)
        return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)

    def _save(self, epoch, batch, logs):
        if not distribution.is_chief():
            return  # under a DataParallel distribution only process 0 writes (and reports)
        logs = logs or {}
        path = self._path(epoch, batch, logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"Can save best model only with {self.monitor} available, skipping "
                              f"(available: {', '.join(logs)})", RuntimeWarning, stacklevel=3)
                return
            if np.isnan(current):
                return
            if not self._is_improvement(current, self.best):
                if self.verbose > 0:
                    best = "inf" if self.best is None else f"{self.best:.5f}"
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
                return
            if self.verbose > 0:
                previous = ("inf" if self.mode == "min" else "-inf") if self.best is None else f"{self.best:.5f}"
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {previous} to {current:.5f}, "
                      f"saving model to {path}")
            self.best = current
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)
