"""A run into a folder that already holds one replaces it as a whole.

The new run's files are written into a hidden folder inside ``--out`` (the
same file system, so every move is a rename) and moved into place only once
all of them exist. The previous run's ``metrics.json`` goes first, then every
file of the previous run that this run does not write (e.g. its plots, when
this run has ``--no-plots``), then the new files, the new ``metrics.json``
last. So ``--out`` never shows new metrics beside stale plots: it holds the
old run, the new one, or (if the process dies in the middle of the moves)
files without a ``metrics.json``, which marks no complete run. A run that
fails before the moves leaves the previous one as it was. Files of other
names in ``--out`` are never touched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator

from .outputs import PLOTS

#: Every file a run may write; the summary, written last, marks a complete run.
SUMMARY = "metrics.json"
RUN_FILES = ("model.fastmlp", "history.json", "history.csv") + PLOTS + (SUMMARY,)


@contextlib.contextmanager
def staged(outdir: str) -> Iterator[str]:
    """A temporary folder inside ``outdir`` to write a run into; when the block
    ends normally its files replace the previous run's (see the module's
    docstring), and when it raises the folder is removed and ``outdir`` is
    left as it was.

    Args:
        outdir: the existing output folder.

    Yields:
        The temporary folder's path.
    """
    staging = tempfile.mkdtemp(prefix=".fastmlp-train-", suffix=".partial", dir=outdir)
    try:
        yield staging
        commit(staging, outdir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def commit(staging: str, outdir: str) -> None:
    """Move the files of ``staging`` into ``outdir``, removing first the
    previous run's summary and the files of the previous run that ``staging``
    does not hold."""
    new = set(os.listdir(staging))
    unknown = new - set(RUN_FILES)
    if unknown:  # a bug here, not a user error: only the run's own names may be swapped
        raise RuntimeError(f"unexpected files in the new run: {sorted(unknown)}")
    for name in [SUMMARY] + [n for n in RUN_FILES if n not in new and n != SUMMARY]:
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(outdir, name))
    for name in RUN_FILES:  # in RUN_FILES's order: the summary last
        if name in new:
            os.replace(os.path.join(staging, name), os.path.join(outdir, name))
