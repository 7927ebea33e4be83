"""Variable: what ``layer.kernel``, ``layer.weights`` and ``model.weights``
return, as in Keras 3.

A Variable does not own memory: it names one array of a layer (a view into
the model's parameter buffer, or a state array such as a moving mean), so
``assign`` writes where the forward pass and the optimizer read.
"""

import numpy as np

from ..utils.validation import check_weight_value


class Variable:
    """One weight of a layer.

    Args:
        layer: the layer that holds the array.
        name: the weight's name in the layer (``"kernel"``).
        array: a function returning the backend array (a view, never a copy).
        trainable: whether the optimizer updates it.

    Raises:
        ValueError: (from ``assign``, ``assign_add``, ``assign_sub``) a value
            of another shape, or one holding NaN or infinity; nothing is
            written then.
        TypeError: (from the same) a value that is not numeric.

    Example:
        >>> layer = fastmlp.layers.Dense(2, name="out")
        >>> layer.build((None, 3))
        >>> kernel = layer.kernel
        >>> kernel.path, kernel.shape, kernel.trainable
        ('out/kernel', (3, 2), True)
        >>> kernel.assign(np.ones((3, 2))).numpy().tolist()
        [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
        >>> float(layer.bias.assign_add([0.5, -0.5]).numpy()[0])
        0.5
    """

    dtype = "float32"

    def __init__(self, layer, name, array, trainable):
        self._layer = layer
        self.name = name
        self._array = array
        self.trainable = bool(trainable)

    # ---------------------------------------------------------------- reading
    @property
    def path(self):
        """Keras 3's path, ``"sequential/dense/kernel"``, made of the enclosing
        models' names at build time, the layer's name and the weight's name."""
        scope = getattr(self._layer, "_scope", None)
        prefix = f"{scope}/" if scope else ""
        return f"{prefix}{self._layer.name}/{self.name}"

    @property
    def value(self):
        """The array itself (on the layer's backend); writing to it writes the weight."""
        return self._array()

    @property
    def shape(self):
        return tuple(self._array().shape)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(self._array().size)

    def numpy(self):
        """A NumPy copy of the current value."""
        return np.array(self._layer.ops.to_numpy(self._array()), copy=True)

    def __array__(self, dtype=None, copy=None):
        value = self.numpy()
        return value if dtype is None else value.astype(dtype)

    def __len__(self):
        return self.shape[0] if self.shape else 0

    def __repr__(self):
        return (f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
                f"value={self.numpy()}>")

    # ---------------------------------------------------------------- writing
    def _checked(self, value):
        """``value`` as a float32 host array of this variable's shape, or an
        error naming the problem (nothing is written before every check passed)."""
        if isinstance(value, Variable):
            value = value.numpy()
        elif hasattr(value, "__cuda_array_interface__"):
            value = self._layer.ops.to_numpy(value)
        return check_weight_value(value, self.shape, f"the value assigned to {self.path}")

    def assign(self, value):
        """Write ``value`` (same shape, finite numbers) in place; returns self."""
        value = self._checked(value)
        self._array()[...] = self._layer.ops.asarray(value)
        return self

    def assign_add(self, delta):
        """``self += delta`` in place (the result must stay finite)."""
        return self.assign(self.numpy() + self._checked(delta))

    def assign_sub(self, delta):
        """``self -= delta`` in place (the result must stay finite)."""
        return self.assign(self.numpy() - self._checked(delta))

    # ------------------------------------------------------------- arithmetic
    # Cheap NumPy arithmetic on the current value; results are arrays.
    def __add__(self, other):
        return self.numpy() + np.asarray(other)

    def __radd__(self, other):
        return np.asarray(other) + self.numpy()

    def __sub__(self, other):
        return self.numpy() - np.asarray(other)

    def __rsub__(self, other):
        return np.asarray(other) - self.numpy()

    def __mul__(self, other):
        return self.numpy() * np.asarray(other)

    def __rmul__(self, other):
        return np.asarray(other) * self.numpy()

    def __truediv__(self, other):
        return self.numpy() / np.asarray(other)

    def __neg__(self):
        return -self.numpy()

    def __matmul__(self, other):
        return self.numpy() @ np.asarray(other)

    def __getitem__(self, key):
        return self.numpy()[key]
