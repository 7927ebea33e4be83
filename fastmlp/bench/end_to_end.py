"""End to end: one epoch of the first seed model (Flatten, Dense 128 relu,
Dropout 0.2, Dense 10; Adam; sparse cross-entropy from logits; accuracy)
through ``fit`` on each fastmlp backend (and on ``cython`` with
``sample_weight``, for the cost of weighting) and, from the torch worker, an
idiomatic PyTorch loop for the same model; the contenders take turns
(A B C A B C ...) so that machine drift cancels, and the ratios to the
``cython`` backend are the headline."""

from __future__ import annotations

import numpy as np

from .timing import median_iqr, settle, timed

EPOCH_SAMPLES = 60000
WARMUP_BATCHES = 20  # untimed steps before the first timed epoch
WEIGHTED = "fastmlp weighted"


def load_data(samples):
    """float32 ``x / 255`` (n, 28, 28) and uint8 labels: MNIST when found on
    disk (never downloaded), else random data of its shape. Returns
    ``(x, y, source)``."""
    try:
        from fastmlp.datasets import mnist
        (x, y), _ = mnist.load_data(download=False)
        source = "mnist"
        if len(x) < samples:
            reps = -(-samples // len(x))
            x, y = np.concatenate([x] * reps), np.concatenate([y] * reps)
            source = f"mnist ({len(x) // reps} samples, tiled)"
    except Exception:  # noqa: BLE001 - no data on this machine: random images
        rng = np.random.default_rng(0)
        x = rng.integers(0, 256, (samples, 28, 28), dtype=np.uint8)
        y = rng.integers(0, 10, samples).astype(np.uint8)
        source = "random"
    x = x[:samples].astype(np.float32)
    x /= np.float32(255.0)
    return x, np.ascontiguousarray(y[:samples]), source


def seed_model(backend):
    """The seed model, built and compiled on fastmlp backend ``backend``."""
    import fastmlp

    with fastmlp.backend.use_backend(backend):
        model = fastmlp.Sequential([
            fastmlp.layers.Flatten(input_shape=(28, 28)),
            fastmlp.layers.Dense(128, activation="relu"),
            fastmlp.layers.Dropout(0.2),
            fastmlp.layers.Dense(10),
        ])
        model.compile(optimizer="adam",
                      loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
    return model


def fastmlp_epoch(backend, x, y, batch, sample_weight=None):
    """A callable running one ``fit`` epoch of a warmed-up seed model on
    ``backend`` over ``x, y`` (weighted by ``sample_weight`` when given)."""
    import fastmlp

    fastmlp.utils.set_random_seed(0)
    model = seed_model(backend)
    # warm-up: buffers, the optimizer's state, BLAS threads
    warm = batch * WARMUP_BATCHES
    model.fit(x[:warm], y[:warm], batch_size=batch, epochs=1, verbose=0,
              sample_weight=None if sample_weight is None else sample_weight[:warm])

    def epoch():
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0, sample_weight=sample_weight)
    return epoch


def sample_weights(samples):
    """Per-sample weights for the weighted contender: positive, not all equal."""
    return np.random.default_rng(1).uniform(0.5, 1.5, samples).astype(np.float32)


def _contenders(backends, x, y, batch, samples, worker):
    """``{name: callable returning the seconds of one epoch}`` at ``batch``:
    each fastmlp backend that runs here, and the worker's PyTorch loop."""
    contenders = {}
    for backend in backends:
        try:
            contenders[f"fastmlp {backend}"] = timed(fastmlp_epoch(backend, x, y, batch))
        except ImportError:
            pass
    if "fastmlp cython" in contenders:
        # the same epoch with sample_weight: what weighting costs over the unweighted epoch
        contenders[WEIGHTED] = timed(fastmlp_epoch("cython", x, y, batch, sample_weights(len(x))))
    if worker is not None:
        worker.prepare_epoch(batch, samples)
        contenders["pytorch loop"] = lambda: worker.epoch(batch)
    return contenders


def _interleave(contenders, passes, scale, pause):
    """``{name: [seconds per epoch of EPOCH_SAMPLES]}``: ``passes`` rounds,
    each running every contender once, with a pause before each."""
    times = {name: [] for name in contenders}
    for _ in range(passes):
        for name, epoch in contenders.items():
            settle(pause)
            times[name].append(epoch() * scale)
    return times


def bench_end_to_end(batches, passes, samples, backends=("cython", "numpy"), worker=None,
                     settle=0.3):
    """Rows per batch size: ``{batch, samples, source, passes}``, then
    ``{median, iqr, all}`` s/epoch of each contender, then ``"<name> /
    cython"`` ratios. Epochs are timed on ``samples`` samples and scaled to
    :data:`EPOCH_SAMPLES`; ``settle`` is the pause (s) before each epoch, so
    that the previous contender's BLAS/OpenMP threads are idle."""
    x, y, source = load_data(samples)
    scale = EPOCH_SAMPLES / len(x)
    rows = []
    for batch in batches:
        contenders = _contenders(backends, x, y, batch, samples, worker)
        times = _interleave(contenders, passes, scale, settle)
        row = {"batch": batch, "samples": len(x), "source": source, "passes": passes}
        for name, ts in times.items():
            med, iqr = median_iqr(ts)
            row[name] = {"median": med, "iqr": iqr, "all": ts}
        base = row.get("fastmlp cython", {}).get("median")
        if base:
            for name in contenders:
                if name != "fastmlp cython":
                    row[f"{name} / cython"] = row[name]["median"] / base
        rows.append(row)
    return rows
