"""Callbacks that steer training: LearningRateScheduler, ReduceLROnPlateau,
TerminateOnNaN."""

from __future__ import annotations

import math
from typing import Any, Callable

from .callback import Callback
from .monitor_callback import MonitorCallback


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to
    ``schedule(epoch, current_lr)`` (or ``schedule(epoch)``).

    The rate in use is logged as ``learning_rate`` at the end of each epoch,
    as in Keras.

    Args:
        schedule: a function of ``(epoch, learning_rate)`` (the epoch index
            from 0 and the current rate) or of ``epoch`` alone, returning
            the new rate as a number.
        verbose: 1 prints each new rate; 0 (the default) prints nothing.

    Raises:
        ValueError: the schedule returns a non-finite rate (or a string that
            is not a number), raised by ``fit`` at that epoch's start.
        TypeError: the schedule returns something that is not a number.

    Example:
        >>> model = fastmlp.Sequential([fastmlp.Input((2,)), fastmlp.layers.Dense(1)])
        >>> model.compile(optimizer=fastmlp.optimizers.SGD(learning_rate=0.5), loss="mse")
        >>> x, y = np.ones((8, 2), dtype="float32"), np.zeros((8, 1), dtype="float32")
        >>> halve = fastmlp.callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch == 0 else lr / 2)
        >>> model.fit(x, y, epochs=3, verbose=0, callbacks=[halve]).history["learning_rate"]
        [0.5, 0.25, 0.125]
    """

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        current = self.model.optimizer.learning_rate
        try:
            new = self.schedule(epoch, current)
        except TypeError:  # a one-argument schedule
            new = self.schedule(epoch)
        new = float(new)
        if not math.isfinite(new):
            raise ValueError(f"the learning-rate schedule returned {new} at epoch {epoch}")
        self.model.optimizer.learning_rate = new
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {new}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` after ``patience`` epochs
    without improvement of ``monitor``, down to ``min_lr``.

    The rate in use during each epoch is logged as ``learning_rate``, as in
    Keras (a reduction at the end of an epoch shows from the next one).

    Args:
        monitor: the log value to watch (default ``"val_loss"``).
        factor: the multiplier of the rate, below 1 (default 0.1).
        patience: epochs without improvement before a reduction (default 10).
        verbose: 1 prints each reduction; 0 (the default) prints nothing.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (see EarlyStopping).
        min_delta: the smallest change that counts as an improvement
            (default 1e-4).
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the rate is never reduced below this (default 0).
        **kwargs: refused (Keras 2's ``epsilon`` is ``min_delta``).

    Raises:
        ValueError: ``factor >= 1``, or a bad ``mode``.
        TypeError: any other keyword argument.

    Example:
        >>> model = fastmlp.Sequential([fastmlp.Input((2,)), fastmlp.layers.Dense(1)])
        >>> model.compile(optimizer=fastmlp.optimizers.SGD(learning_rate=1.0), loss="mse")
        >>> x, y = np.zeros((8, 2), dtype="float32"), np.zeros((8, 1), dtype="float32")
        >>> reduce = fastmlp.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
        >>> model.fit(x, y, epochs=4, verbose=0, callbacks=[reduce]).history["learning_rate"]
        [1.0, 1.0, 0.5, 0.25]
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0,
                 **kwargs: Any) -> None:
        if kwargs:
            raise TypeError(f"unexpected argument(s): {', '.join(sorted(kwargs))}")
        super().__init__(monitor=monitor, mode=mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau needs factor < 1, got {factor}")
        self.factor, self.patience = float(factor), patience
        self.verbose, self.cooldown = verbose, cooldown
        self.min_lr = float(min_lr)

    def on_train_begin(self, logs=None):
        self.best = None
        self.wait = 0
        self.cooldown_counter = 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)
        current = logs.get(self.monitor)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = float(self.model.optimizer.learning_rate)
                if old > self.min_lr:
                    new = max(old * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


class TerminateOnNaN(Callback):
    """Stop training as soon as the loss becomes NaN or infinite.

    Checked after each training batch (each call of the compiled step, see
    ``compile``'s ``steps_per_execution``); the epoch stops there.

    Raises:
        Nothing: it takes no arguments and only sets ``model.stop_training``.

    Example:
        >>> callback = fastmlp.callbacks.TerminateOnNaN()
        >>> model = fastmlp.Sequential([fastmlp.Input((2,)), fastmlp.layers.Dense(1)])
        >>> callback.set_model(model)
        >>> callback.on_train_batch_end(0, {"loss": float("nan")})
        Batch 0: Invalid loss, terminating training
        >>> model.stop_training
        True
    """

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
