"""The Layer base class and the parameter store layers' weights live in.

A layer declares its parameters in ``build``; the model that owns it places
every parameter of every layer in one contiguous float32 buffer (and the
gradients in a twin buffer), giving each layer views into both, so one
optimizer kernel call updates the whole model.

Inside a model, layers see 2-D float32 batches ``(n, features)``: the model
flattens its input once at the door, and per-sample shapes are tracked only
for checking and for ``summary()``.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..backend import get_ops
from ..utils.naming import to_snake_case, unique_name
from ..utils.registry import Registry, joins_registry
from ..utils.types import ArrayLike, Float32Array, Shape
from ..utils.validation import check_batch, check_weight_value, normalize_shape
from .variable import Variable

#: every layer class by name: fastmlp's own join as they are defined (models
#: included); saved architectures name only these.
LAYERS = Registry("layer class")

class ParamStore:
    """All parameters of a group of layers in one float32 buffer, the gradients
    in a twin buffer; layers hold views into both."""

    def __init__(self, ops, layers, owner=None):
        self.ops = ops
        self.owner = owner
        specs = [(layer, name, shape, init) for layer in layers
                 for name, shape, init in layer.param_specs()]
        self.size = sum(math.prod(shape) for _, _, shape, _ in specs)
        host = np.empty(self.size, dtype=np.float32)
        offset = 0
        placed = []
        for layer, name, shape, init in specs:
            count = math.prod(shape)
            # A layer that already has weights (being moved into a merged
            # store) keeps their values; a new one is initialised.
            current = layer._weights.get(name)
            value = init(shape) if current is None else ops.to_numpy(current)
            host[offset:offset + count] = np.asarray(value, dtype=np.float32).reshape(-1)
            placed.append((layer, name, shape, offset, count))
            offset += count
        self.params = ops.asarray(host)
        self.grads = ops.alloc(self.size)
        self.placed = placed
        for layer, name, shape, offset, count in placed:
            layer._bind(name, self.params[offset:offset + count].reshape(shape),
                        self.grads[offset:offset + count].reshape(shape))
        for layer in layers:
            layer._store = self

    def trainable_segments(self):
        """``[(start, stop), ...]``: the runs of the buffer that belong to
        trainable layers, merged where adjacent."""
        segments: list[tuple[int, int]] = []
        for layer, _, _, offset, count in self.placed:
            if not layer.trainable:
                continue
            if segments and segments[-1][1] == offset:
                segments[-1] = (segments[-1][0], offset + count)
            else:
                segments.append((offset, offset + count))
        return segments


class Layer:
    """Base class of fastmlp layers.

    Subclasses implement ``compute_output_shape``, ``param_specs`` (if they
    have weights), ``forward`` and ``backward`` on 2-D float32 batches. A
    layer called on its own builds itself (and its weights) from its first
    input; called on a :class:`SymbolicTensor` it returns one.

    Args:
        name: a unique name; None (default) derives one from the class
            (``"dense"``, ``"dense_1"``...).
        input_shape: the per-sample input shape, e.g. ``(784,)``, for the
            first layer of a ``Sequential``.
        input_dim: Keras 2's ``input_shape=(input_dim,)``.
        batch_input_shape: the input shape with the batch axis first.
        trainable: whether the optimizer updates the layer's weights.
        dtype: None or ``"float32"`` (fastmlp computes in float32).
        **kwargs: none are accepted; listed only to name the bad ones.

    Raises:
        TypeError: an unknown keyword argument; when called, a non-numeric
            or string input.
        ValueError: a ``dtype`` other than float32 or an input shape that is
            not a tuple of positive integers; when called, an input without
            a batch axis, an empty batch, or samples of another shape than
            the layer was built for.

    Example:
        >>> class Double(fastmlp.layers.Layer):
        ...     def forward(self, x, training=False, logits=False):
        ...         return 2 * x
        ...     def backward(self, dy, need_dx=True):
        ...         return 2 * dy if need_dx else None
        >>> fastmlp.utils.clear_session()  # so the automatic name is "double"
        >>> layer = Double()
        >>> layer(np.ones((1, 2))).tolist()
        [[2.0, 2.0]]
        >>> layer.name, layer.built, layer.input_shape
        ('double', True, (None, 2))
    """

    #: whether the layer's output is a softmax that a fused cross-entropy may
    #: replace by emitting logits
    emits_softmax = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if joins_registry(cls):
            LAYERS.register(cls)

    def __init__(self, name: str | None = None, input_shape: Shape | None = None,
                 input_dim: int | None = None, batch_input_shape: Shape | None = None,
                 trainable: bool = True, dtype: Any = None, **kwargs: Any) -> None:
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected keyword argument(s): "
                            f"{', '.join(sorted(kwargs))}")
        if dtype not in (None, "float32", np.float32):
            raise ValueError(f"fastmlp computes in float32; dtype={dtype!r} is not supported")
        self.name = name if name is not None else unique_name(to_snake_case(type(self).__name__))
        if batch_input_shape is not None:
            input_shape = tuple(batch_input_shape)[1:]
        if input_dim is not None:
            input_shape = (input_dim,)
        self._declared_input_shape = None if input_shape is None else normalize_shape(input_shape)
        self.trainable = trainable
        self.built = False
        self.ops: Any = None  # the backend's ops once built
        self._store: Any = None
        self._weights: dict[str, Any] = {}
        self._grads: dict[str, Any] = {}
        self._buffers: dict[Any, Any] = {}
        self._scope = None  # the enclosing models' names, for Variable.path
        self.input_shape_: Any = None  # per-sample shapes once built
        self.output_shape_: Any = None

    # ------------------------------------------------------------------ shapes
    @property
    def input_shape(self) -> tuple[int | None, ...]:
        """``(None, *per_sample_shape)`` once built."""
        self._require_built()
        return (None,) + self.input_shape_

    @property
    def output_shape(self) -> tuple[int | None, ...]:
        self._require_built()
        return (None,) + self.output_shape_

    def _require_built(self):
        if not self.built:
            raise ValueError(f"layer {self.name!r} is not built yet: its input shape is unknown")

    def compute_output_shape(self, input_shape):
        """The per-sample output shape for a per-sample ``input_shape``."""
        return input_shape

    def param_specs(self):
        """``[(name, shape, initializer), ...]`` for the layer's weights."""
        return []

    def regularizers(self):
        """``{weight name: regularizer}`` for the weights with a penalty."""
        return {}

    def build(self, input_shape: Shape) -> None:
        """Build on the current backend for ``input_shape`` (batch axis first,
        as in Keras: ``(None, 784)``) and create the weights."""
        input_shape = normalize_shape(tuple(input_shape)[1:], "input_shape")
        self._build(get_ops(), input_shape)
        self._place_new_weights()

    def _place_new_weights(self):
        """Put the weights of newly built layers into a new parameter store."""
        leaves = self.leaves_without_store()
        if leaves:
            ParamStore(self.ops, leaves, owner=self)

    def leaves_with_weights(self):
        """Layers with weights (parameters or state) below this one, itself included."""
        return [self] if self.param_specs() or self.state_arrays() else []

    def leaves_without_store(self):
        """Layers with parameters below this one that have no parameter store yet."""
        return [layer for layer in self.leaves_with_weights()
                if layer.param_specs() and layer._store is None]

    def _build(self, ops, input_shape):
        """Fix the per-sample input shape; weights are placed by a ParamStore."""
        self.output_shape_ = self.compute_output_shape(input_shape)
        self.input_shape_ = input_shape
        self.ops = ops
        self.built = True

    def _bind(self, name, value, grad):
        self._weights[name] = value
        self._grads[name] = grad

    # -------------------------------------------------------------- execution
    def buffer(self, key, shape, dtype=np.float32):
        """A reusable work buffer, so steady-state steps do not allocate.

        Buffers are kept per shape; only a few shapes are kept, so calls with
        many different batch sizes do not hoard memory.
        """
        buf = self._buffers.get((key, shape))
        if buf is None:
            if len(self._buffers) >= 16:
                self._buffers.clear()
            buf = self.ops.xp.empty(shape, dtype=dtype)
            self._buffers[(key, shape)] = buf
        return buf

    def forward(self, x, training=False, logits=False):
        """Output for the 2-D float32 batch ``x``; with ``logits`` a softmax
        layer returns its input (the loss applies the softmax itself)."""
        raise NotImplementedError

    def backward(self, dy, need_dx=True):
        """Accumulate weight gradients from ``dy``; return the input gradient
        (or None when ``need_dx`` is false)."""
        raise NotImplementedError

    def __call__(self, x: Any, training: bool = False) -> Any:
        """Run the layer on its own, building it (and its weights) from ``x``."""
        if isinstance(x, SymbolicTensor):
            return x.apply(self)
        ops = self.ops or get_ops()
        batch, sample_shape = as_input_batch(ops, x, self.input_shape_ if self.built else None,
                                             f"layer {self.name!r}")
        if not self.built:
            self._build(ops, sample_shape)
            self._place_new_weights()
        out = self.forward(batch, training=training)
        return out.reshape((out.shape[0],) + self.output_shape_).copy()

    # ---------------------------------------------------------------- weights
    def state_names(self):
        """Names of the arrays :meth:`state_arrays` returns, in order."""
        return [f"state_{i}" for i in range(len(self.state_arrays()))]

    def _variables(self):
        """``(parameters, state)``: two lists of Variables."""
        params = [Variable(self, name, lambda name=name: self._weights[name], self.trainable)
                  for name, _, _ in self.param_specs()]
        state = [Variable(self, name, lambda i=i: self.state_arrays()[i], False)
                 for i, name in enumerate(self.state_names())]
        return params, state

    def _variable(self, name):
        """The Variable of weight ``name``, or None when the layer has no such weight (yet)."""
        if name not in self._weights:
            return None
        return Variable(self, name, lambda: self._weights[name], self.trainable)

    @property
    def trainable_weights(self) -> list[Variable]:
        """The weights the optimizer updates (Variables over views into the
        model's parameter buffer), or none when the layer is frozen."""
        if not self.built or not self.trainable:
            return []
        return self._variables()[0]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        """Weights the optimizer leaves alone (a frozen layer's, and state such
        as batch-normalization statistics)."""
        if not self.built:
            return []
        params, state = self._variables()
        return state if self.trainable else params + state

    @property
    def trainable_variables(self) -> list[Variable]:
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list[Variable]:
        return self.non_trainable_weights

    @property
    def variables(self) -> list[Variable]:
        return self.weights

    def state_arrays(self):
        """Non-trainable arrays the layer updates itself (none by default)."""
        return []

    @property
    def weights(self) -> list[Variable]:
        """Every weight as a :class:`Variable`, in Keras's order (the
        parameters, then the state)."""
        if not self.built:
            return []
        params, state = self._variables()
        return params + state

    def _weight_arrays(self):
        """The backend arrays behind :attr:`weights`, in the same order."""
        if not self.built:
            return []
        return [self._weights[name] for name, _, _ in self.param_specs()] + self.state_arrays()

    @property
    def losses(self):
        """The current weight penalties, one per regularized weight (float32 scalars)."""
        if not self.built:
            return []
        return [np.float32(reg(self._weights[name])) for name, reg in self.regularizers().items()]

    def get_weights(self) -> list[Float32Array]:
        """Copies of the weights as NumPy arrays, in Keras's order."""
        return [np.array(self.ops.to_numpy(w), copy=True) for w in self._weight_arrays()]

    def set_weights(self, weights: Sequence[ArrayLike]) -> None:
        """Replace the weights with arrays of the same shapes (all checked
        before any is written)."""
        self._assign_weights(self._check_weights(weights))

    def _assign_weights(self, converted):
        for target, value in zip(self._weight_arrays(), converted):
            target[...] = self.ops.asarray(value)

    def _check_weights(self, weights):
        """The new weights as float32 arrays, or an error naming the problem."""
        current = self._weight_arrays()
        weights = list(weights)
        if len(weights) != len(current):
            raise ValueError(f"layer {self.name!r} has {len(current)} weight arrays, got {len(weights)}")
        return [check_weight_value(value, target.shape, f"weight {i} of layer {self.name!r}")
                for i, (target, value) in enumerate(zip(current, weights))]

    def count_params(self) -> int:
        self._require_built()
        return sum(int(w.size) for w in self._weight_arrays())

    # ----------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        config = {"name": self.name, "trainable": self.trainable}
        if self._declared_input_shape is not None:
            config["input_shape"] = list(self._declared_input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}, built={self.built}>"


def deserialize_entries(config, keys, deserialize):
    """A copy of a layer's ``config`` with the saved objects under ``keys``
    (mappings such as initializers) rebuilt by ``deserialize``."""
    config = dict(config)
    for key in keys:
        if isinstance(config.get(key), dict):
            config[key] = deserialize(config[key])
    return config


def as_input_batch(ops, x, expected_shape, what):
    """``x`` as a 2-D C-contiguous float32 batch on the backend of ``ops``,
    with its per-sample shape, after :func:`fastmlp.utils.validation.check_batch`.

    Args:
        ops: the backend's ``Ops``.
        x: the batch (array-like, any numeric dtype).
        expected_shape: the per-sample shape required, or None.
        what: the caller's name in error messages.

    Returns:
        ``(batch, sample_shape)``.
    """
    x = check_batch(x, what, expected_shape)
    if not isinstance(x, (np.ndarray, ops.xp.ndarray)):
        x = np.asarray(x)
    sample_shape = tuple(int(d) for d in x.shape[1:])
    flat = x.reshape(x.shape[0], -1)
    return ops.xp.ascontiguousarray(ops.xp.asarray(flat), dtype=np.float32), sample_shape


class SymbolicTensor:
    """What ``Input(...)`` returns, and what calling a layer on one returns:
    a per-sample shape and the chain of layers that produces it.

    Calling a layer on one runs nothing: it only checks and propagates the
    shape, as Keras's symbolic tensors do; ``Model(inputs, outputs)`` reads
    the chain.

    Args:
        sample_shape: the per-sample shape (no batch axis).
        input_layer: the :class:`~fastmlp.layers.InputLayer` the chain starts at.
        layers: the layers applied so far, in order.

    Raises:
        ValueError: (from ``apply``, i.e. calling a layer on it) a built layer
            whose input shape differs, or a shape the layer cannot take (a
            ``Dense`` after a non-flat shape).

    Example:
        >>> x = fastmlp.layers.Input(shape=(8,))
        >>> y = fastmlp.layers.Dense(4, name="hidden")(x)
        >>> y
        <SymbolicTensor shape=(None, 4)>
        >>> [layer.name for layer in y.layers]
        ['hidden']
    """

    def __init__(self, sample_shape, input_layer, layers=()):
        self.sample_shape = sample_shape
        self.input_layer = input_layer
        self.layers = tuple(layers)

    @property
    def shape(self):
        return (None,) + self.sample_shape

    def apply(self, layer):
        """The tensor ``layer`` produces from this one (the layer is not run)."""
        if layer.built:
            if layer.input_shape_ != self.sample_shape:
                raise ValueError(f"layer {layer.name!r} was built for inputs {layer.input_shape_}, "
                                 f"got {self.sample_shape}")
            out_shape = layer.output_shape_
        else:
            out_shape = layer.compute_output_shape(self.sample_shape)
        return SymbolicTensor(out_shape, self.input_layer, self.layers + (layer,))

    def __repr__(self):
        return f"<SymbolicTensor shape={self.shape}>"
