"""``get_file``: find a data file locally (fastmlp's places and Keras's cache),
or download it into the cache, verified.

Where a file ``fname`` of ``cache_subdir`` (``"datasets"`` by default) is
looked for, in order, when no ``cache_dir`` is given:

1. each root of ``$FASTMLP_DATA`` (several may be listed, ``os.pathsep``
   apart): ``<root>/<fname>`` or ``<root>/<stem>/<fname>`` (``stem`` is
   ``fname`` up to its first dot, so ``imdb.npz`` may sit in ``imdb/``) --
   datasets only;
2. fastmlp's cache, ``<cache root>/<cache_subdir>/<fname>`` (see
   :func:`fastmlp.utils.download.cache_root`);
3. Keras's cache, ``$KERAS_HOME/<cache_subdir>/<fname>`` and
   ``~/.keras/<cache_subdir>/<fname>``, so files a Keras user already has are
   found;
4. the system folders of :data:`SYSTEM_DIRS` (``/usr/share/datasets``), as in
   step 1 -- datasets only;
5. a download from ``origin`` into fastmlp's cache (unless
   ``$FASTMLP_OFFLINE`` is set).

With a ``cache_dir``, only ``<cache_dir>/<cache_subdir>`` is looked at and
downloaded into, as in Keras.  When a hash is given, a local file with another
digest is passed over (and named in the error if nothing else is found); a
download with another digest is rejected before it gets its real name.
"""

from __future__ import annotations

import hashlib
import os
import urllib.parse
import warnings
from pathlib import Path
from typing import List, Optional, Sequence

from .archives import extract_archive
from .download import ChecksumError, DownloadError, cache_root, download_file, offline, reason

__all__ = ["DataFileNotFoundError", "SYSTEM_DIRS", "get_file", "find_file", "check_file", "hash_file",
           "validate_file"]

#: System-wide data roots searched after the caches (datasets only).
SYSTEM_DIRS: List[str] = [] if os.name == "nt" else ["/usr/share/datasets"]

_ALGORITHMS = ("auto", "sha256", "md5")


class DataFileNotFoundError(FileNotFoundError):
    """A file was found nowhere (with the right digest) and could not be
    downloaded.  ``searched`` lists each place looked at and why it did not do."""

    def __init__(self, fname: str, searched: Sequence[str]):
        self.fname = fname
        self.searched = list(searched)
        lines = [f"Could not find {fname!r} locally, and could not download it. Places searched, in order:"]
        lines += [f"  {i}. {s}" for i, s in enumerate(self.searched, 1)]
        lines.append(f"Put a good copy of {fname} in one of these places (e.g. a folder named by $FASTMLP_DATA),"
                     " or go online (unset FASTMLP_OFFLINE) to download it.")
        super().__init__("\n".join(lines))


def _hasher(algorithm: str, file_hash: Optional[str] = None):
    """Keras's rule: sha256 if asked, or for ``"auto"`` with a 64-digit hash; else md5."""
    if algorithm not in _ALGORITHMS:
        raise ValueError(f"hash_algorithm must be one of {_ALGORITHMS}, got {algorithm!r}")
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None and len(file_hash) == 64):
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(fpath, algorithm="sha256", chunk_size=65535) -> str:
    """The hex digest of a file, as ``keras.utils.file_utils.hash_file``.

    Args:
        fpath: the file.
        algorithm: ``"sha256"``, ``"md5"`` or ``"auto"`` (which, with no hash
            to look at, means md5, as in Keras).
        chunk_size: bytes read at a time.

    Returns:
        The digest as lowercase hex.
    """
    hasher = _hasher(algorithm)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535) -> bool:
    """Whether the file's digest is ``file_hash`` (``"auto"``: sha256 for a
    64-digit hash, md5 otherwise).  The comparison is exact, as in Keras."""
    hasher = _hasher(algorithm, file_hash)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest() == str(file_hash)


def check_file(fpath, file_hash, algorithm="auto", *, label=None, what="file") -> None:
    """Raise :class:`~fastmlp.utils.download.ChecksumError` (a ValueError),
    naming ``label`` (default: the path), unless the file's digest is ``file_hash``."""
    if not validate_file(fpath, file_hash, algorithm):
        name = _hasher(algorithm, file_hash).name
        raise ChecksumError(label if label is not None else fpath, file_hash, hash_file(fpath, name), what=what,
                            algorithm=_algorithm_name(algorithm, file_hash))


def _algorithm_name(algorithm: str, file_hash: str) -> str:
    return "SHA-256" if _hasher(algorithm, file_hash).name == "sha256" else "MD5"


def keras_homes() -> List[Path]:
    """Keras's cache roots: ``$KERAS_HOME`` if set, and ``~/.keras``."""
    homes = [Path(os.environ["KERAS_HOME"]).expanduser()] if os.environ.get("KERAS_HOME") else []
    default = Path.home() / ".keras"
    return homes + ([default] if default not in homes else [])


def _data_candidates(root: Path, name: str) -> List[Path]:
    stem = name.split(".", 1)[0]
    return [root / name] + ([root / stem / name] if stem and stem != name else [])


def _places(name: str, cache_subdir: str, cache_dir) -> List[tuple]:
    """(label, path) of each place ``name`` may be, in search order."""
    if cache_dir is not None:
        return [("cache_dir", Path(os.path.expanduser(os.fspath(cache_dir))) / cache_subdir / name)]
    datasets = cache_subdir == "datasets"
    places = []
    if datasets:
        for root in [r for r in os.environ.get("FASTMLP_DATA", "").split(os.pathsep) if r]:
            places += [("$FASTMLP_DATA", p) for p in _data_candidates(Path(root).expanduser(), name)]
    places.append(("fastmlp cache", cache_root() / cache_subdir / name))
    places += [("Keras cache", home / cache_subdir / name) for home in keras_homes()]
    if datasets:
        for root in SYSTEM_DIRS:
            places += [("system", p) for p in _data_candidates(Path(root), name)]
    return places


def writable_dir(cache_subdir: str = "datasets", cache_dir=None) -> Path:
    """Where downloads (and extractions) of ``cache_subdir`` go."""
    base = cache_root() if cache_dir is None else Path(os.path.expanduser(os.fspath(cache_dir)))
    return base / cache_subdir


def find_file(names, origin=None, *, file_hash=None, hash_algorithm="auto", cache_subdir="datasets",
              cache_dir=None, force_download=False, download=True, progress=True) -> Path:
    """Find one of ``names`` in the places of the module docstring, or download
    ``origin`` as ``names[0]`` into the cache.

    Args:
        names: file names the file may go by (the first is the one a download gets).
        origin: the URL to download from (None: never download).
        file_hash: the expected digest (sha256 or md5 hex); None checks nothing.
        hash_algorithm: ``"auto"``, ``"sha256"`` or ``"md5"``.
        cache_subdir: the subfolder of the caches (``"datasets"``).
        cache_dir: look only in, and download only into, ``<cache_dir>/<cache_subdir>``.
        force_download: skip the search and download again.
        download: whether a download may be tried at all.
        progress: show a download progress display.

    Returns:
        The path of a file whose digest (if one was given) matches.

    Raises:
        DataFileNotFoundError: nowhere to be found, and no download possible
            (each place and each failure is listed).
    """
    names = [os.fspath(n) for n in ([names] if isinstance(names, (str, os.PathLike)) else names)]
    if file_hash is not None:
        _hasher(hash_algorithm, file_hash)  # an unknown algorithm fails before any work
    searched: List[str] = []
    if force_download:
        searched.append("search skipped (force_download=True)")
    else:
        for name in names:
            for label, path in _places(name, cache_subdir, cache_dir):
                if not path.is_file():
                    continue
                if file_hash is None or validate_file(path, file_hash, hash_algorithm):
                    return path
                searched.append(f"{label}: {path}: {_algorithm_name(hash_algorithm, file_hash)} is not"
                                f" {file_hash} (a different or damaged file; passed over)")
        if not searched:
            searched.append(f"no file named {' or '.join(names)} in $FASTMLP_DATA, fastmlp's cache "
                            f"({cache_root() / cache_subdir}), Keras's cache ("
                            + ", ".join(str(h / cache_subdir) for h in keras_homes()) + ") or the system folders"
                            if cache_dir is None else
                            f"no file named {' or '.join(names)} in {writable_dir(cache_subdir, cache_dir)}")
    dest = writable_dir(cache_subdir, cache_dir) / names[0]
    if origin is None or not download:
        searched.append("download: not attempted" + ("" if origin is not None else " (no origin)"))
    elif offline():
        searched.append("download: not attempted (FASTMLP_OFFLINE is set)")
    else:
        def verify(tmp: Path) -> None:
            if file_hash is not None:
                check_file(tmp, file_hash, hash_algorithm, label=origin, what="downloaded file")
        try:
            return download_file(origin, dest, verify, progress=progress)
        except (DownloadError, ChecksumError, OSError) as exc:
            searched.append(f"download {origin}: {reason(exc, origin)}")
    raise DataFileNotFoundError(names[0], searched)


def _target_names(fname: str, extract: bool, provided: bool):
    """Keras's naming: (file name, extraction folder name or None)."""
    if not extract:
        return fname, None
    if provided and "." in fname:
        return fname, fname[: fname.find(".")] + "_extracted"
    return f"{fname}_archive", fname


def get_file(fname: str | None = None, origin: str | None = None, untar: bool = False, md5_hash: str | None = None,
             file_hash: str | None = None, cache_subdir: str = "datasets", hash_algorithm: str = "auto",
             extract: bool = False, archive_format: str | list[str] | None = "auto",
             cache_dir: str | os.PathLike[str] | None = None, force_download: bool = False) -> str:
    """Return a local copy of the file at ``origin``, as ``keras.utils.get_file``:
    found locally (fastmlp's places and Keras's cache, see the module
    docstring) or downloaded into the cache, verified against ``file_hash``.

    Args:
        fname: the file's local name (default: the last part of ``origin``'s
            path).  With ``extract``, a name without a dot names the
            extraction folder (the archive is ``<fname>_archive``); a name with
            one is the archive's, extracted into ``<stem>_extracted``.
        origin: the URL.
        untar: deprecated: ``extract=True, archive_format="tar"``.
        md5_hash: deprecated: ``file_hash`` with ``hash_algorithm="md5"``.
        file_hash: the expected sha256 or md5 hex digest.
        cache_subdir: the subfolder of the cache (an absolute path is used as is).
        hash_algorithm: ``"auto"`` (sha256 for a 64-digit hash, else md5),
            ``"sha256"`` or ``"md5"``.
        extract: extract the archive (tar, tar.gz, tar.bz2, zip); members that
            would land outside the folder are refused.
        archive_format: ``"auto"``, ``"tar"``, ``"zip"``, a list, or None.
        cache_dir: look in and download into ``<cache_dir>/<cache_subdir>`` only.
        force_download: download again even if a good copy is cached.

    Returns:
        The path (a str) of the file, or of the extraction folder with ``extract``.

    Raises:
        ValueError: no ``origin``, a ``fname`` with a folder in it, or an
            unknown ``hash_algorithm``.
        DataFileNotFoundError: no good copy anywhere and no download.
        UnsafeArchiveError: an archive member would escape the folder.

    Example:
        A file already in the cache is found there, with no download:

        >>> import os
        >>> os.makedirs("cache/datasets")
        >>> with open("cache/datasets/hello.txt", "w") as f:
        ...     _ = f.write("hello")
        >>> fastmlp.utils.get_file(
        ...     origin="https://example.com/data/hello.txt", cache_dir="cache",
        ...     file_hash="2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
        'cache/datasets/hello.txt'
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    provided = bool(fname)
    fname = os.fspath(fname) if fname else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not fname:
        raise ValueError(f"Can't parse the file name from the origin provided: '{origin}'. "
                         "Please specify the `fname` argument.")
    if os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError("Paths are no longer accepted as the `fname` argument. To specify the file's parent "
                         f"directory, use the `cache_dir` argument. Received: fname={fname}")
    target, folder = _target_names(fname, extract or untar, provided)
    path = find_file([target], origin, file_hash=file_hash, hash_algorithm=hash_algorithm,
                     cache_subdir=cache_subdir, cache_dir=cache_dir, force_download=force_download)
    if folder is None:
        return os.fspath(path)
    extraction_dir = writable_dir(cache_subdir, cache_dir) / folder
    if not extract_archive(path, extraction_dir, "tar" if untar else archive_format):
        warnings.warn("Could not extract archive.", stacklevel=2)
    return os.fspath(extraction_dir)
