"""The text tables of the contender sections: end to end, inference (latency
and throughput), stability, and the lines they share (the GEMM rate, each
row's idleness, the contenders left out). :mod:`.report` puts them together."""

from __future__ import annotations

from .end_to_end import BASE, NUMPY, WEIGHTED, ratio_key
from .workloads import EPOCH_SAMPLES

ORDER = (BASE, NUMPY, WEIGHTED, "pytorch loop", "jax jit")
SHORT = {BASE: "fastmlp", NUMPY: "numpy", WEIGHTED: "weighted", "pytorch loop": "pytorch",
         "jax jit": "jax"}


def idle_text(idle):
    """A row's idleness in a few words: ``idle``, ``BUSY 45% max before 2/9
    runs (cc1 38%); others used 30% during 1/9``, or ``idle: unknown``."""
    if not idle or idle["idle"] is None:
        return "idle: unknown"
    if idle["idle"]:
        return "idle"
    parts = []
    if idle["busy_runs"]:
        who = f" ({idle['busiest']})" if idle.get("busiest") else ""
        parts.append(f"BUSY {100 * idle['busy_max']:.0f}% max before {idle['busy_runs']}/"
                     f"{idle['probes']} runs{who}")
    if idle.get("disturbed_runs"):
        parts.append(f"{'BUSY: ' if not parts else ''}others used up to "
                     f"{100 * idle['others_max']:.0f}% during {idle['disturbed_runs']}/"
                     f"{idle['probes']} runs")
    return "; ".join(parts)


def _cell(stats, digits=3, scale=1.0):
    """``median ±spread%`` of a ``{median, iqr}`` dict, 14 wide; a dash if absent."""
    if not stats:
        return f"{'-':>14}"
    spread = 100 * stats["iqr"] / stats["median"] if stats["median"] else 0.0
    return f"{stats['median'] * scale:>8.{digits}f} ±{spread:3.0f}%"


def gemm_lines(gemm):
    """The GEMM rate the floors are computed at, and every measurement of it."""
    rate, one = gemm["rate"], gemm["one_thread"]
    n = rate["n"]
    runs = ", ".join(f"{r['gflops']:.0f}" for r in gemm["runs"])
    return ["", f"GEMM rate: {rate['gflops']:.0f} GFLOP/s on {rate['threads']} threads, the "
            f"best of {len(gemm['runs'])} measurements over the run ({runs}; each the best of "
            f"{rate['repeats']} float32 {n}x{n}x{n} np.matmul); {one['gflops']:.0f} on 1 thread"]


def end_to_end_lines(rows):
    """The end-to-end table: per workload each contender's s/epoch, the
    ratios to fastmlp, the GEMM floor and fastmlp's fraction of it, and the
    row's idleness; then fastmlp's variants (NumPy backend, sample weights)
    where they ran, the model of each row and any contender's error."""
    first = rows[0]
    names = [n for n in ORDER if n not in (NUMPY, WEIGHTED) and any(n in r for r in rows)]
    others = [n for n in names if n != BASE]
    scaled = (f" (timed on {first['samples']:,} samples, scaled)"
              if first["samples"] != EPOCH_SAMPLES else "")
    lines = ["", f"End to end: s/epoch of {EPOCH_SAMPLES:,} samples, median ± IQR of "
             f"{first['passes']} interleaved passes{scaled}; data: {first['source']}",
             "  x/fm: that contender's time over fastmlp's (above 1: fastmlp is faster); "
             "floor: the epoch's GEMMs at the GEMM rate; %floor: floor / fastmlp's time"]
    head = f"{'workload':<18}" + "".join(f"{SHORT[n]:>14}" for n in names)
    head += "".join(f"{SHORT[n] + '/fm':>12}" for n in others)
    head += f"{'floor s':>9}{'%floor':>8}  idleness"
    lines += [head, "-" * len(head)]
    for r in rows:
        line = f"{r['workload']:<18}" + "".join(_cell(r.get(n)) for n in names)
        line += "".join(_ratio(r.get(ratio_key(n))) for n in others)
        frac = r.get(BASE, {}).get("floor_fraction")
        line += f"{r['floor']['seconds']:>9.3f}"
        line += f"{100 * frac:>7.0f}%" if frac is not None else f"{'-':>8}"
        lines.append(line + "  " + idle_text(r["idle"]))
    lines += _variant_lines(rows)
    for r in rows:
        lines.append(f"  {r['workload']}: {r['model']}")
        for name, why in r.get("errors", {}).items():
            lines.append(f"    {name} left out of this row: {why}")
    return lines


def _ratio(value):
    return f"{value:>11.2f}x" if value is not None else f"{'-':>12}"


def _variant_lines(rows):
    """fastmlp's other ways through the same rows: the NumPy reference
    backend and the epoch with ``sample_weight``, over the compiled one."""
    variants = [n for n in (NUMPY, WEIGHTED) if any(n in r for r in rows)]
    if not variants:
        return []
    head = f"  {'fastmlp variants':<16}" + "".join(f"{SHORT[n]:>14}" for n in variants)
    head += "".join(f"{SHORT[n] + '/fm':>12}" for n in variants)
    lines = [head]
    for r in rows:
        if any(n in r for n in variants):
            lines.append(f"  {r['workload']:<16}" + "".join(_cell(r.get(n)) for n in variants)
                         + "".join(_ratio(r.get(ratio_key(n))) for n in variants))
    return lines


def inference_lines(inf):
    """The latency and throughput tables of the inference section."""
    lat, thr = inf["latency"], inf["throughput"]
    labels = [k for k, v in lat.items() if isinstance(v, dict) and "median" in v]
    bases = [b for b in ("model(x[:1])", "predict(x[:1])") if f"fastmlp {b}" in lat]
    lines = ["", f"Single-sample latency ({inf['model']}): µs per call, median of "
             f"{lat['repeats']:,} calls per round, {lat['rounds']} interleaved rounds; "
             + idle_text(lat["idle"])]
    head = f"{'call':<28}{'µs':>14}" + "".join(f"{'/ ' + b:>20}" for b in bases)
    lines += [head, "-" * len(head)]
    for label in labels:
        line = f"{label:<28}{_cell(lat[label], 1, 1e6)}"
        for b in bases:
            v = lat.get(f"{label} / {b}")
            line += f"{v:>19.2f}x" if v is not None else f"{'':>20}"
        lines.append(line)
    names = [n for n in ORDER if n in thr]
    lines += ["", f"Predict throughput: {thr['images']:,} images in batches of {thr['batch']} "
              f"(Keras's predict default), median ± IQR of {thr['rounds']} interleaved rounds; "
              + idle_text(thr["idle"])]
    head = f"{'contender':<28}{'seconds':>14}{'images/s':>12}{'x/fastmlp':>11}{'%floor':>8}"
    lines += [head, "-" * len(head)]
    for n in names:
        v = thr.get(ratio_key(n))
        lines.append(f"{n:<28}{_cell(thr[n], 4)}{thr[n]['images_per_s']:>12,.0f}"
                     + (f"{v:>10.2f}x" if v is not None else f"{'':>11}")
                     + f"{100 * thr[n]['floor_fraction']:>7.1f}%")
    for where in (inf, lat, thr):
        for name, why in where.get("errors", {}).items():
            lines.append(f"  {name} left out: {why}")
    return lines


def stability_lines(st):
    """The stability section: the summary, then every epoch's time."""
    slow = st["slow"]
    lines = ["", f"Stability: {st['workload']} ({st['model']}), fit epoch after epoch for "
             f"{st['seconds']:g} s: {len(st['epochs'])} epochs of {EPOCH_SAMPLES:,} samples"
             + (f" (timed on {st['samples']:,}, scaled)" if st["samples"] != EPOCH_SAMPLES
                else ""),
             f"  median {st['median']:.3f} s, max {st['max']:.3f} s, max/median "
             f"{st['max_over_median']:.2f}x; epochs above 1.3x the median: {len(slow)}"
             f" ({len(st['slow_idle'])} of them on an idle machine); {idle_text(st['idle'])}",
             "  epoch times (s), in order (* above 1.3x the median, ! on a busy machine):"]
    cells = []
    for i, t in enumerate(st["epochs"]):
        mark = ("*" if i in slow else "") + ("!" if st["idle_each"][i] is False else "")
        cells.append(f"{t:.3f}{mark:<2}")
    for start in range(0, len(cells), 12):
        lines.append("    " + " ".join(cells[start:start + 12]))
    return lines
