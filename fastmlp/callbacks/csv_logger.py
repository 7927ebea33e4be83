"""CSVLogger: one CSV row of logs per epoch."""

from __future__ import annotations

import csv
import os
from typing import Any

from .. import distribution
from ..utils.types import PathLike
from .callback import Callback


class CSVLogger(Callback):
    """Write ``epoch`` and the sorted log keys to ``filename`` after every epoch.

    The columns are fixed by the first epoch's logs; a key missing later is
    written as ``NA``. (Keras 3.15 also adds ``val_<key>`` columns, filled
    with ``NA``, when the first epoch has no validation logs; fastmlp does
    not.) The file is flushed after each row and closed when training ends.

    Args:
        filename: the CSV file's path.
        separator: the column separator (default ``","``).
        append: append to an existing file (its header is kept, none is
            written again) instead of overwriting it (the default).

    Raises:
        OSError: the file cannot be opened (raised by ``fit`` when training
            starts).

    Example:
        >>> model = fastmlp.Sequential([fastmlp.Input((2,)), fastmlp.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> x, y = np.ones((8, 2), dtype="float32"), np.zeros((8, 1), dtype="float32")
        >>> _ = model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y),
        ...               callbacks=[fastmlp.callbacks.CSVLogger("training.csv")])
        >>> rows = open("training.csv").read().splitlines()
        >>> rows[0], len(rows)
        ('epoch,loss,val_loss', 3)
    """

    def __init__(self, filename: PathLike, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = append
        self._file: Any = None

    def on_train_begin(self, logs=None):
        if not distribution.is_chief():
            self._file = None  # under a DataParallel distribution only process 0 writes
            return
        exists = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._writer: Any = None
        self._keys: Any = None
        self._header_written = exists

    def on_epoch_end(self, epoch, logs=None):
        if self._file is None:
            return
        logs = logs or {}
        if self._keys is None:
            self._keys = sorted(logs)
            self._writer = csv.DictWriter(self._file, fieldnames=["epoch"] + self._keys,
                                          delimiter=self.separator)
            if not self._header_written:
                self._writer.writeheader()
        self._writer.writerow({"epoch": epoch, **{k: logs.get(k, "NA") for k in self._keys}})
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None
