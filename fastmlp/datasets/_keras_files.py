"""The files behind Keras's dataset loaders: their published URLs and digests
(from Keras 3.15's source), and how a loader's ``path`` argument is found.

A loader's ``path`` is, as in Keras, the file's name in the cache
(``"imdb.npz"``); it is looked for with :func:`fastmlp.utils.file_cache.find_file`
(``$FASTMLP_DATA``, fastmlp's cache, Keras's cache ``$KERAS_HOME/datasets`` and
``~/.keras/datasets``, ``/usr/share/datasets``, then a download).  fastmlp also
takes ``path`` as the path of an existing file.  Either way the file must have
the published digest before anything in it is read.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Sequence, Tuple

from ..utils.file_cache import check_file, find_file

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

#: name -> (URL, digest): sha256 (64 digits) or md5 (32), as Keras pins them.
KERAS_FILES: Dict[str, Tuple[str, str]] = {
    "imdb.npz": (ORIGIN + "imdb.npz", "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"),
    "imdb_word_index.json": (ORIGIN + "imdb_word_index.json", "bfafd718b763782e994055a2d397834f"),
    "reuters.npz": (ORIGIN + "reuters.npz", "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"),
    "reuters_word_index.json": (ORIGIN + "reuters_word_index.json", "4d44cc38712099c9e383dc6e5f11a921"),
    "boston_housing.npz": (ORIGIN + "boston_housing.npz",
                           "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"),
    "california_housing.npz": (ORIGIN + "california_housing.npz",
                               "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"),
    "cifar-10-python.tar.gz": ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                               "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"),
}


def locate(path, published: str, aliases: Sequence[str] = ()) -> Path:
    """The verified local file for the Keras file ``published`` (a key of
    :data:`KERAS_FILES`), downloading it if need be.

    Args:
        path: the loader's ``path`` argument: a cache file name (searched for),
            or the path of an existing file.
        published: which file it must be (its URL and digest).
        aliases: other names the same file goes by (Keras's cache name for an
            archive, for one).

    Raises:
        ChecksumError: an existing ``path`` whose digest is not the published one.
        fastmlp.utils.file_cache.DataFileNotFoundError: found nowhere, no download.
    """
    origin, digest = KERAS_FILES[published]
    raw = os.fspath(path)
    given = Path(raw).expanduser()
    if given.is_file():
        check_file(given, digest, what=f"should be Keras's {published}")
        return given
    if os.sep in raw or (os.altsep and os.altsep in raw):
        raise FileNotFoundError(f"path={raw!r}: no such file (pass an existing file, or a bare name to look for "
                                "in $FASTMLP_DATA, fastmlp's cache and Keras's cache)")
    names = [raw] + [n for n in (published, *aliases) if n != raw]
    return find_file(names, origin, file_hash=digest)
