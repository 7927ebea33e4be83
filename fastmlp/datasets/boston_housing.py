"""Boston housing prices, loaded like ``keras.datasets.boston_housing``.

506 districts, 13 attributes, the median home value in k$.  (Keras warns of
this table's ethical problem: its "B" column; prefer California housing.)
The file is Keras's ``boston_housing.npz``; see
:mod:`fastmlp.datasets._keras_files` for where it is looked for.
"""

from __future__ import annotations

import numpy as np

from ..utils.types import DatasetSplits
from ._keras_files import locate
from ._sequences import check_test_split, split_table


def load_data(path: str = "boston_housing.npz", test_split: float = 0.2, seed: int = 113) -> DatasetSplits:
    """Load Boston housing, shuffled and split as Keras does.

    Args:
        path: the file's name in the caches (or the path of an existing file).
        test_split: the fraction of rows kept for test, in ``[0, 1)``.
        seed: the seed of the shuffle.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``(n, 13)`` and ``(n,)`` arrays.
    """
    check_test_split(test_split)
    with np.load(locate(path, "boston_housing.npz"), allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    return split_table(x, y, test_split, seed)
