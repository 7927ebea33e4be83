"""Normalization, LayerNormalization and the new activations against numbers
from Keras 3.15 (torch backend) on fixed inputs; rtol 1e-5."""

import numpy as np
import pytest

import fastmlp

L = fastmlp.layers
X = np.array([[1., 2., -3.], [4., 0.5, 6.], [7., -8., 9.], [0., 1., 1.], [2., 2., 2.]], dtype=np.float32)
X4 = np.array([[1., 2., -3., 0.5], [4., 0.5, 6., -1.], [7., -8., 9., 2.]], dtype=np.float32)
# from Keras 3.15 (torch backend): n = keras.layers.Normalization(); n.adapt(X); n(X)
NORMALIZED = [[-0.7252407073974609, 0.6588078141212463, -1.4467284679412842],
              [0.483493834733963, 0.263523131608963, 0.7233642339706421],
              [1.6922283172607422, -1.9764235019683838, 1.4467284679412842],
              [-1.1281522512435913, 0.3952847123146057, -0.4822428226470947],
              [-0.32232919335365295, 0.6588078141212463, -0.24112141132354736]]


def test_normalization_adapt_matches_keras(backend):
    layer = L.Normalization(axis=-1)
    layer.adapt(X)
    # from Keras 3.15: n.mean, n.variance (population variance, broadcast shape (1, 3))
    np.testing.assert_allclose(layer.mean.numpy(), [[2.8, -0.5, 3.0]], rtol=1e-5)
    np.testing.assert_allclose(layer.variance.numpy(), [[6.1599994, 14.4, 17.2]], rtol=1e-5)
    np.testing.assert_allclose(layer(X), NORMALIZED, rtol=1e-5)
    # Keras 3's weights: mean, variance and a count it leaves at 0
    assert [w.name for w in layer.weights] == ["mean", "variance", "count"]
    assert layer.get_weights()[2] == 0 and not any(w.trainable for w in layer.weights)


@pytest.mark.parametrize("batches", [lambda: [X[:2], X[2:]], lambda: iter([X[:1], X[1:4], X[4:]]),
                                     lambda: [(X[:3], None), (X[3:], None)]])
def test_normalization_adapt_streams_batches(batches):
    layer = L.Normalization()
    layer.adapt(batches())
    np.testing.assert_allclose(layer(X), NORMALIZED, rtol=1e-5)
    by_batch = L.Normalization()
    by_batch.adapt(X, batch_size=2)
    np.testing.assert_allclose(by_batch.variance.numpy(), layer.variance.numpy(), rtol=1e-6)


def test_normalization_adapt_steps_reads_only_that_many_batches():
    layer = L.Normalization()
    layer.adapt(X, batch_size=2, steps=1)
    np.testing.assert_allclose(layer.mean.numpy(), [X[:2].mean(0)], rtol=1e-6)


def test_normalization_zero_variance_divides_by_1e7():
    layer = L.Normalization()
    layer.adapt(np.array([[1., 5.], [1., 6.]], np.float32))
    # from Keras 3.15: max(sqrt(0), 1e-7) -> (2 - 1) / 1e-7
    np.testing.assert_allclose(layer(np.array([[2., 5.5]], np.float32)), [[1e7, 0.0]], rtol=1e-5)


def test_normalization_invert_and_given_statistics():
    inverse = L.Normalization(invert=True)
    inverse.adapt(X)
    # from Keras 3.15: Normalization(invert=True), adapted on X, called on [[0.5, -1, 2]]
    np.testing.assert_allclose(inverse(np.array([[0.5, -1., 2.]], np.float32)),
                               [[4.040966987609863, -4.294733047485352, 11.294576644897461]], rtol=1e-5)
    given = L.Normalization(mean=[1., 2., 3.], variance=[4., 1., 0.25])
    # from Keras 3.15: Normalization(mean=[1, 2, 3], variance=[4, 1, 0.25])(X); no weights
    np.testing.assert_allclose(given(X), [[0.0, 0.0, -12.0], [1.5, -1.5, 6.0], [3.0, -10.0, 12.0],
                                          [-0.5, -1.0, -4.0], [0.5, 0.0, -2.0]], rtol=1e-5)
    assert given.weights == []
    assert given.get_config()["mean"] == [1.0, 2.0, 3.0]


def test_normalization_one_feature_axis_none_as_in_the_regression_tutorial(tmp_path):
    """TensorFlow's "Basic regression": Normalization(input_shape=[1,], axis=None)
    adapted on one column, then Dense(1)."""
    layer = L.Normalization(input_shape=[1, ], axis=None)
    layer.adapt(X[:, 0])
    # from Keras 3.15: the same calls; n(X[:, :1])
    np.testing.assert_allclose(layer(X[:, :1]).ravel(), [-0.7252407073974609, 0.483493834733963,
                                                         1.6922283172607422, -1.1281522512435913,
                                                         -0.32232919335365295], rtol=1e-5)
    model = fastmlp.Sequential([layer, L.Dense(units=1)])
    model.compile(optimizer=fastmlp.optimizers.Adam(learning_rate=0.1), loss="mean_absolute_error")
    before = layer.get_weights()
    model.fit(X[:, :1], X[:, 1], epochs=2, verbose=0)
    np.testing.assert_array_equal(layer.get_weights()[0], before[0])  # state, not trained
    model.save(tmp_path / "m.keras")
    loaded = fastmlp.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(X[:, :1], verbose=0), model.predict(X[:, :1], verbose=0),
                               rtol=1e-6)


def test_normalization_in_front_of_dense_saves_and_loads_its_statistics(tmp_path):
    normalizer = L.Normalization(axis=-1)
    normalizer.adapt(np.array(X))
    model = fastmlp.Sequential([normalizer, L.Dense(units=1)])
    model.compile(optimizer="adam", loss="mean_absolute_error")
    model.fit(X, X[:, :1], epochs=1, verbose=0)
    model.save(tmp_path / "linear.keras")
    loaded = fastmlp.models.load_model(tmp_path / "linear.keras")
    restored = loaded.layers[0]
    np.testing.assert_array_equal(restored.mean.numpy(), normalizer.mean.numpy())
    np.testing.assert_array_equal(restored.variance.numpy(), normalizer.variance.numpy())
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)
    assert len(model.non_trainable_weights) == 3 and len(model.trainable_weights) == 2


def test_layer_normalization_matches_keras(backend):
    layer = L.LayerNormalization()
    # from Keras 3.15: keras.layers.LayerNormalization()(X4)
    np.testing.assert_allclose(layer(X4), [
        [0.46454083919525146, 0.995444655418396, -1.6590744256973267, 0.1990889310836792],
        [0.5866435766220093, -0.6768963932991028, 1.3086663484573364, -1.2184134721755981],
        [0.6842494010925293, -1.5965819358825684, 0.9883602857589722, -0.07602771371603012]], rtol=1e-5)
    assert [w.path for w in layer.weights] == [f"{layer.name}/gamma", f"{layer.name}/beta"]
    config = layer.get_config()
    assert config["axis"] == [-1] and config["epsilon"] == 0.001


XS = np.linspace(-4, 4, 17, dtype=np.float32)
# from Keras 3.15 (torch backend): keras.activations.get(name)(x) for x = linspace(-4, 4, 17), and the
# gradient of its sum by torch.autograd
KERAS_ACTIVATIONS = {
    "gelu": ([-0.0001264810562133789, -0.0008143335580825806, -0.004050225019454956, -0.015524178743362427,
              -0.04550027847290039, -0.10021086037158966, -0.15865525603294373, -0.1542687714099884, 0.0,
              0.3457312285900116, 0.8413447141647339, 1.3997890949249268, 1.9544997215270996,
              2.48447585105896, 2.9959497451782227, 3.499185562133789, 3.999873638153076],
             [-0.0005036294460296631, -0.00282171368598938, -0.011945605278015137, -0.03761106729507446,
              -0.08523187041282654, -0.12746915221214294, -0.08331543207168579, 0.1325049102306366, 0.5,
              0.867495059967041, 1.083315372467041, 1.1274691820144653, 1.085231900215149,
              1.0376110076904297, 1.0119456052780151, 1.002821683883667, 1.000503659248352]),
    "silu": ([-0.07194484025239944, -0.10259281098842621, -0.14227761328220367, -0.189645454287529,
              -0.23840583860874176, -0.2736382782459259, -0.2689414322376251, -0.1887703388929367, 0.0,
              0.3112296760082245, 0.7310585975646973, 1.226361632347107, 1.7615940570831299,
              2.310354471206665, 2.857722520828247, 3.397407293319702, 3.9280550479888916],
             [-0.052664611488580704, -0.07027334719896317, -0.08810410648584366, -0.09940110892057419,
              -0.09078425168991089, -0.0412941612303257, 0.07232948392629623, 0.260038822889328, 0.5,
              0.7399612069129944, 0.9276705384254456, 1.0412942171096802, 1.0907843112945557,
              1.0994011163711548, 1.0881041288375854, 1.070273518562317, 1.0526646375656128]),
    "relu6": ([0.0] * 9 + [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0], [0.0] * 9 + [1.0] * 8),
    "hard_sigmoid": ([0.0, 0.0, 0.0, 0.0833333358168602, 0.1666666716337204, 0.25, 0.3333333432674408,
                      0.4166666567325592, 0.5, 0.5833333134651184, 0.6666666865348816, 0.75,
                      0.8333333134651184, 0.9166666865348816, 1.0, 1.0, 1.0],
                     [0.0, 0.0, 0.0] + [0.1666666716337204] * 11 + [0.0, 0.0, 0.0]),
    "exponential": ([0.018315639346837997, 0.03019738383591175, 0.049787066876888275, 0.08208499848842621,
                     0.1353352814912796, 0.22313016653060913, 0.3678794503211975, 0.6065306663513184, 1.0,
                     1.6487212181091309, 2.7182817459106445, 4.481688976287842, 7.389056205749512,
                     12.182494163513184, 20.08553695678711, 33.11545181274414, 54.598148345947266],) * 2,
}


def _atol(name):
    # Keras (torch) evaluates gelu as 0.5 x (1 + erf(x / sqrt 2)) in float32: in the left tail 1 + erf
    # cancels, leaving an absolute error of ~|x| * 6e-8 (half an ulp of 1, times x / 2) in Keras's own
    # numbers (at x = -4 Keras gives -1.26481e-4, the exact value is -1.26685e-4); fastmlp uses erfc.
    return 1e-6 if name == "gelu" else 0


@pytest.mark.parametrize("name", sorted(KERAS_ACTIVATIONS))
def test_activation_values_and_gradients_match_keras(backend, name):
    values, grads = KERAS_ACTIVATIONS[name]
    np.testing.assert_allclose(getattr(fastmlp.activations, name)(XS), values, rtol=1e-5, atol=_atol(name))
    layer = L.Activation(name)
    np.testing.assert_allclose(layer(XS[:, None]).ravel(), values, rtol=1e-5, atol=_atol(name))
    layer.forward(layer.ops.asarray(XS[:, None]))
    dx = layer.backward(layer.ops.asarray(np.ones((17, 1), np.float32)))
    np.testing.assert_allclose(layer.ops.to_numpy(dx).ravel(), grads, rtol=1e-5, atol=_atol(name))


def test_swish_is_silu_and_names_resolve_in_dense():
    assert fastmlp.activations.get("swish") == "silu" and fastmlp.activations.swish is fastmlp.activations.silu
    for name in KERAS_ACTIVATIONS:
        dense = L.Dense(2, activation=name)
        assert dense.get_config()["activation"] == name
    with pytest.raises(ValueError, match="unknown activation 'gelux'"):
        L.Dense(2, activation="gelux")


def test_dense_gelu_matches_keras_on_constant_weights(backend):
    dense = L.Dense(3, activation="gelu", kernel_initializer=fastmlp.initializers.Constant(0.25),
                    bias_initializer=fastmlp.initializers.Constant(-0.5))
    # from Keras 3.15: Dense(3, activation="gelu", kernel_initializer=Constant(0.25),
    # bias_initializer=Constant(-0.5))(X)[:, 0] (all columns equal)
    want = [-0.1542687714099884, 2.0893144607543945, 1.3997890949249268, 0.0, 0.8413447141647339]
    np.testing.assert_allclose(dense(X), np.repeat(np.array(want)[:, None], 3, axis=1), rtol=1e-5, atol=1e-7)
