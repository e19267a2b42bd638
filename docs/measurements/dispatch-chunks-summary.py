#!/usr/bin/env python3
"""Summarises alternating A/B runs of dispatch-chunks-ab.json.

Usage: dispatch-chunks-summary.py DIR   (DIR holds main-K.json and new-K.json)

Prints, per cell, the ratio new/main of the median time per run of each
pair of runs (runs K of both sides were made one after the other), the
median of those ratios and their range, also divided by the same ratio of
static (whose code did not change: a control for the machine's drift
between the two runs of a pair); then, within each run of each side,
every policy's empty-dispatch time per call against the best policy's and
static's against OpenMP static's (medians over the runs of that side).
"""
import glob
import json
import os
import statistics
import sys


def cells(path):
    d = json.load(open(path))
    return {(c["workload"], c["executor"]): c["time_ns_per_run"]["median"]
            for c in d["cells"] if c.get("time_ns_per_run")}


def main(root):
    pairs = []
    for k in range(1, 100):
        a, b = (os.path.join(root, f"{s}-{k}.json") for s in ("main", "new"))
        if os.path.exists(a) and os.path.exists(b):
            pairs.append((cells(a), cells(b)))
    if not pairs:
        sys.exit("no main-K.json/new-K.json pairs in " + root)
    print(f"{len(pairs)} pairs; ratio new/main of the median time per run")
    print(f"{'workload':14} {'executor':11} {'median':>7} {'min':>7} {'max':>7}"
          f" {'/static':>8} {'min':>7} {'max':>7}")
    for key in pairs[0][0]:
        rs = [b[key] / a[key] for a, b in pairs if key in a and key in b]
        ctl = (key[0], "static")
        ns = [b[key] / a[key] / (b[ctl] / a[ctl]) for a, b in pairs
              if key in a and key in b and ctl in a and ctl in b]
        print(f"{key[0]:14} {key[1]:11} {statistics.median(rs):7.3f} {min(rs):7.3f} "
              f"{max(rs):7.3f} {statistics.median(ns):8.3f} {min(ns):7.3f} {max(ns):7.3f}")
    policies = ("static", "dynamic", "stealing", "fifo", "priority", "roundrobin")
    for side, idx in (("main", 0), ("new", 1)):
        print(f"\n{side}: per call (ns) and x best policy, medians over {len(pairs)} runs")
        for wl in ("empty-T", "empty-1000"):
            calls = 1000 if wl == "empty-T" else 500
            per = {p: [] for p in policies}
            rel = {p: [] for p in policies}
            omp = []
            for pr in pairs:
                c = pr[idx]
                if not any((wl, p) in c for p in policies):
                    continue
                best = min(c[(wl, p)] for p in policies if (wl, p) in c)
                for p in policies:
                    if (wl, p) in c:
                        per[p].append(c[(wl, p)] / calls)
                        rel[p].append(c[(wl, p)] / best)
                if (wl, "omp-static") in c:
                    omp.append(c[(wl, "static")] / c[(wl, "omp-static")])
            row = ", ".join(f"{p} {statistics.median(per[p]):.0f} ns "
                            f"({statistics.median(rel[p]):.2f}x, max {max(rel[p]):.2f})"
                            for p in policies if per[p])
            print(f"  {wl}: {row}")
            if omp:
                print(f"  {wl}: static / omp-static: median {statistics.median(omp):.3f}, "
                      f"max {max(omp):.3f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
