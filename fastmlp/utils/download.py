"""Downloading one file atomically, with a progress display, and where
downloads go: the transport under :func:`fastmlp.utils.get_file` and the
dataset loaders (which decide what to fetch from where, and verify it).

Environment variables read: ``FASTMLP_CACHE_DIR`` (the cache root),
``XDG_CACHE_HOME`` / ``LOCALAPPDATA`` (platform cache locations) and
``FASTMLP_OFFLINE`` (a true value -- ``1``, ``true``, ``yes``, ``on`` -- forbids
downloads)."""

from __future__ import annotations

import http.client
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Optional, Union

from .files import atomic_output

PathLike = Union[str, "os.PathLike[str]"]

#: Socket timeout (seconds) for each download request.
DOWNLOAD_TIMEOUT: float = 30.0

_CHUNK = 1 << 16


class ChecksumError(ValueError):
    """A data file's digest is not the one published for it."""

    def __init__(self, path, expected: str, actual: str, what: str = "decompressed payload",
                 algorithm: str = "SHA-256"):
        self.path = os.fspath(path)
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"{algorithm} mismatch for {self.path} ({what}):\n"
            f"  expected {expected}\n"
            f"  actual   {actual}\n"
            "The file is corrupt, truncated, or not the published dataset file. "
            "Delete it (or point fastmlp at a good copy) and try again."
        )


def cache_root() -> Path:
    """The fastmlp cache root (datasets live in ``cache_root()/"datasets"``):
    ``$FASTMLP_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/fastmlp`` or
    ``~/.cache/fastmlp`` (Linux), ``~/Library/Caches/fastmlp`` (macOS),
    ``%LOCALAPPDATA%\\fastmlp\\Cache`` (Windows).

    Read from the environment at each call; the folder is not created here.
    A relative ``$XDG_CACHE_HOME`` is ignored, as the XDG rules say.

    Returns:
        A :class:`pathlib.Path` (``~`` expanded).

    Raises:
        Nothing: the path is only computed.

    Example:
        >>> import os
        >>> from unittest import mock
        >>> with mock.patch.dict(os.environ, {"FASTMLP_CACHE_DIR": "/tmp/fastmlp-cache"}):
        ...     print(fastmlp.datasets.cache_root().as_posix())
        /tmp/fastmlp-cache
    """
    env = os.environ.get("FASTMLP_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "fastmlp" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "fastmlp"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "fastmlp"


def offline() -> bool:
    """Whether ``$FASTMLP_OFFLINE`` forbids downloads."""
    return os.environ.get("FASTMLP_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


class DownloadError(OSError):
    """A download failed: connection error, HTTP error, or a short (truncated) body.

    ``unreachable`` is true when no connection could be made at all (so the
    same server will not serve other files either).
    """

    def __init__(self, message: str, *, unreachable: bool = False):
        super().__init__(message)
        self.unreachable = unreachable


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000.0
    return f"{n:.1f} GB"  # pragma: no cover


class _Progress:
    """A progress bar on a TTY; a few plain lines (25/50/75/100 %) otherwise."""

    def __init__(self, label: str, total: Optional[int], stream=None, enabled: bool = True):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and self.stream is not None
        try:
            self.tty = bool(self.stream.isatty())
        except Exception:
            self.tty = False
        self.total = total if total and total > 0 else None
        self.done = 0
        self.t0 = time.monotonic()
        self._last_draw = 0.0
        self._next_pct = 25
        size = f" ({_fmt_bytes(self.total)})" if self.total else ""
        self._print(f"Downloading {label}{size}")

    def _print(self, line: str) -> None:
        if self.enabled:
            self.stream.write(line + "\n")
            self.stream.flush()

    def _draw(self, final: bool = False) -> None:
        elapsed = max(time.monotonic() - self.t0, 1e-9)
        rate = f"{_fmt_bytes(self.done / elapsed)}/s"
        if self.total:
            frac = min(self.done / self.total, 1.0)
            width = 30
            filled = int(frac * width)
            bar = "#" * filled + "-" * (width - filled)
            text = f"\r  [{bar}] {frac * 100:5.1f}%  {_fmt_bytes(self.done)} / {_fmt_bytes(self.total)}  {rate}"
        else:
            text = f"\r  {_fmt_bytes(self.done)}  {rate}"
        self.stream.write(text + ("\n" if final else ""))
        self.stream.flush()

    def update(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw >= 0.1:
                self._last_draw = now
                self._draw()
        elif self.total:
            pct = self.done * 100 // self.total
            if self._next_pct <= pct < 100:  # one line per quarter reached; "done" reports 100 %
                bucket = pct - pct % 25
                self._print(f"  {bucket}%  {_fmt_bytes(self.done)} / {_fmt_bytes(self.total)}")
                self._next_pct = bucket + 25

    def close(self, error: Optional[BaseException] = None) -> None:
        if not self.enabled:
            return
        if self.tty:
            self._draw(final=True)
        elapsed = time.monotonic() - self.t0
        if error is None:
            self._print(f"  done: {_fmt_bytes(self.done)} in {elapsed:.1f} s")
        else:
            self._print(f"  failed after {_fmt_bytes(self.done)}: {error}")


def download_file(
    url: str,
    dest: PathLike,
    verify: Optional[Callable[[Path], None]] = None,
    *,
    timeout: Optional[float] = None,
    progress: bool = True,
    stream=None,
) -> Path:
    """Download ``url`` to ``dest`` atomically.

    The body is streamed into a temporary file next to ``dest``; its length is
    checked against ``Content-Length``, then ``verify(tmp_path)`` is called
    (raise to reject), and only then is the file renamed to ``dest``.  On any
    error -- including a connection dropped mid-file or KeyboardInterrupt --
    the temporary file is removed and the exception propagates
    (:class:`DownloadError` for transport problems).
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    bar: Optional[_Progress] = None
    try:
        with atomic_output(dest, suffix=".part") as out:
            req = urllib.request.Request(url, headers={"User-Agent": "fastmlp-datasets/1 (+urllib)"})
            try:
                resp = urllib.request.urlopen(req, timeout=timeout if timeout is not None else DOWNLOAD_TIMEOUT)
            except urllib.error.HTTPError as exc:
                raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from None
            except urllib.error.URLError as exc:
                raise DownloadError(f"{url}: {exc.reason}", unreachable=True) from None
            except (OSError, http.client.HTTPException) as exc:  # e.g. reset/closed before the headers
                raise DownloadError(f"{url}: {type(exc).__name__}: {exc}") from None
            with resp:
                length = resp.headers.get("Content-Length") if hasattr(resp, "headers") else None
                total = int(length) if length and length.strip().isdigit() else None
                bar = _Progress(url, total, stream=stream, enabled=progress)
                received = 0
                try:
                    while True:
                        block = resp.read(_CHUNK)
                        if not block:
                            break
                        out.write(block)
                        received += len(block)
                        bar.update(len(block))
                except (OSError, http.client.HTTPException) as exc:
                    raise DownloadError(
                        f"{url}: connection failed after {received} bytes"
                        + (f" of {total}" if total else "")
                        + f" ({type(exc).__name__}: {exc})"
                    ) from None
                if total is not None and received != total:
                    raise DownloadError(
                        f"{url}: connection closed after {received} of {total} bytes (truncated download)"
                    )
                if received == 0:
                    raise DownloadError(f"{url}: empty response")
            out.flush()
            if verify is not None:
                verify(Path(out.name))
        if bar is not None:
            bar.close()
        return dest
    except BaseException as exc:
        if bar is not None:
            bar.close(exc)
        raise


def url_join(base: str, fname: str) -> str:
    """``base`` joined with ``fname`` (a base that already ends in ``fname`` is kept)."""
    return base if base.endswith("/" + fname) else base.rstrip("/") + "/" + fname


def reason(exc: BaseException, url: str = "") -> str:
    """A one-line reason for ``exc``, without the URL it would repeat."""
    text = str(exc).replace("\n", " ").strip()
    if url and text.startswith(url + ": "):
        text = text[len(url) + 2 :]
    return text or type(exc).__name__
