"""ProgbarLogger: the progress bar of ``fit`` and ``evaluate`` as a callback."""

from __future__ import annotations

from .. import distribution
from ..utils.progbar import Progbar, log_progbar
from .callback import Callback


class ProgbarLogger(Callback):
    """Prints ``Epoch i/n`` and Keras's progress bar (verbose 1) or one line
    per epoch (verbose 2). ``fit`` adds one by itself when ``verbose`` is not 0.

    Args:
        verbose: 1 (a bar, the default) or 2 (one line per epoch).

    Raises:
        ValueError: a ``verbose`` other than 0, 1 or 2 (raised by ``fit``
            when the first epoch starts).

    Example:
        >>> model = fastmlp.Sequential([fastmlp.Input((2,)), fastmlp.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> x, y = np.ones((8, 2), dtype="float32"), np.zeros((8, 1), dtype="float32")
        >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[fastmlp.callbacks.ProgbarLogger(verbose=2)])
        Epoch 1/2
        1/1 - ... - loss: ...
        Epoch 2/2
        1/1 - ... - loss: ...
    """

    pulls_logs = True  # asks the model for the running values only when it draws

    def __init__(self, verbose: int = 1) -> None:
        super().__init__()
        self.verbose = verbose
        self._bar: Progbar | None = None
        self._step = 0

    def on_epoch_begin(self, epoch, logs=None):
        if not distribution.is_chief():
            return  # under a DataParallel distribution only process 0 prints
        print(f"Epoch {epoch + 1}/{self.params['epochs']}", flush=True)
        steps = self.params.get("steps")
        # Steps unknown (a generator's first pass): only the epoch's last line is drawn.
        self._bar = log_progbar(steps, self.verbose) if steps else None
        self._step = 0

    def on_train_batch_end(self, batch, logs=None):
        self._step = batch + 1
        if self._bar is not None and self._bar.due():
            self._bar.update(self._step, logs if logs is not None else self.model._logs(), finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        if not distribution.is_chief():
            return
        if self._bar is None:
            self._bar = log_progbar(max(self._step, 1), self.verbose)
        self._bar.update(self._step, logs, finalize=True)
