"""The one rule for tests that need fastmlp's compiled extension
(``fastmlp.backend._kernels``, ``fastmlp.backend._step``): where it is not
built they skip, naming the reason; with ``FASTMLP_REQUIRE_COMPILED=1`` (CI,
a built wheel) they fail instead, so a build that lost its extension cannot
pass as a run of skips.

Whether the variable is set is decided by fastmlp.backend's own rule (the one
that turns the default backend's fallback into an error), not a copy of it.
"""

import importlib

import pytest

from fastmlp.backend import CompiledExtensionMissing, _require_compiled, get_ops


def missing(reason, module_level=False):
    """Skip the test (or, with ``module_level``, the whole module) because the
    compiled extension cannot be used here; fail instead under
    ``FASTMLP_REQUIRE_COMPILED=1``.

    Args:
        reason: why the extension cannot be used (the error's text).
        module_level: True when called while a test module is imported.

    Returns:
        Never: raises pytest's skip or fail outcome.
    """
    if _require_compiled():
        pytest.fail(f"FASTMLP_REQUIRE_COMPILED=1, but {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=module_level)


def compiled_ops(module_level=False):
    """The ``cython`` backend's Ops, or :func:`missing` when it is not built."""
    try:
        return get_ops("cython")
    except CompiledExtensionMissing as exc:  # a source tree that was never built
        missing(str(exc), module_level)


def compiled_module(name="_kernels", module_level=False):
    """The compiled module ``fastmlp.backend.<name>`` (``_kernels`` or
    ``_step``), or :func:`missing` when it does not import."""
    try:
        return importlib.import_module(f"fastmlp.backend.{name}")
    except ImportError as exc:
        missing(f"fastmlp.backend.{name} does not import: {exc}", module_level)
