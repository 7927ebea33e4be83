"""The end-to-end workloads every contender trains, as plain data: the layers,
optimizer, loss and batch size of each model, and the FLOPs its GEMMs do, from
which the GEMM floor of a row follows. fastmlp, the PyTorch worker and the JAX
worker each build their own model from the same :class:`Workload`, so the
three always train the same thing. Nothing here imports a framework."""

from __future__ import annotations

from typing import NamedTuple

EPOCH_SAMPLES = 60000   # an epoch of MNIST: every s/epoch is scaled to it
PREDICT_IMAGES = 10000  # the throughput row: MNIST's test set
PREDICT_BATCH = 32      # Keras's default batch size of predict
INPUTS, CLASSES = 784, 10
WARMUP_BATCHES = 20     # untimed steps before the first timed epoch, in every contender


class Workload(NamedTuple):
    """One model and how it is trained.

    name: the row's name (unique; the workers' key for it).
    hidden: units of each hidden Dense layer (relu).
    dropout: rate of the Dropout after each hidden layer (0: none).
    optimizer: "adam" or "rmsprop", at Keras's defaults (learning rate
        1e-3, epsilon 1e-7; Adam betas 0.9/0.999, RMSprop rho 0.9).
    loss: "sparse" (integer labels, cross-entropy from the last Dense's
        logits) or "categorical" (one-hot labels, softmax output and
        categorical cross-entropy, as Keras's ``mnist_mlp``).
    batch: the batch size.
    flat: whether the images come as (n, 784) rows (``mnist_mlp`` reshapes
        them) rather than (n, 28, 28) behind a Flatten layer.
    variants: whether the row also runs fastmlp's NumPy reference backend and
        the epoch with ``sample_weight`` (the seed model's rows only).
    """
    name: str
    hidden: tuple
    dropout: float
    optimizer: str
    loss: str
    batch: int
    flat: bool = False
    variants: bool = False

    def describe(self):
        """The model in one line, e.g. ``784-512-512-10, dropout 0.2, rmsprop, ...``."""
        sizes = "-".join(str(n) for n in (INPUTS, *self.hidden, CLASSES))
        drop = f", dropout {self.dropout:g}" if self.dropout else ""
        loss = "softmax + categorical CE" if self.loss == "categorical" else "sparse CE (logits)"
        return f"{sizes}{drop}, {self.optimizer}, {loss}, batch {self.batch}"

    def layer_shapes(self):
        """``[(fan_in, fan_out), ...]`` of the Dense layers, input to output."""
        sizes = (INPUTS, *self.hidden, CLASSES)
        return list(zip(sizes[:-1], sizes[1:]))

    def train_flops(self):
        """GEMM FLOPs of one training sample: per Dense layer, 2·in·out for
        the forward pass, as many for dW, and as many for dx except in the
        first layer (nobody needs the gradient of the images)."""
        return sum(2 * fi * fo * (2 if i == 0 else 3)
                   for i, (fi, fo) in enumerate(self.layer_shapes()))

    def predict_flops(self):
        """GEMM FLOPs of one inference sample: 2·in·out per Dense layer."""
        return sum(2 * fi * fo for fi, fo in self.layer_shapes())


SEED = Workload("seed b32", (128,), 0.2, "adam", "sparse", 32, variants=True)

WORKLOADS = (
    SEED,
    SEED._replace(name="seed b256", batch=256),
    # Keras's examples/mnist_mlp.py: x.reshape(60000, 784), RMSprop(), categorical CE
    Workload("mnist_mlp b128", (512, 512), 0.2, "rmsprop", "categorical", 128, flat=True),
    Workload("hidden 128 b128", (128,), 0.0, "adam", "sparse", 128),
    Workload("hidden 512 b128", (512,), 0.0, "adam", "sparse", 128),
    Workload("hidden 2048 b128", (2048,), 0.0, "adam", "sparse", 128),
)

# the model of the single-sample latency and the 10,000-image predict rows
INFERENCE = SEED._replace(name="seed inference")

# the model of --stability: the seed model at batch 256, whose epoch time
# depends most on where the host puts the two vCPUs
STABILITY = WORKLOADS[1]


def by_name(name):
    """The workload called ``name`` (of :data:`WORKLOADS` or :data:`INFERENCE`).
    Raises KeyError naming the known ones."""
    for w in (*WORKLOADS, INFERENCE):
        if w.name == name:
            return w
    raise KeyError(f"no workload {name!r}; known: {', '.join(w.name for w in WORKLOADS)}")


def to_wire(workload):
    """``workload`` as the JSON-able dict the workers receive."""
    return workload._asdict()


def from_wire(data):
    """The :class:`Workload` a worker received (inverse of :func:`to_wire`)."""
    return Workload(**{**data, "hidden": tuple(data["hidden"])})
