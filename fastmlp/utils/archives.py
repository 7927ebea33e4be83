"""Extracting tar and zip archives without letting a member escape the target.

Every member is checked before anything is written: a name that is absolute
or climbs out of the target (``../x``), a symbolic or hard link whose target
lies outside it, and a device, FIFO or other special file each make the whole
extraction fail with :class:`UnsafeArchiveError`.  (Keras skips such members
with a warning; an archive that tries this is not one to half-trust.)
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import zipfile

__all__ = ["UnsafeArchiveError", "extract_archive"]


class UnsafeArchiveError(ValueError):
    """An archive member would be written outside the target directory, or is
    a special file (device, FIFO)."""


def _inside(base: str, relative: str) -> bool:
    """Whether ``base/relative``, links resolved, stays within ``base``."""
    if os.path.isabs(relative) or (os.path.splitdrive(relative)[0]):
        return False
    path = os.path.realpath(os.path.join(base, relative))
    try:
        return os.path.commonpath([path, base]) == base
    except ValueError:  # different drives
        return False


def _check_tar(archive: tarfile.TarFile, base: str, label: str) -> None:
    for info in archive.getmembers():
        if not _inside(base, info.name):
            raise UnsafeArchiveError(f"{label}: member {info.name!r} would be written outside the target")
        if info.issym():
            # A symbolic link resolves from the directory it sits in.
            link = os.path.join(os.path.dirname(info.name), info.linkname)
            if os.path.isabs(info.linkname) or not _inside(base, link):
                raise UnsafeArchiveError(
                    f"{label}: symbolic link {info.name!r} -> {info.linkname!r} points outside the target")
        elif info.islnk():
            # A hard link names another member, relative to the archive's root.
            if not _inside(base, info.linkname):
                raise UnsafeArchiveError(
                    f"{label}: hard link {info.name!r} -> {info.linkname!r} points outside the target")
        elif not (info.isreg() or info.isdir()):
            raise UnsafeArchiveError(f"{label}: member {info.name!r} is a special file (device or FIFO)")


def _check_zip(archive: zipfile.ZipFile, base: str, label: str) -> None:
    for name in archive.namelist():
        if not _inside(base, name):
            raise UnsafeArchiveError(f"{label}: member {name!r} would be written outside the target")


def _open(file_path: str, kinds):
    for kind in kinds:
        if kind == "tar" and tarfile.is_tarfile(file_path):
            return tarfile.open(file_path)
        if kind == "zip" and zipfile.is_zipfile(file_path):
            return zipfile.ZipFile(file_path)
        if kind not in ("tar", "zip"):
            raise ValueError(f"archive_format must be 'auto', 'tar', 'zip', a list of those or None; got {kind!r}")
    return None


def extract_archive(file_path, path=".", archive_format="auto") -> bool:
    """Extract a tar (plain, gzip, bzip2, xz) or zip archive into ``path``.

    The members are extracted into a fresh temporary folder beside ``path``,
    which then replaces ``path`` as a whole, so an interrupted extraction never
    leaves a half-filled ``path`` behind.

    Args:
        file_path: the archive.
        path: the directory to extract into (replaced if it exists).
        archive_format: ``"auto"`` (tar, then zip), ``"tar"``, ``"zip"``, a
            list of those, or None (extract nothing).

    Returns:
        True when the file was an archive of an accepted kind and was extracted.

    Raises:
        UnsafeArchiveError: a member would land outside ``path``, or is a
            device or FIFO; nothing is extracted.
    """
    if archive_format is None:
        return False
    kinds = ["tar", "zip"] if archive_format == "auto" else (
        [archive_format] if isinstance(archive_format, str) else list(archive_format))
    file_path = os.fspath(file_path)
    path = os.path.abspath(os.fspath(path))
    archive = _open(file_path, kinds)
    if archive is None:
        return False
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.", dir=parent)
    try:
        with archive:
            base = os.path.realpath(staging)
            if isinstance(archive, zipfile.ZipFile):
                _check_zip(archive, base, file_path)
                archive.extractall(staging)
            else:
                _check_tar(archive, base, file_path)
                if hasattr(tarfile, "data_filter"):  # a second line of defence where Python has it
                    archive.extractall(staging, filter="data")
                else:  # pragma: no cover - Python without PEP 706
                    archive.extractall(staging)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.remove(path)
        os.replace(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return True
