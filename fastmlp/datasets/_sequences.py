"""The word-index processing Keras applies to the IMDB and Reuters sequences,
reproduced step for step (the same order, the same off-by-one edges), and the
shuffle-and-split of the housing tables."""

from __future__ import annotations

import numpy as np

__all__ = ["shuffled", "index_words", "remove_long", "limit_words", "as_object_array", "check_test_split",
           "split_table"]


def _check_int(name, value, *, allow_none=False, minimum=0):
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        kind = "None or an integer" if allow_none else "an integer"
        raise ValueError(f"{name} must be {kind} >= {minimum}, got {value!r}")


def check_sequence_args(num_words, skip_top, maxlen, seed, start_char, oov_char, index_from):
    """Clear errors for the arguments Keras would trip over later (or not at all)."""
    _check_int("num_words", num_words, allow_none=True)
    _check_int("skip_top", skip_top)
    _check_int("maxlen", maxlen, allow_none=True)
    _check_int("seed", seed)
    _check_int("start_char", start_char, allow_none=True)
    _check_int("oov_char", oov_char, allow_none=True)
    _check_int("index_from", index_from)


def shuffled(rng, *arrays):
    """Each array permuted by one ``rng.shuffle`` of ``arange(len)`` (Keras's draw)."""
    indices = np.arange(len(arrays[0]))
    rng.shuffle(indices)
    return tuple(a[indices] for a in arrays)


def index_words(xs, start_char, index_from):
    """Shift every word index by ``index_from`` and put ``start_char`` first."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    if index_from:
        return [[w + index_from for w in x] for x in xs]
    return [list(x) for x in xs]


def remove_long(maxlen, xs, labels):
    """Keep the sequences *shorter* than ``maxlen`` (a sequence of exactly
    ``maxlen`` words is dropped, as in Keras's ``remove_long_seq``)."""
    kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def limit_words(xs, num_words, skip_top, oov_char):
    """Words outside ``[skip_top, num_words)`` become ``oov_char`` (or are
    dropped when it is None).  With no ``num_words`` the bound is the largest
    index present, so -- as in Keras -- that one word becomes out-of-vocabulary."""
    if not num_words:
        lengths = [len(x) for x in xs if len(x)]
        if not lengths:
            raise ValueError("no words left to index: every sequence is empty")
        num_words = max(max(x) for x in xs if len(x))
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def as_object_array(xs):
    """``np.array(xs, dtype="object")``, as Keras returns it: sequences of
    equal length make a 2-D object array, ragged ones a 1-D array of lists."""
    return np.array(xs, dtype="object")


def check_test_split(test_split):
    """Keras's check of the housing loaders' ``test_split``: in ``[0, 1)``."""
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float, np.floating)) \
            or not (0 <= test_split < 1):
        raise ValueError(f"Invalid `test_split` argument: {test_split}. "
                         "It must be between 0 and 1 (exclusive of 1).")


def split_table(x, y, test_split, seed):
    """Keras's housing split: shuffle with ``RandomState(seed)``, then the
    first ``int(len * (1 - test_split))`` rows train and the rest test."""
    x, y = shuffled(np.random.RandomState(seed), x, y)
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))
