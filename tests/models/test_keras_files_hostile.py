"""Bad and hostile Keras files: clear ModelFileErrors in bounded memory,
nothing executed, the model left unchanged, and saves that are atomic."""

import io
import json
import os
import zipfile

import h5py
import numpy as np
import pytest

import fastmlp
from fastmlp.models import ModelFileError
from hostile_payloads import call_lambda_function, lambda_function

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras_fixtures")
CLF = os.path.join(HERE, "k_clf.keras")


def members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rewrite(path, entries, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def with_config(tmp_path, edit):
    entries = members(CLF)
    config = json.loads(entries["config.json"])
    edit(config)
    entries["config.json"] = json.dumps(config)
    return rewrite(tmp_path / "edited.keras", entries)


def small_model():
    return fastmlp.Sequential([fastmlp.Input((4,)), fastmlp.layers.Dense(8, activation="relu"),
                               fastmlp.layers.Dropout(0.25), fastmlp.layers.Dense(3, activation="softmax")])


def test_a_lambda_layer_is_named_and_never_run(tmp_path):
    marker = tmp_path / "code-ran"
    function = lambda_function(marker)
    # sanity: the function as Keras would rebuild it does run code
    call_lambda_function(function)
    assert marker.exists()
    marker.unlink()

    def edit(config):
        config["config"]["layers"][2] = {"module": "keras.layers", "class_name": "Lambda",
                                         "config": {"name": "lam", "function": function},
                                         "registered_name": None}
    path = with_config(tmp_path, edit)
    # the loader's own refusal (a Lambda it tried to rebuild would fail otherwise, or run)
    with pytest.raises(ModelFileError, match="the file uses Keras's layer 'Lambda', which fastmlp does not have"):
        fastmlp.saving.load_model(path)
    with pytest.raises(ModelFileError, match="the file uses Keras's layer 'Lambda', which fastmlp does not have"):
        fastmlp.saving.load_model(path, compile=False)
    assert not marker.exists()


def test_an_unsupported_option_is_named(tmp_path):
    def edit(config):
        config["config"]["layers"][1]["config"]["kernel_constraint"] = {
            "module": "keras.constraints", "class_name": "MaxNorm", "config": {"max_value": 2}}
    with pytest.raises(ModelFileError, match="kernel_constraint"):
        fastmlp.saving.load_model(with_config(tmp_path, edit))


def test_an_unknown_loss_or_optimizer_is_named(tmp_path):
    def edit(config):
        config["compile_config"]["optimizer"]["class_name"] = "Lion"
    with pytest.raises(ModelFileError, match="Lion"):
        fastmlp.saving.load_model(with_config(tmp_path, edit))
    model = fastmlp.saving.load_model(with_config(tmp_path, edit), compile=False)
    assert not model.compiled


def test_a_non_float32_model_is_refused(tmp_path):
    def edit(config):
        config["config"]["layers"][1]["config"]["dtype"]["config"]["name"] = "mixed_float16"
    with pytest.raises(ModelFileError, match="mixed_float16"):
        fastmlp.saving.load_model(with_config(tmp_path, edit))


def test_a_branching_functional_graph_is_refused(tmp_path):
    entries = members(os.path.join(HERE, "k_nested.keras"))
    config = json.loads(entries["config.json"])
    layers = config["config"]["layers"]
    layers[-1]["inbound_nodes"][0]["args"][0]["config"]["keras_history"][0] = layers[1]["name"]
    entries["config.json"] = json.dumps(config)
    with pytest.raises(ModelFileError, match="single chain"):
        fastmlp.saving.load_model(rewrite(tmp_path / "branch.keras", entries))


def test_oversized_members_are_refused_before_reading(tmp_path):
    entries = members(CLF)
    # a weights entry far larger than this model can need: refused from its declared size
    entries["model.weights.h5"] = b"\0" * (64 * 2**20)
    with pytest.raises(ModelFileError, match="declares"):
        fastmlp.saving.load_model(rewrite(tmp_path / "big.keras", entries))
    entries = members(CLF)
    entries["config.json"] = b" " * (17 * 2**20)
    with pytest.raises(ModelFileError, match="declares"):
        fastmlp.saving.load_model(rewrite(tmp_path / "bigconfig.keras", entries))


@pytest.mark.parametrize("damage", ["shape", "dtype", "missing", "extra", "garbage"])
def test_bad_weights_are_refused_and_the_model_is_unchanged(tmp_path, damage):
    path = tmp_path / "bad.weights.h5"
    model = small_model()
    model.save_weights(path)
    target = small_model()
    before = target.get_weights()
    if damage == "garbage":
        path.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x01" * 1000)
    else:
        with h5py.File(path, "a") as h5:
            group = h5["layers/dense_1/vars"]
            if damage == "shape":
                del group["0"]
                group["0"] = np.zeros((8, 4), "float32")
            elif damage == "dtype":
                del group["1"]
                group["1"] = np.array([b"abc"] * 3)
            elif damage == "missing":
                del group["1"]
            else:
                group["2"] = np.zeros(3, "float32")
    with pytest.raises(ModelFileError):
        target.load_weights(path)
    for a, b in zip(before, target.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_huge_dataset_is_refused_from_its_shape(tmp_path):
    path = tmp_path / "huge.weights.h5"
    small_model().save_weights(path)
    with h5py.File(path, "a") as h5:
        del h5["layers/dense/vars/0"]
        # declared 4 GiB, stored sparse: reading it would allocate it all
        h5["layers/dense/vars"].create_dataset("0", shape=(2**15, 2**15), dtype="float32")
    with pytest.raises(ModelFileError, match=r"\(4, 8\)"):
        small_model().load_weights(path)


def test_not_a_keras_file(tmp_path):
    path = tmp_path / "junk.keras"
    path.write_bytes(b"not a zip")
    with pytest.raises(ModelFileError):
        fastmlp.saving.load_model(path)
    rewrite(tmp_path / "empty.keras", {"metadata.json": "{}"})
    with pytest.raises(ModelFileError, match="config.json"):
        fastmlp.saving.load_model(tmp_path / "empty.keras")


def test_load_model_on_a_weights_file_says_so():
    with pytest.raises(ModelFileError, match="load_weights"):
        fastmlp.saving.load_model(os.path.join(HERE, "k_clf.weights.h5"))


def test_a_failed_save_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    model = small_model()
    model.save(path)
    old = path.read_bytes()
    from fastmlp.models.keras_files import keras_v3

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(keras_v3.zipfile.ZipFile, "writestr", broken)
    with pytest.raises(RuntimeError):
        model.save(path)
    assert path.read_bytes() == old
    assert sorted(os.listdir(tmp_path)) == ["m.keras"]


def test_overwrite_false(tmp_path):
    model = small_model()
    model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "m.weights.h5")
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "m.keras", overwrite=False)
    with pytest.raises(FileExistsError):
        model.save_weights(tmp_path / "m.weights.h5", overwrite=False)


def test_weights_file_bytes_are_a_readable_h5(tmp_path):
    model = small_model()
    model.save_weights(tmp_path / "m.weights.h5")
    with h5py.File(io.BytesIO((tmp_path / "m.weights.h5").read_bytes())) as h5:
        assert sorted(h5["layers"].keys()) == ["dense", "dense_1", "dropout"]
