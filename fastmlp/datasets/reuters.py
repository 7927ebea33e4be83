"""Reuters newswire topics, loaded like ``keras.datasets.reuters``.

11,228 newswires, each a list of word indexes, labelled with one of 46 topics
(:func:`get_label_names`).  The file is Keras's ``reuters.npz``; see
:mod:`fastmlp.datasets._keras_files` for where it is looked for.
"""

from __future__ import annotations

import json

import numpy as np

from ..utils.types import DatasetSplits
from ._keras_files import locate
from ._safe_pickle import load_npz
from ._sequences import as_object_array, check_sequence_args, index_words, limit_words, remove_long, shuffled

_LABELS = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply", "coffee",
    "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi", "money-fx",
    "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock",
    "retail", "ipi", "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem",
    "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def load_data(path: str = "reuters.npz", num_words: int | None = None, skip_top: int = 0,
              maxlen: int | None = None, test_split: float = 0.2, seed: int = 113, start_char: int | None = 1,
              oov_char: int | None = 2, index_from: int = 3) -> DatasetSplits:
    """Load Reuters, processed exactly as Keras does.

    Args:
        path: the file's name in the caches (or the path of an existing file).
        num_words, skip_top, maxlen: which words and newswires are kept, as in
            :func:`fastmlp.datasets.imdb.load_data`.
        test_split: the fraction of the (shuffled, filtered) newswires kept for test.
        seed: the seed of the shuffle.
        start_char, oov_char, index_from: the reserved indexes, as in
            :func:`fastmlp.datasets.imdb.load_data`.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: object arrays of lists of
        ints and the integer topic labels; the first ``int(n * (1 - test_split))``
        newswires train.

    Raises:
        ValueError: a bad argument, or ``maxlen`` so small that nothing is kept.
    """
    check_sequence_args(num_words, skip_top, maxlen, seed, start_char, oov_char, index_from)
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float)) or not 0 <= test_split <= 1:
        raise ValueError(f"test_split must be a number in [0, 1], got {test_split!r}")
    arrays = load_npz(locate(path, "reuters.npz"))
    if "x" not in arrays or "y" not in arrays:
        raise ValueError(f"{path}: the .npz lacks arrays 'x' and 'y' (has {sorted(arrays)})")
    xs, labels = shuffled(np.random.RandomState(seed), arrays["x"], arrays["y"])
    xs = index_words(xs, start_char, index_from)
    if maxlen:
        xs, labels = remove_long(maxlen, xs, labels)
        if not xs:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was kept. "
                             "Increase maxlen.")
    xs = limit_words(xs, num_words, skip_top, oov_char)
    idx = int(len(xs) * (1 - test_split))
    return ((as_object_array(xs[:idx]), np.array(labels[:idx])),
            (as_object_array(xs[idx:]), np.array(labels[idx:])))


def get_word_index(path: str = "reuters_word_index.json") -> dict[str, int]:
    """The ``{word: index}`` dictionary of the Reuters file (Keras's
    ``reuters_word_index.json``); a word's index in the sequences is this plus
    ``index_from``."""
    with open(locate(path, "reuters_word_index.json"), encoding="utf-8") as f:
        return json.load(f)


def get_label_names():
    """The 46 topic names, indexed by label (Keras's tuple)."""
    return _LABELS
