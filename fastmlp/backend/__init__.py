"""Backend selection: which implementation of the kernels runs.

``numpy``  the pure-NumPy reference (always available);
``cython`` the compiled C kernels (the default);
``cupy``   NVIDIA GPUs through CuPy (optional).

The backend is chosen by :func:`set_backend` or the ``FASTMLP_BACKEND``
environment variable, and applies to models built after the choice. When the
compiled extension is missing (a source tree that was never built) the default
falls back to ``numpy`` with one warning; ``FASTMLP_REQUIRE_COMPILED=1`` turns
that fallback into an error.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import warnings
from typing import TYPE_CHECKING, Any, Iterator

from .errors import BackendUnavailable, CompiledExtensionMissing

if TYPE_CHECKING:
    from .numpy_ops import NumpyOps  # every backend's Ops subclasses it

BACKENDS = ("cython", "numpy", "cupy")
DEFAULT_BACKEND = "cython"

_instances: dict[str, Any] = {}
_current: Any = None


def _compiled_import_error():
    """The error importing the compiled kernels raised, or None if they import."""
    try:
        from . import _kernels  # noqa: F401
    except ImportError as exc:
        return exc
    return None


def _missing_message(exc):
    return (
        f"fastmlp's compiled kernels (fastmlp.backend._kernels) could not be imported: {exc}. "
        "This happens in a source tree that was never built: install with `pip install .` "
        "(or build in place with `python setup.py build_ext --inplace`)."
    )


def _make(name: str) -> NumpyOps:
    if name == "numpy":
        from .numpy_ops import NumpyOps
        return NumpyOps()
    if name == "cython":
        exc = _compiled_import_error()
        if exc is not None:
            raise CompiledExtensionMissing(_missing_message(exc)) from exc
        from .cython_ops import CythonOps
        return CythonOps()
    if name == "cupy":
        from .cupy_ops import CupyOps
        return CupyOps()
    raise ValueError(f"unknown backend {name!r}; valid backends are {', '.join(BACKENDS)}")


def get_ops(name: str | None = None) -> NumpyOps:
    """The kernel object (an ``Ops``) of backend ``name``, or of the current backend.

    Each backend's ``Ops`` is made once and then reused; asking for one does
    not change which backend new models use (see :func:`set_backend`).

    Args:
        name: ``"cython"``, ``"numpy"`` or ``"cupy"`` (lowercase), or None
            (the default) for the backend that runs now.

    Returns:
        The backend's ``Ops`` object (a ``NumpyOps`` or a subclass), whose
        ``name`` is the backend's name.

    Raises:
        ValueError: an unknown name (or, for None, an unknown
            ``FASTMLP_BACKEND``).
        CompiledExtensionMissing: ``"cython"`` when the compiled kernels are
            not built (for None, only with ``FASTMLP_REQUIRE_COMPILED=1``;
            otherwise the default falls back to ``numpy`` with a warning).
        BackendUnavailable: ``"cupy"`` without CuPy or an NVIDIA GPU.

    Example:
        >>> ops = fastmlp.backend.get_ops("numpy")
        >>> ops.name
        'numpy'
        >>> ops is fastmlp.backend.get_ops("numpy")
        True
        >>> fastmlp.backend.get_ops().name
        'cython'
    """
    if name is None:
        return _current_ops()
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; valid backends are {', '.join(BACKENDS)}")
    if name not in _instances:
        _instances[name] = _make(name)
    return _instances[name]


def set_backend(name: str) -> NumpyOps:
    """Make ``name`` the backend of models built from now on.

    Models built before keep the backend they were built with. To switch only
    for a block of code, use :func:`use_backend`.

    Args:
        name: ``"cython"``, ``"numpy"`` or ``"cupy"`` (any letter case).

    Returns:
        The backend's ``Ops`` object (see :func:`get_ops`).

    Raises:
        ValueError: an unknown name.
        CompiledExtensionMissing: ``"cython"`` when the compiled kernels are
            not built (an ImportError).
        BackendUnavailable: ``"cupy"`` without CuPy or an NVIDIA GPU (an
            ImportError). On any error the backend stays as it was.

    Example:
        >>> fastmlp.backend.set_backend("numpy").name
        'numpy'
        >>> fastmlp.backend.backend()
        'numpy'
        >>> fastmlp.backend.set_backend("Cython").name
        'cython'
    """
    global _current
    ops = get_ops(str(name).lower())
    _current = ops.name
    return ops


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[NumpyOps]:
    """Use backend ``name`` for the models built inside a ``with`` block, then
    go back to the choice made before (an explicit one, or the default that
    ``FASTMLP_BACKEND`` selects), even when the block raises.

    Args:
        name: ``"cython"``, ``"numpy"`` or ``"cupy"``.

    Returns:
        A context manager whose ``as`` target is the backend's ``Ops`` object.

    Raises:
        ValueError: an unknown name.
        ImportError: the backend cannot run here
            (:class:`CompiledExtensionMissing`, :class:`BackendUnavailable`).
            Both are raised before the block runs, leaving the choice
            unchanged.

    Example:
        >>> with fastmlp.backend.use_backend("numpy") as ops:
        ...     print(ops.name, fastmlp.backend.backend())
        numpy numpy
        >>> fastmlp.backend.backend()
        'cython'
    """
    global _current
    previous = _current
    ops = set_backend(name)
    try:
        yield ops
    finally:
        _current = previous


def _require_compiled():
    return os.environ.get("FASTMLP_REQUIRE_COMPILED", "").strip().lower() in ("1", "true", "yes", "on")


def _current_ops() -> NumpyOps:
    if _current is not None:
        return get_ops(_current)
    requested = os.environ.get("FASTMLP_BACKEND", "").strip().lower() or DEFAULT_BACKEND
    if requested == "cython" and not _require_compiled():
        exc = _compiled_import_error()
        if exc is not None:
            warnings.warn(
                _missing_message(exc) + " Falling back to the slower 'numpy' backend.",
                RuntimeWarning,
                stacklevel=3,
            )
            requested = "numpy"
    set_backend(requested)
    return get_ops(_current)


def backend() -> str:
    """The name of the backend that runs: ``"cython"``, ``"numpy"`` or ``"cupy"``.

    With no :func:`set_backend` call yet, this is ``FASTMLP_BACKEND`` or the
    default, ``"cython"`` (``"numpy"``, with a warning, when the compiled
    kernels are not built).

    Returns:
        The backend's name, a str.

    Raises:
        ValueError: ``FASTMLP_BACKEND`` names an unknown backend.
        ImportError: the backend ``FASTMLP_BACKEND`` names cannot run here
            (:class:`CompiledExtensionMissing` only with
            ``FASTMLP_REQUIRE_COMPILED=1``, :class:`BackendUnavailable`).

    Example:
        >>> fastmlp.backend.backend()
        'cython'
    """
    return _current_ops().name


def _blas_info():
    """The BLAS libraries NumPy uses, with their thread counts when known."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        return [
            {k: lib.get(k) for k in ("internal_api", "version", "num_threads", "architecture", "filepath")}
            for lib in threadpool_info()
            if lib.get("user_api") == "blas"
        ]
    import numpy as np
    try:
        config = np.show_config(mode="dicts")
    except TypeError:  # NumPy < 1.26 has no dict mode
        return []
    blas = config.get("Build Dependencies", {}).get("blas", {})
    return [{k: blas.get(k) for k in ("name", "version", "openblas configuration") if k in blas}]


def info() -> dict[str, Any]:
    """What runs: the backend, whether the compiled kernels are built, the
    versions of Python, NumPy and fastmlp, the BLAS in use and the CPU's SIMD
    features (``cpu_features``: AVX2, AVX512F, ... as NumPy detects them).

    Worth pasting into a bug report.

    Returns:
        A dict with the keys ``backend`` (str), ``compiled_kernels`` (bool),
        ``compiled_error`` (why the kernels do not import, or None),
        ``fastmlp``, ``numpy``, ``python`` (version strings), ``platform``
        (str), ``blas`` (a list of dicts, one per BLAS library) and
        ``cpu_features`` (the SIMD features found).

    Raises:
        ValueError: ``FASTMLP_BACKEND`` names an unknown backend (as
            :func:`backend`).
        ImportError: the chosen backend cannot run here (as :func:`backend`).

    Example:
        >>> report = fastmlp.backend.info()
        >>> sorted(report)
        ['backend', 'blas', 'compiled_error', 'compiled_kernels', 'cpu_features', 'fastmlp', 'numpy', 'platform', 'python']
        >>> report["backend"], report["compiled_kernels"]
        ('cython', True)
    """
    import numpy as np
    from ..version import __version__
    from .cpu import cpu_features

    exc = _compiled_import_error()
    return {
        "backend": backend(),
        "compiled_kernels": exc is None,
        "compiled_error": None if exc is None else str(exc),
        "fastmlp": __version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "blas": _blas_info(),
        "cpu_features": cpu_features(),
    }


def clear_session() -> None:
    """Keras's ``keras.backend.clear_session``: see :func:`fastmlp.utils.clear_session`.

    Returns:
        None.

    Raises:
        Nothing: it has no arguments to check.

    Example:
        >>> _ = fastmlp.layers.Dense(2)
        >>> fastmlp.backend.clear_session()
        >>> [fastmlp.layers.Dense(1).name for _ in range(3)]
        ['dense', 'dense_1', 'dense_2']
    """
    from ..utils import clear_session as _clear
    _clear()


__all__ = ["BACKENDS", "backend", "clear_session", "get_ops", "info", "set_backend", "use_backend",
           "BackendUnavailable", "CompiledExtensionMissing"]
