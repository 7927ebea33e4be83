"""``fastmlp-bench`` (also ``python -m fastmlp.bench``): how fast fastmlp is,
against its own NumPy reference and, when it is installed, PyTorch.

Four sections, printed as tables:

* **kernels** (:mod:`.kernels`) at the seed model's shapes (batch 32 and 256;
  784->128 and 128->10): dense forward and backward, ReLU, dropout, softmax
  cross-entropy forward+backward, and each optimizer update over the seed
  model's 101,770 parameters; for the ``cython`` backend, the ``numpy``
  reference and PyTorch's equivalent; median and spread (interquartile range)
  of many calls after warm-up, and the speed-up over the reference;
* **floor** (:mod:`.floor`): the bare sgemm time of the dense layer's GEMMs
  (``np.matmul`` into a preallocated output: the same BLAS) and the dense
  layer's time as a ratio to it, i.e. what the epilogue and the wrapper cost;
* **end to end** (:mod:`.end_to_end`): one epoch of the first seed model
  (Flatten, Dense 128 relu, Dropout 0.2, Dense 10; Adam; sparse cross-entropy
  from logits; accuracy) through ``fit`` on each backend, and an idiomatic
  PyTorch loop over pre-shuffled in-memory tensors for the same model,
  interleaved (A B C A B C ...) so that machine drift cancels; the ratios are
  the headline;
* **process** (:mod:`.process`): the import time of fastmlp and the peak RSS
  of a ``fastmlp-train`` run.

PyTorch runs in a worker process of its own (:mod:`.torch_worker`, with the
work it measures in :mod:`.torch_cases`) so that its OpenMP threads and
OpenBLAS's do not share a process. :mod:`.timing` holds the timers,
:mod:`.environment` what the header reports, :mod:`.report` the text and plot
output, :mod:`.cli` the options.

``--quick`` runs in well under a minute (fewer repeats, a 12,000-sample
epoch scaled to 60,000, no ``fastmlp-train`` run); ``--json FILE`` writes every
number; ``--plot FILE.png`` draws the ratios (needs matplotlib). The header says
which BLAS, how many threads and which CPU features the numbers came from.

The training data is MNIST when :func:`fastmlp.datasets.mnist.load_data` finds
it (``FASTMLP_DATA``, the cache, ...), else random data of MNIST's shape, so the
benchmark never downloads. Inputs are float32 ``x / 255`` for every contender.

The bench is a command, the top layer of fastmlp: it imports the rest of the
package; nothing in fastmlp imports it.
"""

from .cli import main, run
from .report import format_report, plot

__all__ = ["main", "run", "format_report", "plot"]
