"""Small rules of the training loop: the default batch size, verbosity,
optional step counts, validation_freq, and Ctrl-C that waits for the current
step."""

import signal
import threading

from ..utils.validation import check_positive_int


#: Keras's batch size when none is given (fit, evaluate, predict).
DEFAULT_BATCH_SIZE = 32


def optional_steps(value, what):
    """``value`` (a step count) checked as a positive int, or None."""
    return None if value is None else check_positive_int(value, what)


def verbosity(verbose: int | str) -> int:
    """``verbose`` as 0, 1 or 2 (``"auto"`` is 1)."""
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return verbose


def validation_epochs(validation_freq):
    """A predicate ``due(epoch)`` (0-based) from ``validation_freq``: an int N
    (every N-th epoch) or a collection of 1-based epoch numbers, as Keras."""
    if isinstance(validation_freq, (list, tuple, set, frozenset, range)):
        epochs = {check_positive_int(e, "validation_freq's epochs") for e in validation_freq}
        return lambda epoch: epoch + 1 in epochs
    freq = check_positive_int(validation_freq, "validation_freq")
    return lambda epoch: (epoch + 1) % freq == 0


class DeferredInterrupt:
    """Ctrl-C during ``fit`` lets the current step finish, so the weights and
    the optimizer state stay consistent; a second Ctrl-C interrupts at once."""

    def __init__(self):
        self.hit = False
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def _handler(self, signum, frame):
        if self.hit:
            signal.signal(signal.SIGINT, self._previous)
            raise KeyboardInterrupt
        self.hit = True

    def __exit__(self, *exc_info):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False
