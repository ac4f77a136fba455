#!/usr/bin/env python3
"""Reads `swift package benchmark baseline check` output (stdin) and decides what regressed.

- Allocations: any rise in `Malloc (total)` is a regression (counts do not depend on the machine).
- Throughput: the ratio current / baseline of each benchmark's best iteration (p0: interference
  from a shared machine only ever slows an iteration down, so the best is the stable figure),
  divided by the calibration loop's ratio (the machine's own drift between the runs); below
  0.90 is a regression.
Prints a summary; exits 1 on a regression, else 0.
"""
import re
import sys

text = sys.stdin.read()
sys.stdout.write(text)
blocks = re.split(r"Threshold deviations for [^:\n]+:", text)[1:]
allocations, throughput = [], {}
for block in blocks:
    name = block.split("\n", 1)[0].strip()
    tables = re.split(r"\n(?=╒)", block)
    for table in tables:
        head = re.search(r"│ ([^│]+?)\s*│\s*\S+\s*│\s*Current_run", table)
        if not head:
            continue
        metric = head.group(1)
        row = re.search(r"│ p\d+\s*│\s*(-?\d+)\s*│\s*(-?\d+)\s*│", table)
        if metric.startswith("Malloc"):
            allocations.append(name)
        elif metric.startswith("Throughput") and row:
            base, current = int(row.group(1)), int(row.group(2))
            if base > 0:
                throughput[name] = current / base

drift = throughput.pop("calibration", 1.0)
print("\n== scripts/bench --compare")
print(f"machine drift (calibration loop, current / baseline): {drift:.2f}")
regressed = []
for name, ratio in sorted(throughput.items()):
    corrected = ratio / drift
    verdict = "REGRESSION" if corrected < 0.90 else "ok (drift)" if ratio < 0.90 else "ok"
    print(f"  throughput {name}: {ratio:.2f} raw, {corrected:.2f} against the calibration — {verdict}")
    if corrected < 0.90:
        regressed.append(name)
for name in sorted(set(allocations)):
    print(f"  allocations {name}: more heap allocations per operation — REGRESSION")
if regressed or allocations:
    print(f"regressions: {len(set(allocations))} in allocations, {len(regressed)} in throughput")
    sys.exit(1)
print("no regression")
