"""Each fastmlp layer as ONNX nodes, at inference.

Inside a model, batches travel flat as ``(n, features)`` (see
:mod:`fastmlp.layers.layer`); the graph does the same, so Flatten and
Reshape need no node, and each mapping below mirrors its layer's inference
``forward`` operation by operation (same constants, same order), which keeps
the exported graph within float32 rounding of ``model.predict``.
"""

import math

import numpy as np

from ...backend.numpy_ops import NumpyOps
from ...layers import (Activation, BatchNormalization, Dense, Dropout, Flatten, GaussianDropout, GaussianNoise,
                       Identity, LayerNormalization, LeakyReLU, Normalization, ReLU, Rescaling, Reshape, Softmax)


def _f32(*values):
    return [np.asarray(v, dtype=np.float32) for v in values]


def _softplus(g, x):
    # ONNX's Softplus is log(exp(x) + 1), which overflows to inf for x > 88;
    # fastmlp's is logaddexp(x, 0) = max(x, 0) + log1p(exp(-|x|)).
    tail = g.node("Log", g.node("Add", g.node("Exp", g.node("Neg", g.node("Abs", x))), g.const(1.0)))
    return g.node("Add", g.node("Relu", x), tail)


def _gelu(g, x):
    # The erf form (Keras's default approximate=False): x * (1 + erf(x / sqrt 2)) / 2.
    erf = g.node("Erf", g.node("Mul", x, g.const(math.sqrt(0.5))))
    return g.node("Mul", g.node("Mul", x, g.const(0.5)), g.node("Add", erf, g.const(1.0)))


def _hard_sigmoid(g, x):
    # relu6(x + 3) / 6 step by step, as the kernel computes it (HardSigmoid's
    # x / 6 + 0.5 rounds differently).
    clipped = g.node("Clip", g.node("Add", x, g.const(3.0)), g.const(0.0), g.const(6.0))
    return g.node("Div", clipped, g.const(6.0))


#: activation name -> function(graph, input name) -> output name
ACTIVATIONS = {
    "linear": lambda g, x: x,
    "relu": lambda g, x: g.node("Relu", x),
    "sigmoid": lambda g, x: g.node("Sigmoid", x),
    "tanh": lambda g, x: g.node("Tanh", x),
    "softmax": lambda g, x: g.node("Softmax", x, axis=-1),
    "elu": lambda g, x: g.node("Elu", x, alpha=1.0),
    "selu": lambda g, x: g.node("Selu", x, alpha=float(NumpyOps.SELU_ALPHA), gamma=float(NumpyOps.SELU_SCALE)),
    "softplus": _softplus,
    "leaky_relu": lambda g, x: g.node("LeakyRelu", x, alpha=0.2),  # Keras 3's activations.leaky_relu slope
    "gelu": _gelu,
    "silu": lambda g, x: g.node("Mul", x, g.node("Sigmoid", x)),
    "relu6": lambda g, x: g.node("Clip", x, g.const(0.0), g.const(6.0)),
    "hard_sigmoid": _hard_sigmoid,
    "exponential": lambda g, x: g.node("Exp", x),
}


def _activation(g, layer, x):
    return ACTIVATIONS[layer.activation](g, x)


def _dense(g, layer, x):
    weights = {w.name: w.numpy() for w in layer.weights}
    y = g.node("MatMul", x, g.const(weights["kernel"], "kernel"))
    if "bias" in weights:
        y = g.node("Add", y, g.const(weights["bias"], "bias"))
    return ACTIVATIONS[layer.activation](g, y)


def _rescaling(g, layer, x):
    y = g.node("Mul", x, g.const(layer.scale, "scale"))
    return g.node("Add", y, g.const(layer.offset, "offset")) if layer.offset else y


def _per_feature(layer, vector):
    """A per-channel vector repeated over one flattened sample."""
    return np.tile(vector, math.prod(layer.input_shape_[:-1]))


def _scale_and_shift(g, weights, y, expand):
    """``y * gamma + beta`` for the ones a normalization layer has, each
    vector passed through ``expand`` to the shape ``y`` broadcasts it to."""
    if "gamma" in weights:
        y = g.node("Mul", y, g.const(expand(weights["gamma"]), "gamma"))
    if "beta" in weights:
        y = g.node("Add", y, g.const(expand(weights["beta"]), "beta"))
    return y


def _batch_norm(g, layer, x):
    weights = {w.name: w.numpy() for w in layer.weights}
    mean, var = _f32(weights["moving_mean"], weights["moving_variance"])
    # forward(): (x - mean) / sqrt(var + eps) * gamma + beta, the root taken in float32
    std = np.sqrt(var + np.float32(layer.epsilon))
    y = g.node("Div", g.node("Sub", x, g.const(_per_feature(layer, mean), "mean")),
               g.const(_per_feature(layer, std), "std"))
    return _scale_and_shift(g, weights, y, lambda v: _per_feature(layer, v))


def _layer_norm(g, layer, x):
    channels = layer.input_shape_[-1]
    weights = {w.name: w.numpy() for w in layer.weights}
    rows = g.node("Reshape", x, g.const(np.array([-1, channels], dtype=np.int64), "rows"))
    mean = g.mean_last_axis(rows)
    xhat = g.node("Sub", rows, mean)
    var = g.mean_last_axis(g.node("Mul", xhat, xhat))
    inv_std = g.node("Reciprocal", g.node("Sqrt", g.node("Add", var, g.const(layer.epsilon, "epsilon"))))
    y = g.node("Mul", xhat, inv_std)
    y = _scale_and_shift(g, weights, y, lambda v: v)
    features = math.prod(layer.input_shape_)
    return g.node("Reshape", y, g.const(np.array([-1, features], dtype=np.int64), "flat"))


def _normalization(g, layer, x):
    # The layer's own broadcast of its statistics, so the formula has one home.
    mean, std = (np.asarray(layer.ops.to_numpy(v), dtype=np.float32) for v in layer._flat_stats())
    if layer.invert:
        return g.node("Add", g.node("Mul", x, g.const(std, "std")), g.const(mean, "mean"))
    return g.node("Div", g.node("Sub", x, g.const(mean, "mean")), g.const(std, "std"))


def _leaky_relu(g, layer, x):
    return g.node("LeakyRelu", x, alpha=layer.negative_slope)


def _identity(g, layer, x):
    return x


#: exact layer class -> function(graph, layer, input name) -> output name.
#: Exact classes only: a subclass may compute something else in its forward.
MAPPINGS = {
    Dense: _dense,
    Activation: _activation, ReLU: _activation, Softmax: _activation,
    LeakyReLU: _leaky_relu,
    Rescaling: _rescaling,
    BatchNormalization: _batch_norm,
    LayerNormalization: _layer_norm,
    Normalization: _normalization,
    # Flat batches make the reshaping layers no-ops; the noise layers are the
    # identity at inference.
    Flatten: _identity, Reshape: _identity, Identity: _identity,
    Dropout: _identity, GaussianNoise: _identity, GaussianDropout: _identity,
}


def layer_nodes(g, layer, x):
    """Add ``layer``'s inference computation on tensor ``x`` to graph ``g``.

    Args:
        g: the :class:`~fastmlp.models.export.onnx_export.GraphBuilder`.
        layer: a built, non-model fastmlp layer.
        x: the name of its input tensor, shaped ``(batch, features)``.

    Returns:
        The name of its output tensor, shaped ``(batch, features)``.

    Raises:
        NotImplementedError: the layer's class has no ONNX mapping.
    """
    mapping = MAPPINGS.get(type(layer))
    if mapping is None:
        supported = ", ".join(sorted(cls.__name__ for cls in MAPPINGS))
        raise NotImplementedError(f"layer {layer.name!r} ({type(layer).__name__}) has no ONNX mapping; "
                                  f"ONNX export supports {supported}")
    with g.scope(layer.name):
        return mapping(g, layer, x)
