"""Sequential: a plain stack of layers."""

from __future__ import annotations

from typing import Any, Iterable

from ..layers.input_layer import InputLayer
from ..layers.layer import Layer, ParamStore, SymbolicTensor
from .engine import Model


class Sequential(Model):
    """A linear stack of layers, from a list or built up with :meth:`add`.

    The model is built (weights created) as soon as its input shape is known:
    from ``Input(shape)``, an ``input_shape``/``input_dim`` on the first layer,
    :meth:`build`, or the first call/fit.

    Args:
        layers: the layers, in order (more can follow with :meth:`add`).
        name: the model's name (``"sequential"``, ``"sequential_1"``, ... when None).
        trainable: whether ``fit`` updates the model's weights.

    Raises:
        TypeError: an entry of ``layers`` that is not a layer.
        ValueError: layers whose shapes do not chain.

    Example:
        >>> model = fastmlp.Sequential([
        ...     fastmlp.layers.Flatten(input_shape=(28, 28)),
        ...     fastmlp.layers.Dense(128, activation="relu"),
        ...     fastmlp.layers.Dense(10),
        ... ])
        >>> model.output_shape_
        (10,)
    """

    def __init__(self, layers: Iterable[Layer | SymbolicTensor] | None = None, name: str | None = None,
                 trainable: bool = True, **kwargs: Any) -> None:
        super().__init__(name=name, trainable=trainable, **kwargs)
        for layer in layers or ():
            self._append(layer)
        self._build_if_shape_known()

    def add(self, layer: Layer | SymbolicTensor) -> None:
        """Append a layer (or an ``Input`` as the first element)."""
        self._append(layer)
        if self.built and isinstance(layer, Layer) and not layer.built:  # (an Input is refused when built)
            self._build_added(layer)
        else:
            self._build_if_shape_known()

    def _append(self, layer):
        if isinstance(layer, SymbolicTensor):
            if layer.layers:
                raise ValueError("Sequential takes layers, or an Input as its first element")
            layer = layer.input_layer
        if isinstance(layer, InputLayer):
            if self._layers or self._input_layer is not None:
                raise ValueError("an Input can only be the first element of a Sequential model")
            self._input_layer = layer
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential takes fastmlp layers, got {layer!r}")
        if layer is self:
            raise ValueError("a model cannot contain itself")
        if any(existing.name == layer.name for existing in self._layers):
            raise ValueError(f"all layers of a model need unique names; {layer.name!r} is taken")
        self._layers.append(layer)
        if not self.trainable:
            layer.trainable = False

    def _build_added(self, layer):
        """Build a layer added to a built model and merge the weights this
        model owns into one buffer again."""
        layer._build(self.ops, self.output_shape_)
        self.output_shape_ = layer.output_shape_
        self._first_weighted = self._index_of_first_weighted()
        owned = [leaf for leaf in self.leaves_with_weights()
                 if leaf.param_specs() and (leaf._store is None or leaf._store.owner is self)]
        if owned:
            ParamStore(self.ops, owned, owner=self)

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._layers:
            raise ValueError("there is no layer to pop")
        layer = self._layers.pop()
        self.built = False
        self._build_if_shape_known()
        return layer
