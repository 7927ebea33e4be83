"""History: the per-epoch logs that ``fit`` returns."""

from __future__ import annotations

from typing import Any

from .callback import Callback


class History(Callback):
    """Records each epoch's logs in ``history`` (a dict of lists) and
    ``epoch`` (the epoch indices)."""

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[Any]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        self.model.history = self
