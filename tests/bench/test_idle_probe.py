"""fastmlp-bench's idleness probe on fake /proc readings: the parsing of
/proc/stat and /proc/<pid>/stat, the busy fraction, the bounded wait, the
"unknown" answer where there is no /proc, and a row's summary."""

import pytest

from fastmlp.bench import idle
from fastmlp.bench.idle import IdleProbe, busiest, busy_fraction, summarize


def _stat_line(user, nice, system, idle_, iowait, irq, softirq, steal):
    return f"cpu  {user} {nice} {system} {idle_} {iowait} {irq} {softirq} {steal} 0 0\n"


def test_read_cpu_times_parses_the_first_line(tmp_path):
    path = tmp_path / "stat"
    path.write_text(_stat_line(100, 5, 50, 1000, 20, 3, 2, 10) + "cpu0 1 2 3 4 5 6 7 8 0 0\n")
    busy, total = idle.read_cpu_times(str(path))
    # idle = idle + iowait = 1020; busy = user+nice+system+irq+softirq+steal = 170
    assert (busy, total) == (170, 1190)


def test_read_cpu_times_without_proc(tmp_path):
    assert idle.read_cpu_times(str(tmp_path / "missing")) is None
    bad = tmp_path / "stat"
    bad.write_text("intr 1 2 3\n")
    assert idle.read_cpu_times(str(bad)) is None


def test_read_process_times_handles_odd_names(tmp_path):
    # a command name may hold spaces and parentheses: the name ends at the last ')'
    fields = " ".join(["S"] + ["0"] * 10 + ["700", "300"] + ["0"] * 10)
    for pid, name in ((41, "cc1"), (42, "my (odd) name")):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(f"{pid} ({name}) {fields}\n")
    (tmp_path / "43").mkdir()  # a process that exited: no stat file
    (tmp_path / "self").mkdir()  # not a pid
    assert idle.read_process_times(str(tmp_path)) == {41: ("cc1", 1000),
                                                      42: ("my (odd) name", 1000)}
    assert idle.read_process_times(str(tmp_path / "missing")) == {}


def test_busy_fraction():
    assert busy_fraction((100, 1000), (130, 1100)) == pytest.approx(0.3)
    assert busy_fraction((100, 1000), (100, 1000)) is None  # no time passed
    assert busy_fraction(None, (1, 2)) is None
    assert busy_fraction((100, 1000), (300, 1100)) == 1.0  # clamped (counters race)


def test_busiest_names_the_top_process_and_marks_our_own(monkeypatch):
    monkeypatch.setattr(idle.os, "sysconf", lambda name: 100)  # 100 jiffies a second
    before = {1: ("bash", 10), 2: ("cc1", 500), 3: ("python", 40)}
    after = {1: ("bash", 11), 2: ("cc1", 518), 3: ("python", 45), 4: ("new", 2)}
    # cc1 used 18 jiffies of 20 in a 0.2 s window: 90% of one CPU
    assert busiest(before, after, 0.2, describe=lambda pid: "cc1 -O2 x.c") == \
        "cc1 90% (cc1 -O2 x.c)"
    assert busiest(before, after, 0.2, own={2}) == "cc1 90% (bench)"
    assert busiest(before, before, 0.2) is None


class FakeMachine:
    """Readers and a clock for IdleProbe: each probe consumes one busy
    fraction of ``busy`` (the last repeats), on a 100-jiffy window."""

    def __init__(self, busy):
        self.busy = list(busy)
        self.now = 0.0
        self.cpu = [0, 0]
        self.reads = 0

    def read_cpu(self):
        self.reads += 1
        if self.reads % 2 == 0:  # the second reading of a probe: advance the counters
            frac = self.busy.pop(0) if len(self.busy) > 1 else self.busy[0]
            self.cpu = [self.cpu[0] + int(100 * frac), self.cpu[1] + 100]
        return tuple(self.cpu)

    def sleep(self, seconds):
        self.now += seconds

    def probe(self, **kw):
        return IdleProbe(read_cpu=self.read_cpu, read_procs=lambda pids=None: {},
                         sleep=self.sleep,
                         clock=lambda: self.now, **kw)


def test_wait_returns_at_once_on_an_idle_machine():
    m = FakeMachine([0.02])
    r = m.probe(max_wait=5).wait()
    assert r["idle"] is True and r["busy"] == pytest.approx(0.02)
    assert r["waited"] == pytest.approx(0.2)


def test_wait_keeps_probing_until_idle():
    m = FakeMachine([0.9, 0.6, 0.05])
    r = m.probe(max_wait=5).wait()
    assert r["idle"] is True and r["busy"] == pytest.approx(0.05)
    assert r["waited"] == pytest.approx(0.6)  # three probes of 0.2 s


def test_wait_is_bounded_on_a_busy_machine():
    m = FakeMachine([1.0])
    r = m.probe(max_wait=1.0).wait()
    assert r["idle"] is False and r["busy"] == 1.0
    assert 1.0 <= r["waited"] <= 1.2 + 1e-9  # stops at the first probe past the bound
    zero = FakeMachine([1.0]).probe(max_wait=0).wait()
    assert zero["idle"] is False and zero["waited"] == pytest.approx(0.2)


def test_wait_without_proc_says_unknown_at_once():
    slept = []
    probe = IdleProbe(read_cpu=lambda: None, read_procs=lambda: {}, sleep=slept.append)
    assert probe.wait() == {"idle": None, "busy": None, "waited": pytest.approx(0, abs=1e-3),
                            "busiest": None}
    assert slept == []


def test_threshold():
    assert FakeMachine([0.10]).probe(threshold=0.10).wait()["idle"] is True
    assert FakeMachine([0.11]).probe(threshold=0.10, max_wait=0).wait()["idle"] is False


def test_measure_counts_other_processes_during_the_run():
    """``measure`` subtracts this process's and the workers' CPU time from
    the machine's: what is left is other processes' use during the run."""
    m = FakeMachine([0.0])
    own_times = iter([{1: ("python", 100), 7: ("worker", 50)},
                      {1: ("python", 130), 7: ("worker", 80)}])
    cpu = iter([(0, 0), (0, 100), (1000, 2000), (1100, 2200)])
    probe = IdleProbe(read_cpu=lambda: next(cpu),
                      read_procs=lambda pids=None: next(own_times) if pids else {},
                      sleep=m.sleep, clock=lambda: m.now, own=[7])
    result, reading = probe.measure(lambda: "done")
    assert result == "done" and reading["idle"] is True
    # 100 busy jiffies of 200 during the run; 60 of them ours: others 40 / 200
    assert reading["others"] == pytest.approx(0.2)


def test_measure_without_proc():
    probe = IdleProbe(read_cpu=lambda: None, read_procs=lambda pids=None: {})
    assert probe.measure(lambda: 3) == (3, {"idle": None, "busy": None,
                                            "waited": pytest.approx(0, abs=1e-3),
                                            "busiest": None, "others": None})


def test_measure_on_this_machine():
    """The real readers: an idle wait of at most 0.5 s, then a run that only
    sleeps, which no other process's time is attributed to."""
    result, reading = IdleProbe(max_wait=0.5).measure(lambda: 42)
    assert result == 42
    if reading["idle"] is None:
        pytest.skip("no /proc/stat here")
    assert 0.0 <= reading["busy"] <= 1.0 and reading["waited"] >= 0.2
    assert reading["others"] is None or 0.0 <= reading["others"] <= 1.0


def test_measure_without_waiting():
    cpu = iter([(0, 0), (50, 100)])
    probe = IdleProbe(read_cpu=lambda: next(cpu), read_procs=lambda pids=None: {},
                      sleep=pytest.fail)  # no probe window: it must not sleep
    result, reading = probe.measure(lambda: 1, wait=False)
    assert result == 1 and reading["idle"] is None and reading["others"] == 0.5
    assert summarize([reading])["idle"] is False  # others took half the machine during it
    assert summarize([dict(reading, others=0.0)])["idle"] is True


def test_measure_too_short_to_tell():
    """Under MIN_TICKS ticks one tick is a large share: the others' use is unknown."""
    cpu = iter([(0, 0), (5, idle.MIN_TICKS - 1)])
    probe = IdleProbe(read_cpu=lambda: next(cpu), read_procs=lambda pids=None: {})
    _, reading = probe.measure(lambda: None, wait=False)
    assert reading["others"] is None and summarize([reading])["idle"] is None


def test_summarize():
    runs = [{"idle": True, "busy": 0.02, "waited": 0.2, "busiest": None, "others": 0.01},
            {"idle": False, "busy": 0.7, "waited": 5.1, "busiest": "cc1 140%", "others": 0.3},
            {"idle": False, "busy": 0.4, "waited": 5.0, "busiest": "make 80%", "others": None}]
    s = summarize(runs)
    assert s == {"idle": False, "busy_max": 0.7, "waited": pytest.approx(10.3), "probes": 3,
                 "busy_runs": 2, "others_max": 0.3, "disturbed_runs": 1,
                 "busiest": "cc1 140%"}
    assert summarize(runs[:1])["idle"] is True
    # idle before the run, but another process took 30% during it: not idle
    disturbed = summarize([dict(runs[0], others=0.3)])
    assert disturbed["idle"] is False and disturbed["disturbed_runs"] == 1
    assert disturbed["busy_runs"] == 0
    unknown = summarize([{"idle": None, "busy": None, "waited": 0.0, "busiest": None,
                          "others": None}])
    assert unknown["idle"] is None and unknown["busy_max"] is None
