"""``fastmlp-bench`` (also ``python -m fastmlp.bench``): how fast fastmlp
trains and predicts, against its own NumPy reference and, each in a worker
process of its own when installed, PyTorch and JAX.

Sections, printed as tables (``--only`` picks some):

* **kernels** (:mod:`.kernels`): each kernel of the seed model at batch 32
  and 256 and each optimizer update over its 101,770 parameters, for the
  ``cython`` backend, the ``numpy`` reference and PyTorch's equivalent;
* **floor** (:mod:`.floor`): the dense layer against the bare sgemm of its
  GEMMs; and the machine's 2-thread float32 GEMM rate, measured three times
  in the run (the best is the rate every row's floor is computed at);
* **end-to-end** (:mod:`.end_to_end`): a training epoch (s/epoch of 60,000
  samples) of each workload of :mod:`.workloads` -- the seed model (Flatten,
  Dense 128 relu, Dropout 0.2, Dense 10; Adam; sparse cross-entropy from
  logits) at batch 32 and 256, Keras's ``mnist_mlp`` (784-512-512-10,
  dropout 0.2, RMSprop, categorical cross-entropy) at batch 128, and one
  hidden layer of 128, 512 and 2048 units at batch 128 -- through ``fit``
  and through each contender's idiomatic loop (:mod:`.torch_train`,
  :mod:`.jax_cases`); contenders take turns (A B C A B C ...); each row has
  the median and spread, the ratio of each contender to fastmlp, the floor
  (the epoch's GEMM FLOPs at the measured rate) and fastmlp's fraction of it;
* **inference** (:mod:`.inference`): single-sample latency (``model(x[:1])``
  and ``predict(x[:1])`` against PyTorch's ``model(x)`` under ``no_grad``
  and JAX's jitted apply) and ``predict`` over 10,000 images at batch 32;
* **process** (:mod:`.process`): the import time of fastmlp and the peak RSS
  of a ``fastmlp-train`` run.

Before every timed measurement the idleness probe (:mod:`.idle`) waits,
boundedly, for the machine to be idle (/proc/stat over 0.2 s); every row
says whether it was, how busy it got and which process was busiest.

Options: ``--quick`` (a minute or two: 12,000-sample epochs scaled to
60,000, one pass; what CI runs), ``--passes N`` (interleaved passes, default
3), ``--max-wait SECONDS`` (the bound on each idle wait, default 10, quick
1), ``--no-torch`` / ``--no-jax`` (leave a contender out; so do
``FASTMLP_BENCH_NO_TORCH=1`` / ``FASTMLP_BENCH_NO_JAX=1``), ``--only
SECTION ...``, ``--stability SECONDS`` (:mod:`.stability`: the seed model at
batch 256 epoch after epoch for that long; every epoch's time, the median,
the max and max/median; alone unless ``--only`` names sections too),
``--json FILE`` (every number), ``--plot FILE.png`` (the speed-ups; needs
matplotlib). A contender that is not installed, fails to start or fails a
row is left out of it and the report says why; it never fails the run.

The data is MNIST when :func:`fastmlp.datasets.mnist.load_data` finds it
(``FASTMLP_DATA``, the cache, ...), else random data of MNIST's shape, so the
benchmark never downloads (:mod:`.data`). Inputs are float32 ``x / 255`` for
every contender. The workers speak the line protocol of :mod:`.worker`.

The bench is a command, the top layer of fastmlp: it imports the rest of the
package; nothing in fastmlp imports it.
"""

from .cli import main, run
from .report import format_report, plot

__all__ = ["main", "run", "format_report", "plot"]
