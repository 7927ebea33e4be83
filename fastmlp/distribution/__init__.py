"""Data-parallel training over MPI, in the shape of ``keras.distribution``.

Run the same Keras-style program under ``mpiexec -n N python train.py`` and
opt in with :func:`set_distribution`::

    fastmlp.distribution.set_distribution(fastmlp.distribution.DataParallel())
    model.fit(x, y, batch_size=256)

Every process reads the whole dataset; ``fit`` splits each global batch into
contiguous shards, one per process, averages the gradients with one in-place
``Allreduce`` of the model's flat gradient buffer per step, and reports the
global loss and metrics. Only the chief (process 0) prints the progress bar
and writes files (:func:`is_chief`).

MPI comes from mpi4py (the ``mpi`` extra: ``pip install "fastmlp[mpi]"``
installs mpi4py and the ``mpich`` wheel, whose ``mpiexec`` lands in the
environment's ``bin/``), imported only when a distribution is used: fastmlp
imports and runs without it. Nothing is distributed without
:func:`set_distribution`, even under ``mpiexec``.

Faults: while a distributed ``fit`` runs, an exception on any process prints
its traceback and calls ``MPI.COMM_WORLD.Abort(1)``, so ``mpiexec`` ends every
process instead of leaving the others waiting in a collective.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import traceback
from typing import Any

__all__ = ["DataParallel", "distribution", "initialize", "is_chief", "launched_size",
           "list_devices", "process_count", "process_index", "set_distribution"]

# The launchers' process-count variables: MPICH/Hydra (PMI_SIZE), Open MPI
# (OMPI_COMM_WORLD_SIZE), SLURM's srun (SLURM_NTASKS; PMIX_RANK marks a PMIx launch).
_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "SLURM_NTASKS")

_ABORT_GRACE_S = 0.5  # time for the launcher to forward a failing process's traceback

_current: DataParallel | None = None
_shard: tuple[int, int] | None = None  # (global batch rows, first row of this process's shard)


def _mpi():
    """mpi4py's ``MPI`` module, or an ImportError saying how to get it."""
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise ImportError("fastmlp.distribution needs mpi4py: pip install 'fastmlp[mpi]' "
                          "(mpi4py and the mpich wheel)") from exc
    return MPI


def launched_size() -> int:
    """Returns: the number of processes the launcher (``mpiexec``, ``mpirun``,
    ``srun``) started, read from its environment variables; 1 when the
    program was not started by one. Reading it needs no MPI.

    Raises:
        Nothing: it only reads the environment.

    Example:
        >>> fastmlp.distribution.launched_size() >= 1
        True
    """
    for name in _SIZE_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return 1


class DataParallel:
    """Synchronous data parallelism over the processes of ``MPI.COMM_WORLD``:
    each process holds a full copy of the model and trains on its shard of
    every global batch.

    Args:
        device_mesh: must be None (the processes of ``COMM_WORLD`` are the mesh).
        devices: ignored unless None or the list :func:`list_devices` gives
            (accepted for Keras's signature).
        auto_shard_dataset: must be True (each process shards every batch).

    Raises:
        ImportError: mpi4py is not installed.
        NotImplementedError: a ``device_mesh`` is given.
        ValueError: ``auto_shard_dataset=False``.

    Example:
        Under ``mpiexec -n N`` each process trains on its shard; started
        alone, the one process trains on every row:

        >>> try:
        ...     strategy = fastmlp.distribution.DataParallel()
        ... except ImportError:  # without the mpi extra
        ...     strategy = None
        >>> fastmlp.distribution.set_distribution(strategy)
        >>> fastmlp.distribution.process_count(), fastmlp.distribution.is_chief()
        (1, True)
        >>> fastmlp.distribution.set_distribution(None)
    """

    def __init__(self, device_mesh: Any = None, devices: Any = None,
                 auto_shard_dataset: bool = True) -> None:
        if device_mesh is not None:
            raise NotImplementedError("fastmlp's DataParallel spans MPI.COMM_WORLD: pass no device_mesh")
        if not auto_shard_dataset:
            raise ValueError("fastmlp's DataParallel shards every batch: auto_shard_dataset must be True")
        self.comm = _mpi().COMM_WORLD
        self.devices = list_devices() if devices is None else list(devices)

    @property
    def rank(self) -> int:
        """This process's index in ``COMM_WORLD``."""
        return self.comm.Get_rank()

    @property
    def size(self) -> int:
        """The number of processes."""
        return self.comm.Get_size()

    def shard(self, rows: int) -> tuple[int, int]:
        """Returns: ``(start, stop)`` of this process's contiguous rows of a
        global batch of ``rows`` (sizes differ by at most one, the first
        ``rows % size`` processes taking one more)."""
        base, extra = divmod(rows, self.size)
        start = self.rank * base + min(self.rank, extra)
        return start, start + base + (1 if self.rank < extra else 0)

    def __repr__(self):
        return f"<DataParallel process {self.rank} of {self.size}>"


def list_devices(device_type: str | None = None) -> list[str]:
    """Returns: the processes of ``COMM_WORLD`` as ``"cpu:<rank>"`` names (one
    CPU device per process, as fastmlp trains on the CPU); ``["cpu:0"]``
    without mpi4py.

    Args:
        device_type: None or ``"cpu"``.

    Raises:
        ValueError: another ``device_type``.

    Example:
        >>> fastmlp.distribution.list_devices()  # one process, no launcher
        ['cpu:0']
    """
    if device_type not in (None, "cpu", "CPU"):
        raise ValueError(f"fastmlp trains on the CPU: device_type {device_type!r} has no devices")
    try:
        size = _mpi().COMM_WORLD.Get_size()
    except ImportError:
        size = 1
    return [f"cpu:{rank}" for rank in range(size)]


def initialize(job_addresses: Any = None, num_processes: int | None = None,
               process_id: int | None = None) -> None:
    """Start MPI (mpi4py starts it on import); the launcher, not these
    arguments, sets the processes, so given values must agree with it.

    Args:
        job_addresses: ignored (accepted for Keras's signature).
        num_processes: None, or the number of processes MPI started.
        process_id: None, or this process's MPI rank.

    Returns:
        None.

    Raises:
        ImportError: mpi4py is not installed.
        ValueError: ``num_processes`` or ``process_id`` disagree with MPI's.

    Example:
        >>> try:
        ...     fastmlp.distribution.initialize(num_processes=1, process_id=0)
        ... except ImportError:  # without the mpi extra
        ...     pass
    """
    comm = _mpi().COMM_WORLD
    if num_processes is not None and int(num_processes) != comm.Get_size():
        raise ValueError(f"num_processes={num_processes}, but MPI started {comm.Get_size()} processes")
    if process_id is not None and int(process_id) != comm.Get_rank():
        raise ValueError(f"process_id={process_id}, but this is MPI process {comm.Get_rank()}")


def set_distribution(value: DataParallel | None) -> None:
    """Set the distribution ``fit`` uses (None: train in this process alone).

    Args:
        value: a :class:`DataParallel`, or None.

    Returns:
        None.

    Raises:
        TypeError: ``value`` is not a DataParallel or None.

    Example:
        >>> fastmlp.distribution.set_distribution(None)
        >>> fastmlp.distribution.distribution() is None
        True
    """
    global _current
    if value is not None and not isinstance(value, DataParallel):
        raise TypeError(f"set_distribution takes a DataParallel or None, got {type(value).__name__}")
    _current = value


def distribution() -> DataParallel | None:
    """The distribution ``fit`` uses.

    Returns:
        The distribution set by :func:`set_distribution`, or None.

    Raises:
        Nothing: it reads a setting.

    Example:
        >>> fastmlp.distribution.distribution() is None  # none set
        True
    """
    return _current


def process_index() -> int:
    """This process's index.

    Returns:
        This process's index in the current distribution (0 without one).

    Raises:
        Nothing: it reads a setting.

    Example:
        >>> fastmlp.distribution.process_index()  # no distribution set
        0
    """
    return 0 if _current is None else _current.rank


def process_count() -> int:
    """The number of processes training together.

    Returns:
        The number of processes of the current distribution (1 without one).

    Raises:
        Nothing: it reads a setting.

    Example:
        >>> fastmlp.distribution.process_count()  # no distribution set
        1
    """
    return 1 if _current is None else _current.size


def is_chief() -> bool:
    """Whether this process is the one that prints and writes files.

    Returns:
        True on process 0, and on any process without a distribution.

    Raises:
        Nothing: it reads a setting.

    Example:
        >>> if fastmlp.distribution.is_chief():  # write files on one process only
        ...     print("chief")
        chief
    """
    return process_index() == 0


def batch_shard() -> tuple[int, int] | None:
    """``(global rows, first row)`` of the batch this process is training on,
    while a distributed step runs; None otherwise. Random layers (Dropout,
    the noise layers) draw the global batch's values and keep this shard's
    rows, so N processes draw what one process draws for the whole batch."""
    return _shard


@contextlib.contextmanager
def sharded_batch(rows: int, start: int):
    """Mark the step in the block as this process's rows ``start:`` of a
    global batch of ``rows`` (see :func:`batch_shard`)."""
    global _shard
    _shard = (rows, start)
    try:
        yield
    finally:
        _shard = None


@contextlib.contextmanager
def abort_on_error(comm):
    """Within the block, an exception prints its traceback and aborts every
    process (``comm.Abort(1)``): the others may be waiting in a collective
    and would otherwise wait forever. KeyboardInterrupt aborts too."""
    try:
        yield
    except BaseException:  # noqa: BLE001 - every failure must end all processes
        message = (f"fastmlp.distribution: process {comm.Get_rank()} of {comm.Get_size()} failed; "
                   f"aborting all processes\n{traceback.format_exc()}")
        sys.stderr.flush()
        # One write, then a pause: the launcher forwards output through pipes
        # and stops reading once Abort has it kill the processes.
        os.write(2, message.encode("utf-8", "replace"))
        time.sleep(_ABORT_GRACE_S)
        comm.Abort(1)
        raise
