"""Pages generated from the package itself at build time, so they cannot drift.

- ``.. fastmlp-names::`` (used by ``porting.md``): the table of supported Keras
  names, one section per :class:`fastmlp.utils.registry.Registry` found in the
  imported package, plus the public names of ``fastmlp/__init__.py``.
- ``api/<module>.rst``: one API page per public module, listing every public
  class and function of that module (its ``__all__``, or its public callables
  when it has none) with autodoc. Written into ``docs/api/generated/`` when the
  build starts (ignored by git).
"""

import inspect
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList
from sphinx.util.nodes import nested_parse_with_titles

from public_api import (OPTIONAL, PUBLIC_MODULES, first_line, import_public,  # noqa: F401
                        public_home, public_names, registries)

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
