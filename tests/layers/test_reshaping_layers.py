"""Flatten and Rescaling."""

import numpy as np

import fastmlp


def test_rescaling_layer_feeds_uint8_images(backend):
    fastmlp.utils.set_random_seed(0)
    x = np.random.default_rng(0).integers(0, 256, size=(8, 3, 4), dtype=np.uint8)
    scaled = fastmlp.Sequential([fastmlp.layers.Flatten(input_shape=(3, 4)),
                                 fastmlp.layers.Rescaling(1 / 255, offset=-0.5)])
    np.testing.assert_allclose(scaled(x), x.reshape(8, -1) / 255 - 0.5, rtol=1e-6, atol=1e-7)
    model = fastmlp.Sequential([fastmlp.layers.Flatten(input_shape=(3, 4)),
                                fastmlp.layers.Rescaling(1 / 255), fastmlp.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(x, np.arange(8) % 2, verbose=0)
    assert fastmlp.layers.deserialize(fastmlp.layers.serialize(model.layers[1])).scale == 1 / 255
