#!/usr/bin/env python3
"""Plot fleet size against demand from autoscale-sim timelines.

usage: plot.py OUT.png TIMELINE.csv[:LABEL] [TIMELINE.csv[:LABEL] ...]

Each timeline gets one panel: hosts paid for (booting included), hosts running
tasks, and the lower bound of the demand (running and waiting tasks), over time;
waiting tasks on a second axis. Needs matplotlib (pip install matplotlib).
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return {
        "t": [float(r["t_s"]) / 3600 for r in rows],
        "fleet": [int(r["fleet"]) for r in rows],
        "busy": [int(r["busy"]) for r in rows],
        "lower": [int(r["lower_bound"]) for r in rows],
        "waiting": [int(r["waiting"]) for r in rows],
        "forecast": [int(r["forecast"]) if r["forecast"] else None for r in rows],
    }


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, specs = sys.argv[1], sys.argv[2:]
    fig, axes = plt.subplots(len(specs), 1, figsize=(11, 3.6 * len(specs)), squeeze=False)
    for ax, spec in zip(axes[:, 0], specs):
        path, _, label = spec.partition(":")
        d = read(path)
        ax.plot(d["t"], d["fleet"], label="fleet (hosts paid for)", color="tab:blue", linewidth=1.2)
        ax.plot(d["t"], d["busy"], label="hosts running tasks", color="tab:green", linewidth=0.9)
        ax.plot(d["t"], d["lower"], label="lower bound of demand", color="black", linewidth=0.9, linestyle="--")
        if any(v is not None for v in d["forecast"]):
            ax.plot(d["t"], [v if v is not None else float("nan") for v in d["forecast"]],
                    label="forecast busy hosts (next period)", color="tab:purple", linewidth=0.8)
        ax.set_ylabel("hosts")
        ax.set_title(label or path)
        ax.grid(alpha=0.3)
        twin = ax.twinx()
        twin.fill_between(d["t"], d["waiting"], color="tab:red", alpha=0.25, step="post", label="waiting tasks")
        twin.set_ylabel("waiting tasks", color="tab:red")
        lines, labels = ax.get_legend_handles_labels()
        more, more_labels = twin.get_legend_handles_labels()
        ax.legend(lines + more, labels + more_labels, loc="upper left", fontsize=8)
    axes[-1, 0].set_xlabel("time (hours)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main()
