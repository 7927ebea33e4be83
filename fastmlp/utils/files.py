"""Atomic file output: a file is either its old self or complete, never half-written."""

import contextlib
import os
import tempfile


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_output(path, suffix=".tmp"):
    """Open a temporary file beside ``path`` for binary writing.

    When the ``with`` block ends normally the file is flushed to disk, given
    the permissions a newly created file would have, and renamed onto
    ``path``; when it raises (or is interrupted) the temporary file is removed
    and ``path`` is left as it was. ``f.name`` is the temporary file's path,
    so the content can be checked before it is renamed into place.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=suffix, dir=directory)
    os.close(fd)
    try:
        with open(tmp, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if os.name != "nt":
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
