"""The base of callbacks that watch one logged value (EarlyStopping,
ModelCheckpoint, ReduceLROnPlateau): which direction is better, and whether a
new value improves on the best so far."""

from .callback import Callback


def monitor_mode(monitor, mode):
    """``"min"`` or ``"max"``; ``mode="auto"`` guesses as Keras does (values
    whose name mentions accuracy or AUC are maximised, the rest minimised).

    Raises:
        ValueError: for a mode other than ``"auto"``, ``"min"`` or ``"max"``.
    """
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    return "max" if ("acc" in monitor or monitor.endswith("auc")) else "min"


class MonitorCallback(Callback):
    """A callback that follows ``monitor`` in the epoch logs: the base of
    EarlyStopping, ModelCheckpoint and ReduceLROnPlateau.

    Args:
        monitor: the log key (default ``"val_loss"``).
        mode: ``"min"``, ``"max"`` or ``"auto"`` (the default: ``"max"`` for
            names containing ``acc`` or ending in ``auc``, as Keras guesses,
            else ``"min"``).
        min_delta: the smallest change that counts as an improvement (its
            absolute value is used; default 0).

    Raises:
        ValueError: a ``mode`` other than ``"auto"``, ``"min"`` or ``"max"``.

    Example:
        >>> fastmlp.callbacks.MonitorCallback(monitor="val_accuracy").mode
        'max'
        >>> fastmlp.callbacks.MonitorCallback(monitor="val_loss").mode
        'min'
    """

    def __init__(self, monitor="val_loss", mode="auto", min_delta=0):
        super().__init__()
        self.monitor = monitor
        self.mode = monitor_mode(monitor, mode)
        self.min_delta = abs(min_delta)

    def _is_improvement(self, current, reference):
        """Whether ``current`` beats ``reference`` by more than ``min_delta``
        (anything beats ``None``: nothing seen yet)."""
        if reference is None:
            return True
        if self.mode == "min":
            return current < reference - self.min_delta
        return current > reference + self.min_delta
