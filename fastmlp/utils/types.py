"""Type aliases of the public API's annotations, in one place.

They document what a signature takes (``Dense(kernel_initializer: Identifier)``)
and let a type checker follow calls into fastmlp (the package ships
``py.typed``); nothing here runs at training time.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: a registered object given by name (``"glorot_uniform"``), by Keras config
#: dict (``{"class_name": ..., "config": ...}``) or as the object/function itself
Identifier = Union[str, dict[str, Any], Callable[..., Any]]

#: a per-sample shape: ``(784,)``, ``(28, 28)``; ``None`` for an unknown size
Shape = Sequence[Union[int, None]]

#: where a file goes or comes from
PathLike = Union[str, os.PathLike[str]]

#: the float32 arrays fastmlp returns (predictions, weights)
Float32Array = NDArray[np.float32]

#: what a dataset's ``load_data`` returns: ``((x_train, y_train), (x_test, y_test))``
DatasetSplits = tuple[tuple[NDArray[Any], NDArray[Any]], tuple[NDArray[Any], NDArray[Any]]]

__all__ = ["ArrayLike", "DatasetSplits", "Float32Array", "Identifier", "PathLike", "Shape"]
