"""The benchmark's output: the report dict as the text tables ``fastmlp-bench``
prints, and as a bar chart of the speed-ups (``--plot``, needs matplotlib).
The JSON output (``--json``) is the report dict itself."""

from __future__ import annotations

from typing import Any

import numpy as np

from .report_tables import end_to_end_lines, gemm_lines, inference_lines, stability_lines


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
    frameworks = []
    for key, name in (("torch", "pytorch loop"), ("jax", "jax jit")):
        if env.get(key):
            frameworks.append(f"{key} {env[key]} ({env[key + '_threads']} threads)")
        else:
            frameworks.append(f"{key} absent ({env.get('absent', {}).get(name, 'not run')})")
    kind = "smoke" if report.get("smoke") else "quick" if report["quick"] else "full"
    lines = [f"fastmlp-bench {env['fastmlp']}  ({kind} run)",
             f"  python {env['python']}, numpy {env['numpy']}, " + ", ".join(frameworks),
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
    tables = (("kernels", _kernels), ("floor", _floor), ("gemm", gemm_lines),
              ("end_to_end", end_to_end_lines), ("inference", inference_lines),
              ("stability", stability_lines), ("process", _process))
    lines = _header(report)
    for key, table in tables:
        if report.get(key):
            lines += table(report[key])
    return "\n".join(lines)


def _speedups(report):
    """``(labels, {series: ratios})``: numpy / cython, PyTorch / cython and
    JAX / cython of every end-to-end, throughput and kernel row (NaN where a
    contender is missing)."""
    labels = []
    series: dict[str, list[Any]] = {"numpy reference": [], "PyTorch": [], "JAX": []}
    keys = {"numpy reference": "fastmlp numpy / cython", "PyTorch": "pytorch loop / cython",
            "JAX": "jax jit / cython"}
    rows = [(f"fit {r['workload']}", r) for r in report.get("end_to_end", [])]
    if report.get("inference"):
        rows.append(("predict 10k images", report["inference"]["throughput"]))
    for label, r in rows:
        labels.append(label)
        for name, key in keys.items():
            series[name].append(r.get(key, np.nan))
    for r in report.get("kernels", []):
        cy = r.get("cython")
        if not cy:
            continue
        labels.append(r["kernel"] + (f" b{r['batch']}" if r["batch"] else ""))
        for name, impl in (("numpy reference", "numpy"), ("PyTorch", "torch"), ("JAX", None)):
            other = r.get(impl) if impl else None
            series[name].append(other["median"] / cy["median"] if other else np.nan)
    return labels, series


def plot(report, path):
    """A bar chart of the speed-ups of fastmlp (each contender's time over
    fastmlp's) at ``path``. Raises ImportError without matplotlib."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, series = _speedups(report)
    present = {k: v for k, v in series.items() if not all(np.isnan(v))}
    ypos = np.arange(len(labels))
    width = 0.8 / max(len(present), 1)
    fig, ax = plt.subplots(figsize=(9, 0.36 * len(labels) + 1.5))
    for i, (name, ratios) in enumerate(present.items()):
        ax.barh(ypos - 0.4 + width * (i + 0.5), ratios, width,
                label=f"{name} / fastmlp cython")
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set_yticks(ypos, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("speed-up of fastmlp (cython backend); > 1 is faster")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
