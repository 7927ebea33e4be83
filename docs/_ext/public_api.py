"""The public API as the documentation lists it: the public modules, their
public objects, where each object is documented, and the registries. Plain
Python (no Sphinx), so the tests can collect the same objects
(tests/docs/test_docstring_examples.py)."""

import importlib
import inspect
import sys

# The public modules, in the order the API reference lists them. Keras users
# meet them as keras.<same name>; the table in porting.md follows this list.
PUBLIC_MODULES = [
    "fastmlp", "fastmlp.models", "fastmlp.layers", "fastmlp.losses", "fastmlp.metrics",
    "fastmlp.optimizers", "fastmlp.optimizers.schedules", "fastmlp.callbacks",
    "fastmlp.activations", "fastmlp.initializers", "fastmlp.regularizers", "fastmlp.saving",
    "fastmlp.datasets", "fastmlp.utils", "fastmlp.ops", "fastmlp.backend", "fastmlp.wrappers",
    "fastmlp.distribution",
]

# Modules that need an optional extra, and which one.
OPTIONAL = {"fastmlp.wrappers": "sklearn"}


def public_names(module):
    """The module's public objects: ``__all__`` where it has one, otherwise its
    callables that do not start with an underscore, are not modules and are not
    constants written in capitals (``LOSSES``, ``EPSILON``).

    Args:
        module: an imported module.

    Returns:
        A sorted list of ``(name, object)`` pairs.
    """
    names = getattr(module, "__all__", None)
    declared = names is not None
    if not declared:
        # capitals name constants (LOSSES, EPSILON), except classes (SGD, L1)
        names = [n for n in dir(module) if not n.startswith("_")
                 and not (n.isupper() and not inspect.isclass(getattr(module, n)))]
    found = []
    for name in names:
        obj = getattr(module, name)
        if inspect.ismodule(obj) or not callable(obj):
            continue
        # Without __all__, a name imported from elsewhere in fastmlp (the
        # Registry class) is a detail of the module, not its API.
        home = getattr(obj, "__module__", "") or ""
        if not declared and not home.startswith(module.__name__):
            continue
        found.append((name, obj))
    return sorted(found, key=lambda pair: pair[0].lower())


def import_public():
    """Import every public module that can be imported here.

    Returns:
        ``{module name: module}``; an optional module whose extra is missing is
        left out (its page says which extra to install).
    """
    modules = {}
    for name in PUBLIC_MODULES:
        try:
            modules[name] = importlib.import_module(name)
        except ImportError:
            if name not in OPTIONAL:
                raise
    return modules


def registries():
    """Every Registry defined in an imported fastmlp module, with the module
    that owns it, in the order of ``PUBLIC_MODULES``' imports."""
    from fastmlp.utils.registry import Registry
    import_public()
    seen = {}
    for modname, module in sorted(sys.modules.items()):
        if not modname.startswith("fastmlp"):
            continue
        for value in vars(module).values():
            if isinstance(value, Registry) and id(value) not in seen:
                seen[id(value)] = (modname, value)
    return list(seen.values())


def public_home(obj, modules):
    """The public module path under which ``obj`` is exported (the first in
    ``PUBLIC_MODULES`` order other than the package root), or ``None``."""
    for modname, module in modules.items():
        if modname == "fastmlp":
            continue
        if any(value is obj for _, value in public_names(module)):
            return modname
    return None


def first_line(obj):
    """The first paragraph of ``obj``'s own docstring (a class without one
    would otherwise show its base class's)."""
    own = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
    doc = inspect.cleandoc(own) if own else ""
    return doc.strip().split("\n\n")[0].replace("\n", " ")
