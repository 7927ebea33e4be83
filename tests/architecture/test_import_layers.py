"""The package's import layers: every import points down.

fastmlp is built in layers (README, "Architecture"). A module may import from
its own unit (a subpackage or top-level module) and from units in layers below
it, never from a layer above or from another unit of its own layer. Imports
inside functions count too: a lazy upward import is still a cycle waiting to
happen. The check parses the source, so it sees every import statement, run
or not.
"""

import ast
import os
import shutil

import pytest

import fastmlp

PACKAGE_DIR = os.path.dirname(os.path.abspath(fastmlp.__file__))

# Top to bottom. Each entry is one layer: the units in it, by dotted name.
LAYERS = [
    ("commands", ["fastmlp.train", "fastmlp.bench", "fastmlp.__main__"]),  # __main__: python -m fastmlp
    ("package root", ["fastmlp"]),
    ("integrations", ["fastmlp.wrappers"]),  # scikit-learn estimators around models
    ("saving facade", ["fastmlp.saving"]),
    ("models", ["fastmlp.models"]),
    ("building blocks", ["fastmlp.layers", "fastmlp.metrics", "fastmlp.optimizers", "fastmlp.callbacks",
                         "fastmlp.datasets"]),
    # Below the building blocks: callbacks ask it who is the chief, random layers which rows they draw.
    ("distribution", ["fastmlp.distribution"]),  # data-parallel training over MPI (mpi4py, lazily)
    ("losses", ["fastmlp.losses"]),  # below metrics: Keras's loss metrics reuse the losses
    ("functions", ["fastmlp.activations", "fastmlp.initializers", "fastmlp.regularizers"]),
    ("ops", ["fastmlp.ops"]),
    ("backend", ["fastmlp.backend"]),
    ("utils", ["fastmlp.utils"]),
    ("foundation", ["fastmlp.random", "fastmlp.version"]),
]
RANK = {unit: len(LAYERS) - i for i, (_, units) in enumerate(LAYERS) for unit in units}


def unit_of(module):
    """The unit (longest listed prefix) a dotted module name belongs to."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in RANK:
            return candidate
    return None


def modules(package_dir):
    """``{dotted name: path}`` for every .py file of the package at ``package_dir``."""
    root = os.path.dirname(package_dir)
    found = {}
    for folder, _, files in os.walk(package_dir):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                dotted = os.path.relpath(path, root)[:-3].replace(os.sep, ".")
                found[dotted[:-len(".__init__")] if dotted.endswith(".__init__") else dotted] = path
    return found


def imported_names(module, path):
    """``[(line, dotted name)]`` for each fastmlp module ``module`` imports,
    relative imports resolved, ``importlib.import_module("...")`` included."""
    tree = ast.parse(open(path, encoding="utf-8").read(), filename=path)
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(base + ([node.module] if node.module else []))
            else:
                base = node.module
            # ``from . import models`` imports the submodule ``models``.
            out += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            name = node.args[0].value
            if name.startswith("."):
                anchor = package
                if len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
                    anchor = node.args[1].value
                name = anchor + name
            out.append((node.lineno, name))
    return [(line, name) for line, name in out if name == "fastmlp" or name.startswith("fastmlp.")]


def layering_violations(package_dir):
    """Each import that points up or sideways, as a readable line."""
    problems = []
    for module, path in sorted(modules(package_dir).items()):
        own = unit_of(module)
        if own is None:
            problems.append(f"{module}: not in any layer of tests/architecture/test_import_layers.py")
            continue
        for line, name in imported_names(module, path):
            target = unit_of(name)
            if target is None or target == own:
                continue
            if RANK[target] >= RANK[own]:
                direction = "up" if RANK[target] > RANK[own] else "sideways"
                problems.append(f"{os.path.relpath(path, os.path.dirname(package_dir))}:{line}: "
                                f"{module} imports {name} ({direction}: {own} -> {target})")
    return problems


def test_every_import_points_down():
    assert layering_violations(PACKAGE_DIR) == []


def test_a_planted_upward_import_is_named(tmp_path):
    copy = tmp_path / "fastmlp"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("*.so", "*.c", "__pycache__"))
    target = copy / "utils" / "naming.py"
    target.write_text(target.read_text() + "\n\ndef _later():\n    from ..models import Model\n")
    problems = layering_violations(str(copy))
    assert len(problems) == 1
    assert "utils/naming.py" in problems[0] and "fastmlp.models.Model" in problems[0]
    assert "up: fastmlp.utils -> fastmlp.models" in problems[0]


def test_a_sideways_import_is_named(tmp_path):
    copy = tmp_path / "fastmlp"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("*.so", "*.c", "__pycache__"))
    target = copy / "callbacks" / "history.py"
    target.write_text(target.read_text() + "\nimport importlib\nimportlib.import_module('fastmlp.metrics')\n")
    problems = layering_violations(str(copy))
    assert len(problems) == 1 and "sideways: fastmlp.callbacks -> fastmlp.metrics" in problems[0]


@pytest.mark.parametrize("module", ["fastmlp.utils.naming", "fastmlp.backend.numpy_ops", "fastmlp.train.cli"])
def test_every_module_has_a_layer(module):
    assert unit_of(module) is not None


def import_cycles(package_dir):
    """The strongly connected components (more than one module) of the module
    import graph, function-level imports included."""
    found = modules(package_dir)
    root = os.path.dirname(package_dir)
    compiled = {os.path.relpath(os.path.join(folder, name), root)[:-4].replace(os.sep, ".")
                for folder, _, files in os.walk(package_dir) for name in files if name.endswith(".pyx")}

    def owner(name):  # the module a dotted import name lands in (None: a compiled extension)
        if name in compiled:
            return None
        while name not in found and "." in name:
            name = name.rpartition(".")[0]
        return name if name in found else None

    graph = {module: {owner(name) for _, name in imported_names(module, path)} - {None, module}
             for module, path in found.items()}
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(node):  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return components


def test_no_import_cycle_spans_packages_or_holds_the_root():
    for component in import_cycles(PACKAGE_DIR):
        packages = {module.rpartition(".")[0] for module in component}
        assert len(packages) == 1 and "fastmlp" not in component, component


def test_a_planted_cycle_is_found(tmp_path):
    copy = tmp_path / "fastmlp"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("*.so", "*.c", "__pycache__"))
    target = copy / "backend" / "philox.py"
    target.write_text(target.read_text() + "\n\ndef _later():\n    from . import numpy_ops\n")
    assert ["fastmlp.backend.numpy_ops", "fastmlp.backend.philox"] in import_cycles(str(copy))
