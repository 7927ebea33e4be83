"""The type stubs of the compiled extensions (``_kernels.pyi``, ``_step.pyi``)
describe what the built modules hold: the same public names and, for every
function and method, the same parameters (names, kinds, which have defaults).

mypy reads only the stubs (it cannot read Cython), so a kernel added or changed
in a ``.pyx`` without its stub would leave the type check blind to it; this
test names the difference instead.
"""

import ast
import inspect
import os

import pytest

import fastmlp.backend
from compiled_extension import compiled_module

# where not built: the module skips, or fails under FASTMLP_REQUIRE_COMPILED=1
kernels = compiled_module("_kernels", module_level=True)
step = compiled_module("_step", module_level=True)

BACKEND_DIR = os.path.dirname(os.path.abspath(fastmlp.backend.__file__))


def stub_tree(name):
    with open(os.path.join(BACKEND_DIR, name + ".pyi"), encoding="utf-8") as f:
        return ast.parse(f.read())


def stub_params(fn):
    """``[(name, kind, has default)]`` of a stub ``def``, as inspect names kinds."""
    a = fn.args
    positional = a.posonlyargs + a.args
    defaults = [False] * (len(positional) - len(a.defaults)) + [True] * len(a.defaults)
    out = [(p.arg, "POSITIONAL_OR_KEYWORD", d) for p, d in zip(positional, defaults)]
    if a.vararg:
        out.append((a.vararg.arg, "VAR_POSITIONAL", False))
    out += [(p.arg, "KEYWORD_ONLY", d is not None) for p, d in zip(a.kwonlyargs, a.kw_defaults)]
    if a.kwarg:
        out.append((a.kwarg.arg, "VAR_KEYWORD", False))
    return out


def runtime_params(obj):
    return [(p.name, p.kind.name, p.default is not inspect.Parameter.empty)
            for p in inspect.signature(obj).parameters.values()]


def stub_names(tree):
    """``{name: node}`` of the stub's top-level functions, classes and constants."""
    names = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
    return {n: v for n, v in names.items() if not n.startswith("_")}


def public_names(module):
    return {n for n in dir(module) if not n.startswith("_")
            and getattr(getattr(module, n), "__module__", module.__name__) == module.__name__
            and not inspect.ismodule(getattr(module, n))}


@pytest.mark.parametrize("module", [kernels, step], ids=lambda m: m.__name__)
def test_stub_names_the_public_functions_classes_and_constants(module):
    stub = stub_names(stub_tree(module.__name__.rpartition(".")[2]))
    runtime = public_names(module) - {"np", "cnp"}
    assert sorted(stub) == sorted(runtime)


@pytest.mark.parametrize("module", [kernels, step], ids=lambda m: m.__name__)
def test_stub_functions_take_the_extension_parameters(module):
    stub = stub_names(stub_tree(module.__name__.rpartition(".")[2]))
    functions = {n: node for n, node in stub.items() if isinstance(node, ast.FunctionDef)}
    assert functions, "the stub declares no function"
    for name, node in functions.items():
        assert stub_params(node) == runtime_params(getattr(module, name)), name


def test_step_plan_methods_match_the_stub():
    plan = stub_names(stub_tree("_step"))["StepPlan"]
    methods = {n.name: n for n in plan.body if isinstance(n, ast.FunctionDef)
               and not n.name.startswith("_") and not n.decorator_list}
    runtime = {n for n, v in vars(step.StepPlan).items()
               if not n.startswith("_") and callable(v)}
    assert sorted(methods) == sorted(runtime)
    for name, node in methods.items():
        assert stub_params(node) == runtime_params(getattr(step.StepPlan, name)), name
    # The read-only attributes Cython exposes are properties in the stub.
    properties = {n.name for n in plan.body if isinstance(n, ast.FunctionDef) and n.decorator_list}
    runtime_attrs = {n for n, v in vars(step.StepPlan).items()
                     if not n.startswith("_") and not callable(v) and n != "rescale"}
    assert properties == runtime_attrs


def test_the_package_ships_its_typing_marker():
    package_dir = os.path.dirname(os.path.abspath(fastmlp.__file__))
    assert os.path.isfile(os.path.join(package_dir, "py.typed"))
