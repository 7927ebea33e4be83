"""Batches for the training loop, drawn into reused float32 buffers.

Inputs stay in the caller's dtype (uint8 images are not copied to float32 as
a whole); each batch is gathered and cast as it is drawn.
"""

import numpy as np

from ..utils.validation import check_batch, check_finite, check_same_length


class ArrayData:
    """Inputs ``x`` (flattened to ``(n, features)``) and prepared targets."""

    def __init__(self, model, x, y, what="x"):
        x = np.asarray(check_batch(x, what))
        model._ensure_built(x.shape[1:])
        self.x = x.reshape(x.shape[0], -1)
        # Cheap checks first: a length mismatch must not wait for a scan of x.
        if y is None:
            raise ValueError(f"targets (y) are required with {what}")
        self.y = model.loss.prepare_targets(y, int(np.prod(model.output_shape_)))
        check_same_length(len(self.x), len(self.y), what, "y")
        check_finite(self.x, what)
        self.ops = model.ops
        self._buffers = {}

    def __len__(self):
        return len(self.x)

    def _buffer(self, key, shape, dtype):
        buf = self._buffers.get((key, shape[0]))
        if buf is None:
            buf = self._buffers[(key, shape[0])] = np.empty(shape, dtype=dtype)
        return buf

    def batches(self, batch_size, order=None):
        """Yield ``(x_batch, y_batch)`` backend arrays, in ``order`` (an index
        permutation) or in sequence. The arrays are reused between steps."""
        n, features = self.x.shape
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            rows = stop - start
            if order is None:
                xb, yb = self.x[start:stop], self.y[start:stop]
            else:
                idx = order[start:stop]
                # mode="clip": with the default mode="raise", np.take buffers
                # ``out`` (a second copy of the batch); ``order`` is a
                # permutation, so no index is out of range.
                xb = np.take(self.x, idx, axis=0, mode="clip",
                             out=self._buffer("xs", (rows, features), self.x.dtype))
                yb = np.take(self.y, idx, axis=0, mode="clip",
                             out=self._buffer("y", (rows,) + self.y.shape[1:], self.y.dtype))
            if xb.dtype != np.float32 or not xb.flags.c_contiguous:
                xf = self._buffer("xf", (rows, features), np.float32)
                xf[...] = xb
                xb = xf
            yield self.ops.asarray(xb), self.ops.asarray(yb, dtype=yb.dtype)
