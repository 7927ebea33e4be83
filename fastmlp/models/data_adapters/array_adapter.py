"""In-memory (and memory-mapped) arrays, batched into reused float32 buffers.

Inputs stay in the caller's dtype (uint8 images are not copied to float32 as
a whole); each batch is gathered and cast as it is drawn. A ``np.memmap``
larger than RAM trains without being read whole: its pages are handed back
to the kernel as they are used, so the process's memory stays bounded.
"""

import mmap
import os

import numpy as np

from ...utils.validation import check_finite, check_same_length
from .inputs import host_array, model_inputs
from .weights import sample_weights

# Bytes of a memory-mapped input read between two releases of its pages.
RELEASE_BYTES = 64 << 20


def _shared_mapping(x):
    """``(mmap, memmap)`` behind ``x`` when its pages can be dropped safely
    (a shared mapping: the data stays in the file), else ``(None, None)``."""
    base, memmap = x, None
    while base is not None and not isinstance(base, mmap.mmap):
        if isinstance(base, np.memmap):
            if base.mode == "c":
                return None, None  # copy-on-write: dropping pages would lose the caller's edits
            memmap = base
        base = getattr(base, "base", None)
    return (base, memmap) if base is not None and memmap is not None else (None, None)


class _RowReader:
    """Reads rows of a memory-mapped ``x`` from its file with ``pread``:
    shuffled batches touch scattered rows, and each page fault would map
    (and keep resident) the cached pages around the row as well, up to
    megabytes with large folios."""

    def __init__(self, x, mapping, memmap):
        start = np.frombuffer(mapping, dtype=np.uint8).__array_interface__["data"][0]
        mapped_from = memmap.offset - memmap.offset % mmap.ALLOCATIONGRANULARITY
        self.first = x.__array_interface__["data"][0] - start + mapped_from
        self.stride = x.strides[0]
        self.file = open(memmap.filename, "rb", buffering=0)  # noqa: SIM115 - lives with the adapter

    def take(self, idx, out):
        fd = self.file.fileno()
        for row, i in zip(out, idx.tolist()):
            os.preadv(fd, [memoryview(row).cast("B")], self.first + i * self.stride)
        return out


class ArrayData:
    """Inputs ``x`` (flattened to ``(n, features)``), prepared targets and
    optional per-sample weights.

    Args:
        model: the model (built for ``x`` if it is not yet).
        x, y: inputs and targets (arrays, lists, pandas objects).
        what: the inputs' name in messages.
        sample_weight, class_weight: as ``fit`` takes them.
    """

    num_batches = None  # set by ``batching``

    def __init__(self, model, x, y, what="x", sample_weight=None, class_weight=None):
        x = np.asarray(model_inputs(model, x, what))
        self.x = x.reshape(x.shape[0], -1)
        # Cheap checks first: a length mismatch must not wait for a scan of x.
        if y is None:
            raise ValueError(f"targets (y) are required with {what}")
        outputs = int(np.prod(model.output_shape_))
        self.y = model.loss.prepare_targets(host_array(y), outputs)
        check_same_length(len(self.x), len(self.y), what, "y")
        self.w = sample_weights(self.y, sample_weight, class_weight, outputs)
        self._mapping, memmap = _shared_mapping(x)
        self._reader = None
        if self._mapping is not None and self.x.flags.c_contiguous and hasattr(os, "preadv"):
            self._reader = _RowReader(self.x, self._mapping, memmap)
        self._scan_finite(what)
        self.ops = model.ops
        self._buffers = {}
        self.batch_size = None

    def _scan_finite(self, what):
        step = max(1, RELEASE_BYTES // max(1, self.x.strides[0]))
        for start in range(0, len(self.x), step):
            check_finite(self.x[start:start + step], what)
            self._release()

    def _release(self):
        if self._mapping is not None:
            self._mapping.madvise(mmap.MADV_DONTNEED)

    def __len__(self):
        return len(self.x)

    def batching(self, batch_size):
        """Set the batch size; returns self."""
        self.batch_size = batch_size
        self.num_batches = -(-len(self.x) // batch_size)
        return self

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass

    def iterate(self, rng=None):
        """An epoch's batches, shuffled when ``rng`` is given."""
        return self.batches(self.batch_size, None if rng is None else rng.permutation(len(self.x)))

    def _buffer(self, key, shape, dtype):
        buf = self._buffers.get((key, shape[0]))
        if buf is None:
            buf = self._buffers[(key, shape[0])] = np.empty(shape, dtype=dtype)
        return buf

    def _take(self, key, array, idx):
        # mode="clip": with the default mode="raise", np.take buffers ``out``
        # (a second copy of the batch); ``idx`` comes from a permutation, so
        # no index is out of range.
        return np.take(array, idx, axis=0, mode="clip",
                       out=self._buffer(key, (len(idx),) + array.shape[1:], array.dtype))

    def batches(self, batch_size, order=None):
        """Yield ``(x_batch, y_batch, w_batch)`` backend arrays (``w_batch``
        None when unweighted), in ``order`` (an index permutation) or in
        sequence. The arrays are reused between steps."""
        n, features = self.x.shape
        row_bytes = max(1, self.x.strides[0])
        read = 0
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            rows = stop - start
            wb = None
            if order is None:
                xb, yb = self.x[start:stop], self.y[start:stop]
                if self.w is not None:
                    wb = self.w[start:stop]
            else:
                idx = order[start:stop]
                if self._reader is not None:
                    xb = self._reader.take(idx, self._buffer("xs", (rows, features), self.x.dtype))
                else:
                    xb = self._take("xs", self.x, idx)
                yb = self._take("y", self.y, idx)
                if self.w is not None:
                    wb = self._take("w", self.w, idx)
            if xb.dtype != np.float32 or not xb.flags.c_contiguous or self._mapping is not None:
                xf = self._buffer("xf", (rows, features), np.float32)
                xf[...] = xb
                xb = xf
            if self._mapping is not None:
                read += rows * row_bytes
                if read >= RELEASE_BYTES:
                    self._release()
                    read = 0
            yield (self.ops.asarray(xb), self.ops.asarray(yb, dtype=yb.dtype),
                   None if wb is None else self.ops.asarray(wb))
