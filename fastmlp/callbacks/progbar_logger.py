"""ProgbarLogger: the progress bar of ``fit`` and ``evaluate`` as a callback."""

from ..utils.progbar import Progbar
from .callback import Callback


class ProgbarLogger(Callback):
    """Prints ``Epoch i/n`` and Keras's progress bar (verbose 1) or one line
    per epoch (verbose 2)."""

    pulls_logs = True  # asks the model for the running values only when it draws

    def __init__(self, verbose=1):
        super().__init__()
        self.verbose = verbose
        self._bar = None

    def on_epoch_begin(self, epoch, logs=None):
        print(f"Epoch {epoch + 1}/{self.params['epochs']}", flush=True)
        self._bar = Progbar(self.params["steps"], verbose=self.verbose)
        self._step = 0

    def on_train_batch_end(self, batch, logs=None):
        self._step = batch + 1
        if self._bar.due():
            self._bar.update(self._step, logs if logs is not None else self.model._logs(), finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        self._bar.update(self._step, logs, finalize=True)
