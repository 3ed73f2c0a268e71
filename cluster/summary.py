"""summary.md and the figure of a multi-host run (``cluster.multihost``'s results.json).

    python -m cluster.summary measurements/multihost    # again, from results.json

Tables: where the ranks ran; ping-pong one-way time (us) and bandwidth (GB/s)
per setting, pickle vs buffer with their ratio; across hosts against one host;
the interface byte counters against the ping-pong payload; both kernels'
times (ms).  Every number is read from results.json.
"""

import json
import sys
from pathlib import Path

from .figure import pingpong_figure
from .figure import size_label as _size

SHOWN_SIZES = (8, 4096, 65536, 2**20, 2**26)


def layout_text(layout, hosts):
    """'pbnode1: ranks 0, 1' style text of a job's layout (host from the rank's address)."""
    by_address = {h["address"]: h["name"] for h in hosts}
    where = {}
    for rank, ident in enumerate(layout):
        name = "?"
        if ident is not None:
            name = next((by_address[a] for a in ident["addresses"] if a in by_address), None)
            name = name or ident["host"]
        where.setdefault(name, []).append(str(rank))
    return "; ".join(
        f"{h}: rank{'s' if len(r) > 1 else ''} {', '.join(r)}" for h, r in where.items()
    )


def _rows(setting):
    return {(r["bytes"], r["transport"]): r for r in setting["pingpong"]["rows"]}


def _us(row):
    """'median (fastest)' one-way time of a ping-pong row, in us."""
    return f"{row['one_way_s'] * 1e6:.1f} ({min(row['samples_s']) * 1e6:.1f})"


def _ratio(a, b):
    """'median ratio (fastest ratio)' of the one-way times of rows a / b."""
    fastest = min(a["samples_s"]) / min(b["samples_s"])
    return f"{a['one_way_s'] / b['one_way_s']:.1f} ({fastest:.1f})"


def pingpong_table(results):
    lines = ["| setting | size | pickle (us) | buffer (us) | pickle / buffer | pickle GB/s"]
    lines[0] += " | buffer GB/s |"
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for s in results["settings"]:
        rows = _rows(s)
        for n in SHOWN_SIZES:
            if (n, "pickle") not in rows:
                continue
            p, b = rows[(n, "pickle")], rows[(n, "buffer")]
            lines.append(
                f"| {s['name']} | {_size(n)} | {_us(p)} | {_us(b)} | {_ratio(p, b)}"
                f" | {p['bandwidth_GBps']:.3f} | {b['bandwidth_GBps']:.3f} |"
            )
    return lines


def across_table(results, local="one-host-sm", remote="two-hosts-tcp"):
    by_name = {s["name"]: _rows(s) for s in results["settings"]}
    if local not in by_name or remote not in by_name:
        return []
    lines = [f"| transport | size | {local} (us) | {remote} (us) | {remote} / {local} |"]
    lines.append("|---|---:|---:|---:|---:|")
    for transport in ("buffer", "pickle"):
        for n in SHOWN_SIZES:
            a, b = by_name[local].get((n, transport)), by_name[remote].get((n, transport))
            if a and b:
                lines.append(f"| {transport} | {_size(n)} | {_us(a)} | {_us(b)} | {_ratio(b, a)} |")
    return lines


def veth_table(results):
    names = [h["name"] for h in results["hosts"]]
    head = " | ".join(f"{h} received / sent" for h in names)
    lines = [
        f"| setting | job | {head} | ping-pong payload each way |",
        "|---|---|" + "---:|" * (len(names) + 1),
    ]
    for s in results["settings"]:
        payload = sum(r["bytes"] * r["round_trips"] for r in s["pingpong"]["rows"])
        for job in ("pingpong", "kernels"):
            counts = s[f"{job}_job"]["veth_bytes"]
            cells = " | ".join(f"{counts[h][0]:,} / {counts[h][1]:,}" for h in names)
            extra = f"{payload:,}" if job == "pingpong" else ""
            lines.append(f"| {s['name']} | {job} | {cells} | {extra} |")
    return lines


def kernels_table(results):
    lines = ["| setting | kernel | N | resident (ms) | end-to-end (ms) | numpy, 1 thread (ms) |"]
    lines[0] += " fastest sample: resident / end-to-end / numpy (ms) |"
    lines.append("|---|---|---:|---:|---:|---:|---:|")
    for s in results["settings"]:
        cases = {}
        for r in s["kernels"]["rows"]:
            case = cases.setdefault((r["kernel"], r["n"]), {})
            case[r["mode"]] = (r["seconds"] * 1e3, min(r["samples_s"]) * 1e3)
        for (kernel, n), t in cases.items():
            modes = ("resident", "end_to_end", "serial_numpy")
            medians = " | ".join(f"{t[m][0]:.3f}" for m in modes)
            fastest = " / ".join(f"{t[m][1]:.3f}" for m in modes)
            lines.append(f"| {s['name']} | {kernel} | {n} | {medians} | {fastest} |")
    return lines


def write_summary(results, out_dir):
    """Write summary.md and pingpong.png/.svg into ``out_dir``; return summary.md's path."""
    out_dir = Path(out_dir)
    m = results["machine"]
    text = [f"# Multi-host run, {m['date']}", "", f"Commit {m['commit']}, {m['platform']},"]
    load = ", ".join(f"{v:.2f}" for v in m.get("load_average_at_start", ()))
    text += [f"{m['cpus']} CPUs shared by every host (load average at start: {load});"]
    text += [f"whole run {results['wall_s']:.0f} s.", ""]
    text += ["| setting | UCX_TLS | ping-pong ranks | kernel ranks | kernels job (s) |"]
    text += ["|---|---|---|---|---:|"]
    for s in results["settings"]:
        ucx = s["env"].get("UCX_TLS", "(UCX default)")
        pp = layout_text(s["pingpong"]["layout"], results["hosts"])
        k = layout_text(s["kernels"]["layout"], results["hosts"])
        text.append(f"| {s['name']} | {ucx} | {pp} | {k} | {s['kernels_job']['wall_s']:.1f} |")
    text += ["", "## Ping-pong (one-way time; bandwidth = size / one-way time)", ""]
    text += ["Times: median of the samples (fastest sample); GB/s from the median.", ""]
    text += pingpong_table(results) + ["", "## Across hosts against one host", ""]
    text += across_table(results) + [
        "",
        "## Bytes on each host's interface (pbc0) during each job",
        "",
    ]
    text += veth_table(results) + ["", "## Kernels (median seconds per call, as ms)", ""]
    text += kernels_table(results) + [""]
    path = out_dir / "summary.md"
    path.write_text("\n".join(text))
    series = [(s["name"], s["pingpong"]["rows"]) for s in results["settings"]]
    pingpong_figure(series, out_dir / "pingpong", f"MPI ping-pong, {m['date']}")
    return path


if __name__ == "__main__":
    d = Path(sys.argv[1] if len(sys.argv) > 1 else "measurements/multihost")
    print(write_summary(json.loads((d / "results.json").read_text()), d))
