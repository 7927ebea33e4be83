"""Sample weights, class weights and weighted metrics in the training loop,
against Keras 3.15.

Every expected number below comes from Keras 3.15 on the torch backend, by
running the same calls on the same data with the same initial weights (set
with set_weights), SGD(0.1) and shuffle=False: e.g.
``keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])``,
``m.set_weights([W, b])``, ``m.compile(keras.optimizers.SGD(0.1), loss, ...)``,
then the call named in each test (the script is the test's own calls with
``fastmlp`` read as ``keras``).
"""

import numpy as np
import pytest

import fastmlp

RTOL = 1e-5

rng = np.random.default_rng(42)
X = rng.normal(size=(10, 4)).astype("float32")
Y = np.array([0, 1, 2, 1, 0, 2, 2, 1, 0, 1])
W = (rng.normal(size=(4, 3)) * 0.5).astype("float32")
B = np.array([0.1, -0.2, 0.05], "float32")
SW = np.array([0.5, 1.0, 2.0, 0.0, 1.5, 1.0, 3.0, 0.25, 1.0, 2.0], "float32")
CW = {0: 1.0, 1: 2.5, 2: 0.5}


def make(act="softmax", out=3, loss="sparse_categorical_crossentropy", **kw):
    model = fastmlp.Sequential([fastmlp.Input((4,)), fastmlp.layers.Dense(out, activation=act)])
    model.set_weights([W[:, :out], B[:out]])
    model.compile(fastmlp.optimizers.SGD(0.1), loss, **kw)
    return model


def assert_logs(got, expected):
    assert set(got) == set(expected)
    for key, value in expected.items():
        np.testing.assert_allclose(got[key], value, rtol=RTOL, err_msg=key)


def assert_weights(model, expected):
    for got, want in zip(model.get_weights(), expected):
        np.testing.assert_allclose(got, np.array(want, np.float32), rtol=RTOL, atol=1e-7)


def test_fit_with_sample_weight_and_weighted_metrics():
    # keras: m.fit(X, Y, sample_weight=SW, batch_size=4, epochs=2, shuffle=False) with
    # metrics=["accuracy"], weighted_metrics=["accuracy"]: the weighted copy is "weighted_accuracy"
    model = make(metrics=["accuracy"], weighted_metrics=["accuracy"])
    history = model.fit(X, Y, sample_weight=SW, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert_logs(history.history, {'accuracy': [0.4000000059604645, 0.5], 'loss': [1.2794240713119507, 1.2340929508209229], 'weighted_accuracy': [0.5714285969734192, 0.6530612111091614]})
    assert_weights(model, [[[0.40001532435417175, 0.20034337043762207, -0.28990933299064636], [0.11567316204309464, -0.020671475678682327, 0.18876615166664124], [0.4792475700378418, -0.055585503578186035, 0.46330690383911133], [0.05749274790287018, 0.15636132657527924, 0.2801392674446106]], [0.05768386274576187, -0.13081173598766327, 0.02312789298593998]])
    # keras: m.evaluate(X, Y, sample_weight=SW, batch_size=3, return_dict=True) after that fit
    assert_logs(model.evaluate(X, Y, sample_weight=SW, batch_size=3, verbose=0, return_dict=True),
                {'accuracy': 0.5, 'loss': 1.1819194555282593, 'weighted_accuracy': 0.7346938848495483})


def test_fit_loss_is_the_batch_size_weighted_mean_of_weighted_batch_losses():
    # Keras's reported loss: mean over batches of sum(w * l) / batch_size, weighted by batch size
    model = make()
    probs = model.predict(X, verbose=0)
    per_sample = -np.log(probs[np.arange(10), Y].astype(np.float64))
    batches = [slice(0, 4), slice(4, 8), slice(8, 10)]
    batch_losses = [(per_sample[s] * SW[s]).sum() / len(per_sample[s]) for s in batches]
    expected = sum(loss * len(per_sample[s]) for loss, s in zip(batch_losses, batches)) / 10
    model = make()
    # a learning rate of 0 keeps the weights, so every batch sees the initial model
    model.optimizer.learning_rate = 0.0
    history = model.fit(X, Y, sample_weight=SW, batch_size=4, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=RTOL)


def test_train_on_batch_with_class_weight_matches_keras_loss_and_step():
    # keras: m.train_on_batch(X, Y, class_weight={0: 1.0, 1: 2.5, 2: 0.5}, return_dict=True)
    model = make(metrics=["accuracy"])
    assert_logs(model.train_on_batch(X, Y, class_weight=CW, return_dict=True), {'accuracy': 0.4000000059604645, 'loss': 1.9491901397705078})
    assert_weights(model, [[[0.3766244053840637, 0.2389063686132431, -0.30508139729499817], [0.09570761770009995, 0.056101758033037186, 0.1319584846496582], [0.4157187044620514, 0.1448296457529068, 0.3264205753803253], [0.05767737329006195, 0.11860594153404236, 0.3177100419998169]], [0.07658044248819351, -0.13337038457393646, 0.006789952516555786]])


def test_train_and_test_on_batch_with_sample_weight():
    # keras: m.train_on_batch(X, Y, sample_weight=SW) and, on a fresh model, m.test_on_batch(...)
    model = make(metrics=["accuracy"])
    assert_logs(model.train_on_batch(X, Y, sample_weight=SW, return_dict=True), {'accuracy': 0.4000000059604645, 'loss': 1.2649033069610596})
    assert_weights(model, [[[0.38080257177352905, 0.2573547661304474, -0.327707976102829], [0.11828827857971191, 0.05149513855576515, 0.11398445069789886], [0.43471646308898926, 0.0901179239153862, 0.36213454604148865], [0.033115893602371216, 0.14073674380779266, 0.3201407194137573]], [0.08830051869153976, -0.1968279927968979, 0.058527469635009766]])
    model = make(metrics=["accuracy"])
    assert_logs(model.test_on_batch(X, Y, sample_weight=SW, return_dict=True), {'accuracy': 0.4000000059604645, 'loss': 1.2649033069610596})


def test_class_weight_of_one_hot_targets_goes_by_argmax():
    # keras: categorical_crossentropy, m.fit(X, eye(3)[Y], class_weight=CW, batch_size=4, shuffle=False)
    model = make(loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(X, np.eye(3)[Y], class_weight=CW, batch_size=4, shuffle=False, verbose=0)
    assert_logs(history.history, {'accuracy': [0.4000000059604645], 'loss': [1.9291082620620728]})


def test_class_weight_of_binary_column_targets_goes_by_value():
    # keras: Dense(1, sigmoid), binary_crossentropy, weighted_metrics=["accuracy"] (logged as
    # "accuracy": no unweighted metric shares the name), class_weight={0: 3.0, 1: 0.5}
    model = make(act="sigmoid", out=1, loss="binary_crossentropy", weighted_metrics=["accuracy"])
    yb = (Y > 0).astype("float32").reshape(-1, 1)
    history = model.fit(X, yb, class_weight={0: 3.0, 1: 0.5}, batch_size=4, shuffle=False, verbose=0)
    assert_logs(history.history, {'accuracy': [0.4399999976158142], 'loss': [0.9855571985244751]})
    assert_weights(model, [[[0.35816264152526855], [0.239424929022789], [0.3275007903575897], [-0.08216406404972076]], [-0.016079653054475784]])


def test_validation_data_with_sample_weight():
    # keras: m.fit(X, Y, validation_data=(X[:6], Y[:6], SW[:6]), batch_size=5, shuffle=False)
    model = make(metrics=["accuracy"])
    history = model.fit(X, Y, validation_data=(X[:6], Y[:6], SW[:6]), batch_size=5, shuffle=False,
                        verbose=0)
    assert_logs(history.history, {'accuracy': [0.4000000059604645], 'loss': [1.1775614023208618], 'val_accuracy': [0.5], 'val_loss': [1.0321067571640015]})


def test_generator_of_weighted_batches():
    # keras: m.fit(gen()) with gen yielding (X[i:i+4], Y[i:i+4], SW[i:i+4])
    model = make(metrics=["accuracy"], weighted_metrics=["accuracy"])

    def gen():
        for i in range(0, 10, 4):
            yield X[i:i + 4], Y[i:i + 4], SW[i:i + 4]
    assert_logs(model.fit(gen(), verbose=0).history, {'accuracy': [0.4000000059604645], 'loss': [1.2794240713119507], 'weighted_accuracy': [0.5714285969734192]})


def test_class_weight_missing_labels_weigh_one():
    # Keras: labels absent from class_weight weigh 1, so {0: 1, 1: 1} is no weighting at all
    a, b = make(), make()
    a.fit(X, Y, class_weight={0: 1.0, 1: 1.0}, batch_size=4, shuffle=False, verbose=0)
    b.fit(X, Y, batch_size=4, shuffle=False, verbose=0)
    for p, q in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(p, q)


def test_sample_weight_and_class_weight_together_is_keras_error():
    model = make()
    before = model.get_weights()
    with pytest.raises(ValueError, match="class_weight.*sample_weight"):
        model.fit(X, Y, class_weight=CW, sample_weight=SW, verbose=0)
    for p, q in zip(model.get_weights(), before):
        np.testing.assert_array_equal(p, q)


def test_weights_per_sample_shapes_keras_accepts():
    # Keras accepts (n,) and (n, 1) sample weights alike
    a, b = make(), make()
    a.fit(X, Y, sample_weight=SW, batch_size=4, shuffle=False, verbose=0)
    b.fit(X, Y, sample_weight=SW.reshape(-1, 1), batch_size=4, shuffle=False, verbose=0)
    for p, q in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(p, q)


def test_weighted_shuffled_fit_draws_weights_with_their_samples():
    # shuffling must keep each weight with its sample: zero weight on every
    # sample of class 2 trains exactly like dropping those samples
    keep = Y != 2
    w = keep.astype("float32")
    a, b = make(loss="sparse_categorical_crossentropy"), make()
    a.fit(X, Y, sample_weight=w, batch_size=10, epochs=3, verbose=0)
    b.fit(X[keep], Y[keep], batch_size=10, epochs=3, verbose=0)
    # sum_over_batch_size divides by the batch size (10 vs 7 samples): scale b's loss
    assert a.history.history["loss"][0] == pytest.approx(b.history.history["loss"][0] * keep.sum() / 10,
                                                           rel=1e-5)
