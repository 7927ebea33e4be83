"""Reader (and a small writer) for the IDX format used by MNIST and Fashion-MNIST.

IDX layout (big-endian)::

    bytes 0-1   0x00 0x00
    byte  2     element type: 0x08 = unsigned byte (the only type accepted here)
    byte  3     number of dimensions ``ndim``
    next        ``ndim`` unsigned 32-bit sizes
    rest        the payload, ``prod(sizes)`` bytes, C order

so label files start with the magic number ``0x00000801`` and image files with
``0x00000803``.  Files may be gzip-compressed; compression is detected from the
file's first bytes, not from its name.

The whole decompressed file is read into memory once, hashed (SHA-256) from that
same buffer, and turned into an array with ``np.frombuffer`` -- no Python-level
loop over pixels.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import zlib
from typing import Optional, Tuple, Union

import numpy as np

from ..utils.download import ChecksumError

__all__ = [
    "IDXFormatError",
    "ChecksumError",
    "read_idx",
    "read_idx_bytes",
    "write_idx",
    "idx_bytes",
    "file_sha256",
    "decompressed_sha256",
]

PathLike = Union[str, "os.PathLike[str]"]

_GZIP_MAGIC = b"\x1f\x8b"
_UBYTE = 0x08
MAGIC_LABELS = 0x00000801
MAGIC_IMAGES = 0x00000803


class IDXFormatError(ValueError):
    """An IDX file is malformed, truncated, or not an IDX file at all."""


def _is_gzip(path: PathLike) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == _GZIP_MAGIC


def _read_payload(path: PathLike) -> bytes:
    """Return the (decompressed) bytes of ``path``; errors name the file."""
    try:
        if _is_gzip(path):
            with gzip.open(path, "rb") as f:
                return f.read()
        with open(path, "rb") as f:
            return f.read()
    except EOFError as exc:  # gzip stream cut short
        raise IDXFormatError(
            f"{os.fspath(path)}: truncated gzip file ({exc}); re-download or replace it"
        ) from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise IDXFormatError(f"{os.fspath(path)}: corrupt gzip data ({exc})") from None


def file_sha256(path: PathLike, chunk: int = 1 << 20) -> str:
    """SHA-256 of the file's bytes as stored (no decompression)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def decompressed_sha256(path: PathLike, chunk: int = 1 << 20) -> str:
    """SHA-256 of the file's payload: gunzipped if it is a gzip file, else as is.

    Streams the data (constant memory).  Raises :class:`IDXFormatError` for a
    truncated or corrupt gzip stream.
    """
    h = hashlib.sha256()
    try:
        opener = gzip.open if _is_gzip(path) else open
        with opener(path, "rb") as f:
            for block in iter(lambda: f.read(chunk), b""):
                h.update(block)
    except EOFError as exc:
        raise IDXFormatError(f"{os.fspath(path)}: truncated gzip file ({exc})") from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise IDXFormatError(f"{os.fspath(path)}: corrupt gzip data ({exc})") from None
    return h.hexdigest()


def read_idx_bytes(data: bytes, name: str = "<bytes>", *, ndim: Optional[int] = None) -> np.ndarray:
    """Parse an in-memory (decompressed) IDX buffer into a writable uint8 array.

    ``ndim``, when given, is the number of dimensions the file must have
    (1 for labels, 3 for images).  ``name`` is used in error messages.
    """
    n = len(data)
    if n < 4:
        raise IDXFormatError(f"{name}: truncated IDX file: {n} bytes, too short for the 4-byte magic number")
    zero, dtype_code, nd = struct.unpack_from(">HBB", data, 0)
    magic = int.from_bytes(data[:4], "big")
    if zero != 0 or nd == 0:
        raise IDXFormatError(
            f"{name}: not an IDX file (magic number 0x{magic:08x}; expected 0x{MAGIC_LABELS:08x} "
            f"for labels or 0x{MAGIC_IMAGES:08x} for images)"
        )
    if dtype_code != _UBYTE:
        raise IDXFormatError(
            f"{name}: unsupported IDX element type 0x{dtype_code:02x} (magic 0x{magic:08x}); "
            "only unsigned bytes (0x08) are supported"
        )
    if ndim is not None and nd != ndim:
        want = {1: MAGIC_LABELS, 3: MAGIC_IMAGES}.get(ndim)
        want_s = f"0x{want:08x}" if want is not None else f"{ndim} dimensions"
        raise IDXFormatError(
            f"{name}: wrong IDX magic number 0x{magic:08x} ({nd} dimensions); expected {want_s}"
        )
    header = 4 + 4 * nd
    if n < header:
        raise IDXFormatError(
            f"{name}: truncated IDX file: {n} bytes, header alone needs {header} bytes"
        )
    shape = struct.unpack_from(f">{nd}I", data, 4)
    count = 1
    for s in shape:
        count *= s
    expected = header + count
    if n < expected:
        raise IDXFormatError(
            f"{name}: truncated IDX file: header says shape {tuple(shape)} = {count} bytes of data, "
            f"but only {n - header} bytes follow the header ({n} bytes in all, {expected} expected)"
        )
    if n > expected:
        raise IDXFormatError(
            f"{name}: IDX file has {n - expected} unexpected trailing bytes after the "
            f"{count} bytes of data for shape {tuple(shape)}"
        )
    # np.frombuffer on bytes gives a read-only view; copy once so callers may
    # modify the result in place (as they can with Keras's arrays).
    return np.frombuffer(data, dtype=np.uint8, count=count, offset=header).reshape(shape).copy()


def read_idx(
    path: PathLike,
    *,
    sha256: Optional[str] = None,
    ndim: Optional[int] = None,
    return_digest: bool = False,
) -> Union[np.ndarray, Tuple[np.ndarray, str]]:
    """Read an IDX file (gzip-compressed or raw) into a uint8 array.

    IDX is the format of the MNIST and Fashion-MNIST files (see the module
    docstring); only unsigned-byte files are supported.

    Args:
        path: the file. Gzip compression is detected from its content.
        sha256: if given, the expected SHA-256 (hex) of the *decompressed*
            file. The digest is computed from the same buffer that is parsed
            (one read, one hash).
        ndim: if given, the required number of dimensions (1 = labels,
            3 = images).
        return_digest: also return the SHA-256 of the decompressed bytes.

    Returns:
        A writable uint8 array of the shape the header gives; with
        ``return_digest``, a tuple ``(array, sha256 hex digest)``.

    Raises:
        IDXFormatError: (a ValueError) a bad magic number, an unsupported
            element type, the wrong number of dimensions, a truncated or
            over-long file, or bad gzip data; the message names the file.
        ChecksumError: (a ValueError) the digest is not ``sha256``.
        OSError: the file cannot be opened (e.g. FileNotFoundError).

    Example:
        >>> import struct
        >>> header = struct.pack(">HBBI", 0, 0x08, 1, 3)  # unsigned bytes, 1 dimension of size 3
        >>> with open("labels-idx1-ubyte", "wb") as f:
        ...     _ = f.write(header + bytes([7, 2, 1]))
        >>> fastmlp.datasets.read_idx("labels-idx1-ubyte", ndim=1).tolist()
        [7, 2, 1]
        >>> fastmlp.datasets.read_idx("labels-idx1-ubyte", ndim=3)
        Traceback (most recent call last):
        fastmlp.datasets._idx.IDXFormatError: labels-idx1-ubyte: wrong IDX magic number 0x00000801 (1 dimensions); expected 0x00000803
    """
    data = _read_payload(path)
    digest = None
    if sha256 is not None or return_digest:
        digest = hashlib.sha256(data).hexdigest()
        if sha256 is not None and digest != sha256.lower():
            raise ChecksumError(path, sha256.lower(), digest)
    arr = read_idx_bytes(data, os.fspath(path), ndim=ndim)
    if return_digest:
        return arr, digest  # type: ignore[return-value]
    return arr


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array as IDX bytes (header + C-order payload)."""
    a = np.ascontiguousarray(array)
    if a.dtype != np.uint8:
        raise TypeError(f"idx_bytes: only uint8 arrays are supported, got {a.dtype}")
    if a.ndim == 0 or a.ndim > 255:
        raise ValueError("idx_bytes: array must have 1..255 dimensions")
    header = struct.pack(f">HBB{a.ndim}I", 0, _UBYTE, a.ndim, *a.shape)
    return header + a.tobytes()


def write_idx(path: PathLike, array: np.ndarray, *, compress: Optional[bool] = None) -> None:
    """Write ``array`` (uint8) as an IDX file; gzip it if ``compress`` (default:
    when the name ends in ``.gz``).  The gzip header carries no timestamp, so the
    output is reproducible."""
    data = idx_bytes(array)
    if compress is None:
        compress = os.fspath(path).endswith(".gz")
    if compress:
        with open(path, "wb") as raw, gzip.GzipFile(
            filename="", mode="wb", fileobj=raw, mtime=0
        ) as f:
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)
