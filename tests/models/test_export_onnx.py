"""model.export(format="onnx"): the graph onnxruntime runs gives model.predict's
numbers (dynamic batch), and bad input fails clearly without writing a file."""

import importlib.util
import os
import sys

import numpy as np
import pytest

import fastmlp
from fastmlp import layers as L
from fastmlp.activations import NAMES as ACTIVATIONS

HAVE_RUNTIME = all(importlib.util.find_spec(m) is not None for m in ("onnx", "onnxruntime"))
needs_runtime = pytest.mark.skipif(not HAVE_RUNTIME, reason='needs onnx and onnxruntime: pip install "fastmlp[onnx]"')

# Exported graph vs model.predict: the graph repeats each layer's float32
# operations in the same order, so only the GEMM's summation order (MKL/OpenBLAS
# vs onnxruntime's) and libm's erf/exp differ: a few ulps per layer.
TOL = dict(rtol=1e-5, atol=1e-5)
BATCHES = (1, 37)


def _randomize(model, seed=0):
    """Non-trivial weights (positive where a variance goes), so every term of
    every layer's formula shows in the output; kernels scaled by 1/sqrt(fan_in)
    so activations stay O(1), as trained ones do."""
    rng = np.random.default_rng(seed)

    def draw(w):
        if "variance" in w.name:
            return rng.uniform(0.5, 1.5, size=w.shape)
        return rng.normal(0, 1 / np.sqrt(w.shape[0]) if w.ndim == 2 else 0.5, size=w.shape)

    model.set_weights([draw(w).astype(np.float32) for w in model.weights])
    return model


def _export_and_compare(model, tmp_path, scale=1.0):
    """Export, check, run on batches of 1 and 37; returns the largest
    difference, relative where ``|predict| > 1``."""
    import onnx
    import onnxruntime as ort
    path = tmp_path / f"{model.name}.onnx"
    model.export(path, format="onnx", verbose=False)
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and tuple(d.dim_value for d in dims[1:]) == model.input_shape_
    assert {t.data_type for t in proto.graph.initializer} <= {onnx.TensorProto.FLOAT, onnx.TensorProto.INT64}
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    worst = 0.0
    for n in BATCHES:
        x = (np.random.default_rng(n).normal(size=(n,) + model.input_shape_) * scale).astype(np.float32)
        got = session.run(["output"], {"input": x})[0]
        expected = model.predict(x, verbose=0)
        assert got.shape == expected.shape == (n,) + model.output_shape_
        np.testing.assert_allclose(got, expected, **TOL)
        worst = max(worst, float((np.abs(got - expected) / np.maximum(np.abs(expected), 1)).max()))
    return worst


# ------------------------------------------------------------------ models
def _seed_mnist():
    """The seed program's model: Flatten (28, 28), Dense(128, relu), Dropout, Dense(10)."""
    return fastmlp.Sequential([L.Flatten(input_shape=(28, 28)), L.Dense(128, activation="relu"),
                               L.Dropout(0.2), L.Dense(10)], name="seed_mnist")


def _normalized_regressor():
    norm = L.Normalization()
    norm.adapt(np.random.default_rng(1).normal(3, 2, size=(100, 6)))
    inputs = fastmlp.Input((6,))
    x = norm(inputs)
    x = L.Dense(16, activation="relu")(x)
    return fastmlp.Model(inputs, L.Dense(1)(x), name="regressor")


def _every_activation():
    # Bounded activations alternate with the others so values stay O(1).
    chain = [L.Dense(8, activation=name, input_shape=(5,)) if i == 0 else L.Dense(8, activation=name)
             for i, name in enumerate(ACTIVATIONS)]
    return fastmlp.Sequential(chain + [L.LeakyReLU(0.1), L.ReLU(), L.Softmax()], name="activations")


def _batch_norm():
    return fastmlp.Sequential([L.Reshape((4, 5), input_shape=(20,)), L.BatchNormalization(), L.Flatten(),
                               L.Dense(7), L.BatchNormalization(center=False), L.Activation("tanh")],
                              name="batch_norm")


def _layer_norm():
    return fastmlp.Sequential([L.Rescaling(0.5, offset=-1.0, input_shape=(3, 4)), L.LayerNormalization(),
                               L.Flatten(), L.Dense(9, activation="gelu"), L.LayerNormalization(scale=False),
                               L.Reshape((3, 3))], name="layer_norm")


def _nested():
    inner = fastmlp.Sequential([L.Dense(12, activation="silu"), L.GaussianNoise(0.3), L.Dense(6)], name="inner")
    inputs = fastmlp.Input((10,))
    middle = fastmlp.Model(inputs, L.GaussianDropout(0.2)(inner(L.Identity()(inputs))), name="middle")
    return fastmlp.Sequential([fastmlp.Input((10,)), middle, L.Dense(4, activation="softmax")], name="nested")


def _normalization_variants():
    return fastmlp.Sequential([L.Normalization(axis=None, mean=2.0, variance=9.0, input_shape=(2, 3)),
                               L.Normalization(axis=-1, mean=[0.0, 1.0, -1.0], variance=[1.0, 4.0, 0.0]),
                               L.Normalization(axis=(1, 2), mean=np.ones((2, 3)), variance=np.full((2, 3), 0.25),
                                               invert=True),
                               L.Flatten(), L.Dense(2)], name="normalizations")


MODELS = {"seed_mnist": _seed_mnist, "regressor": _normalized_regressor, "activations": _every_activation,
          "batch_norm": _batch_norm, "layer_norm": _layer_norm, "nested": _nested,
          "normalizations": _normalization_variants}


@needs_runtime
@pytest.mark.parametrize("name", sorted(MODELS))
def test_onnx_matches_predict(tmp_path, backend, name):
    fastmlp.utils.set_random_seed(0)
    model = _randomize(MODELS[name]()) if name != "regressor" else MODELS[name]()
    before = model.get_weights()
    _export_and_compare(model, tmp_path)
    for a, b in zip(before, model.get_weights()):  # export leaves the model as it was
        np.testing.assert_array_equal(a, b)


@needs_runtime
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_each_activation_on_wide_inputs(tmp_path, activation):
    """Inputs up to |x| ~ 30 reach each activation's saturated ends
    (softplus must not overflow where exp(x) does in float32)."""
    model = fastmlp.Sequential([L.Activation(activation, input_shape=(11,))], name=f"act_{activation}")
    if activation == "exponential":  # exp(30) would be 1e13: compare where it is finite and meaningful
        _export_and_compare(model, tmp_path, scale=3.0)
    else:
        _export_and_compare(model, tmp_path, scale=10.0)


@needs_runtime
def test_softplus_large_inputs(tmp_path):
    import onnxruntime as ort
    model = fastmlp.Sequential([L.Activation("softplus", input_shape=(4,))])
    model.export(tmp_path / "s.onnx", format="onnx", verbose=False)
    x = np.array([[-200.0, -20.0, 100.0, 200.0]], dtype=np.float32)
    got = ort.InferenceSession(str(tmp_path / "s.onnx")).run(None, {"input": x})[0]
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, model.predict(x, verbose=0), **TOL)


@needs_runtime
def test_fixed_batch_and_later_opset(tmp_path):
    import onnx
    import onnxruntime as ort
    model = _randomize(_layer_norm())
    model.export(tmp_path / "m.onnx", format="onnx", verbose=False, input_signature=[(5, 3, 4)],
                 opset_version=18)
    proto = onnx.load(tmp_path / "m.onnx")
    assert proto.opset_import[0].version == 18
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 5
    x = np.random.default_rng(0).normal(size=(5, 3, 4)).astype(np.float32)
    got = ort.InferenceSession(str(tmp_path / "m.onnx")).run(None, {"input": x})[0]
    np.testing.assert_allclose(got, model.predict(x, verbose=0), **TOL)


@needs_runtime
def test_verbose_prints_keras_message(tmp_path, capsys):
    model = _seed_mnist()
    path = tmp_path / "m.onnx"
    model.export(path, format="onnx")
    # Keras 3.15 (torch backend), model.export(path, format="onnx") with verbose left at None
    assert capsys.readouterr().out == f"Saved artifact at '{path}'.\n"
    model.export(path, format="onnx", verbose=False)
    assert capsys.readouterr().out == ""


# --------------------------------------------------------------- bad input
def test_unknown_format(tmp_path):
    model = _seed_mnist()
    # Keras 3.15: ValueError "Unrecognized format=bogus. Supported formats are: [...]"
    with pytest.raises(ValueError, match="Unrecognized format=bogus. Supported formats are: \\['onnx'\\]"):
        model.export(tmp_path / "m", format="bogus")
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize("fmt", ["tf_saved_model", "openvino", "litert", "torch"])
def test_other_keras_formats_name_onnx(tmp_path, fmt):
    with pytest.raises(NotImplementedError, match=f"format='{fmt}'.*'onnx'"):
        _seed_mnist().export(tmp_path / "m", format=fmt)
    assert not os.listdir(tmp_path)


def test_default_format_is_keras_default(tmp_path):
    # Keras 3.15's default is format="tf_saved_model", which fastmlp does not write
    with pytest.raises(NotImplementedError, match="tf_saved_model"):
        _seed_mnist().export(tmp_path / "m")


def test_unbuilt_model(tmp_path):
    model = fastmlp.Sequential([L.Dense(3)])
    # Keras 3.15's message for an unbuilt model
    with pytest.raises(ValueError, match="has not yet been built"):
        model.export(tmp_path / "m.onnx", format="onnx")
    assert not os.listdir(tmp_path) and not model.built


@needs_runtime
def test_missing_folder(tmp_path):
    # Keras 3.15 (torch backend) raises FileNotFoundError and creates no folder
    target = tmp_path / "missing" / "m.onnx"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        _seed_mnist().export(target, format="onnx")
    assert not (tmp_path / "missing").exists()


@needs_runtime
def test_layer_without_mapping_is_named(tmp_path):
    class Doubling(L.Layer):
        def forward(self, x, training=False, logits=False):
            return 2 * x

    model = fastmlp.Sequential([L.Dense(3, input_shape=(4,)), Doubling(name="doubling")])
    with pytest.raises(NotImplementedError, match="'doubling' \\(Doubling\\) has no ONNX mapping"):
        model.export(tmp_path / "m.onnx", format="onnx")
    assert not os.listdir(tmp_path)


@needs_runtime
@pytest.mark.parametrize("kwargs, error", [
    ({"opset_version": 16}, ValueError), ({"opset_version": "17"}, ValueError), ({"opset_version": 10**6}, ValueError),
    ({"input_signature": [(None, 27, 28)]}, ValueError), ({"input_signature": [(0, 28, 28)]}, ValueError),
    ({"input_signature": 3}, ValueError), ({"bogus": 1}, TypeError),
])
def test_bad_arguments(tmp_path, kwargs, error):
    with pytest.raises(error):
        _seed_mnist().export(tmp_path / "m.onnx", format="onnx", **kwargs)
    assert not os.listdir(tmp_path)


@needs_runtime
def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"previous")

    def fail(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", fail)  # atomic_output flushes, fsyncs, then renames
    with pytest.raises(OSError, match="disk full"):
        _seed_mnist().export(path, format="onnx", verbose=False)
    assert path.read_bytes() == b"previous" and os.listdir(tmp_path) == ["m.onnx"]


@needs_runtime
def test_failed_export_keeps_the_old_file(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"previous")
    model = fastmlp.Sequential([L.Dense(3, input_shape=(4,)), type("Custom", (L.Layer,), {})()])
    with pytest.raises(NotImplementedError):
        model.export(path, format="onnx")
    assert path.read_bytes() == b"previous" and os.listdir(tmp_path) == ["m.onnx"]


def test_missing_onnx_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "fastmlp\[onnx\]"'):
        _seed_mnist().export(tmp_path / "m.onnx", format="onnx")
    assert not os.listdir(tmp_path)
