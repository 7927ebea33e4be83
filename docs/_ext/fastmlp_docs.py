"""Pages generated from the package itself at build time, so they cannot drift.

- ``.. fastmlp-names::`` (used by ``porting.md``): the table of supported Keras
  names, one section per :class:`fastmlp.utils.registry.Registry` found in the
  imported package, plus the public names of ``fastmlp/__init__.py``.
- ``api/<module>.rst``: one API page per public module, listing every public
  class and function of that module (its ``__all__``, or its public callables
  when it has none) with autodoc. Written into ``docs/api/generated/`` when the
  build starts (ignored by git).
"""

import importlib
import inspect
import sys
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList
from sphinx.util.nodes import nested_parse_with_titles

# The public modules, in the order the API reference lists them. Keras users
# meet them as keras.<same name>; the table in porting.md follows this list.
PUBLIC_MODULES = [
    "fastmlp", "fastmlp.models", "fastmlp.layers", "fastmlp.losses", "fastmlp.metrics",
    "fastmlp.optimizers", "fastmlp.optimizers.schedules", "fastmlp.callbacks",
    "fastmlp.activations", "fastmlp.initializers", "fastmlp.regularizers", "fastmlp.saving",
    "fastmlp.datasets", "fastmlp.utils", "fastmlp.ops", "fastmlp.backend", "fastmlp.wrappers",
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


def names_table(registry, modules):
    """reST lines of one registry's table: Keras's name, fastmlp's name, the
    strings ``compile``/``get`` accept for it, and its docstring summary."""
    groups = {}
    for name in registry.names():
        obj = registry.lookup(name)
        groups.setdefault(id(obj), (obj, []))[1].append(name)
    lines = [".. list-table::", "   :header-rows: 1", "   :widths: 35 20 20 45", "",
             "   * - Keras name (``fastmlp.`` for ``keras.``)", "     - fastmlp", "     - names accepted as strings", "     - what it is"]
    for obj, names in groups.values():
        home = public_home(obj, modules)
        path = f"{home}.{obj.__name__}" if home else None
        keras = f"``keras.{path[len('fastmlp.'):]}``" if path else "(internal)"
        # The short form keeps the table narrow: the path is keras.'s, with fastmlp.
        ours = f":py:obj:`~{path}`" if path else f"``{obj.__name__}``"
        aliases = ", ".join(f'``"{n}"``' for n in names)
        summary = first_line(obj).replace("|", "\\|") or "\u2014"  # a bare "-" is a list
        lines += [f"   * - {keras}", f"     - {ours}", f"     - {aliases}", f"     - {summary}"]
    return lines


class FastmlpNames(Directive):
    """``.. fastmlp-names::``: the porting tables, from the registries."""

    def run(self):
        import fastmlp
        modules = import_public()
        lines = ["Names by kind", "-------------", "",
                 "Every table below is read from the package's registries when these pages are "
                 "built; a name appears here exactly when ``compile``, ``get`` and the model "
                 "files accept it (case-insensitively).", ""]
        for owner, registry in sorted(registries(), key=lambda pair: pair[1].kind):
            kinds = registry.kind + ("es" if registry.kind.endswith("s") else "s")
            title = f"{kinds[0].upper()}{kinds[1:]} (registry in ``{owner}``)"
            lines += [title, "~" * len(title), ""] + names_table(registry, modules) + [""]
        lines += ["The package root", "~~~~~~~~~~~~~~~~", "",
                  "``import fastmlp`` gives these names (``keras.X`` becomes ``fastmlp.X``):", ""]
        lines += [f"- ``fastmlp.{name}``" for name in sorted(fastmlp.__all__)] + [""]
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source="fastmlp-names"), node)
        return node.children


def api_page(modname, module):
    """reST text of one module's API page."""
    title = f"``{modname}``"
    out = [title, "=" * len(title), "", f".. automodule:: {modname}", "   :no-members:", ""]
    if module is None:
        return "\n".join(out + [f"Install ``fastmlp[{OPTIONAL[modname]}]`` to build this page.", ""])
    pairs = public_names(module)
    modules = import_public()
    if modname == "fastmlp":
        out += ["The package root re-exports these names; each is documented on its module's page.", ""]
        out += [f"- :py:obj:`{name} <{public_home(obj, modules)}.{name}>`"
                for name, obj in pairs if public_home(obj, modules)]
        return "\n".join(out + [""])
    # An object exported by an earlier public module is documented there once.
    elsewhere = [(name, public_home(obj, modules)) for name, obj in pairs
                 if public_home(obj, modules) not in (None, modname)]
    pairs = [(name, obj) for name, obj in pairs if (name, public_home(obj, modules)) not in elsewhere]
    out += [".. autosummary::", ""] + [f"   {name}" for name, _ in pairs] + [""]
    if elsewhere:
        out += ["Also exported here, documented with their first module:", ""]
        out += [f"- :py:obj:`{name} <{home}.{name}>`" for name, home in elsewhere] + [""]
    # Modules a public module exports (fastmlp.datasets.mnist) with their functions.
    submodules = [getattr(module, name) for name in getattr(module, "__all__", [])
                  if inspect.ismodule(getattr(module, name))]
    for sub in submodules:
        out += [f".. automodule:: {sub.__name__}", "   :members:", ""]
    for name, obj in pairs:
        if inspect.isclass(obj):
            out += [f".. autoclass:: {modname}.{name}", "   :members:", "   :inherited-members:",
                    "   :show-inheritance:", ""]
        else:
            out += [f".. autofunction:: {modname}.{name}", ""]
    return "\n".join(out)


def write_api_pages(app):
    """Write ``api/generated/<module>.rst`` for every public module."""
    folder = Path(app.srcdir) / "api" / "generated"
    folder.mkdir(parents=True, exist_ok=True)
    modules = import_public()
    for modname in PUBLIC_MODULES:
        text = api_page(modname, modules.get(modname))
        path = folder / f"{modname}.rst"
        # Rewriting an unchanged page would make Sphinx rebuild it every time.
        if not path.exists() or path.read_text() != text:
            path.write_text(text)


def skip_foreign(app, what, name, obj, skip, options):
    """Document only members fastmlp defines: what a base class from Python or
    another library brings (``ValueError.with_traceback``, scikit-learn's
    ``set_fit_request``) is that library's API, and a plain class attribute
    would show the docstring of its type (``bool``)."""
    if what != "class":
        return None
    target = obj.fget if isinstance(obj, property) else getattr(obj, "__func__", obj)
    if not (getattr(target, "__module__", "") or "").startswith("fastmlp"):
        return True
    return None


def setup(app):
    app.add_directive("fastmlp-names", FastmlpNames)
    app.connect("autodoc-skip-member", skip_foreign)
    app.connect("builder-inited", write_api_pages)
    return {"parallel_read_safe": True, "version": "1"}
