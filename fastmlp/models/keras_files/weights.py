"""The HDF5 weights layout Keras 3 writes (``.weights.h5``, and
``model.weights.h5`` inside a ``.keras`` archive).

Keras 3 (``saving_lib``) stores a layer's variables as datasets ``0``, ``1``,
... in a group ``layers/<name>/vars``, where ``<name>`` is the snake_case of
the layer's *class* made unique within its model (``dense``, ``dense_1``) —
not the layer's own name, which goes in the group's ``name`` attribute. A
nested model's layers sit below its own group (``layers/sequential/layers/
dense/vars``); a functional model lists its InputLayer too. The optimizer's
variables are ``optimizer/vars/0..``: the iteration count, the learning rate
(unless it is a schedule), then its slots per trainable variable in Keras's
order (Adam: momentum and velocity interleaved per variable; RMSprop: all
velocities, then all momentums). fastmlp keeps each slot as one flat buffer
per parameter store; this module maps between the two.

Reading checks every dataset's shape and dtype against the model before its
data is read, so a hostile file cannot make fastmlp allocate beyond the
model's own size.
"""

import re
import warnings
from typing import Any

import h5py
import numpy as np

from .config import KerasFileError, model_classes

# fastmlp slot names in Keras's order: each tuple is one add_optimizer_variables
# call (its names interleaved per variable), the tuples one after the other.
_KERAS_SLOT_ORDER = {"Adam": (("m", "v"),), "AdamW": (("m", "v"),), "SGD": (("momentum",),),
                     "RMSprop": (("velocity",), ("momentum",))}
# Integer variables Keras keeps (fastmlp keeps them as float32 state)
_INTEGER_STATE = {("Normalization", "count")}


def keras_snake_case(name):
    """Keras's ``naming.to_snake_case`` (``ReLU`` -> ``re_lu``), which names
    the groups of the weights file; fastmlp's own layer names do not use it."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _keras_class_name(layer):
    Model, Sequential = model_classes()
    if isinstance(layer, Model) and not isinstance(layer, Sequential):
        return "Functional"
    return type(layer).__name__


def layer_groups(model, prefix=""):
    """``[(group path, layer or model), ...]`` in Keras's layout, the model's own group first.

    Args:
        model: a fastmlp model.
        prefix: the path of the model's group (``""`` at the top).

    Returns:
        One entry per model (nested ones included) and per leaf layer.
    """
    Model, Sequential = model_classes()
    entries = [(prefix, model)]
    layers = list(model.layers)
    if not isinstance(model, Sequential) and model._input_layer is not None:
        layers.insert(0, model._input_layer)  # a functional model's layers include its input
    used: dict[str, int] = {}
    for layer in layers:
        name = keras_snake_case(_keras_class_name(layer))
        if name in used:
            used[name] += 1
            name = f"{name}_{used[name]}"
        else:
            used[name] = 0
        path = f"{prefix}layers/{name}"
        if isinstance(layer, Model):
            entries.extend(layer_groups(layer, path + "/"))
        else:
            entries.append((path, layer))
    return entries


def _vars_group(h5, path, create=False, name=None):
    key = f"{path}vars" if path == "" or path.endswith("/") else f"{path}/vars"
    if create:
        group = h5.create_group(key)
        group.attrs["name"] = name
        return group
    group = h5.get(key)
    return group if isinstance(group, h5py.Group) else None


def _state_dtypes(layer):
    """The dtype Keras keeps each of ``layer``'s weights in."""
    Model, _ = model_classes()
    if isinstance(layer, Model) or not layer.built:
        return []
    params = [np.float32] * len(layer.param_specs())
    state = [np.int32 if (type(layer).__name__, name) in _INTEGER_STATE else np.float32
             for name in layer.state_names()]
    return params + state


def write_model_weights(model, h5, include_optimizer=True):
    """Write ``model``'s weights (and its optimizer's state) into the open file ``h5``."""
    for path, layer in layer_groups(model):
        group = _vars_group(h5, path, create=True, name=layer.name)
        Model, _ = model_classes()
        if isinstance(layer, Model):
            continue
        for i, (value, dtype) in enumerate(zip(layer.get_weights(), _state_dtypes(layer))):
            group[str(i)] = np.asarray(value).astype(dtype)
    if include_optimizer and model.compiled:
        model._bind_optimizer()
        group = _vars_group(h5, "optimizer/", create=True, name=model.optimizer.name)
        for i, value in enumerate(_optimizer_arrays(model)):
            group[str(i)] = value


def check_stored_here(ds, what):
    """``ds`` when its data is in its own file; a dataset with external or
    virtual storage is refused, since reading it would read other files."""
    if ds.external or ds.is_virtual:
        raise KerasFileError(f"{what}: dataset {ds.name!r} keeps its data outside the file; only "
                             f"data stored in the file is read")
    return ds


def _read_group(group, what, expected):
    """The datasets ``0..`` of ``group``, checked against ``expected``
    (``[(shape, allowed dtype kinds)]``) before any is read."""
    names = sorted(group.keys(), key=lambda k: (len(k), k)) if group is not None else []
    if names != [str(i) for i in range(len(expected))]:
        raise KerasFileError(f"{what} expects {len(expected)} weight arrays; the file holds "
                             f"{len(names)} ({', '.join(names[:8])})")
    datasets = []
    for i, (shape, kinds) in enumerate(expected):
        if not isinstance(group.get(str(i), getlink=True), h5py.HardLink):  # a link may open another file
            raise KerasFileError(f"{what}: entry {i} of the file is a link; only data stored in the file is read")
        ds = group.get(str(i))
        if not isinstance(ds, h5py.Dataset):
            raise KerasFileError(f"{what}: entry {i} of the file is not a dataset")
        check_stored_here(ds, what)
        if tuple(ds.shape) != tuple(shape) or ds.dtype.kind not in kinds:
            raise KerasFileError(f"{what}: weight {i} in the file is {ds.dtype}{tuple(ds.shape)}, "
                                 f"the model needs {tuple(shape)} ({'float' if kinds == 'f' else 'number'})")
        datasets.append(ds)
    return [np.asarray(ds[()]) for ds in datasets]


def read_model_weights(model, h5, include_optimizer=True):
    """Load ``model``'s weights (and, when compiled and present, its
    optimizer's state) from the open file ``h5``; nothing is changed unless
    every array is valid."""
    Model, _ = model_classes()
    weights: list[Any] = []
    for path, layer in layer_groups(model):
        if isinstance(layer, Model):
            continue
        expected = [(np.shape(w), "iuf" if dtype is np.int32 else "f")
                    for w, dtype in zip(layer._weight_arrays(), _state_dtypes(layer))]
        group = _vars_group(h5, path)
        if group is None and not expected:
            continue
        what = f"layer {layer.name!r} ({type(layer).__name__}, group {path or '/'})"
        weights.extend(a.astype(np.float32) for a in _read_group(group, what, expected))
    optimizer = None
    if include_optimizer and model.compiled and _vars_group(h5, "optimizer/") is not None:
        optimizer = _read_optimizer(model, _vars_group(h5, "optimizer/"))
    model.set_weights(weights)
    if optimizer is not None:
        optimizer()


# ------------------------------------------------------------------ optimizer
def _trainable_slices(model):
    """``[(store index, offset, count, shape)]``, one per trainable weight in
    Keras's ``model.trainable_variables`` order."""
    stores = {id(store): i for i, store in enumerate(model.stores())}
    out = []
    for layer in model.leaves():
        if not layer.trainable or layer._store is None:
            continue
        for owner, _, shape, offset, count in layer._store.placed:
            if owner is layer:
                out.append((stores[id(layer._store)], offset, count, tuple(shape)))
    return out


def _slot_order(optimizer):
    for cls in type(optimizer).__mro__:
        if cls.__name__ in _KERAS_SLOT_ORDER and cls.__module__.startswith("fastmlp."):
            return [tuple(n for n in group if n in optimizer.slot_names)
                    for group in _KERAS_SLOT_ORDER[cls.__name__]]
    if not optimizer.slot_names:
        return []
    raise KerasFileError(f"fastmlp cannot map the state of optimizer {type(optimizer).__name__} "
                         f"to Keras's layout")


def _has_lr_variable(optimizer):
    return not isinstance(optimizer.get_config().get("learning_rate"), dict)


def _slot_entries(model):
    """``[(store index, slot name, offset, count, shape)]`` in Keras's variable order."""
    slices = _trainable_slices(model)
    return [(store, name, offset, count, shape)
            for group in _slot_order(model.optimizer)
            for store, offset, count, shape in slices for name in group]


def _optimizer_arrays(model):
    opt = model.optimizer
    flat = opt.state_arrays()
    arrays = [np.asarray(opt.iterations, dtype=np.int64 if opt.iterations >= 2**31 else np.int32)]
    if _has_lr_variable(opt):
        arrays.append(np.asarray(opt.learning_rate, dtype=np.float32))
    for store, name, offset, count, shape in _slot_entries(model):
        arrays.append(flat[f"{store}/{name}"][offset:offset + count].reshape(shape))
    return arrays


def _read_optimizer(model, group):
    """Read Keras's optimizer variables; returns a function that installs them
    (so nothing changes before the layers' weights are known to be valid), or
    None, with Keras's warning, when the file's optimizer has another layout."""
    opt = model.optimizer
    model._bind_optimizer()
    entries = _slot_entries(model)
    lr = _has_lr_variable(opt)
    expected = [((), "iu")] + ([((), "f")] if lr else []) + [(shape, "f") for *_, shape in entries]
    count = len(group.keys())
    if count == 2 - (not lr) and entries:
        expected = expected[:count]  # Keras's optimizer was never built: no slots yet
    elif count != len(expected):
        warnings.warn(f"Skipping variable loading for optimizer {opt.name!r}, because it has "
                      f"{len(expected)} variables whereas the saved optimizer has {count} variables.",
                      stacklevel=3)
        return None
    values = _read_group(group, f"optimizer {opt.name!r}", expected)
    iterations = int(values[0])
    if iterations < 0:
        raise KerasFileError(f"optimizer {opt.name!r}: the file's iteration count is {iterations}")
    # copies: on the NumPy backend state_arrays may hand out the live buffers
    flat = {key: np.array(value, copy=True) for key, value in opt.state_arrays().items()}
    for (store, name, offset, n, _), value in zip(entries, values[1 + lr:]):
        flat[f"{store}/{name}"][offset:offset + n] = value.reshape(-1)
    learning_rate = float(values[1]) if lr else None

    def install():
        opt.load_state_arrays(flat, iterations)
        if learning_rate is not None:
            opt.learning_rate = learning_rate
    return install
