"""fastmlp's side of the end-to-end rows, through its public API only
(``Sequential``, ``compile``, ``fit``, ``predict``, ``model(x)``), so the
benchmark measures whatever path a user's program takes, compiled training
step included."""

from __future__ import annotations

from typing import Any

import numpy as np

from .data import workload_view
from .workloads import WARMUP_BATCHES


def build_model(workload, backend="cython"):
    """The model of ``workload``, built and compiled on fastmlp backend
    ``backend`` exactly as a Keras user writes it."""
    import fastmlp

    layers = fastmlp.layers
    with fastmlp.backend.use_backend(backend):
        if workload.flat:
            stack: list[Any] = [layers.Input(shape=(784,))]
        else:
            stack = [layers.Flatten(input_shape=(28, 28))]
        for units in workload.hidden:
            stack.append(layers.Dense(units, activation="relu"))
            if workload.dropout:
                stack.append(layers.Dropout(workload.dropout))
        if workload.loss == "categorical":
            stack.append(layers.Dense(10, activation="softmax"))
            loss: Any = "categorical_crossentropy"
        else:
            stack.append(layers.Dense(10))
            loss = fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True)
        model = fastmlp.Sequential(stack)
        optimizer = {"adam": fastmlp.optimizers.Adam, "rmsprop": fastmlp.optimizers.RMSprop}
        model.compile(optimizer=optimizer[workload.optimizer](), loss=loss,
                      metrics=["accuracy"])
    return model


def sample_weights(samples):
    """Per-sample weights for the weighted variant: positive, not all equal."""
    return np.random.default_rng(1).uniform(0.5, 1.5, samples).astype(np.float32)


def fastmlp_epoch(workload, x, y, backend="cython", weighted=False):
    """A callable running one ``fit`` epoch of ``workload``'s model on
    ``backend`` over ``x, y`` (with ``sample_weight`` when ``weighted``),
    warmed up (buffers, optimizer state, BLAS threads) before it is returned."""
    import fastmlp

    fastmlp.utils.set_random_seed(0)
    model = build_model(workload, backend)
    x, y = workload_view(workload, x, y)
    sw = sample_weights(len(x)) if weighted else None
    warm = workload.batch * WARMUP_BATCHES
    model.fit(x[:warm], y[:warm], batch_size=workload.batch, epochs=1, verbose=0,
              sample_weight=None if sw is None else sw[:warm])

    def epoch():
        model.fit(x, y, batch_size=workload.batch, epochs=1, verbose=0, sample_weight=sw)
    return epoch


def fastmlp_inference(workload, x):
    """``{"model(x[:1])": fn, "predict(x[:1])": fn}`` and a ``predict(images,
    batch)`` callable over the first images of ``x``, on the compiled backend's
    model of ``workload`` (as built; its weights do not change the time)."""
    import fastmlp

    fastmlp.utils.set_random_seed(0)
    model = build_model(workload)
    x, _ = workload_view(workload, x, np.zeros(len(x), np.uint8))
    one = np.ascontiguousarray(x[:1])
    calls = {"model(x[:1])": lambda: model(one),
             "predict(x[:1])": lambda: model.predict(one, verbose=0)}

    def predict(images, batch):
        model.predict(x[:images], batch_size=batch, verbose=0)
    for fn in calls.values():
        fn()
    predict(min(len(x), 256), 32)
    return calls, predict
