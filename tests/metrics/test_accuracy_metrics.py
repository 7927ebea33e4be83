"""The accuracy metric a compiled model picks for its loss and targets."""

import pytest

import fastmlp


def test_one_hot_targets_with_categorical_loss_and_accuracy(small_data):
    x, y = small_data
    model = fastmlp.Sequential([fastmlp.layers.Dense(16, activation="relu", input_shape=(20,)),
                                fastmlp.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, fastmlp.utils.to_categorical(y, 3), epochs=10, verbose=0)
    assert model.metrics[0].name == "accuracy"
    assert isinstance(model.metrics[0], fastmlp.metrics.CategoricalAccuracy)
    assert history.history["accuracy"][-1] > 0.5
    with pytest.raises(ValueError, match="one-hot"):
        model.fit(x, y, verbose=0)
