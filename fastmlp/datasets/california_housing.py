"""California housing prices, loaded like ``keras.datasets.california_housing``.

20,640 block groups of the 1990 census, 8 features, the median house value in
dollars; ``version="small"`` keeps the first 600.  The file is Keras's
``california_housing.npz``; see :mod:`fastmlp.datasets._keras_files` for
where it is looked for.
"""

from __future__ import annotations

import numpy as np

from ..utils.types import DatasetSplits
from ._keras_files import locate
from ._sequences import check_test_split, split_table


def load_data(version: str = "large", path: str = "california_housing.npz", test_split: float = 0.2,
              seed: int = 113) -> DatasetSplits:
    """Load California housing, shuffled and split as Keras does.

    Args:
        version: ``"large"`` (all rows) or ``"small"`` (the first 600).
        path: the file's name in the caches (or the path of an existing file).
        test_split: the fraction of rows kept for test, in ``[0, 1)``.
        seed: the seed of the shuffle.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``(n, 8)`` and ``(n,)`` arrays.
    """
    check_test_split(test_split)
    if version not in ("small", "large"):
        raise ValueError(f"Argument `version` must be one of 'small', 'large'. Received: version={version}")
    with np.load(locate(path, "california_housing.npz"), allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    return split_table(x, y, test_split, seed)
