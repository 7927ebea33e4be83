"""fastmlp objects <-> Keras 3 serialized configs (``config.json`` of ``.keras``).

Keras 3 serializes an object as ``{"module", "class_name", "config",
"registered_name"}``. fastmlp's classes carry Keras's class names and config
keys, so the mapping is mostly wrapping and unwrapping: Keras's own objects
are resolved by class name in fastmlp's registries (``module`` only tells
Keras's built-ins from user objects, never what to import), user objects only
through ``custom_objects``. Options Keras writes that fastmlp lacks are
dropped when they hold Keras's neutral value (``kernel_constraint: null``)
and otherwise rejected with an error naming them.

Public API (also used by the legacy ``.h5`` reader): :func:`to_keras_config`,
:func:`from_keras_config`, :func:`compile_to_keras`, :func:`compile_from_keras`.
"""

from typing import Any

from ..errors import ModelFileError as KerasFileError

# Keras's option -> the values that mean "off" (fastmlp drops them on load;
# ANY: the option only matters when another one, rejected elsewhere, is on).
_ANY: Any = object()
_NEUTRAL: dict[str, Any] = {
    "dtype": _ANY,  # checked separately (float32 only)
    "kernel_constraint": (None,), "bias_constraint": (None,), "quantization_config": (None,),
    "lora_rank": (None,), "lora_alpha": (None,), "activity_regularizer": (None,),
    "beta_regularizer": (None,), "gamma_regularizer": (None,), "beta_constraint": (None,),
    "gamma_constraint": (None,), "synchronized": (False,), "renorm": (False,),
    "renorm_clipping": (None,), "renorm_momentum": _ANY, "noise_shape": (None,),
    "data_format": _ANY, "sparse": (False,), "ragged": (False,), "optional": (False,),
    "input_axes": (None,), "output_axes": (None,), "ignore_class": (None,),
    "ema_momentum": _ANY, "ema_overwrite_frequency": (None,), "use_ema": (False,),
    "clipnorm": (None,), "clipvalue": (None,), "global_clipnorm": (None,),
    "loss_scale_factor": (None,), "gradient_accumulation_steps": (None,), "amsgrad": (False,),
    "centered": (False,), "weight_decay": (None,),
}
# Keras's values for those options, written so Keras sees a complete config.
_KERAS_EXTRAS: dict[str, dict[str, Any]] = {
    "Dense": {"kernel_constraint": None, "bias_constraint": None, "quantization_config": None},
    "BatchNormalization": {"beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
                           "gamma_constraint": None, "synchronized": False, "renorm": False,
                           "renorm_clipping": None, "renorm_momentum": 0.99},
    "LayerNormalization": {"beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
                           "gamma_constraint": None},
    "Dropout": {"noise_shape": None},
    "Flatten": {"data_format": "channels_last"},
    "Softmax": {"axis": -1},
    "ReLU": {"max_value": None, "negative_slope": 0.0, "threshold": 0.0},
}
_MODULES = {"layer": "keras.layers", "initializer": "keras.initializers",
            "regularizer": "keras.regularizers", "loss": "keras.losses", "metric": "keras.metrics",
            "optimizer": "keras.optimizers", "schedule": "keras.optimizers.schedules"}
_FLOAT32_POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                   "registered_name": None}
# Keras's class names that are a different fastmlp class
_KERAS_CLASS_ALIASES = {"Functional": "Model"}


# --------------------------------------------------------------- registries
def model_classes():
    """``(Model, Sequential)``, taken from the layer registry: the model
    modules sit beside this package and import it, so it does not import them."""
    registry = _registry("layer")
    return registry.lookup("Model"), registry.lookup("Sequential")


def _registry(kind):
    """The fastmlp registry of ``kind`` (a layer below this one; imported on use)."""
    if kind == "layer":
        from ...layers import LAYERS
        return LAYERS
    if kind == "initializer":
        from ...initializers import INITIALIZERS
        return INITIALIZERS
    if kind == "regularizer":
        from ...regularizers import REGULARIZERS
        return REGULARIZERS
    if kind == "loss":
        from ...losses import LOSSES
        return LOSSES
    if kind == "metric":
        from ...metrics import METRICS
        return METRICS
    if kind == "optimizer":
        from ...optimizers import OPTIMIZERS
        return OPTIMIZERS
    from ...optimizers.schedules import SCHEDULES
    return SCHEDULES


def wrap(kind, class_name, config):
    """Keras's serialized form of a fastmlp object of ``kind``.

    Args:
        kind: ``"layer"``, ``"initializer"``, ``"regularizer"``, ``"loss"``,
            ``"metric"``, ``"optimizer"`` or ``"schedule"``.
        class_name: the Keras class name.
        config: the Keras config dict.

    Returns:
        ``{"module", "class_name", "config", "registered_name"}``; a user's
        class (one not in fastmlp's registry) is named by its class name in
        ``registered_name``, so ``custom_objects`` can resolve it.
    """
    builtin = class_name in _registry(kind) or class_name in ("Functional", "Sequential")
    return {"module": _MODULES[kind] if builtin else "custom", "class_name": class_name,
            "config": config, "registered_name": None if builtin else class_name}


def resolve(kind, spec, custom_objects=None):
    """The fastmlp class (or function) a Keras spec names.

    Args:
        kind: as for :func:`wrap`.
        spec: a Keras serialized object (a dict) or a bare class name.
        custom_objects: Keras's ``{name: class or function}``, searched first
            by ``registered_name`` then by ``class_name``.

    Returns:
        The class.

    Raises:
        KerasFileError: naming the object when fastmlp has no such class and
            ``custom_objects`` does not provide it.
    """
    if isinstance(spec, str):
        spec = {"class_name": spec, "module": _MODULES[kind]}
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        raise KerasFileError(f"a saved {kind} must be a mapping with a class_name, got {spec!r:.200}")
    name, registered = spec["class_name"], spec.get("registered_name")
    custom = custom_objects or {}
    for key in (registered, name):
        if isinstance(key, str) and key in custom:
            return custom[key]
    module = spec.get("module")
    # Keras's built-ins name a keras.* module; a user's object names its own
    # module, or none with a registered name "package>Name"
    if not (isinstance(module, str) and module.split(".")[0] == "keras") or ">" in str(registered or ""):
        raise KerasFileError(f"the file uses the custom {kind} {registered or name!r} (module {module!r}); "
                             f"pass its fastmlp implementation in custom_objects={{{name!r}: ...}}")
    registry = _registry(kind)
    name = _KERAS_CLASS_ALIASES.get(name, name) if kind == "layer" else name
    if name not in registry:
        raise KerasFileError(f"the file uses Keras's {kind} {spec['class_name']!r}, which fastmlp does not "
                             f"have (fastmlp has: {', '.join(registry.names())}); pass an implementation "
                             f"in custom_objects to load it")
    return registry.lookup(name)


def _strip_neutral(config, what):
    """``config`` without Keras-only options that hold their neutral value."""
    config = dict(config)
    dtype = config.pop("dtype", None)
    if isinstance(dtype, dict):
        dtype = (dtype.get("config") or {}).get("name")
    if dtype not in (None, "float32"):
        raise KerasFileError(f"{what} computes in {dtype}; fastmlp computes in float32 only")
    for key in list(config):
        neutral = _NEUTRAL.get(key)
        if neutral is _ANY or (neutral is not None and config[key] in neutral and key != "dtype"):
            del config[key]
    return config


def _build(cls, config, what):
    """``cls`` made from ``config``, any failure reported as a file error naming ``what``."""
    try:
        from_config = getattr(cls, "from_config", None)
        return from_config(config) if from_config is not None else cls(**config)
    except (TypeError, ValueError, KeyError) as exc:
        raise KerasFileError(f"cannot load {what}: {exc}") from None


# ------------------------------------------------------ functions and objects
def object_to_keras(kind, spec):
    """A fastmlp ``{"class_name", "config"}`` (or None, or a name) in Keras's form."""
    if spec is None or isinstance(spec, str):
        return spec
    config = {key: _nested_to_keras(key, value) for key, value in spec.get("config", {}).items()}
    if "seed" in config:
        config["seed"] = _keras_seed(config["seed"])
    # fastmlp's base Regularizer takes l1 and l2 as Keras's L1L2 does
    name = "L1L2" if (kind, spec["class_name"]) == ("regularizer", "Regularizer") else spec["class_name"]
    return wrap(kind, name, config)


def object_from_keras(kind, spec, custom_objects=None):
    """A fastmlp object of ``kind`` from a Keras spec (a dict, a name or None)."""
    if spec is None:
        return None
    if isinstance(spec, str):
        if custom_objects and spec in custom_objects:
            return custom_objects[spec]
        return spec  # fastmlp's get() resolves names (aliases included)
    cls = resolve(kind, spec, custom_objects)
    config = spec.get("config") or {}
    if not isinstance(config, dict):
        raise KerasFileError(f"the config of {kind} {spec.get('class_name')!r} must be a mapping")
    config = {key: _nested_from_keras(key, value, custom_objects) for key, value in config.items()}
    what = f"{kind} {spec['class_name']!r}"
    return _build(cls, _strip_neutral(config, what), what)


def _nested_kind(key):
    for suffix, kind in (("_initializer", "initializer"), ("_regularizer", "regularizer")):
        if key.endswith(suffix):
            return kind
    return "schedule" if key == "learning_rate" else None


def _nested_to_keras(key, value):
    kind = _nested_kind(key)
    return object_to_keras(kind, value) if kind and isinstance(value, dict) else value


def _nested_from_keras(key, value, custom_objects):
    kind = _nested_kind(key)
    if kind and isinstance(value, dict):
        from ...utils.registry import serialize
        obj = object_from_keras(kind, value, custom_objects)
        # fastmlp's layer configs take initializers, regularizers and schedules
        # in fastmlp's own serialized form
        return serialize(obj)
    return value


# ------------------------------------------------------------------- layers
def layer_to_keras(layer):
    """Keras's serialized form of one fastmlp layer (a model included)."""
    Model, _ = model_classes()
    if isinstance(layer, Model):
        return _model_to_keras(layer)
    name = type(layer).__name__
    config = {key: _nested_to_keras(key, value) for key, value in layer.get_config().items()
              if key != "input_shape"}
    if "seed" in config:
        config["seed"] = _keras_seed(config["seed"])
    config = {"name": config.pop("name"), "trainable": config.pop("trainable", True),
              "dtype": dict(_FLOAT32_POLICY), **config, **_KERAS_EXTRAS.get(name, {})}
    spec = wrap("layer", name, config)
    if layer.built:
        spec["build_config"] = {"input_shape": [None, *layer.input_shape_]}
    return spec


def _keras_seed(seed):
    """A seed Keras can take: Keras's torch and JAX backends keep seeds in
    int32, while fastmlp draws 64-bit seeds for layers made without one; such
    a seed is written as None (Keras then draws its own, as for a layer made
    without a seed: the masks differ across frameworks anyway)."""
    return seed if seed is None or 0 <= seed < 2**31 else None


def layer_from_keras(spec, custom_objects=None):
    """A new fastmlp layer (or model) from Keras's serialized form."""
    cls = resolve("layer", spec, custom_objects)
    Model, _ = model_classes()
    if isinstance(cls, type) and issubclass(cls, Model) and spec.get("class_name") in ("Sequential",
                                                                                      "Functional", "Model"):
        return _model_from_keras(spec, custom_objects)
    config = spec.get("config") or {}
    if not isinstance(config, dict):
        raise KerasFileError(f"the config of layer {spec.get('class_name')!r} must be a mapping")
    what = f"layer {config.get('name', '?')!r} ({spec['class_name']})"
    config = {key: _nested_from_keras(key, value, custom_objects) for key, value in config.items()}
    return _build(cls, _strip_neutral(config, what), what)


def _input_spec(name, shape):
    return {"module": "keras.layers", "class_name": "InputLayer",
            "config": {"batch_shape": [None, *shape], "dtype": "float32", "sparse": False,
                       "ragged": False, "name": name, "optional": False},
            "registered_name": None}


def _model_to_keras(model):
    _, Sequential = model_classes()
    shape = model.input_shape_ if model.built else model._declared_sample_shape()
    input_name = model._input_layer.name if model._input_layer is not None else f"{model.name}_input"
    layers = [layer_to_keras(layer) for layer in model.layers]
    if isinstance(model, Sequential):
        if shape is not None:
            layers.insert(0, _input_spec(input_name, shape))
        config = {"name": model.name, "trainable": model.trainable, "dtype": dict(_FLOAT32_POLICY),
                  "layers": layers}
        if shape is not None:
            config["build_input_shape"] = [None, *shape]
        spec = {"module": "keras", "class_name": "Sequential", "config": config, "registered_name": None}
    else:
        if shape is None:
            raise ValueError(f"model {model.name!r} has no input shape; build it before saving")
        previous, current = input_name, list(shape)
        entries = [{**_input_spec(input_name, shape), "name": input_name, "inbound_nodes": []}]
        for layer, entry in zip(model.layers, layers):
            node = {"args": [{"class_name": "__keras_tensor__",
                              "config": {"shape": [None, *current], "dtype": "float32",
                                         "keras_history": [previous, 0, 0]}}], "kwargs": {}}
            entries.append({**entry, "name": layer.name, "inbound_nodes": [node]})
            previous, current = layer.name, list(layer.output_shape_)
        config = {"name": model.name, "trainable": model.trainable, "layers": entries,
                  "input_layers": [input_name, 0, 0], "output_layers": [previous, 0, 0]}
        spec = {"module": "keras.src.models.functional", "class_name": "Functional", "config": config,
                "registered_name": "Functional"}
    if shape is not None:
        spec["build_config"] = {"input_shape": [None, *shape]}
    return spec


def _input_shape(spec):
    config = spec.get("config") or {}
    shape = config.get("batch_shape") or config.get("batch_input_shape")
    if shape is not None:
        return tuple(shape)[1:]
    shape = config.get("shape") or config.get("input_shape")
    if shape is None:
        raise KerasFileError("an InputLayer in the file has no shape")
    return tuple(shape)


def _chain(entries):
    """The layer specs of a Keras functional config in chain order, after its
    InputLayer; an error when the graph is not a single chain."""
    inputs = [e for e in entries if e.get("class_name") == "InputLayer"]
    if len(inputs) != 1:
        raise KerasFileError(f"fastmlp models take exactly one input; the file's model has {len(inputs)}")
    by_source, previous, order = {}, inputs[0].get("name"), []
    for entry in entries:
        if entry is inputs[0]:
            continue
        nodes = entry.get("inbound_nodes") or []
        args = nodes[0].get("args", []) if len(nodes) == 1 and isinstance(nodes[0], dict) else []
        if len(nodes) != 1 or len(args) != 1 or not isinstance(args[0], dict):
            raise KerasFileError(f"layer {entry.get('name')!r} is called on {len(nodes)} node(s) with "
                                 f"several inputs; fastmlp models are single chains of layers")
        source = args[0].get("config", {}).get("keras_history", [None])[0]
        if source in by_source:
            raise KerasFileError(f"layer {source!r} feeds several layers; fastmlp models are single chains")
        by_source[source] = entry
    while previous in by_source:
        order.append(by_source.pop(previous))
        previous = order[-1].get("name")
    if by_source:
        raise KerasFileError(f"layers {sorted(e.get('name') for e in by_source.values())} are not on the "
                             f"chain from the input; fastmlp models are single chains")
    return inputs[0], order


def _model_from_keras(spec, custom_objects):
    from ...layers import Input
    Model, Sequential = model_classes()
    config = spec.get("config") or {}
    entries = config.get("layers")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise KerasFileError(f"model {config.get('name')!r} in the file has no list of layers")
    name, trainable = config.get("name"), config.get("trainable", True)
    if spec["class_name"] == "Sequential":
        shape = None
        if entries and entries[0].get("class_name") == "InputLayer":
            shape, input_name = _input_shape(entries[0]), entries[0]["config"].get("name")
            entries = entries[1:]
        elif config.get("build_input_shape"):
            shape, input_name = tuple(config["build_input_shape"])[1:], None
        layers = [layer_from_keras(entry, custom_objects) for entry in entries]
        head = [Input(shape, name=input_name)] if shape is not None else []
        model = Sequential(head + layers, name=name)
    else:
        input_spec, chain = _chain(entries)
        tensor = inputs = Input(_input_shape(input_spec), name=input_spec.get("name"))
        for entry in chain:
            tensor = layer_from_keras(entry, custom_objects)(tensor)
        model = Model(inputs, tensor, name=name)
    model.trainable = bool(trainable)
    return model


def to_keras_config(model):
    """The Keras 3 ``config.json`` content for ``model`` (without its compile settings).

    Args:
        model: a fastmlp ``Sequential`` or functional ``Model``.

    Returns:
        A JSON-ready dict Keras's ``deserialize_keras_object`` accepts.
    """
    return _model_to_keras(model)


def from_keras_config(config, custom_objects=None):
    """A new, built fastmlp model from a Keras 3 model config (weights initialised afresh).

    Args:
        config: ``config.json``'s content (a Sequential or Functional model).
        custom_objects: Keras's ``{name: class or function}`` for user objects.

    Returns:
        The model.

    Raises:
        KerasFileError: naming a layer, option or object fastmlp lacks.
    """
    if not isinstance(config, dict):
        raise KerasFileError("the model config must be a mapping")
    name = config.get("class_name")
    if name not in ("Sequential", "Functional", "Model") and not (custom_objects and name in custom_objects):
        raise KerasFileError(f"the file holds a {name!r}; fastmlp loads Sequential and functional models")
    model = layer_from_keras(config, custom_objects)
    if not model.built:
        build = (config.get("build_config") or {}).get("input_shape")
        if build is None:
            raise KerasFileError(f"model {model.name!r} in the file has no input shape")
        model.build(tuple(build))
    return model


# ------------------------------------------------------------------ compile
def compile_to_keras(model):
    """Keras's ``compile_config`` for a compiled fastmlp model (None when not compiled)."""
    from ...losses import serialize as serialize_loss
    from ...metrics import serialize as serialize_metric
    from ...optimizers import serialize as serialize_optimizer
    if not model.compiled:
        return None

    def metric(spec):
        return spec if isinstance(spec, str) else object_to_keras("metric", serialize_metric(spec))
    optimizer = serialize_optimizer(model.optimizer)
    opt_config = {key: _nested_to_keras(key, value) for key, value in optimizer["config"].items()}
    return {"optimizer": wrap("optimizer", optimizer["class_name"], opt_config),
            "loss": object_to_keras("loss", serialize_loss(model.loss)), "loss_weights": None,
            "metrics": [metric(m) for m in model._metric_specs] or None,
            "weighted_metrics": [metric(m) for m in model._weighted_specs] or None,
            "run_eagerly": False, "steps_per_execution": model.steps_per_execution, "jit_compile": False}


def compile_from_keras(model, compile_config, custom_objects=None):
    """Compile ``model`` as Keras's ``compile_config`` says.

    Raises:
        KerasFileError: for a loss, metric or optimizer fastmlp lacks.
    """
    if not isinstance(compile_config, dict):
        raise KerasFileError("compile_config must be a mapping")
    optimizer = object_from_keras("optimizer", compile_config.get("optimizer"), custom_objects)
    loss = object_from_keras("loss", compile_config.get("loss"), custom_objects)
    if isinstance(loss, dict) or isinstance(loss, list):
        raise KerasFileError("fastmlp models have one output: a loss per output is not supported")

    def metrics(key):
        specs = compile_config.get(key) or []
        if not isinstance(specs, list):
            specs = [specs]
        return [object_from_keras("metric", spec, custom_objects) for spec in specs]
    if compile_config.get("loss_weights") not in (None, [], {}):
        raise KerasFileError("fastmlp models have one output: loss_weights are not supported")
    steps = compile_config.get("steps_per_execution", 1)
    try:
        model.compile(optimizer=optimizer or "rmsprop", loss=loss, metrics=metrics("metrics"),
                      weighted_metrics=metrics("weighted_metrics"),
                      steps_per_execution=1 if steps is None else steps)
    except (TypeError, ValueError) as exc:
        raise KerasFileError(f"cannot compile the loaded model as the file says: {exc}") from None

