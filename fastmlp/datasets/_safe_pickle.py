"""Reading pickled data without running arbitrary code.

Keras's IMDB and Reuters ``.npz`` files hold ragged sequences as object
arrays, which NumPy can only store as a pickle stream, and the CIFAR batches
are Python pickles.  :class:`RestrictedUnpickler` rebuilds NumPy arrays,
dtypes and scalars, the builtin containers and ``_codecs.encode`` (how
protocol 2 writes bytes), and refuses every other global
(``os.system``, ``builtins.eval``, any class with a ``__reduce__`` gadget), so
a tampered file cannot execute code.
"""

from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np

__all__ = ["RestrictedUnpickler", "restricted_loads", "load_npz"]

_NUMPY = {"ndarray", "dtype", "_reconstruct", "scalar", "_frombuffer"}  # _frombuffer: protocol 5
_NUMPY_MODULES = {"numpy", "numpy.core.multiarray", "numpy._core.multiarray", "numpy.core.numeric",
                  "numpy._core.numeric"}
_BUILTINS = {"list", "dict", "tuple", "set", "frozenset", "bytes", "bytearray", "int", "float", "complex",
             "str", "bool"}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only NumPy's array/dtype/scalar rebuilders
    and builtin containers and scalars."""

    def find_class(self, module, name):
        if ((module in _NUMPY_MODULES and name in _NUMPY)
                or (module in ("builtins", "__builtin__") and name in _BUILTINS)
                or (module, name) == ("_codecs", "encode")):  # protocol 2 spells bytes as encode(str, "latin1")
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"refusing to load {module}.{name} from a data file: only NumPy arrays and builtin "
            "containers are allowed (the file may be corrupt or malicious)")


def restricted_loads(data: bytes, encoding: str = "ASCII"):
    """``pickle.loads`` through :class:`RestrictedUnpickler`."""
    return RestrictedUnpickler(io.BytesIO(data), encoding=encoding).load()


def _read_npy(fp) -> np.ndarray:
    try:
        return np.lib.format.read_array(fp, allow_pickle=False)  # numeric arrays: no pickle at all
    except ValueError:
        fp.seek(0)
        version = np.lib.format.read_magic(fp)
        if version[0] == 1:
            np.lib.format.read_array_header_1_0(fp)
        elif version[0] in (2, 3):  # 3.0 differs from 2.0 only in the header's text encoding
            np.lib.format.read_array_header_2_0(fp)
        else:
            raise ValueError(f"unsupported .npy format version {version}") from None
        array = RestrictedUnpickler(fp).load()
        if not isinstance(array, np.ndarray):
            raise ValueError(f"an .npy member holds a {type(array).__name__}, not an array") from None
        return array


def load_npz(path) -> dict:
    """The arrays of an ``.npz`` file, by name; object arrays are unpickled
    with :class:`RestrictedUnpickler`, numeric ones without pickle.

    Raises:
        ValueError: not a readable ``.npz``, or a member that is not a plain array.
        pickle.UnpicklingError: a member names a global outside the allowed set.
    """
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if member.endswith(".npy"):
                    with archive.open(member) as raw:
                        arrays[member[: -len(".npy")]] = _read_npy(io.BytesIO(raw.read()))
    except (zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"{path}: not a readable .npz archive ({exc})") from None
    return arrays
