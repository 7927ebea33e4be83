"""EarlyStopping: stop when a monitored value stops improving."""

from __future__ import annotations

import warnings

from .monitor_callback import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stop training after ``patience`` epochs without an improvement of at
    least ``min_delta`` in ``monitor``; optionally restore the best weights.

    As in Keras, training never stops after the first epoch, and an epoch
    whose logs lack ``monitor`` is skipped with a warning.

    Args:
        monitor: the log value to watch (default ``"val_loss"``).
        min_delta: the smallest change that counts as an improvement (its
            absolute value is used).
        patience: epochs without improvement before stopping (default 0:
            the first epoch that does not improve stops training).
        verbose: 1 prints a line when training stops or weights are
            restored; 0 (the default) prints nothing.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (the default: ``"max"``
            for names containing ``acc`` or ending in ``auc``, else ``"min"``).
        baseline: a value ``monitor`` must beat first (None: any).
        restore_best_weights: at the end of training, restore the weights of
            the best epoch (if one improved on ``baseline``).
        start_from_epoch: epochs to wait before watching (warm-up).

    Raises:
        ValueError: a ``mode`` other than ``"auto"``, ``"min"`` or ``"max"``.

    Example:
        >>> model = fastmlp.Sequential([fastmlp.Input((2,)), fastmlp.layers.Dense(1)])
        >>> model.compile(optimizer=fastmlp.optimizers.SGD(learning_rate=0.0), loss="mse")
        >>> x, y = np.ones((8, 2), dtype="float32"), np.ones((8, 1), dtype="float32")
        >>> stop = fastmlp.callbacks.EarlyStopping(monitor="loss", patience=2)
        >>> model.fit(x, y, epochs=10, verbose=0, callbacks=[stop]).epoch
        [0, 1, 2]
        >>> stop.stopped_epoch
        2
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0, verbose: int = 0,
                 mode: str = "auto", baseline: float | None = None, restore_best_weights: bool = False,
                 start_from_epoch: int = 0) -> None:
        super().__init__(monitor=monitor, mode=mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = self.baseline
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"EarlyStopping: '{self.monitor}' is not in the logs "
                          f"(available: {', '.join(logs or {})})", RuntimeWarning, stacklevel=2)
            return
        if epoch < self.start_from_epoch:
            return
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)
