"""The seed model of a run: the backend it runs on (``--backend``), its layers
(Flatten, Rescaling(1/255), Dense+ReLU and Dropout per hidden layer, Dense
logits), its optimizer, and its compilation with the seed program's loss and
metric."""

from __future__ import annotations

import contextlib

from .. import backend, layers, losses, optimizers
from ..models import Sequential
from ..utils import set_random_seed
from .errors import CommandError, first_line

_BACKEND_ERRORS = (ImportError, ValueError, RuntimeError)


@contextlib.contextmanager
def chosen_backend(name):
    """A ``with`` block on backend ``name`` (``None``: the library's choice, left
    as it is); its ``as`` target is the name of the backend that runs. With a
    name, the earlier choice is back when the block ends."""
    with contextlib.ExitStack() as stack:
        if name is not None:
            try:
                stack.enter_context(backend.use_backend(name))
            except _BACKEND_ERRORS as exc:
                raise CommandError(f"backend {name!r} cannot run here: {first_line(exc)}") from None
        try:
            running = backend.backend()
        except _BACKEND_ERRORS as exc:
            raise CommandError(f"no usable backend: {first_line(exc)}") from None
        yield running


def build_model(input_shape, hidden, dropout, num_classes):
    """The uncompiled seed MLP; it takes uint8 pixels and scales them itself."""
    stack = [layers.Flatten(input_shape=tuple(input_shape)), layers.Rescaling(1 / 255)]
    for units in hidden:
        stack.append(layers.Dense(units, activation="relu"))
        if dropout > 0:
            stack.append(layers.Dropout(dropout))
    stack.append(layers.Dense(num_classes))
    return Sequential(stack)


def make_optimizer(name, learning_rate=None):
    """Optimizer ``name``, with its own default learning rate unless one is given."""
    optimizer = optimizers.get(name)
    if learning_rate is not None:
        optimizer = type(optimizer)(learning_rate=learning_rate)
    return optimizer


def compiled_model(args, input_shape, num_classes):
    """``(model, learning_rate)``: the seed model for ``args`` (hidden, dropout,
    optimizer, learning_rate, seed), built after seeding every generator and
    compiled for integer labels and logits."""
    set_random_seed(args.seed)
    model = build_model(input_shape, args.hidden, args.dropout, num_classes)
    optimizer = make_optimizer(args.optimizer, args.learning_rate)
    learning_rate = float(optimizer.learning_rate)
    model.compile(optimizer=optimizer,
                  loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model, learning_rate
