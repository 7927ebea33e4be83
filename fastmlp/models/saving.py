"""One-file model format: architecture, weights and optimizer state.

The file is a zip archive holding ``fastmlp.json`` (the architecture, the
compile settings and the training counters) and one ``.npy`` entry per array.
Loading reads JSON and raw arrays only (``allow_pickle=False``): nothing in the
file is executed. Every entry's size is checked against what the JSON says
before it is decompressed, so a corrupt or hostile file fails with a clear
error in bounded memory. Saving writes a temporary file beside the target and
renames it into place, so an interrupted save leaves the previous file intact.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from typing import TYPE_CHECKING, Any

import numpy as np

from ..utils.files import atomic_output
from ..utils.types import PathLike
from .archive import BoundedZip
from .errors import ModelFileError  # noqa: F401 (public here, as before)
from .training_state import restore_training_state, training_state

if TYPE_CHECKING:
    from .engine import Model

FORMAT = "fastmlp-model"
FORMAT_VERSION = 1
MANIFEST = "fastmlp.json"
_MANIFEST_LIMIT = 16 * 2**20
_NPY_HEADER_LIMIT = 4096


def _write_archive(filepath, manifest, arrays):
    with atomic_output(filepath) as f, \
            zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
        for name, array in arrays.items():
            buf = io.BytesIO()
            # asarray(order="C"): ascontiguousarray would turn a 0-d state array into shape (1,)
            np.lib.format.write_array(buf, np.asarray(array, order="C"), allow_pickle=False)
            archive.writestr(f"{name}.npy", buf.getvalue())


def _metric_spec(spec):
    from .. import metrics
    return spec if isinstance(spec, str) else {"object": metrics.serialize(metrics.get(spec))}


def _state_arrays_and_manifest(model, include_optimizer=True):
    from .. import losses, optimizers
    from ..version import __version__
    weights = model.get_weights()
    arrays = {f"weights/{i:04d}": w for i, w in enumerate(weights)}
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "fastmlp_version": __version__,
        "model": {"class_name": type(model).__name__, "config": model.get_config()},
        "weights": [{"name": f"weights/{i:04d}", "shape": list(w.shape)} for i, w in enumerate(weights)],
        "training_state": training_state(model),
        "compile": None,
    }
    if model.compiled and include_optimizer:
        opt = model.optimizer
        model._bind_optimizer()
        slots = opt.state_arrays()
        arrays.update({f"optimizer/{key}": value for key, value in slots.items()})
        manifest["compile"] = {
            "loss": losses.serialize(model.loss),
            "optimizer": optimizers.serialize(opt),
            "metrics": [_metric_spec(spec) for spec in model._metric_specs],
            "iterations": opt.iterations,
            "optimizer_state": [{"name": f"optimizer/{key}", "shape": list(v.shape)}
                                for key, v in slots.items()],
        }
    return manifest, arrays


def save_model(model: Model, filepath: PathLike, overwrite: bool = True,
               include_optimizer: bool = True) -> None:
    """Write ``model`` to one file: architecture, weights, and the compile
    settings with the optimizer's state.

    Any name gets fastmlp's format except Keras's: ``.keras`` writes Keras
    3's format and ``.h5``/``.hdf5`` its legacy HDF5 model, which Keras loads.
    The file is written beside the target and renamed into place, so an
    interrupted save leaves the previous file intact.

    Args:
        model: a built model.
        filepath: the file to write.
        overwrite: replace an existing file.
        include_optimizer: store the compile settings and the optimizer's
            state (when the model is compiled), so training can resume.

    Returns:
        None.

    Raises:
        ValueError: the model is not built.
        FileExistsError: the file exists and ``overwrite`` is False.

    Example:
        >>> model = fastmlp.Sequential([fastmlp.Input((4,)), fastmlp.layers.Dense(2)])
        >>> fastmlp.saving.save_model(model, "tiny.fastmlp")
        >>> fastmlp.saving.load_model("tiny.fastmlp").count_params()
        10
    """
    model._require_built()
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False")
    from .keras_files import keras_v3
    if keras_v3.is_keras_name(filepath):  # Keras's own format under Keras's name
        return keras_v3.save_keras(model, filepath, include_optimizer)
    from .keras_files import legacy_h5
    if legacy_h5.is_legacy_h5_name(filepath):  # Keras's legacy HDF5 model (.h5, .hdf5)
        return legacy_h5.save_h5(model, filepath, include_optimizer)
    manifest, arrays = _state_arrays_and_manifest(model, include_optimizer)
    _write_archive(filepath, manifest, arrays)


def save_weights(model: Model, filepath: PathLike, overwrite: bool = True) -> None:
    """Write only the weights (and the architecture, for checking on load);
    a ``.weights.h5`` name gets Keras 3's weights file."""
    from .keras_files import keras_v3
    if keras_v3.is_weights_name(filepath):
        model._require_built()
        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(f"{filepath} exists and overwrite=False")
        return keras_v3.save_weights_h5(model, filepath)
    save_model(model, filepath, overwrite=overwrite, include_optimizer=False)


class _Archive(BoundedZip):
    """Reads a model file defensively."""

    def __init__(self, filepath):
        super().__init__(filepath, "fastmlp model")

    _read = BoundedZip.read

    def manifest(self):
        try:
            manifest = json.loads(self._read(MANIFEST, _MANIFEST_LIMIT))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelFileError(f"{self.path} has an unreadable manifest: {exc}") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ModelFileError(f"{self.path} is not a fastmlp model file")
        version = manifest.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise ModelFileError(f"{self.path} was written in format version {version} by fastmlp "
                                 f"{manifest.get('fastmlp_version')}; this fastmlp reads up to version "
                                 f"{FORMAT_VERSION}. Upgrade fastmlp to load it")
        return manifest

    def array(self, name, shape):
        shape = tuple(shape)
        data = self._read(f"{name}.npy", math.prod(shape) * 4 + _NPY_HEADER_LIMIT)
        try:
            array = np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise ModelFileError(f"{self.path}: array {name!r} is corrupt ({exc})") from None
        if array.shape != shape or array.dtype != np.float32:
            raise ModelFileError(f"{self.path}: array {name!r} is {array.dtype}{array.shape}, "
                                 f"expected float32{shape}")
        return array

def _restore_weights(model, archive, manifest):
    specs = manifest.get("weights", [])
    weights = [archive.array(spec["name"], spec["shape"]) for spec in specs]
    model.set_weights(weights)


def load_model(filepath: PathLike, custom_objects: dict[str, Any] | None = None,
               compile: bool = True, safe_mode: bool = True) -> Model:
    """Load a model written by ``model.save``: architecture, weights and, when
    it was compiled, the optimizer with its state.

    Args:
        filepath: a fastmlp model file, or Keras's ``.keras`` or legacy
            ``.h5`` file (recognised by name or by content).
        custom_objects: ``{name: class}`` for a user's own layers, losses or
            metrics named in the file.
        compile: restore the loss, metrics and optimizer when the file has them.
        safe_mode: accepted for Keras's signature; reading never runs code.

    Returns:
        The model, built, with its weights (and compiled when ``compile``).

    Raises:
        FileNotFoundError: no file at ``filepath``.
        ModelFileError: a file that is not a readable model (damaged, a newer
            format version, non-finite weights, a layer fastmlp lacks).

    Example:
        >>> model = fastmlp.Sequential([fastmlp.Input((4,)), fastmlp.layers.Dense(2)])
        >>> model.save("tiny.fastmlp")
        >>> again = fastmlp.models.load_model("tiny.fastmlp")
        >>> [w.shape for w in again.get_weights()]
        [(4, 2), (2,)]
    """
    from .. import losses, metrics, optimizers
    from ..layers import deserialize
    from .keras_files import keras_v3

    if keras_v3.is_keras_name(filepath) or keras_v3.sniff(filepath) == "keras":
        return keras_v3.load_keras(filepath, custom_objects=custom_objects, compile=compile)
    from .keras_files import legacy_h5
    if keras_v3.sniff(filepath) == "hdf5" or (legacy_h5.is_legacy_h5_name(filepath)
                                             and not zipfile.is_zipfile(filepath)):
        # as Keras: an HDF5 file is a legacy model (a weights file gets an error saying
        # so); a fastmlp archive saved under an .h5 name still loads below
        return legacy_h5.load_h5(filepath, custom_objects=custom_objects, compile=compile)
    archive = _Archive(filepath)
    try:
        manifest = archive.manifest()
        try:
            model = deserialize(manifest["model"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"{archive.path} holds an architecture this fastmlp cannot build: {exc}") from None
        model._require_built()
        _restore_weights(model, archive, manifest)
        restore_training_state(model, manifest.get("training_state", {}))
        config = manifest.get("compile")
        if compile and config:
            specs = [m if isinstance(m, str) else metrics.deserialize(m["object"]) for m in config["metrics"]]
            model.compile(optimizer=optimizers.deserialize(config["optimizer"]),
                          loss=losses.deserialize(config["loss"]), metrics=specs)
            model._bind_optimizer()
            arrays = {spec["name"][len("optimizer/"):]: archive.array(spec["name"], spec["shape"])
                      for spec in config.get("optimizer_state", [])}
            model.optimizer.load_state_arrays(arrays, config.get("iterations", 0))
        return model
    finally:
        archive.close()


def load_weights(model: Model, filepath: PathLike) -> None:
    """Load weights saved by ``save``/``save_weights`` into a model of the same
    architecture; Keras 3's ``.weights.h5`` and ``.keras`` files load too."""
    from .keras_files import keras_v3, legacy_h5
    if legacy_h5.is_legacy_file(filepath):
        return legacy_h5.load_h5_weights(model, filepath)
    if keras_v3.is_weights_name(filepath) or keras_v3.sniff(filepath) in ("hdf5", "keras"):
        return keras_v3.load_weights_any(model, filepath)
    archive = _Archive(filepath)
    try:
        manifest = archive.manifest()
        _restore_weights(model, archive, manifest)
    finally:
        archive.close()
