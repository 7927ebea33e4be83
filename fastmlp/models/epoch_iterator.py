"""EpochIterator: the steps of each epoch over a data adapter, as Keras's
``trainers/epoch_iterator.py``: with ``steps_per_epoch`` an epoch takes that
many batches and the next epoch goes on where it stopped; an error from the
data names the batch it happened at."""

import warnings

RAN_OUT = ("Your input ran out of data; interrupting training. Make sure that your dataset or "
           "generator can generate at least `steps_per_epoch * epochs` batches.")


def _named(exc, what, step):
    """``exc`` as an exception whose message names the data and the batch."""
    message = f"{what}: batch {step} failed: {type(exc).__name__}: {exc}"
    if isinstance(exc, (ValueError, TypeError)) and f"batch {step}" in str(exc):
        return exc  # a check that already names the batch
    if isinstance(exc, (ValueError, TypeError)):
        try:
            return type(exc)(message)
        except Exception:  # noqa: BLE001 - a subclass with another signature
            return ValueError(message)
    return RuntimeError(message)


class EpochIterator:
    """Epochs of ``(step, (x, y, w))`` over ``adapter``.

    Args:
        adapter: a data adapter (``fastmlp.models.data_adapters``).
        steps_per_epoch: batches per epoch, or None for one pass over the data.
        what: the data's name in messages.
    """

    def __init__(self, adapter, steps_per_epoch=None, what="the training data"):
        self.adapter = adapter
        self.steps_per_epoch = steps_per_epoch
        self.what = what
        self._iterator = None
        self._seen = 0
        self.exhausted = False  # a one-shot iterator that has nothing left

    @property
    def num_batches(self):
        """Steps per epoch, or None while unknown (a generator's first pass)."""
        return self.steps_per_epoch or self.adapter.num_batches

    def epoch(self, rng=None):
        """Yield ``(step, batch)`` for one epoch; ``rng`` shuffles where the data allows."""
        self.adapter.on_epoch_begin()
        known = self.adapter.num_batches
        steps = self.num_batches
        if self._iterator is None or self.steps_per_epoch is None:
            self._iterator = iter(self.adapter.iterate(rng))
            self._seen = 0
        step = 0
        while steps is None or step < steps:
            if known and self._seen >= known:
                if self.steps_per_epoch:
                    warnings.warn(RAN_OUT, UserWarning, stacklevel=3)
                break
            try:
                batch = next(self._iterator)
            except StopIteration:
                self._iterator = None
                if getattr(self.adapter, "one_shot", False):
                    self.exhausted = True
                    if step == 0 or self.steps_per_epoch:
                        warnings.warn(RAN_OUT, UserWarning, stacklevel=3)
                break
            except Exception as exc:  # noqa: BLE001 - re-raised, naming the batch
                self._iterator = None
                raise _named(exc, self.what, step) from exc
            self._seen += 1
            yield step, batch
            step += 1
        if known and self._seen >= known:
            self._iterator = None
        self.adapter.on_epoch_end()
