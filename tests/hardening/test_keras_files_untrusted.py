"""Untrusted Keras files of every kind (``.keras``, ``.weights.h5``, legacy
``.h5``): damaged, hostile or code-naming files fail with a clear
ModelFileError, in bounded memory, without running or unpickling anything,
reading nothing outside the file, and never leave a model half-loaded.

(The ``.keras``-specific cases of tests/models/test_keras_files_hostile.py
are not repeated here.)
"""

import builtins
import importlib
import json
import os
import pickle
import re
import shutil
import struct
import subprocess
import sys
import zipfile

import h5py
import numpy as np
import pytest

import fastmlp
from fastmlp.models import ModelFileError
from hostile_payloads import call_lambda_function, lambda_function

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "keras_fixtures")
H5 = os.path.join(FIXTURES, "h5_classifier.h5")
KERAS = os.path.join(FIXTURES, "k_clf.keras")
WEIGHTS = os.path.join(FIXTURES, "k_clf.weights.h5")
KIND_FILES = {"keras": KERAS, "weights": WEIGHTS, "h5": H5}


def classifier():
    """The architecture of the classifier fixtures, with fresh weights."""
    return fastmlp.Sequential([fastmlp.Input((4,)), fastmlp.layers.Dense(8, activation="relu"),
                               fastmlp.layers.Dropout(0.25), fastmlp.layers.Dense(3, activation="softmax")])


def load(kind, path, **kwargs):
    """Load ``path`` as a file of ``kind``; returns the model it filled."""
    if kind == "weights":
        model = classifier()
        model.load_weights(path)
        return model
    return fastmlp.saving.load_model(path, **kwargs)


def assert_refused_unchanged(path, match=None):
    """Loading ``path`` fails with ModelFileError, as a model and as weights,
    and the model it was loaded into keeps its weights."""
    with pytest.raises(ModelFileError, match=match):
        fastmlp.saving.load_model(path)
    model = classifier()
    before = model.get_weights()
    with pytest.raises(ModelFileError, match=match):
        model.load_weights(path)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def edited_h5(tmp_path, edit, source=H5, name="edited.h5"):
    path = tmp_path / name
    shutil.copy(source, path)
    with h5py.File(path, "a") as h5:
        edit(h5)
    return path


def edited_config(tmp_path, edit):
    """The legacy fixture with its model_config edited by ``edit(config)``."""
    def change(h5):
        config = json.loads(h5.attrs["model_config"])
        edit(config)
        h5.attrs["model_config"] = json.dumps(config)
    return edited_h5(tmp_path, change)


def edited_keras(tmp_path, edit_config=None, weights=None):
    with zipfile.ZipFile(KERAS) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    if edit_config is not None:
        config = json.loads(entries["config.json"])
        edit_config(config)
        entries["config.json"] = json.dumps(config)
    if weights is not None:
        entries["model.weights.h5"] = weights
    path = tmp_path / "edited.keras"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


# ------------------------------------------------------------- damaged files
@pytest.mark.parametrize("kind", sorted(KIND_FILES))
@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5, 0.9, -1])
def test_truncated_files_are_refused(tmp_path, kind, fraction):
    data = open(KIND_FILES[kind], "rb").read()
    cut = len(data) - 1 if fraction == -1 else int(len(data) * fraction)
    path = tmp_path / os.path.basename(KIND_FILES[kind])
    path.write_bytes(data[:cut])
    if kind == "weights":
        model = classifier()
        before = model.get_weights()
        with pytest.raises(ModelFileError):
            model.load_weights(path)
        for a, b in zip(before, model.get_weights()):
            np.testing.assert_array_equal(a, b)
    else:
        with pytest.raises(ModelFileError):
            fastmlp.saving.load_model(path)


@pytest.mark.parametrize("name", ["m.h5", "m.hdf5", "m.weights.h5", "m.keras"])
@pytest.mark.parametrize("data", [b"", b"not an HDF5 file\n" * 50, bytes(range(256)) * 40,
                                  b"\x89HDF\r\n\x1a\n" + b"\xff" * 600])
def test_data_that_is_not_the_named_format_is_refused(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    assert_refused_unchanged(path)


def test_a_missing_file_is_file_not_found(tmp_path):
    for name in ("m.h5", "m.keras", "m.weights.h5"):
        with pytest.raises(FileNotFoundError):
            fastmlp.saving.load_model(tmp_path / name)


# ------------------------------------------- wrong or missing legacy datasets
def _replace(h5, path, value, **kwargs):
    del h5[path]
    h5.create_dataset(path, data=value, **kwargs) if value is not None else h5.create_dataset(path, **kwargs)


KERNEL = "model_weights/dense_1/classifier/dense_1/kernel"  # the last layer: a half-load would show
LEGACY_DAMAGE = {
    # as weights, such a file reads as Keras 3's layout, which it lacks too
    "no model_weights": (lambda h5: h5.__delitem__("model_weights"), "model_weights|weight arrays"),
    "missing dataset": (lambda h5: h5.__delitem__(KERNEL), "dense_1/kernel"),
    "wrong shape": (lambda h5: _replace(h5, KERNEL, np.zeros((3, 8), "float32")), r"\(8, 3\)"),
    "string dtype": (lambda h5: _replace(h5, KERNEL, np.array([[b"x" * 3] * 3] * 8)), "dense_1"),
    "object dtype": (lambda h5: _replace(h5, KERNEL, None, shape=(8, 3), dtype=h5py.string_dtype()), "dense_1"),
    "compound dtype": (lambda h5: _replace(h5, KERNEL, np.zeros((8, 3), [("a", "f4"), ("b", "i4")])), "dense_1"),
    "huge declared shape": (lambda h5: _replace(h5, KERNEL, None, shape=(2**20, 2**20), dtype="float32",
                                                chunks=(64, 64)), r"\(8, 3\)"),
    "non-finite": (lambda h5: _replace(h5, KERNEL, np.full((8, 3), np.nan, "float32")), "finite"),
    "weight_names not text": (lambda h5: h5["model_weights/dense_1"].attrs.__setitem__(
        "weight_names", np.arange(2)), "text"),
    "a weight too many": (lambda h5: h5["model_weights/dense_1"].attrs.__setitem__(
        "weight_names", np.array(["classifier/dense_1/kernel"] * 3, dtype=h5py.string_dtype())), "weights"),
    "a layer too few": (lambda h5: h5["model_weights"].attrs.__setitem__(
        "layer_names", np.array(["dense"], dtype=h5py.string_dtype())), "layers"),
    "an unknown layer": (lambda h5: h5["model_weights"].attrs.__setitem__(
        "layer_names", np.array(["dense", "nope"], dtype=h5py.string_dtype())), "nope"),
    "path escapes the group": (lambda h5: h5["model_weights/dense_1"].attrs.__setitem__(
        "weight_names", np.array(["../dense/classifier/dense/kernel", "/x"], dtype=h5py.string_dtype())),
        "not a path inside"),
    "a group where a dataset goes": (lambda h5: (h5.__delitem__(KERNEL), h5.create_group(KERNEL)), "not a dataset"),
}


@pytest.mark.parametrize("damage", sorted(LEGACY_DAMAGE))
def test_damaged_legacy_weights_are_refused(tmp_path, damage):
    edit, match = LEGACY_DAMAGE[damage]
    assert_refused_unchanged(edited_h5(tmp_path, edit), match)


def test_a_huge_declared_shape_is_never_read(tmp_path, monkeypatch):
    # 4 TiB declared (stored sparse, so the file is tiny): the shape check comes first
    path = edited_h5(tmp_path, LEGACY_DAMAGE["huge declared shape"][0])
    assert os.path.getsize(path) < 2**20
    read = []
    monkeypatch.setattr(h5py.Dataset, "__getitem__", lambda self, key: read.append(self.name))
    with pytest.raises(ModelFileError, match=r"\(8, 3\)"):
        fastmlp.saving.load_model(path)
    assert KERNEL not in [name.lstrip("/") for name in read]


@pytest.mark.parametrize("attr, value, match", [
    ("model_config", "{not json", "JSON"),
    ("model_config", "[1, 2]", "mapping"),
    ("model_config", None, "model_config"),
    ("training_config", "{bad", "JSON"),
    ("training_config", json.dumps({"loss": "no_such_loss", "optimizer_config": None}), "no_such_loss"),
])
def test_bad_configs_are_refused(tmp_path, attr, value, match):
    def edit(h5):
        if value is None:
            del h5.attrs[attr]
        else:
            h5.attrs[attr] = value
    with pytest.raises(ModelFileError, match=match):
        fastmlp.saving.load_model(edited_h5(tmp_path, edit))


# ----------------------------------------------- nothing outside the file
def _link_kernel(kind, tmp_path):
    """An edit that puts a link (or external storage) where a weight dataset goes."""
    outside = tmp_path / "outside.h5"
    with h5py.File(outside, "w") as h5:
        h5["kernel"] = np.zeros((8, 3), "float32")
    raw = tmp_path / "outside.bin"
    raw.write_bytes(np.zeros(24, "float32").tobytes())

    def edit(h5, path):
        del h5[path]
        if kind == "external link":
            h5[path] = h5py.ExternalLink(str(outside), "kernel")
        elif kind == "soft link":
            h5[path] = h5py.SoftLink("/" + path)  # a cycle, too
        else:
            h5.create_dataset(path, shape=(8, 3), dtype="float32", external=[(str(raw), 0, 96)])
    return edit


@pytest.mark.parametrize("kind", ["external link", "soft link", "external storage"])
def test_links_and_external_storage_are_refused_in_legacy_files(tmp_path, kind):
    edit = _link_kernel(kind, tmp_path)
    assert_refused_unchanged(edited_h5(tmp_path, lambda h5: edit(h5, KERNEL)), "link|outside the file")


@pytest.mark.parametrize("kind", ["external link", "soft link", "external storage"])
def test_links_and_external_storage_are_refused_in_keras_3_weights(tmp_path, kind):
    edit = _link_kernel(kind, tmp_path)
    path = edited_h5(tmp_path, lambda h5: edit(h5, "layers/dense_1/vars/0"), WEIGHTS, "w.weights.h5")
    model = classifier()
    before = model.get_weights()
    with pytest.raises(ModelFileError, match="link|outside the file"):
        model.load_weights(path)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    # and inside a .keras archive
    with pytest.raises(ModelFileError, match="link|outside the file"):
        fastmlp.saving.load_model(edited_keras(tmp_path, weights=path.read_bytes()))


# ------------------------------------------------------------- zip bombs
def test_a_zip_bomb_is_refused_from_its_declared_size(tmp_path):
    # 1 GiB of spaces compresses to about 1 MiB; its declared size gives it away
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(KERAS) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            if name != "config.json":
                archive.writestr(name, data)
        with archive.open("config.json", "w", force_zip64=True) as f:
            block = b" " * 2**20
            for _ in range(1024):
                f.write(block)
    assert os.path.getsize(path) < 8 * 2**20
    with pytest.raises(ModelFileError, match="declares"):
        fastmlp.saving.load_model(path)


def test_a_zip_bomb_that_lies_about_its_size_is_cut_off(tmp_path):
    # config.json inflates to 64 MiB but its headers claim 100 bytes
    path = tmp_path / "liar.keras"
    with zipfile.ZipFile(KERAS) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries["config.json"] = b" " * (64 * 2**20)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local and central headers
        start = 0
        while (start := data.find(signature, start)) >= 0:
            name_len = struct.unpack_from("<H", data, start + (26 if signature == b"PK\x03\x04" else 28))[0]
            header = 30 if signature == b"PK\x03\x04" else 46
            if data[start + header:start + header + name_len] == b"config.json":
                struct.pack_into("<I", data, start + offset, 100)
            start += 4
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError):
        fastmlp.saving.load_model(path)


# ------------------------------------------------- code named by a config
def _set_layer(config, spec):
    config["config"]["layers"][2] = spec


def _lambda(config, marker):
    """A Lambda layer whose function creates ``marker`` when the layer is called."""
    _set_layer(config, {"class_name": "Lambda", "config": {"name": "lam", "function": lambda_function(marker)}})


def _payload(module, class_name, marker):
    """A config that runs code when ``module.class_name`` is called with it as
    keyword arguments (as a loader's ``cls(**config)`` would): it creates
    ``marker``, or calls one of the recorders the test puts in place of the
    functions that take their arguments positionally only."""
    name = class_name.split(".")[-1]
    command = [sys.executable, "-c", f"open({str(marker)!r}, 'w').close()"]
    return {"open": {"file": str(marker), "mode": "w"}, "makedirs": {"name": str(marker)},
            "run": {"args": command}, "Popen": {"args": command}}.get(name, {"command": f"touch {marker}"})


@pytest.mark.parametrize("class_name, module", [("os.system", "os"), ("builtins.eval", "builtins"),
                                                ("system", "os"), ("eval", "builtins"),
                                                ("Popen", "subprocess"), ("loads", "pickle"),
                                                ("open", "builtins"), ("makedirs", "os"), ("run", "subprocess")])
@pytest.mark.parametrize("where", ["layer", "initializer"])
@pytest.mark.parametrize("kind", ["h5", "keras"])
def test_configs_naming_callables_are_refused(tmp_path, monkeypatch, class_name, module, where, kind):
    called = []

    def record(*args, **kwargs):
        called.append((args, kwargs))
    monkeypatch.setattr(os, "system", record)
    monkeypatch.setattr(builtins, "eval", record)
    monkeypatch.setattr(pickle, "loads", record)
    if class_name == "Popen":  # (subprocess.run needs the real one: it really runs)
        monkeypatch.setattr(subprocess, "Popen", record)
    marker = tmp_path / "code-ran"
    payload = _payload(module, class_name, marker)
    # sanity: resolving the name as Keras would (module, then the attribute) and
    # calling it with the payload does run code
    result = getattr(importlib.import_module(module), class_name.split(".")[-1])(**payload)
    if hasattr(result, "close"):
        result.close()
    assert called or marker.exists(), "the payload would not run"
    called.clear()
    os.rmdir(marker) if marker.is_dir() else marker.unlink() if marker.exists() else None

    def edit(config):
        spec = {"module": module, "class_name": class_name, "config": payload,
                "registered_name": class_name}
        if kind == "h5":
            spec.pop("module")
            spec.pop("registered_name")
        if where == "layer":
            _set_layer(config, spec)
        else:
            config["config"]["layers"][1]["config"]["kernel_initializer"] = spec
    path = edited_config(tmp_path, edit) if kind == "h5" else edited_keras(tmp_path, edit)
    # the loader's own refusal, naming the class (a loader that resolved it
    # would fail otherwise, if at all): a .keras file's module is not Keras's; a
    # legacy file names no module: its layers are looked up among Keras's
    # classes, a nested object without a module is a custom one
    name = re.escape(class_name)
    refusal = (rf"the file uses the custom {where} '{name}' \(module '{module}'\)" if kind == "keras" else
               rf"the file uses Keras's layer '{name}', which fastmlp does not have" if where == "layer" else
               rf"the file uses the custom initializer '{name}' \(module None\)")
    with pytest.raises(ModelFileError, match=refusal):
        fastmlp.saving.load_model(path)
    assert called == [] and not marker.exists()


# each with the loader's own refusal (a bare name is looked up in fastmlp's table)
@pytest.mark.parametrize("key, value, refusal", [
    ("loss", "os.system", r"unknown loss 'os\.system'"),
    ("loss", {"class_name": "builtins.eval", "config": {}},
     r"the file uses Keras's loss 'builtins\.eval', which fastmlp does not have"),
    ("metrics", ["os.system"], r"unknown metric 'os\.system'")])
def test_training_configs_naming_callables_are_refused(tmp_path, monkeypatch, key, value, refusal):
    called = []

    def record(*args, **kwargs):
        called.append((args, kwargs))
    monkeypatch.setattr(os, "system", record)
    monkeypatch.setattr(builtins, "eval", record)

    def edit(h5):
        config = json.loads(h5.attrs["training_config"])
        config[key] = value
        h5.attrs["training_config"] = json.dumps(config)
    with pytest.raises(ModelFileError, match=refusal):
        fastmlp.saving.load_model(edited_h5(tmp_path, edit))
    assert called == []


def test_a_lambda_layer_in_a_legacy_file_is_named_and_never_run(tmp_path):
    marker = tmp_path / "code-ran"
    call_lambda_function(lambda_function(marker))  # sanity: the payload runs code when rebuilt and called
    assert marker.exists()
    marker.unlink()
    path = edited_config(tmp_path, lambda config: _lambda(config, marker))
    with pytest.raises(ModelFileError, match="the file uses Keras's layer 'Lambda', which fastmlp does not have"):
        fastmlp.saving.load_model(path)
    assert not marker.exists()


class MyDense(fastmlp.layers.Dense):
    """A user's layer: it joins no registry, so files reach it only through custom_objects."""


def test_an_unknown_custom_class_in_a_legacy_file_is_named_unless_given(tmp_path):
    # (.keras: tests/models/test_keras_files_from_keras.py, with a Keras-written custom layer)
    def edit(config):
        config["config"]["layers"][3]["class_name"] = "MyDense"
    path = edited_config(tmp_path, edit)
    with pytest.raises(ModelFileError, match="MyDense"):
        fastmlp.saving.load_model(path)
    model = fastmlp.saving.load_model(path, custom_objects={"MyDense": MyDense})
    assert type(model.layers[-1]) is MyDense
    reference = fastmlp.saving.load_model(H5)
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), reference.predict(x, verbose=0))


# ------------------------------------------------ never unpickled or run
@pytest.mark.parametrize("kind", sorted(KIND_FILES))
def test_loading_never_unpickles(kind, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a Keras file was unpickled")
    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    monkeypatch.setattr(np, "load", refuse)
    model = load(kind, KIND_FILES[kind])
    assert model.built


def test_a_model_is_returned_whole_or_not_at_all(tmp_path):
    # the last layer's kernel is bad: the weights read before it are never installed anywhere
    path = edited_h5(tmp_path, LEGACY_DAMAGE["wrong shape"][0])
    model = fastmlp.saving.load_model(H5)
    before = model.get_weights()
    with pytest.raises(ModelFileError):
        model.load_weights(path)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    # a bad optimizer state leaves no model behind either
    def bad_slot(h5):
        _replace(h5, "optimizer_weights/adam/classifier_dense_1_bias_velocity", np.zeros(7, "float32"))
    with pytest.raises(ModelFileError, match="optimizer"):
        fastmlp.saving.load_model(edited_h5(tmp_path, bad_slot, name="opt.h5"))
