"""Is the machine idle? The probe run before every timed measurement.

It reads Linux's /proc/stat twice, a short window apart, and takes the
fraction of all CPUs' time that was not idle (user, nice, system, irq,
softirq, steal) in between; while that is above a threshold it keeps probing,
up to a bound, and then lets the measurement run anyway, flagged. While the
measurement runs it also counts the CPU time of every process but the
benchmark's own, so a row also says when something else started meanwhile. When the
machine is busy it also names the process that used the most CPU in the
window (from /proc/<pid>/stat), marking the benchmark's own processes, so a
report says *what* disturbed a row. Where /proc is missing the probe answers
"unknown" at once: it never waits for nothing, and never hangs.
"""

from __future__ import annotations

import os
import time
from typing import Any

THRESHOLD = 0.10  # busy fraction of the whole machine still called idle (0.2 core of 2)
WINDOW = 0.2      # seconds between the two readings of one probe
# The fewest clock ticks (of all CPUs together) a measurement must span for
# the others' share of it to mean anything: the counters tick at 100 Hz per
# CPU, so below ~20 ticks one tick of anyone else is several percent.
MIN_TICKS = 20


def read_cpu_times(path="/proc/stat"):
    """``(busy, total)`` jiffies of all CPUs since boot, from the first line
    of /proc/stat; None where it cannot be read. idle and iowait count as
    idle; guest time is already inside user and is not added twice."""
    try:
        with open(path) as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    values = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
    values += [0] * (8 - len(values))
    idle = values[3] + values[4]
    total = sum(values)
    return total - idle, total


def read_process_times(root="/proc", pids=None):
    """``{pid: (name, jiffies)}``: the user+system CPU time (all threads) of
    every process readable under ``root``, or of those of ``pids``; empty
    where there is none."""
    out: dict[int, Any] = {}
    try:
        pids = [str(p) for p in pids] if pids is not None else [
            p for p in os.listdir(root) if p.isdigit()]
    except OSError:
        return out
    for pid in pids:
        try:
            with open(os.path.join(root, pid, "stat")) as f:
                text = f.read()
        except OSError:
            continue  # exited meanwhile, or not ours to read
        # the name is in parentheses and may itself hold spaces or ')'
        head, _, rest = text.rpartition(")")
        name = head.partition("(")[2]
        fields = rest.split()
        try:
            out[int(pid)] = (name, int(fields[11]) + int(fields[12]))  # utime, stime
        except (IndexError, ValueError):
            continue
    return out


def busy_fraction(before, after):
    """The busy share of the CPU time between two :func:`read_cpu_times`
    readings (0..1), or None when either is missing or no time passed."""
    if before is None or after is None:
        return None
    total = after[1] - before[1]
    if total <= 0:
        return None
    return min(max((after[0] - before[0]) / total, 0.0), 1.0)


def describe_process(pid, root="/proc"):
    """A short form of process ``pid``'s command line (its first three
    arguments, paths cut to their last part, on one line, at most 40
    characters), or None."""
    try:
        with open(os.path.join(root, str(pid), "cmdline"), "rb") as f:
            args = f.read().split(b"\0")
    except OSError:
        return None
    words = [os.path.basename(a.decode(errors="replace")) for a in args if a][:3]
    return " ".join(" ".join(words).split())[:40] or None  # one line: "-c" code has newlines


def busiest(before, after, seconds, own=(), describe=None):
    """``"name 37%"`` (of one CPU) for the process that used the most CPU
    between two :func:`read_process_times` readings ``seconds`` apart,
    ``" (bench)"`` added when its pid is in ``own``, its command line (by
    ``describe(pid)``) when known; None when nothing ran."""
    best, best_pid, best_name = 0, None, None
    for pid, (name, jiffies) in after.items():
        used = jiffies - before.get(pid, (name, jiffies))[1]
        if used > best:
            best, best_pid, best_name = used, pid, name
    if best_pid is None:
        return None
    share = 100 * best / (os.sysconf("SC_CLK_TCK") * seconds)
    if best_pid in own:
        return f"{best_name} {share:.0f}% (bench)"
    command = describe(best_pid) if describe is not None else None
    return f"{best_name} {share:.0f}%" + (f" ({command})" if command else "")


class IdleProbe:
    """Waits, at most ``max_wait`` seconds, for the machine to be idle.

    Args:
        threshold: the busy fraction (0..1 of all CPUs) still called idle.
        max_wait: the bound on the wait of one :meth:`wait`; after it the
            measurement runs anyway and its row says the machine was busy.
        window: seconds between the two readings of one probe.
        own: pids of the benchmark's own processes (its workers), marked
            as such when they are the busiest.
        read_cpu, read_procs, describe, sleep, clock: the readers and the
            clock (:func:`read_cpu_times`, :func:`read_process_times`,
            :func:`describe_process`, ``time.sleep``, ``time.monotonic``);
            tests pass fakes.
    """

    def __init__(self, threshold=THRESHOLD, max_wait=5.0, window=WINDOW, own=(),
                 read_cpu=read_cpu_times, read_procs=read_process_times,
                 describe=describe_process, sleep=time.sleep, clock=time.monotonic):
        self.threshold, self.max_wait, self.window = threshold, max_wait, window
        self.own = set(own)
        self._read_cpu, self._read_procs, self._describe = read_cpu, read_procs, describe
        self._sleep, self._clock = sleep, clock

    def probe(self):
        """One reading: ``(busy fraction or None, busiest process or None)``."""
        cpu0 = self._read_cpu()
        if cpu0 is None:
            return None, None
        procs0 = self._read_procs()
        self._sleep(self.window)
        busy = busy_fraction(cpu0, self._read_cpu())
        who = None
        if busy is not None and busy > self.threshold:
            who = busiest(procs0, self._read_procs(), self.window, self.own, self._describe)
        return busy, who

    def measure(self, fn, wait=True):
        """:meth:`wait` (unless not ``wait``: then the reading's ``idle`` and
        ``busy`` are None), then run ``fn`` and also note how much of the
        machine *other* processes used while it ran (all CPU time minus that
        of this process and of ``own``). Returns ``(fn(), reading)``: the
        wait's dict with ``"others"`` (0..1; None when unknown, or when the
        run was too short to tell: under :data:`MIN_TICKS` clock ticks)."""
        reading = self.wait() if wait else {"idle": None, "busy": None, "waited": 0.0,
                                            "busiest": None}
        mine = [os.getpid(), *self.own]
        cpu0, own0 = self._read_cpu(), self._read_procs(pids=mine)
        result = fn()
        cpu1, own1 = self._read_cpu(), self._read_procs(pids=mine)
        reading["others"] = None
        if cpu0 is not None and cpu1 is not None and cpu1[1] - cpu0[1] >= MIN_TICKS:
            ours = sum(j - own0.get(pid, (n, j))[1] for pid, (n, j) in own1.items())
            others = (cpu1[0] - cpu0[0] - ours) / (cpu1[1] - cpu0[1])
            reading["others"] = min(max(others, 0.0), 1.0)
        return result, reading

    def wait(self):
        """Probe until idle or until ``max_wait`` has passed. Returns
        ``{"idle": True/False/None (unknown), "busy": last fraction or None,
        "waited": seconds, "busiest": process or None}``."""
        start = self._clock()
        while True:
            busy, who = self.probe()
            waited = self._clock() - start
            if busy is None:
                return {"idle": None, "busy": None, "waited": waited, "busiest": None}
            if busy <= self.threshold or waited >= self.max_wait:
                return {"idle": busy <= self.threshold, "busy": busy, "waited": waited,
                        "busiest": who}


def summarize(readings, threshold=THRESHOLD):
    """One row's idleness from its measurements' :meth:`IdleProbe.measure`
    (or :meth:`~IdleProbe.wait`) readings: ``{"idle": every measurement
    started on an idle machine and no other process used more than
    ``threshold`` of it while one ran (None if unknown), "busy_max",
    "waited", "probes", "busy_runs" (started busy), "others_max",
    "disturbed_runs" (others above the threshold during the run),
    "busiest"}``; ``busiest`` is that of the busiest reading."""
    known = [r for r in readings if r["idle"] is not None]
    during = [r["others"] for r in readings if r.get("others") is not None]
    out = {"idle": None, "busy_max": None, "waited": sum(r["waited"] for r in readings),
           "probes": len(readings), "busy_runs": 0,
           "others_max": max(during) if during else None,
           "disturbed_runs": sum(o > threshold for o in during), "busiest": None}
    if known:
        worst = max(known, key=lambda r: r["busy"])
        out.update(busy_max=worst["busy"], busiest=worst["busiest"],
                   busy_runs=sum(not r["idle"] for r in known))
    if known or during:
        out["idle"] = out["busy_runs"] == 0 and out["disturbed_runs"] == 0
    return out
