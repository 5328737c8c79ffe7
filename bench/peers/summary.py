#!/usr/bin/env python3
"""Reads the lines bench/peers/run.sh collected (stdin) and prints, per figure, each contender's
min/median/max over the runs and Conveyor's ratio to each peer (of the medians).
With --run N: only run N's figures and ratios (one value each)."""
import re
import statistics
import sys

# (name, line prefix, field, unit, higher is better)
FIGURES = [
    ("W1 processed", "W1 throughput", "processed", "/s", True),
    ("enqueue single", "W1 throughput", "enqueue_single", "/s", True),
    ("enqueue single p50", "W1 throughput", "p50", "ms", False),
    ("enqueue batch", "W1 throughput", "enqueue_batch", "/s", True),
    ("W2 p50", "W2 ", "p50", "ms", False),
    ("W2 p99", "W2 ", "p99", "ms", False),
    ("W3 processed", "W3 ", "processed", "/s", True),
    ("Redis CPU per task", "Redis cost", "cpu_us_per_task", "us", False),
    ("Redis calls per task", "Redis cost", "calls_per_task", "", False),
    ("Redis bytes per pending task", "Redis cost", "bytes_per_pending_task", "B", False),
]
CONTENDERS = ["conveyor", "bullmq", "bee-queue"]


def parse(lines, only_run):
    values = {}  # (contender, figure) -> [values]
    run = who = None
    for line in lines:
        m = re.match(r"run (\d+) (\S+) load", line)
        if m:
            run, who = int(m.group(1)), m.group(2)
            continue
        if who is None or (only_run is not None and run != only_run):
            continue
        for name, prefix, field, _, _ in FIGURES:
            if line.startswith(prefix):
                f = re.search(r"\b" + field + r"=([0-9.]+)", line)
                if f:
                    values.setdefault((who, name), []).append(float(f.group(1)))
    return values


def main():
    only_run = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[1] == "--run" else None
    values = parse(sys.stdin.read().splitlines(), only_run)
    title = f"run {only_run}" if only_run else "all runs: min / median / max"
    print(f"== {title} ==")
    header = f"{'figure':30}" + "".join(f"{c:>26}" for c in CONTENDERS) + "   conveyor/bullmq  conveyor/bee-queue"
    print(header)
    for name, _, _, unit, higher in FIGURES:
        cells, medians = [], {}
        for c in CONTENDERS:
            v = values.get((c, name), [])
            if not v:
                cells.append(f"{'n/a':>26}")
                continue
            medians[c] = statistics.median(v)
            fmt = (lambda x: f"{x:.3f}") if unit == "ms" or unit == "" else (lambda x: f"{x:.1f}" if x < 100 else f"{x:.0f}")
            cell = fmt(medians[c]) if only_run else f"{fmt(min(v))}/{fmt(medians[c])}/{fmt(max(v))}"
            cells.append(f"{cell:>26}")
        ratios = []
        for peer in ("bullmq", "bee-queue"):
            if "conveyor" in medians and medians.get(peer):
                ratios.append(f"{medians['conveyor'] / medians[peer]:>16.2f}x")
            else:
                ratios.append(f"{'n/a':>17}")
        better = "higher is better" if higher else "lower is better"
        print(f"{name + ' (' + unit + ')' if unit else name:30}" + "".join(cells) + "".join(ratios) + f"   ({better})")


if __name__ == "__main__":
    main()
