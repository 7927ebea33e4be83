"""``fastmlp-train`` (also ``python -m fastmlp.train``): train the seed MLP on
MNIST or Fashion-MNIST, print the test accuracy, and write the model, its
history, a metrics summary and plots.

With the defaults it runs the first seed program of the API contract::

    model = fastmlp.Sequential([
        fastmlp.layers.Flatten(input_shape=(28, 28)),
        fastmlp.layers.Dense(128, activation="relu"),
        fastmlp.layers.Dropout(0.2),
        fastmlp.layers.Dense(10),
    ])
    model.compile(optimizer="adam",
                  loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x_train / 255, y_train, epochs=5)         # batch size 32

Files written into ``--out`` (each one atomically: a temporary file renamed
into place): ``model.fastmlp``, ``history.json``, ``history.csv``,
``metrics.json`` and, when matplotlib is installed, ``samples.png``,
``curves.png``, ``confusion_matrix.png`` and ``predictions.png``.

Memory: the uint8 images are fed as they are (47 MB for the MNIST training
set, where ``x / 255`` would make a 376 MB float64 copy): the model starts with
``Rescaling(1 / 255)``, and each batch is cast to float32 and scaled as it is
drawn.

The modules, in the order a run uses them:

- ``cli``: the flags and ``main`` (exit statuses, one-line errors);
- ``run``: the steps of a run;
- ``data``: loading the dataset (with the MNIST-sample fallback);
- ``model``: the backend, the seed model and its optimizer;
- ``outputs``: the files written into ``--out``;
- ``plots``: the PNG figures (matplotlib, imported only when drawing);
- ``errors``: ``CommandError`` and the program name.

The command is the top layer of fastmlp: it may import any part of it, and
no other part imports it.
"""

from .cli import main

__all__ = ["main"]


def _plots_available():
    """Whether the PNG plots can be drawn here (matplotlib importable)."""
    from . import plots

    return plots.available() is None
