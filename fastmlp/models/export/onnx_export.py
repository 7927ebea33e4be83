"""A built model as an ONNX graph, written with ``onnx.helper`` alone.

The graph takes ``input``, float32 of shape ``(batch, *input_shape)`` with a
dynamic batch dimension, and returns ``output`` of shape
``(batch, *output_shape)``. Weights are float32 initializers; the opset is
pinned, so a file made today loads in any runtime that supports it.
"""

import contextlib
import math
import os

import numpy as np

from ...utils.files import atomic_output
from ...version import __version__
from .onnx_layers import layer_nodes

#: the opset the graph is written for (LayerNormalization-era operators; every
#: node used here is in it); ``opset_version`` may ask for a later one
OPSET = 17
INPUT, OUTPUT = "input", "output"


def import_onnx():
    """The ``onnx`` module, or an ImportError saying how to install it."""
    try:
        import onnx
    except ImportError as err:
        raise ImportError('exporting to ONNX needs the onnx package: pip install "fastmlp[onnx]"') from err
    return onnx


class GraphBuilder:
    """Collects nodes and initializers, naming each tensor uniquely under
    the current layer's name."""

    def __init__(self, onnx, opset):
        self.onnx = onnx
        self.opset = opset
        self.nodes, self.initializers = [], []
        self._prefix = "graph"
        self._count = 0

    @contextlib.contextmanager
    def scope(self, name):
        """Name what is added inside the block after ``name`` (a layer's)."""
        outer, self._prefix = self._prefix, name
        try:
            yield
        finally:
            self._prefix = outer

    def _name(self, what):
        self._count += 1
        return f"{self._prefix}/{what}_{self._count}"

    def const(self, value, what="const"):
        """An initializer holding ``value`` (float32 unless an integer array)."""
        value = np.asarray(value)
        if value.dtype.kind != "i":
            value = value.astype(np.float32)
        name = self._name(what)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(self, op, *inputs, output=None, **attrs):
        """Append an ``op`` node; returns its output's name."""
        output = output or self._name(op)
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), [output], name=output, **attrs))
        return output

    def mean_last_axis(self, x):
        """The mean over the last axis, kept as a size-1 axis (ReduceMean
        takes its axes as an attribute before opset 18, as an input since)."""
        if self.opset < 18:
            return self.node("ReduceMean", x, axes=[-1], keepdims=1)
        return self.node("ReduceMean", x, self.const(np.array([-1], dtype=np.int64), "axes"), keepdims=1)


def build_onnx_model(model, opset_version=OPSET, batch_size=None):
    """The ONNX ModelProto of a built model's inference pass.

    Args:
        model: a built fastmlp model.
        opset_version: the default-domain opset to declare (>= 17).
        batch_size: a fixed batch size, or None for a dynamic one.

    Returns:
        An ``onnx.ModelProto`` that ``onnx.checker.check_model`` accepts.
    """
    onnx = import_onnx()
    helper = onnx.helper
    batch = "batch" if batch_size is None else int(batch_size)
    g = GraphBuilder(onnx, opset_version)
    x = INPUT
    if len(model.input_shape_) != 1:  # flatten at the door, as Model.__call__ does
        x = g.node("Reshape", x, g.const(np.array([-1, math.prod(model.input_shape_)], dtype=np.int64), "flat"))
    for layer in model.leaves():
        x = layer_nodes(g, layer, x)
    if len(model.output_shape_) != 1:
        x = g.node("Reshape", x, g.const(np.array((-1,) + model.output_shape_, dtype=np.int64), "shape"))
    g.node("Identity", x, output=OUTPUT)
    graph = helper.make_graph(
        g.nodes, model.name,
        [helper.make_tensor_value_info(INPUT, onnx.TensorProto.FLOAT, [batch, *model.input_shape_])],
        [helper.make_tensor_value_info(OUTPUT, onnx.TensorProto.FLOAT, [batch, *model.output_shape_])],
        g.initializers)
    opsets = [helper.make_opsetid("", opset_version)]
    proto = helper.make_model(graph, opset_imports=opsets, producer_name="fastmlp", producer_version=__version__,
                              ir_version=helper.find_min_ir_version_for(opsets))
    onnx.checker.check_model(proto, full_check=True)
    return proto


def check_opset(opset_version):
    """``opset_version`` as an int the installed onnx can write, at least :data:`OPSET`."""
    onnx = import_onnx()
    latest = onnx.defs.onnx_opset_version()
    if isinstance(opset_version, bool) or not isinstance(opset_version, (int, np.integer)) \
            or not OPSET <= opset_version <= latest:
        raise ValueError(f"opset_version must be an integer from {OPSET} to {latest} (the installed onnx's "
                         f"latest), got {opset_version!r}")
    return int(opset_version)


def export_onnx(model, filepath, opset_version=None, batch_size=None):
    """Write ``model``'s inference graph to ``filepath`` atomically.

    The graph is built and checked before anything is written, and the file
    appears complete or not at all (a failed export leaves an existing file
    as it was).

    Args:
        model: a built fastmlp model.
        filepath: the ``.onnx`` file to write; its folder must exist.
        opset_version: the opset to declare (default :data:`OPSET`).
        batch_size: a fixed batch size, or None for a dynamic one.
    """
    opset = OPSET if opset_version is None else check_opset(opset_version)
    filepath = os.fspath(filepath)
    folder = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot export to {filepath!r}: the folder {folder!r} does not exist")
    if os.path.isdir(filepath):
        raise IsADirectoryError(f"cannot export to {filepath!r}: it is a folder; give a file name")
    data = build_onnx_model(model, opset, batch_size).SerializeToString()
    with atomic_output(filepath) as f:
        f.write(data)
