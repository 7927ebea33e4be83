"""The training counters a model file keeps beside the weights: epochs seen,
the shuffle seed and each noise layer's step, so training resumes with the
same shuffles and masks. fastmlp's format keeps them in its manifest, a
``.keras`` archive in ``metadata.json`` (which Keras does not read)."""


def training_state(model):
    """The counters of ``model`` as a JSON-ready dict."""
    return {
        "epochs_seen": model._epochs_seen,
        "shuffle_seed": str(model._shuffle_seed),
        "dropout_steps": {layer.name: layer.step for layer in model.leaves() if hasattr(layer, "step")},
    }


def restore_training_state(model, state):
    """Set ``model``'s counters from what :func:`training_state` returned
    (missing entries keep their defaults; malformed ones raise ValueError/TypeError)."""
    model._epochs_seen = int(state.get("epochs_seen", 0))
    if "shuffle_seed" in state:
        model._shuffle_seed = int(state["shuffle_seed"])
    steps = state.get("dropout_steps", {})
    for layer in model.leaves():
        if layer.name in steps:
            layer.step = int(steps[layer.name])
