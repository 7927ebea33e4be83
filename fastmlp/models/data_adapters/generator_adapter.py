"""Python generators and iterators of batches: one pass, checked batch by batch."""

from .inputs import checked_batch, to_backend


class GeneratorAdapter:
    """Batches drawn from an iterator (a generator, ``iter(list)``, ...).

    An iterator runs once: when it is used up, later epochs find no data (the
    training loop then stops, as Keras warns). Each batch is checked as it
    arrives, so a bad batch is named by its index.
    """

    num_batches = None  # unknown until the iterator runs out
    one_shot = True

    def __init__(self, model, iterator, what, class_weight=None, targets=True):
        self.model = model
        self.iterator = iterator
        self.what = what
        self.class_weight = class_weight
        self.targets = targets

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass

    def iterate(self, rng=None):
        """The remaining batches, as ``(x, y, w)`` backend arrays (the order is the iterator's)."""
        for step, batch in enumerate(self.iterator):
            x, y, w = checked_batch(self.model, batch, self.what, step, self.class_weight, self.targets)
            yield to_backend(self.model.ops, x, y, w)
