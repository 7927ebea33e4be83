"""IMDB movie-review sentiment, loaded like ``keras.datasets.imdb``.

25,000 training and 25,000 test reviews, each a list of word indexes (words
ranked by frequency), labelled 1 (positive) or 0 (negative).  The file is
Keras's ``imdb.npz``; see :mod:`fastmlp.datasets._keras_files` for where it
is looked for.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ..utils.types import DatasetSplits
from ._keras_files import locate
from ._safe_pickle import load_npz
from ._sequences import as_object_array, check_sequence_args, index_words, limit_words, remove_long, shuffled


def _arrays(path, keys):
    arrays = load_npz(path)
    missing = [k for k in keys if k not in arrays]
    if missing:
        raise ValueError(f"{path}: the .npz lacks arrays {missing} (has {sorted(arrays)})")
    return [arrays[k] for k in keys]


def load_data(path: str = "imdb.npz", num_words: int | None = None, skip_top: int = 0, maxlen: int | None = None,
              seed: int = 113, start_char: int | None = 1, oov_char: int | None = 2, index_from: int = 3,
              **kwargs: Any) -> DatasetSplits:
    """Load IMDB, processed exactly as Keras does.

    Args:
        path: the file's name in the caches (or the path of an existing file).
        num_words: keep the words ranked below this (None: all but, as in
            Keras, the largest index); others become ``oov_char``.
        skip_top: the most frequent words to turn into ``oov_char``.
        maxlen: drop sequences of ``maxlen`` words or more (counting ``start_char``).
        seed: the seed of the shuffles (train first, then test, one RandomState).
        start_char: put first in every sequence (None: nothing).
        oov_char: what dropped words become (None: they are removed).
        index_from: added to every word index.
        **kwargs: accepted and ignored, as in Keras 3.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: object arrays of lists of
        ints (a 2-D object array when all sequences have one length, as Keras's
        ``np.array``) and the integer labels.

    Raises:
        ValueError: a bad argument, or ``maxlen`` so small that nothing is kept.
    """
    check_sequence_args(num_words, skip_top, maxlen, seed, start_char, oov_char, index_from)
    x_train, labels_train, x_test, labels_test = _arrays(locate(path, "imdb.npz"),
                                                         ("x_train", "y_train", "x_test", "y_test"))
    rng = np.random.RandomState(seed)
    x_train, labels_train = shuffled(rng, x_train, labels_train)
    x_test, labels_test = shuffled(rng, x_test, labels_test)
    x_train = index_words(x_train, start_char, index_from)
    x_test = index_words(x_test, start_char, index_from)
    if maxlen:
        x_train, labels_train = remove_long(maxlen, x_train, labels_train)
        x_test, labels_test = remove_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was kept. "
                             "Increase maxlen.")
    xs = limit_words(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    idx = len(x_train)
    return (as_object_array(xs[:idx]), labels[:idx]), (as_object_array(xs[idx:]), labels[idx:])


def get_word_index(path: str = "imdb_word_index.json") -> dict[str, int]:
    """The ``{word: index}`` dictionary of the IMDB file (Keras's
    ``imdb_word_index.json``); a word's index in the sequences is this plus
    ``index_from``."""
    with open(locate(path, "imdb_word_index.json"), encoding="utf-8") as f:
        return json.load(f)
