"""Keras's legacy HDF5 model format (``model.save("m.h5")``), both ways.

The file's root attributes hold ``model_config`` (Keras's model config as
JSON, layers written as bare ``{"class_name", "config"}``), ``keras_version``,
``backend`` and, for a compiled model, ``training_config`` (loss, metrics and
``optimizer_config``). ``model_weights`` has one group per top-level layer
(created in name order; ``layer_names`` gives the model's order) whose
``weight_names`` attribute lists its datasets by Keras path
(``sequential/dense/kernel``), trainable weights first; ``optimizer_weights``
lists the optimizer's variables the same way (the iteration count, the
learning rate, then the slots in Keras's order, see :mod:`.weights`).

Keras matches the file's layers to the model's by order, skipping layers
without weights; so does this reader. Reading takes JSON and HDF5 datasets
only: nothing is imported, executed or unpickled. Every dataset is looked up
through hard links only (no soft or external link, no external or virtual
storage, so nothing outside the file is read), and its shape and dtype are
checked against the freshly built model before its data is read. Errors
leave nothing half-loaded: the model is new and is returned only when
everything loaded.
"""

import json
import os

import h5py
import numpy as np

from ...utils.files import atomic_output
from . import config as keras_config
from . import weights as keras_weights
from .config import KerasFileError
from . import keras_v3

#: the names Keras gives its legacy HDF5 model format
EXTENSIONS = (".h5", ".hdf5")
_JSON_LIMIT = 16 * 2**20  # bytes of one JSON attribute
_NAMES_LIMIT = 2**16      # entries of one name list
# Keras's names for fastmlp's optimizer slots
_KERAS_SLOT_NAMES = {"m": "momentum", "v": "velocity"}


def is_legacy_h5_name(filepath):
    """Whether ``filepath`` names the legacy format (``.h5``/``.hdf5``, not ``.weights.h5``)."""
    name = os.fspath(filepath).lower()
    return name.endswith(EXTENSIONS) and not name.endswith(".weights.h5")


def is_legacy_file(filepath):
    """Whether ``filepath`` is an HDF5 file in the legacy layout (a model, or
    weights saved by Keras 2's ``save_weights``), not Keras 3's weights layout."""
    if keras_v3.sniff(filepath) != "hdf5":
        return False
    try:
        with h5py.File(filepath, "r") as h5:
            return "model_weights" in h5 or "layer_names" in h5.attrs
    except (OSError, ValueError):
        return False  # the caller's reader reports the damage


# ------------------------------------------------------------------- write
def _legacy_spec(spec):
    """Keras's legacy form of a layer spec: the bare class name and config,
    nested models' layers likewise (nested objects keep Keras 3's form)."""
    config = dict(spec.get("config", {}))
    if isinstance(config.get("layers"), list):
        config["layers"] = [{**_legacy_spec(entry), **{k: v for k, v in entry.items()
                                                        if k in ("name", "inbound_nodes")}}
                            for entry in config["layers"]]
    return {"class_name": spec["class_name"], "config": config}


def _names_attr(names):
    # as Keras's files read back: UTF-8 strings, or an empty float array
    return np.array(names, dtype=h5py.string_dtype()) if names else np.asarray([])


def _legacy_weights(layer):
    """Keras's legacy order: trainable weights, then the rest (Variables)."""
    return layer.trainable_weights + layer.non_trainable_weights


def _write_group(group, variables, dtypes):
    names = [v.path for v in variables]
    group.attrs["weight_names"] = _names_attr(names)
    for name, variable in zip(names, variables):
        group.create_dataset(name, data=variable.numpy().astype(dtypes.get(_key(variable), np.float32)))


def _key(variable):
    return id(variable._layer), variable.name


def _dtypes(model):
    """``{(id(layer), weight name): dtype}`` for the weights Keras keeps as integers."""
    out = {}
    for layer in model.leaves():
        for variable, dtype in zip(layer.weights, keras_weights._state_dtypes(layer)):
            if dtype is not np.float32:
                out[_key(variable)] = dtype
    return out


def _optimizer_names(model):
    """Keras's names of the optimizer's variables, in its order."""
    opt = model.optimizer
    paths = [v.path.replace("/", "_") for layer in model.leaves()
             if layer.trainable and layer._store is not None for v in layer.trainable_weights]
    names = [f"{opt.name}/iteration"]
    if keras_weights._has_lr_variable(opt):
        names.append(f"{opt.name}/learning_rate")
    names += [f"{opt.name}/{path}_{_KERAS_SLOT_NAMES.get(slot, slot)}"
              for group in keras_weights._slot_order(opt) for path in paths for slot in group]
    return names


def _training_config(model):
    config = keras_config.compile_to_keras(model)
    optimizer = config.pop("optimizer")
    config["optimizer_config"] = {"class_name": optimizer["class_name"], "config": optimizer["config"]}
    return config


def save_h5(model, filepath, include_optimizer=True):
    """Write ``model`` in Keras's legacy HDF5 format.

    Args:
        model: a built fastmlp model.
        filepath: where to write (``.h5`` or ``.hdf5``).
        include_optimizer: write the compile settings and the optimizer state.
    """
    spec = _legacy_spec(keras_config.to_keras_config(model))
    compiled = include_optimizer and model.compiled
    dtypes = _dtypes(model)
    with atomic_output(filepath) as f:
        # h5py writes the temporary file by name (it reads back as it writes)
        with h5py.File(f.name, "w") as h5:
            h5.attrs["backend"] = "torch"
            h5.attrs["keras_version"] = keras_v3.KERAS_VERSION
            h5.attrs["model_config"] = json.dumps(spec)
            if compiled:
                h5.attrs["training_config"] = json.dumps(_training_config(model))
            weights = h5.create_group("model_weights")
            weights.attrs["layer_names"] = _names_attr([layer.name for layer in model.layers])
            weights.attrs["backend"] = "torch"
            weights.attrs["keras_version"] = keras_v3.KERAS_VERSION
            for layer in sorted(model.layers, key=lambda layer: layer.name):
                _write_group(weights.create_group(layer.name), _legacy_weights(layer), dtypes)
            weights.create_group("top_level_model_weights").attrs["weight_names"] = _names_attr([])
            if compiled:
                model._bind_optimizer()
                group = h5.create_group("optimizer_weights")
                names = _optimizer_names(model)
                group.attrs["weight_names"] = _names_attr(names)
                for name, value in zip(names, keras_weights._optimizer_arrays(model)):
                    group.create_dataset(name, data=value)


# -------------------------------------------------------------------- read
def _modern_spec(spec, module="keras.layers"):
    """Keras 3's form of a legacy spec: a bare ``{"class_name", "config"}``
    names one of Keras's own classes in ``module`` (a user's class is resolved
    the same way, through ``custom_objects`` only)."""
    if not isinstance(spec, dict) or "module" in spec:
        return spec
    spec = {"module": module, "registered_name": None, **spec}
    config = spec.get("config")
    if isinstance(config, dict) and isinstance(config.get("layers"), list):
        spec["config"] = {**config, "layers": [_modern_spec(entry) for entry in config["layers"]]}
    return spec


class _Numbered:
    """Datasets listed by name, presented as Keras 3's numbered group
    (``"0"``, ``"1"``, ...), so one checked reader serves both layouts."""

    def __init__(self, datasets):
        self._datasets = list(datasets)

    def keys(self):
        return [str(i) for i in range(len(self._datasets))]

    def __len__(self):
        return len(self._datasets)

    def __contains__(self, key):
        return key in self.keys()

    def get(self, key, default=None, getlink=False):
        if key not in self.keys():
            return default
        # each was reached through hard links only (see _local)
        return h5py.HardLink() if getlink else self._datasets[int(key)]

    def __getitem__(self, key):
        return self._datasets[int(key)]


def _text(value, what):
    if isinstance(value, (bytes, np.bytes_)):
        try:
            return bytes(value).decode("utf8")
        except UnicodeDecodeError:
            raise KerasFileError(f"{what} is not UTF-8 text") from None
    if isinstance(value, str):
        return value
    raise KerasFileError(f"{what} must be text, got {type(value).__name__}")


def _json_attr(node, name, what):
    if name not in node.attrs:
        return None
    # an attribute is stored whole and uncompressed: reading it takes no more than the file's size
    text = _text(node.attrs[name], what)
    if len(text) > _JSON_LIMIT:
        raise KerasFileError(f"{what} is larger than {_JSON_LIMIT} bytes")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise KerasFileError(f"{what} is not valid JSON: {exc}") from None


def _names(node, name, what):
    """A name-list attribute (Keras splits long ones into ``name0``, ``name1``, ...)."""
    if name in node.attrs:
        keys = [name]
    else:
        keys = []
        while len(keys) < _NAMES_LIMIT and f"{name}{len(keys)}" in node.attrs:
            keys.append(f"{name}{len(keys)}")
    names = []
    for key in keys:
        shape = node.attrs.get_id(key).shape
        if len(shape) > 1 or (shape and shape[0] > _NAMES_LIMIT):
            raise KerasFileError(f"{what}: attribute {key!r} has shape {shape}, not a list of names")
        value = node.attrs[key]
        if np.ndim(value) == 0:
            value = [value]
        elif np.size(value) == 0:
            continue
        names += [_text(v, f"{what}: an entry of {key!r}") for v in value]
    if len(names) > _NAMES_LIMIT:
        raise KerasFileError(f"{what} lists {len(names)} names, more than {_NAMES_LIMIT}")
    return names


def _local(node, path, what):
    """The object at ``path`` below ``node``, reached through hard links only."""
    if not path or path.startswith("/") or ".." in path.split("/"):
        raise KerasFileError(f"{what}: {path!r} is not a path inside its group")
    for part in path.split("/"):
        if not isinstance(node, h5py.Group) or part not in node:
            raise KerasFileError(f"{what}: the file has no {path!r}")
        if not isinstance(node.get(part, getlink=True), h5py.HardLink):
            raise KerasFileError(f"{what}: {path!r} is a link; only data stored in the file is read")
        node = node[part]
    return node


def _dataset(node, path, what):
    ds = _local(node, path, what)
    if not isinstance(ds, h5py.Dataset):
        raise KerasFileError(f"{what}: {path!r} is not a dataset")
    return keras_weights.check_stored_here(ds, what)


def _group(node, path, what):
    group = _local(node, path, what)
    if not isinstance(group, h5py.Group):
        raise KerasFileError(f"{what}: {path!r} is not a group")
    return group


def _layer_weights(model, root, path):
    """The model's weights from the ``model_weights`` group ``root``, in the
    order ``model.set_weights`` takes (all checked, none set)."""
    saved = [(name, _names(_group(root, name, path), "weight_names", f"{path}: layer {name!r}"))
             for name in _names(root, "layer_names", f"{path}: model_weights")]
    saved = [(name, weights) for name, weights in saved if weights]
    layers = [layer for layer in model.layers if _legacy_weights(layer)]
    if len(saved) != len(layers):
        raise KerasFileError(f"{path}: the model has {len(layers)} layers with weights, the file "
                             f"{len(saved)} ({', '.join(name for name, _ in saved[:8])})")
    integer = set(_dtypes(model))
    values = {}
    for (name, weight_names), layer in zip(saved, layers):
        variables = _legacy_weights(layer)
        what = f"{path}: layer {layer.name!r} (file layer {name!r})"
        if len(weight_names) != len(variables):
            raise KerasFileError(f"{what} has {len(variables)} weights, the file {len(weight_names)}")
        group = _group(root, name, path)
        datasets = _Numbered(_dataset(group, w, what) for w in weight_names)
        expected = [(v.shape, "iuf" if _key(v) in integer else "f") for v in variables]
        arrays = keras_weights._read_group(datasets, what, expected)
        values.update({_key(v): a.astype(np.float32) for v, a in zip(variables, arrays)})
    return [values[_key(v)] for v in model.weights]


def _optimizer_install(model, h5, path):
    """A function installing the file's optimizer state (None when it has none)."""
    if "optimizer_weights" not in h5:
        return None
    group = _group(h5, "optimizer_weights", path)
    names = _names(group, "weight_names", f"{path}: optimizer_weights")
    datasets = _Numbered(_dataset(group, name, f"{path}: optimizer_weights") for name in names)
    return keras_weights._read_optimizer(model, datasets)


def load_h5(filepath, custom_objects=None, compile=True):
    """A new model from a legacy ``.h5`` file written by Keras or fastmlp.

    Args:
        filepath: the file.
        custom_objects: ``{name: class}`` for layers and objects fastmlp lacks.
        compile: compile the model as the file's ``training_config`` says
            and restore the optimizer state.

    Returns:
        The model, built, with the file's weights.

    Raises:
        KerasFileError: for a file that is not a readable legacy model, or one
            naming a class fastmlp lacks (named in the message).
    """
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no model file at {path}")
    try:
        h5 = h5py.File(path, "r")
    except (OSError, ValueError) as exc:
        raise KerasFileError(f"{path} is not a readable HDF5 file ({exc})") from None
    try:
        with h5:
            return _load(h5, path, custom_objects, compile)
    except (OSError, RuntimeError, KeyError) as exc:  # h5py's errors on a corrupt file
        raise KerasFileError(f"{path} is corrupt ({exc})") from None


def _load(h5, path, custom_objects, compile):
    spec = _json_attr(h5, "model_config", f"{path}: model_config")
    if spec is None:
        raise KerasFileError(f"{path} has no model_config: not a Keras model file (a weights "
                             f"file loads with model.load_weights)")
    try:
        model = keras_config.from_keras_config(_modern_spec(spec), custom_objects)
    except KerasFileError as exc:
        raise KerasFileError(f"{path}: {exc}") from None
    weights = _layer_weights(model, _group(h5, "model_weights", path), path)
    training = _json_attr(h5, "training_config", f"{path}: training_config") if compile else None
    install = None
    if training is not None:
        if not isinstance(training, dict):
            raise KerasFileError(f"{path}: training_config is not a mapping")
        training = dict(training)
        training["optimizer"] = _modern_spec(training.pop("optimizer_config", None), "keras.optimizers")
        training["loss"] = _modern_spec(training.get("loss"), "keras.losses")
        for key in ("metrics", "weighted_metrics"):
            if isinstance(training.get(key), list):
                training[key] = [_modern_spec(m, "keras.metrics") for m in training[key]]
        keras_config.compile_from_keras(model, training, custom_objects)
        install = _optimizer_install(model, h5, path)
    _set_weights(model, weights, path)
    if install is not None:
        install()
    return model


def _set_weights(model, weights, path):
    try:
        model.set_weights(weights)  # checks every value (finite numbers) before writing any
    except ValueError as exc:
        raise KerasFileError(f"{path}: {exc}") from None


def load_h5_weights(model, filepath):
    """Load the weights of a legacy ``.h5`` model (or weights) file into ``model``,
    matching layers by order as Keras does; nothing changes unless all are valid."""
    path = os.fspath(filepath)
    try:
        with h5py.File(path, "r") as h5:
            root = _group(h5, "model_weights", path) if "model_weights" in h5 else h5
            _set_weights(model, _layer_weights(model, root, path), path)
    except (OSError, RuntimeError, KeyError) as exc:
        raise KerasFileError(f"{path} is not a readable legacy weights file ({exc})") from None
