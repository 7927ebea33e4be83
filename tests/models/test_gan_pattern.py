"""The classic Keras GAN recipe (a generator, a discriminator compiled on its
own, frozen inside a combined model, one shared optimizer): Keras freezes the
trainable flags at compile time, so the discriminator keeps training through
its own train_on_batch while the combined model trains only the generator."""

import numpy as np

import fastmlp
from fastmlp.layers import BatchNormalization, Dense, Flatten, Input, LeakyReLU, Reshape
from fastmlp.models import Model, Sequential
from fastmlp.optimizers import Adam

IMG_SHAPE = (4, 4, 1)
LATENT = 8


def _generator():
    model = Sequential()
    model.add(Dense(16, input_dim=LATENT))
    model.add(LeakyReLU(alpha=0.2))
    model.add(BatchNormalization(momentum=0.8))
    model.add(Dense(int(np.prod(IMG_SHAPE)), activation="tanh"))
    model.add(Reshape(IMG_SHAPE))
    noise = Input(shape=(LATENT,))
    return Model(noise, model(noise))


def _discriminator():
    model = Sequential()
    model.add(Flatten(input_shape=IMG_SHAPE))
    model.add(Dense(16))
    model.add(LeakyReLU(alpha=0.2))
    model.add(Dense(1, activation="sigmoid"))
    img = Input(shape=IMG_SHAPE)
    return Model(img, model(img))


def test_gan_recipe_trains_each_part_as_keras_does():
    fastmlp.utils.set_random_seed(0)
    optimizer = Adam(0.0002, 0.5)
    discriminator = _discriminator()
    discriminator.compile(loss="binary_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    generator = _generator()
    z = Input(shape=(LATENT,))
    img = generator(z)
    discriminator.trainable = False
    validity = discriminator(img)
    combined = Model(z, validity)
    combined.compile(loss="binary_crossentropy", optimizer=optimizer)
    assert generator.output_shape == (None,) + IMG_SHAPE

    rng = np.random.default_rng(0)
    imgs = np.tanh(rng.normal(size=(16,) + IMG_SHAPE))
    valid, fake = np.ones((16, 1)), np.zeros((16, 1))
    d_before, g_before = discriminator.get_weights(), generator.get_weights()

    noise = rng.normal(0, 1, (16, LATENT))
    gen_imgs = generator.predict(noise, verbose=0)
    d_loss_real = discriminator.train_on_batch(imgs, valid)
    d_loss_fake = discriminator.train_on_batch(gen_imgs, fake)
    d_loss = 0.5 * np.add(d_loss_real, d_loss_fake)
    assert d_loss.shape == (2,) and np.all(np.isfinite(d_loss))
    d_after = discriminator.get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(d_before, d_after))  # it trained
    assert all(np.array_equal(a, b) for a, b in zip(g_before, generator.get_weights()))

    g_loss = combined.train_on_batch(noise, valid)
    assert np.isfinite(g_loss)
    assert any(not np.array_equal(a, b) for a, b in zip(g_before, generator.get_weights()))
    # the frozen discriminator did not move inside the combined model
    assert all(np.array_equal(a, b) for a, b in zip(d_after, discriminator.get_weights()))
    assert len(combined.trainable_weights) == len(generator.trainable_weights)
