"""The benchmark's output: the report dict as the text tables ``fastmlp-bench``
prints, and as a bar chart of the speed-ups (``--plot``, needs matplotlib).
The JSON output (``--json``) is the report dict itself."""

from __future__ import annotations

import numpy as np

from .end_to_end import EPOCH_SAMPLES


def _us(t):
    return "-" if t is None else f"{t * 1e6:9.1f}"


def _cell(row, impl):
    """``median µs ±spread%`` of ``row[impl]``, or a dash."""
    r = row.get(impl)
    if not r:
        return f"{'-':>18}"
    spread = 100 * r["iqr"] / r["median"] if r["median"] else 0.0
    return f"{r['median'] * 1e6:10.1f} ±{spread:4.0f}%"


def _ratio(num, den):
    """``num / den`` of two ``{median}`` cells as ``1.23x``, or a dash."""
    return f"{num['median'] / den['median']:9.2f}x" if num and den else f"{'-':>10}"


def _header(report):
    """What the numbers ran on: versions, CPU, BLAS and threads, load."""
    env = report["environment"]
    torch = env["torch"] or "not installed"
    if env.get("torch"):
        torch += f" ({env['torch_threads']} threads)"
    lines = [f"fastmlp-bench {env['fastmlp']}  ({'quick' if report['quick'] else 'full'} run)",
             f"  python {env['python']}, numpy {env['numpy']}, torch {torch}",
             f"  cpu: {env['cpu']} ({env['cpu_count']} cpus; {' '.join(env['cpu_features'])})"]
    for lib in env["blas"] or [{}]:
        desc = ", ".join(f"{k} {v}" for k, v in lib.items() if v is not None and k != "filepath")
        lines.append(f"  blas: {desc or 'unknown'}")
    lines.append(f"  blas threads: {env['blas_threads']}; sgemm called through np.matmul")
    if env.get("load_average"):
        loads = " ".join(f"{v:.2f}" for v in env["load_average"])
        lines.append(f"  load average at start: {loads}")
    return lines


def _kernels(rows):
    have_torch = any("torch" in r for r in rows)
    head = f"{'kernel':<40}{'batch':>6}{'cython':>18}{'numpy':>18}"
    head += f"{'torch':>18}" if have_torch else ""
    head += f"{'speed-up':>10}" + (f"{'torch/cy':>10}" if have_torch else "")
    lines = ["", "Kernels: median µs per call ± interquartile range; speed-up = numpy / cython",
             head, "-" * len(head)]
    for r in rows:
        line = f"{r['kernel']:<40}{(r['batch'] or ''):>6}{_cell(r, 'cython')}{_cell(r, 'numpy')}"
        if have_torch:
            line += _cell(r, "torch")
        line += _ratio(r.get("numpy"), r.get("cython"))
        if have_torch:
            line += _ratio(r.get("torch"), r.get("cython"))
        lines.append(line)
    return lines


def _floor(rows):
    head = f"{'batch':>6}  {'pass':<24}{'sgemm':>10}{'dense':>10}{'dense/sgemm':>13}"
    lines = ["", "Floor: dense layer 784->128 (relu) vs the bare sgemm of its GEMMs (µs)",
             head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['batch']:>6}  {r['pass']:<24}{_us(r['sgemm'])} {_us(r['dense'])}"
                     f"{r['ratio']:12.2f}x")
    return lines


def _end_to_end(rows):
    first = rows[0]
    title = (f"End to end: seed model (Adam, dropout 0.2), s/epoch of {EPOCH_SAMPLES:,} "
             f"samples, median of {first['passes']} interleaved passes"
             + (f" (timed on {first['samples']:,} samples, scaled)"
                if first["samples"] != EPOCH_SAMPLES else "")
             + f"; data: {first['source']}")
    names = [k for k in first if isinstance(first[k], dict)]
    ratio_names = [k for k in first if k.endswith(" / cython")]
    # each ratio column is as wide as its name (plus a gap), so long names never run together
    widths = [max(24, len(n) + 2) for n in ratio_names]
    head = f"{'batch':>6}" + "".join(f"{n:>20}" for n in names)
    head += "".join(f"{n:>{w}}" for n, w in zip(ratio_names, widths))
    lines = ["", title, head, "-" * len(head)]
    for r in rows:
        line = f"{r['batch']:>6}"
        for n in names:
            v = r[n]
            line += f"{v['median']:>12.3f} ±{100 * v['iqr'] / v['median']:4.0f}%  "
        for n, w in zip(ratio_names, widths):
            line += f"{r[n]:>{w - 1}.2f}x"
        lines.append(line)
    return lines


def _process(proc):
    lines = [""]
    if "import" in proc:
        lines.append(f"import fastmlp: {proc['import']['fastmlp']:.3f} s "
                     f"(numpy alone {proc['import']['numpy']:.3f} s), fresh interpreter, "
                     "median of 5")
    if "train" in proc:
        t = proc["train"]
        if t["exit_status"] == 0 and t["peak_rss_bytes"] is not None:
            lines.append(f"fastmlp-train peak RSS: {t['peak_rss_bytes'] / 2**20:.0f} MiB "
                         f"({t['wall_s']:.1f} s: {t['command']})")
        elif t["exit_status"] == 0:
            lines.append(f"fastmlp-train peak RSS: unknown on this platform ({t['command']})")
        else:
            lines.append(f"fastmlp-train failed ({t['exit_status']}): {t['output']}")
    return lines


def format_report(report):
    """The report as the text ``fastmlp-bench`` prints: a header saying what
    the numbers ran on, then one table per section present."""
    lines = _header(report)
    if report.get("kernels"):
        lines += _kernels(report["kernels"])
    if report.get("floor"):
        lines += _floor(report["floor"])
    if report.get("end_to_end"):
        lines += _end_to_end(report["end_to_end"])
    if report.get("process"):
        lines += _process(report["process"])
    return "\n".join(lines)


def _speedups(report):
    """``(labels, numpy / cython, torch / cython)`` of every end-to-end and
    kernel row (NaN where a contender is missing)."""
    labels, ref, tor = [], [], []
    for r in report.get("end_to_end", []):
        labels.append(f"fit epoch b{r['batch']}")
        ref.append(r.get("fastmlp numpy / cython", np.nan))
        tor.append(r.get("pytorch loop / cython", np.nan))
    for r in report.get("kernels", []):
        cy = r.get("cython")
        if not cy:
            continue
        labels.append(r["kernel"] + (f" b{r['batch']}" if r["batch"] else ""))
        ref.append(r["numpy"]["median"] / cy["median"] if r.get("numpy") else np.nan)
        tor.append(r["torch"]["median"] / cy["median"] if r.get("torch") else np.nan)
    return labels, ref, tor


def plot(report, path):
    """A bar chart of the speed-ups (numpy / cython and torch / cython) at
    ``path``. Raises ImportError without matplotlib."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, ref, tor = _speedups(report)
    ypos = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(labels) + 1.5))
    ax.barh(ypos - 0.2, ref, 0.4, label="numpy reference / fastmlp cython")
    if not all(np.isnan(tor)):
        ax.barh(ypos + 0.2, tor, 0.4, label="PyTorch / fastmlp cython")
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set_yticks(ypos, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("speed-up of fastmlp (cython backend); > 1 is faster")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
