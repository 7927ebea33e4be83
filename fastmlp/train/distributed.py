"""``fastmlp-train --distributed``: the run trains under
:class:`fastmlp.distribution.DataParallel`, so ``mpiexec -n N fastmlp-train
--distributed ...`` trains the seed model data-parallel over N processes.

Process 0 (the chief) prints and writes the ``--out`` folder; the others print
and write nothing. A failure on one process after MPI started must end all of
them: the others may be waiting in a collective, so the failing process prints
its one-line error and aborts ``COMM_WORLD`` (``mpiexec`` then ends the rest).
"""

from __future__ import annotations

import contextlib
import os
import time

from .errors import CommandError, error_line, first_line

_ABORT_GRACE_S = 0.5  # time for the launcher to forward the error line before Abort


@contextlib.contextmanager
def data_parallel(enabled):
    """A ``with`` block training under ``DataParallel`` when ``enabled``.

    Args:
        enabled: ``args.distributed``; False leaves everything as it is.

    Returns:
        A context manager whose ``as`` target is the DataParallel (None when
        not enabled). The distribution set before is back when the block ends.

    Raises:
        CommandError: mpi4py (or its MPI library) cannot be imported.
    """
    if not enabled:
        yield None
        return
    from .. import distribution

    try:
        strategy = distribution.DataParallel()
    except ImportError as exc:
        raise CommandError(f"--distributed needs mpi4py and an MPI library: "
                           f"pip install \".[mpi]\" ({first_line(exc.__cause__ or exc)})") from None
    previous = distribution.distribution()
    distribution.set_distribution(strategy)
    try:
        yield strategy
    except (CommandError, OSError, MemoryError) as exc:
        if strategy.size > 1:
            # One write, a pause for the launcher to forward it, then Abort.
            os.write(2, (error_line(exc) + "\n").encode("utf-8", "replace"))
            time.sleep(_ABORT_GRACE_S)
            strategy.comm.Abort(getattr(exc, "status", 1))
        raise
    finally:
        distribution.set_distribution(previous)
