"""Synthetic files in the formats of Keras's dataset downloads (the originals
are not reachable from the test machines).

Each ``write_*`` function writes one file, deterministically from its seed, in
exactly the layout Keras's loader reads: ``imdb.npz`` (object arrays
``x_train``, ``x_test`` of lists of word ranks from 1, labels ``y_train``,
``y_test``), ``reuters.npz`` (``x``, ``y``), the word-index JSON files, the
housing tables (``x``, ``y``) and CIFAR-10's tarball of pickled batches.

Run as a script, ``python tests/dataset_files.py DIR [tiny|program]``, it
writes a whole set into ``DIR`` (e.g. ``$KERAS_HOME/datasets``), so Keras can
be run on the very same files.
"""

import gzip
import io
import json
import os
import pickle
import sys
import tarfile

import numpy as np


def _object_array(seqs):
    out = np.empty(len(seqs), dtype=object)
    out[:] = [list(map(int, s)) for s in seqs]
    return out


def _reviews(rng, n, vocab, signal_words, lengths):
    """``n`` word-rank sequences (Zipf-like frequencies) and 0/1 labels; each
    label's signal words are mixed in, so the sentiment can be learnt."""
    ranks = np.arange(1, vocab + 1)
    p = 1.0 / ranks
    p /= p.sum()
    labels = rng.integers(0, 2, n)
    seqs = []
    for label in labels:
        length = int(rng.integers(*lengths))
        words = rng.choice(ranks, size=length, p=p)
        k = max(1, length // 12)
        mix = rng.choice(signal_words[label], size=k)
        words[rng.choice(length, size=k, replace=False)] = mix
        seqs.append(words)
    return seqs, labels


def write_imdb(path, n_train=2000, n_test=2000, vocab=4000, seed=0, lengths=(20, 160)):
    """IMDB: reviews over ``vocab`` ranked words; 60 positive and 60 negative
    signal words of middling frequency."""
    rng = np.random.default_rng(seed)
    signal = rng.permutation(np.arange(min(30, vocab // 3), min(vocab, 430)))
    k = min(60, len(signal) // 2)
    signal_words = {0: signal[:k], 1: signal[k:2 * k]}
    xtr, ytr = _reviews(rng, n_train, vocab, signal_words, lengths)
    xte, yte = _reviews(rng, n_test, vocab, signal_words, lengths)
    np.savez(path, x_train=_object_array(xtr), y_train=ytr.astype(np.int64),
             x_test=_object_array(xte), y_test=yte.astype(np.int64))


def write_reuters(path, n=2500, vocab=4000, topics=46, seed=0, lengths=(15, 120)):
    """Reuters: newswires over ``vocab`` words, topics as unbalanced as the
    real ones (a few large, many small), each with 25 topic words."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, topics + 1) ** 1.2
    weights /= weights.sum()
    labels = rng.choice(topics, size=n, p=weights)
    pool = np.arange(min(20, vocab // 2), vocab)
    topic_words = [rng.choice(pool, size=min(25, len(pool)), replace=False) for _ in range(topics)]
    ranks = np.arange(1, vocab + 1)
    p = 1.0 / ranks
    p /= p.sum()
    seqs = []
    for label in labels:
        length = int(rng.integers(*lengths))
        words = rng.choice(ranks, size=length, p=p)
        k = max(2, length // 6)
        words[rng.choice(length, size=k, replace=False)] = rng.choice(topic_words[label], size=k)
        seqs.append(words)
    np.savez(path, x=_object_array(seqs), y=labels.astype(np.int64))


def write_word_index(path, vocab=4000):
    """``{"w<rank>": rank}``, as the real word-index files map words to ranks."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump({f"w{r}": r for r in range(1, vocab + 1)}, f)


def write_boston(path, n=506, seed=0):
    """Boston housing: 13 attributes of the real table's ranges, a price in k$."""
    rng = np.random.default_rng(seed)
    crim = rng.exponential(3.6, n)
    zn = np.where(rng.random(n) < 0.7, 0.0, rng.uniform(10, 100, n))
    indus = rng.uniform(0.5, 28, n)
    chas = (rng.random(n) < 0.07).astype(float)
    nox = 0.38 + 0.012 * indus + rng.normal(0, 0.04, n)
    rm = rng.normal(6.3, 0.7, n)
    age = rng.uniform(3, 100, n)
    dis = 1.1 + 10 * np.exp(-age / 60) + rng.normal(0, 0.5, n)
    rad = rng.choice([1, 2, 3, 4, 5, 6, 7, 8, 24], size=n).astype(float)
    tax = 190 + 20 * rad + rng.normal(0, 40, n)
    ptratio = rng.uniform(12.6, 22, n)
    b = 396.9 - rng.exponential(40, n)
    lstat = np.clip(38 - 4.5 * rm + 0.1 * age + rng.normal(0, 3, n), 1.7, 38)
    price = 22 + 6.5 * (rm - 6.3) - 0.55 * (lstat - 12) - 0.8 * (ptratio - 18) - 0.15 * crim \
        + 3 * chas - 6 * (nox - 0.55) + rng.normal(0, 2.5, n)
    x = np.stack([crim, zn, indus, chas, nox, rm, age, dis, rad, tax, ptratio, b, lstat], axis=1)
    np.savez(path, x=x, y=np.clip(price, 5, 50))


def write_california(path, n=700, seed=0):
    """California housing: the 8 features, the value in dollars (float32, as Keras's file)."""
    rng = np.random.default_rng(seed)
    x = np.stack([rng.gamma(4, 1, n), rng.uniform(1, 52, n), rng.normal(5.4, 1, n), rng.normal(1.1, 0.1, n),
                  rng.gamma(2, 700, n), rng.normal(3, 0.5, n), rng.uniform(32.5, 42, n),
                  rng.uniform(-124.3, -114.3, n)], axis=1).astype(np.float32)
    y = (40000 * x[:, 0] + rng.normal(0, 30000, n)).clip(15000, 500001).astype(np.float32)
    np.savez(path, x=x, y=y)


def cifar_batch(rng, n):
    """One CIFAR batch dictionary, as the Python 2 pickles hold it (bytes keys)."""
    return {b"batch_label": b"synthetic", b"labels": [int(v) for v in rng.integers(0, 10, n)],
            b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"filenames": [f"img_{i}.png".encode() for i in range(n)]}


def write_cifar10(path, per_batch=10000, n_test=10000, seed=0, protocol=2, extra_members=()):
    """CIFAR-10's tarball: ``cifar-10-batches-py/data_batch_1..5`` and
    ``test_batch``, pickled (protocol 2 by default, as the originals), gzipped.
    ``extra_members`` is a list of ``(TarInfo, bytes or None)`` added at the end."""
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
        for name in names:
            blob = pickle.dumps(cifar_batch(rng, n_test if name == "test_batch" else per_batch), protocol=protocol)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
        for info, data in extra_members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                compresslevel=1) as f:
        f.write(buf.getvalue())


def write_tiny(folder):
    """Small files whose whole processed output fits in a test."""
    write_imdb(os.path.join(folder, "imdb.npz"), n_train=7, n_test=6, vocab=30, seed=1, lengths=(2, 9))
    write_reuters(os.path.join(folder, "reuters.npz"), n=11, vocab=40, topics=5, seed=2, lengths=(2, 9))
    write_word_index(os.path.join(folder, "imdb_word_index.json"), vocab=30)
    write_word_index(os.path.join(folder, "reuters_word_index.json"), vocab=40)
    write_boston(os.path.join(folder, "boston_housing.npz"), n=11, seed=3)
    write_california(os.path.join(folder, "california_housing.npz"), n=9, seed=4)


def write_program_data(folder):
    """The data of the "Deep Learning with Python" chapter 4 programs."""
    write_imdb(os.path.join(folder, "imdb.npz"))
    write_word_index(os.path.join(folder, "imdb_word_index.json"))
    write_reuters(os.path.join(folder, "reuters.npz"))
    write_word_index(os.path.join(folder, "reuters_word_index.json"))
    write_boston(os.path.join(folder, "boston_housing.npz"))


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    {"tiny": write_tiny, "program": write_program_data}[sys.argv[2] if len(sys.argv) > 2 else "tiny"](out)
