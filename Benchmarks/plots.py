#!/usr/bin/env python3
"""Draw the packing-benchmark plots from the CSVs `fenzo-bench compare` writes.

usage: python3 Benchmarks/plots.py [CSV_DIR] [PNG_DIR]
       (defaults: Docs/benchmarks and Docs)

Writes PNG_DIR/benchmarks-churn-hosts.png (hosts used over time per strategy on the
churn workload, with the lower bound) and PNG_DIR/benchmarks-scaling.png (iteration
time against fleet size and against task count). Installs matplotlib with pip if it
is missing.
"""
import csv
import os
import subprocess
import sys


def ensure_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("plots.py: installing matplotlib with pip", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "matplotlib"])
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def read(path):
    if not os.path.exists(path):
        sys.exit(f"plots.py: {path} is missing; run `fenzo-bench compare` first")
    with open(path) as f:
        return list(csv.DictReader(f))


SPREADERS = {"spread", "alignment", "random"}


def churn_plot(plt, rows, out):
    series = {}
    for row in rows:
        series.setdefault(row["strategy"], []).append(
            (float(row["time"]) / 60, int(row["hostsUsed"]), int(row["lowerBound"])))
    if not series:
        return
    fig, axes = plt.subplots(1, 2, figsize=(14, 6), dpi=110)
    styles = ["-", "--", "-.", ":"]
    for ax, title, names in [
        (axes[0], "every strategy", sorted(series)),
        (axes[1], "the packers, closer", sorted(n for n in series if n.split("-")[0] not in SPREADERS)),
    ]:
        bound = None
        for index, name in enumerate(names):
            points = series[name]
            xs = [p[0] for p in points]
            ax.plot(xs, [p[1] for p in points], styles[index % len(styles)], linewidth=1.5, label=name)
            if bound is None:
                bound = (xs, [p[2] for p in points])
        if bound:
            ax.fill_between(bound[0], 0, bound[1], color="0.85", label="lower bound")
        if names and title != "every strategy":
            peak = max(max(p[1] for p in series[n]) for n in names)
            ax.set_ylim(peak * 0.55, peak * 1.08)
        ax.set_xlabel("workload time (minutes)")
        ax.set_ylabel("hosts in use")
        ax.set_title(f"Hosts in use on the churn workload: {title}")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7.5, ncol=2, loc="lower right")
    fig.tight_layout()
    fig.savefig(out)
    print(f"wrote {out}")


def scaling_plot(plt, rows, out):
    fig, axes = plt.subplots(1, 2, figsize=(12, 5), dpi=110)
    for ax, sweep, xkey, label, fixed in [
        (axes[0], "hosts", "hosts", "hosts in the fleet", "tasks"),
        (axes[1], "tasks", "tasks", "tasks in the iteration", "hosts"),
    ]:
        points = [r for r in rows if r["sweep"] == sweep]
        if not points:
            continue
        fixed_value = points[0][fixed]
        for name in sorted({r["strategy"] for r in points}):
            mine = sorted((int(r[xkey]), float(r["seconds"])) for r in points if r["strategy"] == name)
            ax.plot([p[0] for p in mine], [p[1] * 1000 for p in mine], "o-", label=name)
        first = min(int(r[xkey]) for r in points)
        last = max(int(r[xkey]) for r in points)
        base = min(float(r["seconds"]) for r in points if int(r[xkey]) == first) * 1000
        ax.plot([first, last], [base, base * last / first], "k:", label="linear growth from the first point")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(f"{label} (log scale)")
        ax.set_ylabel("iteration time, ms (log scale)")
        ax.set_title(f"Iteration time against {sweep} ({fixed_value} {fixed}, batch shape)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out)
    print(f"wrote {out}")


def main():
    csv_dir = sys.argv[1] if len(sys.argv) > 1 else "Docs/benchmarks"
    png_dir = sys.argv[2] if len(sys.argv) > 2 else "Docs"
    plt = ensure_matplotlib()
    os.makedirs(png_dir, exist_ok=True)
    churn_plot(plt, read(os.path.join(csv_dir, "churn-timeline.csv")),
               os.path.join(png_dir, "benchmarks-churn-hosts.png"))
    scaling_plot(plt, read(os.path.join(csv_dir, "scaling.csv")),
                 os.path.join(png_dir, "benchmarks-scaling.png"))


if __name__ == "__main__":
    main()
