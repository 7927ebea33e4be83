"""BackupAndRestore: resume training where an interrupted ``fit`` stopped."""

from __future__ import annotations

import json
import os
import shutil

from .. import distribution
from ..utils.files import atomic_output
from ..utils.types import PathLike
from .callback import Callback
from .model_checkpoint import BatchCounter, check_save_freq


class BackupAndRestore(Callback):
    """Back the weights and the epoch count up to ``backup_dir`` during
    training; a later ``fit`` with the same ``backup_dir`` loads them and
    starts at the epoch after the last one backed up, as Keras's callback.

    The backup is ``latest.weights.h5`` (in fastmlp's format) and
    ``training_metadata.json``; it survives a ``fit`` that fails (an
    exception, Ctrl-C) and is deleted when ``fit`` completes, unless
    ``delete_checkpoint=False``.

    Args:
        backup_dir: the folder for the backup (created if missing).
        save_freq: ``"epoch"`` or an integer number of batches.
        double_checkpoint: accepted for Keras compatibility (fastmlp writes
            each file atomically, so a crash mid-save leaves the last backup).
        delete_checkpoint: delete the backup when training completes.

    Raises:
        ValueError: an empty ``backup_dir``, a ``save_freq`` that is not
            ``"epoch"`` or a positive integer, or (when training starts) a
            model that is not built.

    Example:
        >>> import os
        >>> model = fastmlp.Sequential([fastmlp.Input((2,)), fastmlp.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> x, y = np.ones((8, 2), dtype="float32"), np.zeros((8, 1), dtype="float32")
        >>> class Interrupt(fastmlp.callbacks.Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         if epoch == 1:
        ...             raise RuntimeError("interrupted")
        >>> backup = fastmlp.callbacks.BackupAndRestore("backup")
        >>> model.fit(x, y, epochs=4, verbose=0, callbacks=[backup, Interrupt()])
        Traceback (most recent call last):
        RuntimeError: interrupted
        >>> sorted(os.listdir("backup"))
        ['latest.weights.h5', 'training_metadata.json']
        >>> model.fit(x, y, epochs=4, verbose=0, callbacks=[backup]).epoch
        [2, 3]
        >>> os.path.exists("backup")
        False
    """

    def __init__(self, backup_dir: PathLike, save_freq: str | int = "epoch", double_checkpoint: bool = False,
                 delete_checkpoint: bool = True) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = check_save_freq(save_freq)
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._counter = BatchCounter(self.save_freq)
        self._current_epoch = 0
        self._last_batch = 0

    def on_train_begin(self, logs=None):
        if not self.model.built:
            raise ValueError("To use the BackupAndRestore callback, your model must be built before "
                             "you call fit(): call model.build(input_shape) or give it an Input")
        if os.path.exists(self._weights_path):
            self.model.load_weights(self._weights_path)
        if os.path.exists(self._metadata_path):
            with open(self._metadata_path, encoding="utf-8") as f:
                epoch = int(json.load(f)["epoch"])
            self.model._initial_epoch = epoch
            self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch = 0
        if self.save_freq == "epoch":
            self._save()

    def on_train_batch_end(self, batch, logs=None):
        if self._counter.due(batch):
            self._last_batch = batch
            self._save()

    def _save(self):
        if not distribution.is_chief():
            return  # under a DataParallel distribution only process 0 writes (every process restores)
        os.makedirs(self.backup_dir, exist_ok=True)
        self.model.save_weights(self._weights_path, overwrite=True)
        with atomic_output(self._metadata_path) as f:
            f.write(json.dumps({"epoch": self._current_epoch, "batch": self._last_batch}).encode())

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and distribution.is_chief() and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)
