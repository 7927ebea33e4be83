"""Finding, verifying, caching and downloading the MNIST-family data files.

Search order used by :func:`find_dataset` / :func:`load_dataset` for a dataset
``<name>`` (``"mnist"`` or ``"fashion-mnist"``):

1. the ``path`` argument: a directory holding the four IDX files (``.gz`` or
   raw), or a Keras-style ``.npz`` file.  An existing ``path`` is
   authoritative: if it does not hold the data, that is an error.  A *bare file
   name* that does not exist (Keras's default ``path="mnist.npz"``, which Keras
   resolves inside its own cache) is ignored and the search goes on;
2. ``$FASTMLP_DATA/<name>/`` (``FASTMLP_DATA`` may list several roots,
   separated by ``os.pathsep``);
3. the user cache, ``<cache>/datasets/<name>/`` where ``<cache>`` is
   ``$FASTMLP_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/fastmlp`` or
   ``~/.cache/fastmlp`` (Linux), ``~/Library/Caches/fastmlp`` (macOS),
   ``%LOCALAPPDATA%\\fastmlp\\Cache`` (Windows);
4. the system directories in :data:`SYSTEM_DIRS` (``/usr/share/datasets/<name>/``,
   where Debian's ``dataset-fashion-mnist`` package installs Fashion-MNIST);
5. a download into the user cache from the mirrors of :func:`get_mirrors`.

A directory "holds" a dataset when it has all four IDX files -- each under its
standard name, raw or with ``.gz`` (the ``train-images.idx3-ubyte`` spelling is
accepted too) -- or, failing that, a ``<name>.npz`` archive in Keras's layout.

Every IDX file is checked against the SHA-256 of its *decompressed* payload
(:data:`IDX_SHA256`); an ``.npz`` must either have the digest Keras publishes for
it (:data:`NPZ_SHA256`) or hold arrays whose IDX encoding has those payload
digests (so a re-compressed copy of the same data is accepted).  A mismatch is a
:class:`ChecksumError`; it is never silently skipped.

Downloads use only :mod:`urllib`.  Each file is streamed into a temporary
``.<name>.*.part`` file in the cache directory, checked (length and digest), and
only then renamed into place with :func:`os.replace`, so the cache never holds a
partial or unverified file under a real name; on any failure the temporary file
is deleted and the next mirror is tried.

Environment variables read:

``FASTMLP_DATA``
    root(s) holding ``<name>/`` data folders.
``FASTMLP_CACHE_DIR``
    overrides the cache root (datasets go to ``$FASTMLP_CACHE_DIR/datasets/<name>``).
``XDG_CACHE_HOME``, ``LOCALAPPDATA``
    platform cache locations (see above).
``FASTMLP_DATASET_MIRRORS``
    whitespace- or comma-separated URLs that replace the built-in mirror list
    for every dataset; ``{name}`` in a URL is replaced by the dataset name.  A
    URL ending in ``.npz`` names a Keras-style archive; any other URL is a base
    under which ``<file>.gz`` is fetched for each of the four IDX files.
``FASTMLP_OFFLINE``
    if set to a true value (``1``, ``true``, ``yes``, ``on``), never download.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import urllib.parse
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..utils.download import DOWNLOAD_TIMEOUT, DownloadError, cache_root, download_file
from ..utils.file_cache import SYSTEM_DIRS as _SYSTEM_DIRS
from ..utils.download import offline as _offline, reason as _reason, url_join as _url_join
from ._idx import ChecksumError, IDXFormatError, decompressed_sha256, file_sha256, idx_bytes, read_idx

__all__ = [
    "DatasetNotFoundError",
    "DownloadError",
    "ChecksumError",
    "IDXFormatError",
    "DatasetFiles",
    "IDX_FILES",
    "IDX_SHA256",
    "NPZ_SHA256",
    "MIRRORS",
    "SYSTEM_DIRS",
    "cache_root",
    "cache_dir",
    "get_mirrors",
    "find_dataset",
    "load_dataset",
    "download_file",
]

PathLike = Union[str, "os.PathLike[str]"]

#: The four IDX files of an MNIST-family dataset, in the order
#: x_train, y_train, x_test, y_test.
IDX_FILES: Tuple[str, str, str, str] = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

#: SHA-256 of each *decompressed* IDX file.
IDX_SHA256: Dict[str, Dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}

#: SHA-256 of the file bytes of Keras's single-file archives, as Keras publishes them.
NPZ_SHA256: Dict[str, Dict[str, str]] = {
    "mnist": {"mnist.npz": "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"},
    "fashion-mnist": {},
}

_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")

_KERAS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

#: Built-in download mirrors, tried in order.  A URL ending in ``.npz`` is a
#: Keras-style archive; any other URL is a base for ``<IDX file>.gz``.
#: Overridden as a whole by ``$FASTMLP_DATASET_MIRRORS``.
MIRRORS: Dict[str, List[str]] = {
    "mnist": [
        _KERAS + "mnist.npz",  # what keras.datasets.mnist downloads
        "https://ossci-datasets.s3.amazonaws.com/mnist/",  # torchvision's first mirror
        "http://yann.lecun.com/exdb/mnist/",  # the original site (torchvision's second)
    ],
    "fashion-mnist": [
        _KERAS,  # what keras.datasets.fashion_mnist downloads
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",  # Zalando's (torchvision's)
    ],
}

#: System-wide data roots searched after the user cache (``<dir>/<name>/``).
SYSTEM_DIRS: List[str] = list(_SYSTEM_DIRS)

_TITLES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}


# --------------------------------------------------------------------------- errors


class DatasetNotFoundError(FileNotFoundError):
    """The dataset was found nowhere and could not be downloaded.

    ``searched`` lists, in order, each place looked at and why it did not
    provide the data.
    """

    def __init__(self, name: str, searched: Sequence[str], cache: Optional[Path] = None):
        self.name = name
        self.searched = list(searched)
        title = _TITLES.get(name, name)
        files = ", ".join(f + "[.gz]" for f in IDX_FILES)
        lines = [
            f"Could not find the {title} dataset ({name!r}) locally, and could not download it.",
            "Places searched, in order:",
        ]
        lines += [f"  {i}. {s}" for i, s in enumerate(self.searched, 1)]
        lines += [
            "Ways to provide the data:",
            f"  - set FASTMLP_DATA to a directory that has a {name}/ folder with the four IDX files ({files});",
            f"  - pass path= a directory holding those four files"
            + (" (or a Keras mnist.npz file)" if name == "mnist" else "")
            + ";",
        ]
        if name == "fashion-mnist":
            lines.append(
                "  - install the Debian/Ubuntu package: sudo apt-get install dataset-fashion-mnist"
                " (files land in /usr/share/datasets/fashion-mnist/);"
            )
        else:
            lines.append(
                f"  - copy the four files into /usr/share/datasets/{name}/ (Debian packages only Fashion-MNIST:"
                " apt-get install dataset-fashion-mnist);"
            )
        where = f" into {cache}" if cache is not None else ""
        how = "unset FASTMLP_OFFLINE and go online" if _offline() else "go online"
        lines.append(f"  - {how}: the files are downloaded{where} on first use (load_data(download=True)).")
        super().__init__("\n".join(lines))


# --------------------------------------------------------------------------- locations


def cache_dir(name: str) -> Path:
    """The per-dataset cache directory, ``cache_root()/"datasets"/name``.

    It is not created here; downloads create it.

    Args:
        name: the dataset's folder name (``"mnist"``, ``"fashion-mnist"``).

    Returns:
        A :class:`pathlib.Path`.

    Raises:
        Nothing: the path is only computed.

    Example:
        >>> path = fastmlp.datasets.cache_dir("mnist")
        >>> path.relative_to(fastmlp.datasets.cache_root()).as_posix()
        'datasets/mnist'
    """
    return cache_root() / "datasets" / name


def get_mirrors(name: str) -> List[str]:
    """Mirror URLs for ``name``: ``$FASTMLP_DATASET_MIRRORS`` if set, else :data:`MIRRORS`."""
    env = os.environ.get("FASTMLP_DATASET_MIRRORS")
    if env is not None and env.strip():
        return [u.replace("{name}", name) for u in re.split(r"[\s,]+", env.strip()) if u]
    return list(MIRRORS.get(name, []))


# --------------------------------------------------------------------------- probing


@dataclass
class DatasetFiles:
    """Where a dataset was found.

    ``kind`` is ``"idx"`` (``files`` maps each name of :data:`IDX_FILES` to a
    path) or ``"npz"`` (``npz`` is the archive).  ``source`` says which step of
    the search found it: ``"path"``, ``"FASTMLP_DATA"``, ``"cache"``,
    ``"system"`` or ``"download"``.
    """

    name: str
    kind: str
    source: str
    directory: Optional[Path] = None
    files: Dict[str, Path] = field(default_factory=dict)
    npz: Optional[Path] = None


def _candidates(base: str) -> Tuple[str, ...]:
    alt = base.replace("-idx", ".idx")  # "train-images.idx3-ubyte" (a common re-upload spelling)
    return (base, base + ".gz", alt, alt + ".gz")


def _probe_dir(d: Path, name: str) -> Tuple[Optional[DatasetFiles], Dict[str, Path], str]:
    """Look in ``d``.  Returns (found or None, the IDX files present, reason if not found)."""
    if not d.exists():
        return None, {}, "does not exist"
    if not d.is_dir():
        return None, {}, "is not a directory"
    present: Dict[str, Path] = {}
    for base in IDX_FILES:
        for cand in _candidates(base):
            p = d / cand
            if p.is_file():
                present[base] = p
                break
    if len(present) == len(IDX_FILES):
        return DatasetFiles(name, "idx", "", d, dict(present)), present, ""
    for npz_name in list(NPZ_SHA256.get(name, {})) + [f"{name}.npz"]:
        p = d / npz_name
        if p.is_file():
            return DatasetFiles(name, "npz", "", d, npz=p), present, ""
    if present:
        missing = [b + "[.gz]" for b in IDX_FILES if b not in present]
        return None, present, "incomplete, missing " + ", ".join(missing)
    return None, present, "has none of the dataset files"


def _is_bare_name(p: str) -> bool:
    return os.sep not in p and (os.altsep is None or os.altsep not in p) and p not in (".", "..")


# --------------------------------------------------------------------------- downloading


def _verify_idx_gz(name: str, base: str, url: str) -> Callable[[Path], None]:
    def verify(p: Path) -> None:
        expected = IDX_SHA256[name][base]
        actual = decompressed_sha256(p)
        if actual != expected:
            raise ChecksumError(url, expected, actual)

    return verify


def _download(name: str, dest_dir: Path, present: Dict[str, Path], searched: List[str], progress: bool):
    """Fetch what is missing from the mirrors into ``dest_dir``.  Returns a
    DatasetFiles, or None after appending each failure to ``searched``."""
    have = dict(present)
    missing = [b for b in IDX_FILES if b not in have]
    mirrors = get_mirrors(name)
    if not mirrors:
        searched.append("download: no mirrors configured")
        return None
    for mirror in mirrors:
        path_part = urllib.parse.urlsplit(mirror).path
        if path_part.endswith(".npz"):
            fname = path_part.rsplit("/", 1)[-1]
            dest = dest_dir / fname
            try:
                download_file(mirror, dest, lambda p: _verify_npz(p, name, label=mirror, fname=fname),
                              timeout=DOWNLOAD_TIMEOUT, progress=progress)
            except (OSError, ValueError, http.client.HTTPException) as exc:
                searched.append(f"download {mirror}: {_reason(exc, mirror)}")
                continue
            return DatasetFiles(name, "npz", "download", dest_dir, npz=dest)
        for base in list(missing):
            url = _url_join(mirror, base + ".gz")
            try:
                download_file(url, dest_dir / (base + ".gz"), _verify_idx_gz(name, base, url),
                              timeout=DOWNLOAD_TIMEOUT, progress=progress)
            except DownloadError as exc:
                searched.append(f"download {url}: {_reason(exc, url)}")
                if exc.unreachable:  # the next file will not come from this mirror either
                    break
                continue
            except (OSError, ValueError, http.client.HTTPException) as exc:
                searched.append(f"download {url}: {_reason(exc, url)}")
                continue
            missing.remove(base)
            have[base] = dest_dir / (base + ".gz")
        if not missing:
            return DatasetFiles(name, "idx", "download", dest_dir, have)
    return None


# --------------------------------------------------------------------------- verification + loading


def _check_arrays(name: str, where: str, xtr, ytr, xte, yte):
    for key, a, nd in (("x_train", xtr, 3), ("y_train", ytr, 1), ("x_test", xte, 3), ("y_test", yte, 1)):
        if a.dtype != np.uint8 or a.ndim != nd:
            raise IDXFormatError(f"{where}: {key} has dtype {a.dtype} and shape {a.shape}; expected uint8 with {nd} dims")
    if len(xtr) != len(ytr) or len(xte) != len(yte):
        raise IDXFormatError(
            f"{where}: image/label counts differ (train {len(xtr)} vs {len(ytr)}, test {len(xte)} vs {len(yte)})"
        )
    return (xtr, ytr), (xte, yte)


def _npz_arrays(p: Path, label: str):
    try:
        with np.load(p, allow_pickle=False) as z:
            missing = [k for k in _NPZ_KEYS if k not in z.files]
            if missing:
                raise IDXFormatError(f"{label}: .npz lacks arrays {missing} (has {z.files})")
            return tuple(np.asarray(z[k]) for k in _NPZ_KEYS)
    except (zipfile.BadZipFile, EOFError) as exc:
        raise IDXFormatError(f"{label}: not a readable .npz archive ({exc})") from None


def _verify_npz(p: Path, name: str, label: Optional[str] = None, fname: Optional[str] = None):
    """Check an .npz against Keras's published file digest, or failing that, its
    arrays against the IDX payload digests.  Returns the four arrays."""
    label = label or os.fspath(p)
    actual = file_sha256(p)
    table = NPZ_SHA256.get(name, {})
    published = table.get(fname or p.name) or next(iter(table.values()), None)
    arrays = _npz_arrays(p, label)
    if actual in table.values():
        return arrays
    bad = []
    for base, a in zip(IDX_FILES, arrays):
        if a.dtype != np.uint8:
            bad.append(f"{base}: dtype {a.dtype}")
            continue
        got = hashlib.sha256(idx_bytes(a)).hexdigest()
        if got != IDX_SHA256[name][base]:
            bad.append(f"{base}: {got}")
    if not bad:
        return arrays
    expected = published or "(no published file digest; arrays checked against IDX digests)"
    raise ChecksumError(
        label,
        expected,
        actual,
        what="file; its arrays do not match the published IDX digests either: " + "; ".join(bad),
    )


def _load_files(found: DatasetFiles):
    name = found.name
    if found.kind == "npz":
        assert found.npz is not None
        arrays = _verify_npz(found.npz, name)
        return _check_arrays(name, os.fspath(found.npz), *arrays)
    digests = IDX_SHA256[name]
    arrays = []
    for base in IDX_FILES:
        ndim = 3 if "images" in base else 1
        arrays.append(read_idx(found.files[base], sha256=digests[base], ndim=ndim))
    assert found.directory is not None
    return _check_arrays(name, os.fspath(found.directory), *arrays)


def find_dataset(
    name: str, path: Optional[PathLike] = None, *, download: bool = True, progress: bool = True
) -> DatasetFiles:
    """Locate (downloading if needed and allowed) the files of dataset ``name``.

    Raises :class:`DatasetNotFoundError` listing every place searched.
    Files are not checksummed here; :func:`load_dataset` does that as it reads.
    """
    if name not in IDX_SHA256:
        raise ValueError(f"unknown dataset {name!r}; known: {sorted(IDX_SHA256)}")
    searched: List[str] = []

    # 1. path argument
    if path is not None:
        raw = os.fspath(path)
        p = Path(raw).expanduser()
        if p.is_file():
            if zipfile.is_zipfile(p):
                return DatasetFiles(name, "npz", "path", p.parent, npz=p)
            raise DatasetNotFoundError(
                name,
                [f"path argument: {p}: a file that is not an .npz archive "
                 "(pass a directory holding the four IDX files, or a Keras-style .npz)"],
            )
        if p.is_dir():
            found, _, why = _probe_dir(p, name)
            if found is not None:
                found.source = "path"
                return found
            raise DatasetNotFoundError(name, [f"path argument: {p}: {why}"])
        if not _is_bare_name(raw):
            raise DatasetNotFoundError(name, [f"path argument: {p}: does not exist"])
        searched.append(f"path argument: {raw!r}: no such file here; taken as a Keras cache file name and ignored")

    # 2. $FASTMLP_DATA
    env = os.environ.get("FASTMLP_DATA")
    if env:
        for root in [r for r in env.split(os.pathsep) if r]:
            d = Path(root).expanduser() / name
            found, _, why = _probe_dir(d, name)
            if found is not None:
                found.source = "FASTMLP_DATA"
                return found
            searched.append(f"$FASTMLP_DATA: {d}: {why}")
    else:
        searched.append(f"$FASTMLP_DATA/{name}: FASTMLP_DATA is not set")

    # 3. user cache
    cdir = cache_dir(name)
    found, cached, why = _probe_dir(cdir, name)
    if found is not None:
        found.source = "cache"
        return found
    searched.append(f"user cache: {cdir}: {why}")

    # 4. system directories
    for root in SYSTEM_DIRS:
        d = Path(root) / name
        found, _, why = _probe_dir(d, name)
        if found is not None:
            found.source = "system"
            return found
        searched.append(f"system: {d}: {why}")

    # 5. download into the cache
    if not download:
        searched.append("download: not attempted (download=False)")
    elif _offline():
        searched.append("download: not attempted (FASTMLP_OFFLINE is set)")
    else:
        got = _download(name, cdir, cached, searched, progress)
        if got is not None:
            return got
    raise DatasetNotFoundError(name, searched, cache=cdir)


def load_dataset(name: str, path: Optional[PathLike] = None, *, download: bool = True, progress: bool = True):
    """Find, verify and load ``name``; returns ``((x_train, y_train), (x_test, y_test))``."""
    found = find_dataset(name, path, download=download, progress=progress)
    return _load_files(found)
