"""Model: a chain of layers with one parameter buffer, usable as a layer.

``Sequential`` builds the chain from a list or ``add``; ``Model(inputs,
outputs)`` builds it from Keras's functional calls, as long as they form a
single chain. Training lives in :mod:`fastmlp.models.trainer`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from .. import distribution
from ..backend import get_ops
from ..layers import deserialize, serialize
from ..layers.layer import Layer, SymbolicTensor, as_input_batch
from ..utils.naming import unique_name
from ..utils.types import Float32Array, PathLike, Shape
from ..utils.validation import normalize_shape
from . import compiled_inference
from .trainer import Trainer

if TYPE_CHECKING:
    from ..layers.variable import Variable


class Model(Trainer, Layer):
    """A chain of layers with one parameter buffer, trained with ``compile``/``fit``.

    ``Model(inputs, outputs)`` takes Keras's functional graph, as long as it is
    a single chain from one ``Input`` to one output; ``Model()`` with neither
    is an empty model (what :class:`Sequential` builds on). A model is itself
    a layer, so it can be a layer of another model. As in Keras 3, a
    functional model is named ``"functional"`` (then ``"functional_1"``...).

    Args:
        inputs: the tensor ``fastmlp.Input(shape)`` returned (or a list of one).
        outputs: the tensor from calling layers on ``inputs`` (or a list of one).
        name: the model's name (generated when None).
        trainable: whether ``fit`` updates the model's weights.
        **kwargs: :class:`fastmlp.layers.Layer`'s (``input_shape``, ``dtype``...).

    Raises:
        TypeError: ``inputs``/``outputs`` that are not symbolic tensors, or an
            unknown keyword argument.
        ValueError: ``outputs`` not computed from ``inputs``.
        NotImplementedError: several inputs or outputs (fastmlp models have one
            of each).

    Example:
        >>> inputs = fastmlp.Input((4,))
        >>> hidden = fastmlp.layers.Dense(8, activation="relu")(inputs)
        >>> model = fastmlp.Model(inputs, fastmlp.layers.Dense(2)(hidden))
        >>> model(np.ones((3, 4))).shape
        (3, 2)
    """

    def __init__(self, inputs: SymbolicTensor | None = None, outputs: SymbolicTensor | None = None,
                 name: str | None = None, trainable: bool = True, **kwargs: Any) -> None:
        if name is None and type(self) is Model:
            name = unique_name("functional")  # Keras 3's name for functional models
        Layer.__init__(self, name=name, **kwargs)
        Trainer.__init__(self)
        self._layers = []
        self._input_layer = None
        self.trainable = trainable
        if inputs is None and outputs is None:
            return
        inputs = _single(inputs, "inputs")
        outputs = _single(outputs, "outputs")
        if not isinstance(inputs, SymbolicTensor) or not isinstance(outputs, SymbolicTensor):
            raise TypeError("Model(inputs, outputs) takes the tensors returned by fastmlp.Input and "
                            "by calling layers on them")
        if outputs.input_layer is not inputs.input_layer or outputs.layers[:len(inputs.layers)] != inputs.layers:
            raise ValueError("outputs are not computed from inputs")
        self._input_layer = inputs.input_layer
        self._layers = list(outputs.layers[len(inputs.layers):])
        self._build_if_shape_known()

    # ------------------------------------------------------------ structure
    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by name or by index in :attr:`layers`.

        Args:
            name: the layer's name (used when ``index`` is None).
            index: its position in :attr:`layers` (negative counts from the end).

        Returns:
            The layer.

        Raises:
            ValueError: no such name, or ``index`` out of range.

        Example:
            >>> model = fastmlp.Sequential([fastmlp.Input((4,)), fastmlp.layers.Dense(2, name="out")])
            >>> model.get_layer("out") is model.get_layer(index=-1)
            True
        """
        if index is not None:
            if not -len(self._layers) <= index < len(self._layers):
                raise ValueError(f"model {self.name!r} has {len(self._layers)} layers; index {index} is out of range")
            return self._layers[index]
        for layer in self._layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r} in model {self.name!r}; layers: "
                         f"{', '.join(layer.name for layer in self._layers)}")

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in getattr(self, "_layers", ()):
            layer.trainable = self._trainable

    def _declared_sample_shape(self):
        if self._input_layer is not None:
            return self._input_layer._declared_input_shape
        if self._declared_input_shape is not None:
            return self._declared_input_shape
        if self._layers:
            first = self._layers[0]
            if isinstance(first, Model):
                return first._declared_sample_shape()
            return first.input_shape_ if first.built else first._declared_input_shape
        return None

    def _build_if_shape_known(self):
        shape = self._declared_sample_shape()
        if shape is not None and self._layers:
            self._ensure_built(shape)

    def compute_output_shape(self, input_shape):
        shape = input_shape
        for layer in self._layers:
            shape = layer.output_shape_ if layer.built else layer.compute_output_shape(shape)
        return shape

    def _build(self, ops, input_shape):
        if not self._layers:
            raise ValueError(f"model {self.name!r} has no layers")
        shape = input_shape
        for layer in self._layers:
            if layer.built:
                if layer.input_shape_ != shape:
                    raise ValueError(f"layer {layer.name!r} was built for inputs {layer.input_shape_}, "
                                     f"but receives {shape} here")
                if layer.ops.name != ops.name:
                    raise ValueError(f"layer {layer.name!r} lives on the {layer.ops.name!r} backend, "
                                     f"this model on {ops.name!r}")
            else:
                # Keras 3 names a weight by the models around its layer at build time.
                layer._scope = self.name if self._scope is None else f"{self._scope}/{self.name}"
                layer._build(ops, shape)
            shape = layer.output_shape_
        self.input_shape_ = input_shape
        self.output_shape_ = shape
        self.ops = ops
        self.built = True
        self._first_weighted = self._index_of_first_weighted()

    def _index_of_first_weighted(self):
        """Backward passes stop at this layer: nothing before it has weights."""
        return next((i for i, layer in enumerate(self._layers) if layer.leaves_with_weights()),
                    len(self._layers))

    def _ensure_built(self, sample_shape):
        """Build (weights included) for ``sample_shape`` if not built; else
        check that ``sample_shape`` is what the model takes."""
        sample_shape = normalize_shape(sample_shape)
        if self.built:
            if sample_shape != self.input_shape_:
                raise ValueError(f"model {self.name!r} expects samples of shape {self.input_shape_}, "
                                 f"got {sample_shape}")
            return
        # A model around layers that are already built runs on their backend.
        built = next((layer for layer in self.leaves() if layer.built), None)
        self._build(built.ops if built is not None else get_ops(), sample_shape)
        self._place_new_weights()

    def build(self, input_shape: Shape | None = None) -> None:
        """Build (create the weights) for ``input_shape`` with the batch axis
        first, e.g. ``(None, 784)``.

        Args:
            input_shape: the batch shape; None uses the declared input shape.

        Raises:
            ValueError: no shape given or declared, layers whose shapes do not
                chain, or a built model given another shape.
        """
        if input_shape is None:
            shape = self._declared_sample_shape()
            if shape is None:
                raise ValueError(f"model {self.name!r} needs an input shape to be built")
            self._ensure_built(shape)
        else:
            self._ensure_built(tuple(input_shape)[1:])

    def leaves(self):
        """The non-model layers of the chain, nested models expanded."""
        out: list[Layer] = []
        for layer in self._layers:
            out.extend(layer.leaves() if isinstance(layer, Model) else [layer])
        return out

    def leaves_with_weights(self):
        return [layer for layer in self.leaves() if layer.param_specs() or layer.state_arrays()]

    def stores(self):
        """The parameter stores of this model's weights, each once, in order."""
        seen: dict[int, Any] = {}
        for layer in self.leaves_with_weights():
            if layer._store is not None:
                seen.setdefault(id(layer._store), layer._store)
        return list(seen.values())

    @property
    def emits_softmax(self):  # type: ignore[override]  # Layer's is a plain class attribute
        """Whether the model's output is a softmax (its last layer's is)."""
        return bool(self._layers) and self._layers[-1].emits_softmax

    # ------------------------------------------------------------ execution
    def forward(self, x, training=False, logits=False):
        last = len(self._layers) - 1
        for i, layer in enumerate(self._layers):
            x = layer.forward(x, training=training, logits=logits and i == last)
        return x

    def backward(self, dy, need_dx=True):
        first = 0 if need_dx else self._first_weighted
        for i in range(len(self._layers) - 1, first - 1, -1):
            dy = self._layers[i].backward(dy, need_dx=need_dx or i > first)
        return dy if need_dx else None

    def __call__(self, x: Any, training: bool = False) -> Any:
        """Run the model on a batch (inference unless ``training``); returns a
        new float32 array of shape ``(n, *output_shape)``."""
        if isinstance(x, SymbolicTensor):
            return x.apply(self)
        if not training and self.built and type(x) is np.ndarray and x.ndim > 1 and x.shape[0] \
                and x.dtype == np.float32 and x.shape[1:] == self.input_shape_:
            out = compiled_inference.outputs(self, x, x.shape[0])
            if out is not None:
                return out.reshape((x.shape[0],) + self.output_shape_)
        ops = self.ops or get_ops()
        batch, sample_shape = as_input_batch(ops, x, None, f"model {self.name!r}")
        self._ensure_built(sample_shape)
        out = self.forward(batch, training=bool(training))
        return out.reshape((out.shape[0],) + self.output_shape_).copy()

    # -------------------------------------------------------------- weights
    @property
    def weights(self) -> list[Variable]:
        return [w for layer in self.leaves() for w in layer.weights]

    @property
    def trainable_weights(self) -> list[Variable]:
        return [w for layer in self.leaves() for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return [w for layer in self.leaves() for w in layer.non_trainable_weights]

    @property
    def losses(self):
        """The current weight penalties, one per regularized weight, layer by layer."""
        return [penalty for layer in self.leaves() for penalty in layer.losses]

    def get_weights(self) -> list[Float32Array]:
        """Copies of every weight array, layer by layer, as NumPy arrays."""
        return [w for layer in self.leaves() for w in layer.get_weights()]

    def set_weights(self, weights: Sequence[ArrayLike]) -> None:
        """Replace every weight; all arrays are checked before any is written.

        Args:
            weights: arrays in the order of :meth:`get_weights`, of the same shapes.

        Raises:
            ValueError: the wrong number of arrays, or one of the wrong shape
                or not finite.
            TypeError: an array that is not numeric.

        Example:
            >>> model = fastmlp.Sequential([fastmlp.Input((4,)), fastmlp.layers.Dense(2, name="out")])
            >>> model.set_weights([np.zeros_like(w) for w in model.get_weights()])
            >>> model(np.ones((1, 4))).tolist()
            [[0.0, 0.0]]
        """
        weights = list(weights)
        leaves = self.leaves_with_weights()
        expected = sum(len(layer._weight_arrays()) for layer in leaves)
        if len(weights) != expected:
            raise ValueError(f"model {self.name!r} has {expected} weight arrays, got {len(weights)}")
        checked, start = [], 0
        for layer in leaves:
            count = len(layer._weight_arrays())
            checked.append((layer, layer._check_weights(weights[start:start + count])))
            start += count
        for layer, converted in checked:
            layer._assign_weights(converted)

    def count_params(self) -> int:
        """The number of weights (scalars), trainable or not.

        Returns:
            An int.

        Raises:
            ValueError: the model is not built.

        Example:
            >>> model = fastmlp.Sequential([fastmlp.Input((4,)), fastmlp.layers.Dense(2, name="out")])
            >>> model.count_params()  # a 4 x 2 kernel and 2 biases
            10
        """
        self._require_built()
        return sum(layer.count_params() for layer in self.leaves())

    # -------------------------------------------------------------- summary
    def summary(self, line_length: int | None = None, positions: Sequence[float] | None = None,
                print_fn: Callable[..., Any] | None = None, **kwargs: Any) -> None:
        """Print Keras's table: layer (type), output shape, param #, and totals."""
        print_fn = print_fn or print
        width = line_length or 65
        cols = [int(width * p) for p in (positions or (0.45, 0.85, 1.0))]
        rows = []
        for layer in self._layers:
            shape = str((None,) + layer.output_shape_) if layer.built else "?"
            params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
            rows.append((f"{layer.name} ({type(layer).__name__})", shape, params))

        def line(fields):
            text = ""
            for field, stop in zip(fields, cols):
                text = (text + field)[:stop - 1].ljust(stop)
            return text.rstrip()

        print_fn(f'Model: "{self.name}"')
        print_fn("_" * width)
        print_fn(line(("Layer (type)", "Output Shape", "Param #")))
        print_fn("=" * width)
        for i, row in enumerate(rows):
            print_fn(line(row))
            print_fn("=" * width if i == len(rows) - 1 else "")
        if self.built:
            total = self.count_params()
            trainable = sum(int(w.size) for w in self.trainable_weights)
            print_fn(f"Total params: {total:,} ({_format_bytes(total * 4)})")
            print_fn(f"Trainable params: {trainable:,} ({_format_bytes(trainable * 4)})")
            print_fn(f"Non-trainable params: {total - trainable:,} ({_format_bytes((total - trainable) * 4)})")
        else:
            print_fn("Total params: unknown until the model is built")
        print_fn("_" * width)

    # --------------------------------------------------------------- saving
    def save(self, filepath: PathLike, overwrite: bool = True,
             include_optimizer: bool = True) -> None:
        """Write the architecture, weights and optimizer state to one file;
        see :func:`fastmlp.saving.save_model`, which takes the same arguments.
        Under a DataParallel distribution only process 0 writes."""
        if not distribution.is_chief():
            return  # the processes hold the same model: one writer, no torn file
        from .saving import save_model
        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath: PathLike, overwrite: bool = True) -> None:
        """Write the weights to one file (Keras 3's ``.weights.h5`` for that name).

        Args:
            filepath: the file to write.
            overwrite: replace an existing file.

        Raises:
            ValueError: the model is not built.
            FileExistsError: the file exists and ``overwrite`` is False.
        """
        if not distribution.is_chief():
            return  # under a DataParallel distribution only process 0 writes
        from .saving import save_weights
        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: PathLike) -> None:
        """Read weights written by :meth:`save_weights` or :meth:`save` (or
        Keras's ``.weights.h5``, ``.keras`` and legacy ``.h5`` files).

        Args:
            filepath: the file to read.

        Raises:
            ValueError: the model is not built, or the weights do not fit it.
            FileNotFoundError: no file at ``filepath``.
            ModelFileError: a file that is not a readable weights file.
        """
        from .saving import load_weights
        self._require_built()
        load_weights(self, filepath)

    def export(self, filepath: PathLike, format: str = "tf_saved_model",
               verbose: bool | None = None, input_signature: Any = None, **kwargs: Any) -> Any:
        """Write the inference graph to ``filepath`` (Keras 3's signature).

        Args:
            filepath: the file to write; its folder must exist.
            format: ``"onnx"``, the format fastmlp writes; Keras's default
                ``"tf_saved_model"`` and its other formats raise NotImplementedError.
            verbose: print the path written (default: yes, as Keras).
            input_signature: None (dynamic batch) or a spec of shape
                ``(batch, *input_shape)`` fixing the batch size.
            **kwargs: ``opset_version`` (ONNX, default 17).
        """
        from .export import export_model
        export_model(self, filepath, format=format, verbose=verbose, input_signature=input_signature, **kwargs)

    # ------------------------------------------------------------- pickling
    def __reduce_ex__(self, protocol):
        # Default pickling and deepcopy copy each weight view apart from the
        # one parameter buffer, so the copy would train nothing: a built model
        # travels as its model file's bytes instead (fastmlp/models/pickling.py).
        from .pickling import reduce_model
        return reduce_model(self, protocol)

    # --------------------------------------------------------------- config
    def to_json(self, **kwargs: Any) -> str:
        """The architecture (no weights) as JSON; see :func:`model_from_json`.

        Args:
            **kwargs: arguments for ``json.dumps`` (``indent``...).

        Returns:
            A str.
        """
        import json
        return json.dumps(serialize(self), **kwargs)

    def get_config(self) -> dict[str, Any]:
        config = {"name": self.name, "trainable": self.trainable,
                  "layers": [serialize(layer) for layer in self._layers]}
        shape = self.input_shape_ if self.built else self._declared_sample_shape()
        if shape is not None:
            config["input_shape"] = list(shape)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Model:
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(f"a {cls.__name__} config needs its 'layers' as a list, got {layers!r:.80}")
        model = cls(name=config.get("name"))
        model._layers = [deserialize(spec) for spec in layers]
        if config.get("input_shape") is not None:
            model._declared_input_shape = tuple(config["input_shape"])
        model.trainable = config.get("trainable", True)
        model._build_if_shape_known()
        return model


def _single(value, what):
    if isinstance(value, (list, tuple)):
        if len(value) != 1:
            raise NotImplementedError(f"fastmlp models take exactly one {what[:-1]}, got {len(value)}")
        return value[0]
    return value


def _format_bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024
