"""Small models the tests share (tests/conftest.py hands them out as fixtures)."""

import fastmlp


def mlp(inputs=20, hidden=16, classes=3, activation="relu", output_activation=None, dropout=0.0,
        names=(None, None)):
    """Dense(hidden) [Dropout] Dense(classes) on ``inputs`` features; ``names``
    names the two Dense layers."""
    layers = [fastmlp.layers.Dense(hidden, activation=activation, input_shape=(inputs,), name=names[0])]
    if dropout:
        layers.append(fastmlp.layers.Dropout(dropout))
    layers.append(fastmlp.layers.Dense(classes, activation=output_activation, name=names[1]))
    return fastmlp.Sequential(layers)


def seed_model(input_shape=(28, 28), hidden=128, classes=10, dropout=0.2):
    """The first seed program's model: Flatten, Dense(relu), [Dropout], Dense."""
    layers = [fastmlp.layers.Flatten(input_shape=input_shape),
              fastmlp.layers.Dense(hidden, activation="relu")]
    if dropout:
        layers.append(fastmlp.layers.Dropout(dropout))
    layers.append(fastmlp.layers.Dense(classes))
    return fastmlp.Sequential(layers)


def compiled(model, optimizer="adam", metrics=("accuracy",)):
    """``model`` compiled with sparse cross-entropy on logits."""
    model.compile(optimizer=optimizer,
                  loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=list(metrics))
    return model


def tiny_model():
    """A seeded 4-8-2 MLP (layers "hidden" and "out") compiled with SGD(0.1)."""
    fastmlp.utils.set_random_seed(0)
    return compiled(mlp(inputs=4, hidden=8, classes=2, names=("hidden", "out")),
                    optimizer=fastmlp.optimizers.SGD(learning_rate=0.1), metrics=())


def softmax_classifier(seed=1, features=4, classes=3):
    """A seeded one-layer softmax classifier compiled with SGD(0.1) and accuracy:
    the smallest model whose training steps and checkpoints tests can follow."""
    fastmlp.utils.set_random_seed(seed)
    model = fastmlp.Sequential([fastmlp.Input((features,)), fastmlp.layers.Dense(classes, activation="softmax")])
    model.compile(fastmlp.optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
