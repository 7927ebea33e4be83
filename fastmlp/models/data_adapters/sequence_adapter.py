"""Datasets of batches with ``__len__`` and ``__getitem__``: a
``fastmlp.utils.PyDataset`` subclass, or any object of that shape (Keras 2's
``Sequence``). With ``workers > 1`` batches are fetched ahead on threads."""

from concurrent.futures import ThreadPoolExecutor

from ...utils.validation import check_positive_int
from .inputs import BatchSource


class SequenceAdapter(BatchSource):
    """Batches ``dataset[0] ... dataset[len(dataset) - 1]``, in a shuffled
    order when ``iterate`` gets an ``rng`` (Keras shuffles the batch order)."""

    one_shot = False

    def __init__(self, model, dataset, what, class_weight=None, targets=True):
        super().__init__(model, dataset, what, class_weight, targets)
        self.dataset = dataset
        self.num_batches = len(dataset)
        if self.num_batches is None or int(self.num_batches) < 1:
            raise ValueError(f"{what} has no batches (len() is {self.num_batches})")
        self.workers = check_positive_int(getattr(dataset, "workers", 1), f"{what}'s workers")
        self.queue = check_positive_int(getattr(dataset, "max_queue_size", 10), f"{what}'s max_queue_size")

    def _fetched(self, indices):
        """``self.dataset[i]`` for each index, in order; fetched ahead on
        threads when the dataset asks for several workers."""
        if self.workers == 1:
            for i in indices:
                yield self.dataset[i]
            return
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="fastmlp-pydataset")
        pending = []
        try:
            for i in indices:
                pending.append(pool.submit(self.dataset.__getitem__, i))
                if len(pending) >= self.queue:
                    yield pending.pop(0).result()
            while pending:
                yield pending.pop(0).result()
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True)

    def iterate(self, rng=None):
        """An epoch's batches as ``(x, y, w)`` backend arrays."""
        indices = list(range(self.num_batches))
        if rng is not None:
            indices = [int(i) for i in rng.permutation(self.num_batches)]
        return self.converted(self._fetched(indices))
