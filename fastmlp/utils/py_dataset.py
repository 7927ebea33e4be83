"""PyDataset: Keras's base class for datasets that hand out whole batches."""

from __future__ import annotations

from typing import Any

from .validation import check_positive_int


class PyDataset:
    """A dataset of batches: subclasses implement ``__getitem__(index)``,
    returning ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` for batch
    ``index``, and ``__len__`` (the number of batches); ``on_epoch_begin`` and
    ``on_epoch_end`` are called around each epoch (e.g. to reshuffle).

    Args:
        workers: how many batches are fetched at once. With ``workers > 1``
            fastmlp fetches them on threads (``__getitem__`` must then be
            thread-safe, as Keras requires).
        use_multiprocessing: accepted for Keras compatibility. fastmlp does not
            start worker processes: the batches are fetched on threads in this
            process (NumPy releases the GIL in most of the work a
            ``__getitem__`` does), so nothing needs to be picklable.
        max_queue_size: how many batches may be fetched ahead.

    Raises:
        ValueError: a ``workers`` or ``max_queue_size`` that is not a
            positive integer (also when set later as an attribute).

    Example:
        >>> class Batches(fastmlp.utils.PyDataset):
        ...     def __init__(self, x, y, batch_size, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.x, self.y, self.batch_size = x, y, batch_size
        ...     def __len__(self):
        ...         return -(-len(self.x) // self.batch_size)  # the last batch may be short
        ...     def __getitem__(self, index):
        ...         rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        ...         return self.x[rows], self.y[rows]
        >>> x, y = np.ones((10, 2), dtype="float32"), np.zeros((10, 1), dtype="float32")
        >>> data = Batches(x, y, batch_size=4)
        >>> len(data), data[2][0].shape
        (3, (2, 2))
        >>> model = fastmlp.Sequential([fastmlp.Input((2,)), fastmlp.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> model.fit(data, epochs=2, verbose=0).epoch
        [0, 1]
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10) -> None:
        self._workers = check_positive_int(workers, "workers")
        self._use_multiprocessing = bool(use_multiprocessing)
        self._max_queue_size = check_positive_int(max_queue_size, "max_queue_size")

    # Subclasses that skip super().__init__() still work: the defaults are read lazily.
    @property
    def workers(self):
        return getattr(self, "_workers", 1)

    @workers.setter
    def workers(self, value):
        self._workers = check_positive_int(value, "workers")

    @property
    def use_multiprocessing(self):
        return getattr(self, "_use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = bool(value)

    @property
    def max_queue_size(self):
        return getattr(self, "_max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = check_positive_int(value, "max_queue_size")

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        """Returns: batch ``index``, a tuple ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``."""
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        """Returns: the number of batches in an epoch."""
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    @property
    def num_batches(self) -> int:
        """The number of batches (``len(self)``)."""
        return len(self)

    def on_epoch_begin(self) -> None:
        """Called before each epoch."""

    def on_epoch_end(self) -> None:
        """Called after each epoch."""
