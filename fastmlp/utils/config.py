"""The ``{"class_name": ..., "config": ...}`` form that model files store
objects in (layers, losses, metrics, optimizers, schedules)."""


def serialize(obj):
    """``{"class_name": ..., "config": obj.get_config()}``."""
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


def deserialize(spec, classes, kind):
    """Rebuild an object serialized by :func:`serialize`, taking its class only
    from ``classes`` (name -> class), never from the file."""
    if not isinstance(spec, dict):
        raise ValueError(f"a saved {kind} must be a mapping, got {type(spec).__name__}")
    cls = classes.get(spec.get("class_name"))
    if cls is None:
        raise ValueError(f"unknown {kind} {spec.get('class_name')!r} in saved configuration")
    config = dict(spec.get("config") or {})
    from_config = getattr(cls, "from_config", None)
    return from_config(config) if from_config is not None else cls(**config)
