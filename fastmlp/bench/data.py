"""The benchmark's data, the same in every contender's process: MNIST's
training images as float32 ``x / 255`` when they are on disk (never
downloaded), else random images of MNIST's shape; and the views of it each
workload takes (flat rows, one-hot labels)."""

from __future__ import annotations

import numpy as np

from .workloads import CLASSES


def load_data(samples):
    """``(x, y, source)``: float32 ``x / 255`` of shape (samples, 28, 28) and
    uint8 labels: MNIST when :func:`fastmlp.datasets.mnist.load_data` finds it
    (``FASTMLP_DATA``, the cache, ...; tiled when ``samples`` exceeds it),
    else random data of its shape; ``source`` says which."""
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


def workload_view(workload, x, y):
    """``(x, y)`` as ``workload`` takes them: (n, 784) rows when it is
    ``flat`` (a view, no copy), and float32 one-hot labels for the
    categorical loss, else the uint8 labels."""
    if workload.flat:
        x = x.reshape(len(x), -1)
    if workload.loss == "categorical":
        y = np.eye(CLASSES, dtype=np.float32)[y]
    return x, y
