"""Python generators and iterators of batches: one pass, checked batch by batch."""

from .inputs import BatchSource


class GeneratorAdapter(BatchSource):
    """Batches drawn from an iterator (a generator, ``iter(list)``, ...).

    An iterator runs once: when it is used up, later epochs find no data (the
    training loop then stops, as Keras warns). Each batch is checked as it
    arrives, so a bad batch is named by its index.
    """

    num_batches = None  # unknown until the iterator runs out
    one_shot = True

    def iterate(self, rng=None):
        """The remaining batches, as ``(x, y, w)`` backend arrays (the order is the iterator's)."""
        return self.converted(self.source)
