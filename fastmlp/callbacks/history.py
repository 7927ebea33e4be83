"""History: the per-epoch logs that ``fit`` returns."""

from __future__ import annotations

from typing import Any

from .callback import Callback


class History(Callback):
    """Records each epoch's logs in ``history`` (a dict of lists) and
    ``epoch`` (the epoch indices).

    ``fit`` adds one by itself, sets it as ``model.history`` and returns it.
    A ``fit`` resumed at ``initial_epoch`` records from that epoch on.

    Raises:
        Nothing: the constructor takes no input.

    Example:
        >>> model = fastmlp.Sequential([fastmlp.Input((2,)), fastmlp.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> x, y = np.ones((8, 2), dtype="float32"), np.zeros((8, 1), dtype="float32")
        >>> history = model.fit(x, y, epochs=3, verbose=0)
        >>> history.epoch, sorted(history.history), len(history.history["loss"])
        ([0, 1, 2], ['loss'], 3)
        >>> model.history is history
        True
    """

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
