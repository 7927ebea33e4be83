"""The model a wrapper trains: built by the user's function, or a fresh copy
of the user's compiled model."""

import copy

from .. import losses, metrics, optimizers
from ..models import Model, model_from_json


def check_model(model, source):
    """The model ``source`` gave, if it is a compiled fastmlp model.

    Raises:
        TypeError: not a :class:`fastmlp.Model`.
        RuntimeError: not compiled (Keras's wrappers raise the same).
    """
    if not isinstance(model, Model):
        raise TypeError(f"{source} must be a fastmlp.Model (or a function returning one), "
                        f"got {type(model).__name__}")
    if not model.compiled or model.loss is None or model.optimizer is None:
        raise RuntimeError("Given model needs to be compiled, and have a loss and an optimizer.")
    return model


def fresh_model(template):
    """Keras's ``clone_model`` followed by ``compile_from_config``, as Keras's
    wrappers use it: the template's architecture with newly initialised
    weights, compiled with new objects of the template's optimizer (no
    state), loss and metrics. The template is left unchanged.

    Args:
        template: a compiled :class:`fastmlp.Model`.

    Returns:
        A new compiled model.
    """
    check_model(template, "model")
    model = model_from_json(template.to_json())
    model.compile(optimizer=optimizers.deserialize(optimizers.serialize(template.optimizer)),
                  loss=losses.deserialize(losses.serialize(template.loss)),
                  metrics=[_copy_metric(spec) for spec in template._metric_specs],
                  weighted_metrics=[_copy_metric(spec) for spec in template._weighted_specs])
    return model


def _copy_metric(spec):
    # Names, classes and functions hold no state and are shared; a metric
    # object is copied, so that models never share running totals.
    return copy.deepcopy(spec) if isinstance(spec, metrics.Metric) else spec
