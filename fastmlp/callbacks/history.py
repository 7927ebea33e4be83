"""History: the per-epoch logs that ``fit`` returns."""

from .callback import Callback


class History(Callback):
    """Records each epoch's logs in ``history`` (a dict of lists) and
    ``epoch`` (the epoch indices)."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        self.model.history = self
