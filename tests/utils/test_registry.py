"""fastmlp.utils.registry: the one resolver behind every get()/deserialize()."""

import pytest

import fastmlp
from fastmlp.utils.registry import Registry, serialize


class _Base:
    def __init__(self, size=1):
        self.size = size

    def get_config(self):
        return {"size": self.size}


class Small(_Base):
    pass


def _registry():
    registry = Registry("widget")
    registry.register(Small, "small_one")
    return registry


def test_one_case_rule_for_class_names_and_aliases():
    registry = _registry()
    for name in ("Small", "small", "SMALL", "small_one", "Small_One"):
        assert registry.lookup(name) is Small
    assert "sMaLl" in registry and "large" not in registry and 3 not in registry


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown widget 'large'; valid names are Small, small_one"):
        _registry().lookup("large")


def test_a_name_cannot_be_taken_twice():
    registry = _registry()
    registry.register(Small, "small")  # the same object again: fine
    with pytest.raises(ValueError, match="already taken by Small"):
        registry.register(type("Other", (_Base,), {}), "SMALL")


def test_get_takes_instances_classes_and_names():
    registry = _registry()
    instance = Small(3)
    assert registry.get(instance, _Base) is instance
    assert isinstance(registry.get(Small, _Base), Small)
    assert registry.get("small_one", _Base).size == 1
    with pytest.raises(TypeError, match="widget must be a name"):
        registry.get(42, _Base)


def test_deserialize_takes_classes_only_from_the_table():
    registry = _registry()
    assert registry.deserialize(serialize(Small(5))).size == 5
    for bad, message in [("nope", "must be a mapping"),
                         ({"class_name": "os.system", "config": {}}, "unknown widget 'os.system'"),
                         ({"class_name": "Small", "config": [1]}, "config .* must be a mapping")]:
        with pytest.raises(ValueError, match=message):
            registry.deserialize(bad)


@pytest.mark.parametrize("module, names", [
    (fastmlp.optimizers, ["adam", "Adam", "ADAM", "sgd", "RMSprop", "adamw"]),
    (fastmlp.losses, ["mse", "MSE", "mean_squared_error", "MeanSquaredError", "binary_crossentropy"]),
    (fastmlp.initializers, ["glorot_uniform", "GlorotUniform", "zeros", "Zeros", "he_normal"]),
    (fastmlp.regularizers, ["l1", "L1", "l2", "l1_l2", "L1L2"]),
])
def test_every_kind_resolves_names_the_same_way(module, names):
    for name in names:
        assert module.get(name) is not None


def test_metrics_and_activations_share_the_case_rule():
    assert fastmlp.metrics.get("MAE").name == "MAE"
    assert type(fastmlp.metrics.get("Mean_Absolute_Error")).__name__ == "MeanAbsoluteError"
    assert fastmlp.activations.get("ReLU") == "relu"
    assert fastmlp.activations.get(fastmlp.activations.tanh) == "tanh"


def test_layer_classes_join_the_registry_when_defined():
    from fastmlp.layers import LAYERS
    for name in ("Dense", "Dropout", "InputLayer", "Sequential", "Model"):
        assert name in LAYERS

    class UserLayer(fastmlp.layers.Layer):  # a user's class is not picked up from files
        pass

    assert "UserLayer" not in LAYERS
    assert "Layer" not in LAYERS  # the abstract base cannot be named by a file
