"""Keras 3's ``.keras`` archive and ``.weights.h5`` file: writing, reading,
and recognising them (by name and by content).

A ``.keras`` file is a zip of ``config.json`` (the model's serialized config
with its ``compile_config``), ``metadata.json`` and ``model.weights.h5``
(the layout of :mod:`.weights`). Reading takes JSON and HDF5 datasets only:
nothing in a file is imported, executed or unpickled. Zip members are size
checked before they are decompressed, the weights entry against a bound
computed from the model the config describes. Files are written to a
temporary file and renamed into place.
"""

import datetime
import io
import json
import os
import zipfile

import h5py

from ...utils.files import atomic_output
from ..archive import BoundedZip
from ..training_state import restore_training_state, training_state
from . import config as keras_config
from . import weights as keras_weights
from .config import KerasFileError

CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
#: the Keras release whose layout these files follow (Keras ignores it on load)
KERAS_VERSION = "3.15.1"
_JSON_LIMIT = 16 * 2**20
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
# HDF5 bookkeeping per dataset/group is well under this; the bound below adds
# it to the model's own bytes (weights, plus up to three optimizer slots each)
_H5_OVERHEAD_PER_ENTRY = 8192


def is_keras_name(filepath):
    """Whether ``filepath`` names Keras's ``.keras`` format."""
    return os.fspath(filepath).lower().endswith(".keras")


def is_weights_name(filepath):
    """Whether ``filepath`` names Keras's ``.weights.h5`` format."""
    return os.fspath(filepath).lower().endswith(".weights.h5")


def sniff(filepath):
    """``"keras"`` for a Keras 3 archive, ``"hdf5"`` for an HDF5 file, else None."""
    try:
        with open(filepath, "rb") as f:
            head = f.read(8)
    except OSError:
        return None
    if head == _HDF5_SIGNATURE:
        return "hdf5"
    if head[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(filepath) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return None
        if CONFIG in names and "fastmlp.json" not in names:
            return "keras"
    return None


# --------------------------------------------------------------------- write
def _h5_bytes(model, include_optimizer):
    buf = io.BytesIO()
    with h5py.File(buf, "w") as h5:
        keras_weights.write_model_weights(model, h5, include_optimizer)
    return buf.getvalue()


def save_keras(model, filepath, include_optimizer=True):
    """Write ``model`` as a Keras 3 ``.keras`` archive.

    Args:
        model: a built fastmlp model.
        filepath: where to write.
        include_optimizer: write the compile settings and the optimizer state.
    """
    spec = keras_config.to_keras_config(model)
    if include_optimizer and model.compiled:
        spec["compile_config"] = keras_config.compile_to_keras(model)
    metadata = {"keras_version": KERAS_VERSION,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
                "fastmlp_training_state": training_state(model)}
    weights = _h5_bytes(model, include_optimizer)
    with atomic_output(filepath) as f, zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(METADATA, json.dumps(metadata))
        archive.writestr(CONFIG, json.dumps(spec))
        archive.writestr(WEIGHTS, weights)


def save_weights_h5(model, filepath):
    """Write ``model``'s weights (and optimizer state, when compiled) as Keras's ``.weights.h5``."""
    data = _h5_bytes(model, include_optimizer=True)
    with atomic_output(filepath) as f:
        f.write(data)


# ---------------------------------------------------------------------- read
def _weights_bound(model):
    """The most bytes a valid weights entry for ``model`` can take."""
    groups = keras_weights.layer_groups(model)
    params = sum(int(w.size) for w in model.get_weights())
    entries = len(groups) + len(model.get_weights()) * 4 + 8
    return params * 4 * 4 + entries * _H5_OVERHEAD_PER_ENTRY + 2**16


class _KerasArchive(BoundedZip):
    """A ``.keras`` zip read defensively."""

    def __init__(self, filepath):
        super().__init__(filepath, "Keras .keras")

    def config(self):
        try:
            spec = json.loads(self.read(CONFIG, _JSON_LIMIT))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise KerasFileError(f"{self.path} has an unreadable config.json: {exc}") from None
        if not isinstance(spec, dict):
            raise KerasFileError(f"{self.path}: config.json is not a model config")
        return spec

def _open_h5(data, path):
    try:
        return h5py.File(io.BytesIO(data), "r")
    except (OSError, ValueError) as exc:
        raise KerasFileError(f"{path}: the weights are not a readable HDF5 file ({exc})") from None


def _read_weights(model, h5, path, include_optimizer):
    try:
        keras_weights.read_model_weights(model, h5, include_optimizer)
    except KerasFileError as exc:
        raise KerasFileError(f"{path}: {exc}") from None
    except (OSError, KeyError, RuntimeError) as exc:  # h5py's errors on a corrupt file
        raise KerasFileError(f"{path}: the weights file is corrupt ({exc})") from None


def load_keras(filepath, custom_objects=None, compile=True):
    """A model from a Keras 3 ``.keras`` archive (compiled, with its optimizer
    state, when the file holds a compile config and ``compile`` is true).

    Raises:
        KerasFileError: for a file that is not a readable Keras model, or one
            using a layer, option or object fastmlp lacks (named).
    """
    archive = _KerasArchive(filepath)
    try:
        spec = archive.config()
        try:
            model = keras_config.from_keras_config(spec, custom_objects)
        except KerasFileError as exc:
            raise KerasFileError(f"{archive.path}: {exc}") from None
        compile_config = spec.get("compile_config")
        if compile and compile_config:
            keras_config.compile_from_keras(model, compile_config, custom_objects)
        data = archive.read(WEIGHTS, _weights_bound(model))
        state = _fastmlp_state(archive)
    finally:
        archive.close()
    with _open_h5(data, archive.path) as h5:
        _read_weights(model, h5, archive.path, include_optimizer=model.compiled)
    try:
        restore_training_state(model, state)
    except (TypeError, ValueError, AttributeError) as exc:
        raise KerasFileError(f"{archive.path}: unreadable fastmlp training state in metadata.json ({exc})") from None
    return model


def _fastmlp_state(archive):
    """The training counters fastmlp keeps in ``metadata.json`` (none in Keras's own files)."""
    if METADATA not in archive.entries:
        return {}
    try:
        metadata = json.loads(archive.read(METADATA, _JSON_LIMIT))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}  # Keras never reads metadata.json either
    state = metadata.get("fastmlp_training_state") if isinstance(metadata, dict) else None
    return state if isinstance(state, dict) else {}


def load_weights_any(model, filepath):
    """Load weights from a Keras ``.weights.h5`` file or a ``.keras`` archive
    into ``model`` (its optimizer state too, when the model is compiled)."""
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no weights file at {path}")
    if sniff(path) == "keras":
        archive = _KerasArchive(path)
        try:
            data = archive.read(WEIGHTS, _weights_bound(model))
        finally:
            archive.close()
        h5 = _open_h5(data, path)
    else:
        try:
            h5 = h5py.File(path, "r")
        except (OSError, ValueError) as exc:
            raise KerasFileError(f"{path} is not a readable Keras weights file ({exc})") from None
    with h5:
        _read_weights(model, h5, path, include_optimizer=model.compiled)
