#!/usr/bin/env python3
"""Compares micro-benchmark runs exported by ordo-one/benchmark as JMH JSON:
`bench-compare.py [--suspects FILE] BASELINE.jmh.json CURRENT.jmh.json [MORE_CURRENT.jmh.json …]`.
Exits 1 on a regression.

- Allocations: a higher `Malloc (total)` p50 per operation than the baseline is a regression
  (counts do not depend on the machine; fewer is an improvement, reported).
- Throughput: each benchmark's p90 throughput (its fast side: interference from a shared machine
  only slows iterations down) as a ratio current / baseline, divided by the calibration loop's
  ratio in the same run (the machine's drift); below 0.90 is a regression. A neighbour can still
  slow one benchmark's whole second down, so several current runs may be given (re-runs of the
  suspects, each with the calibration loop): the best ratio counts. `--suspects FILE` writes a
  regex of the benchmarks still below 0.90, for such a re-run.
"""
import json
import re
import sys

THRESHOLD = 0.90


def load(path):
    out = {}
    for element in json.load(open(path)):
        name = element["benchmark"].split(".", 3)[-1].replace("_", " ")
        fast = element["primaryMetric"]["scorePercentiles"]["90.0"]
        malloc = element.get("secondaryMetrics", {}).get("Malloc (total)", {}).get("scorePercentiles", {}).get("50.0")
        out[name] = (fast, malloc)
    return out


args = sys.argv[1:]
suspects_file = None
if args[:1] == ["--suspects"]:
    suspects_file, args = args[1], args[2:]
if len(args) < 2:
    sys.exit("usage: bench-compare.py [--suspects FILE] BASELINE.jmh.json CURRENT.jmh.json [MORE.jmh.json …]")
base, runs = load(args[0]), [load(p) for p in args[1:]]
if "calibration" not in base or any("calibration" not in r for r in runs):
    sys.exit("bench-compare: every run needs the calibration benchmark")
drifts = [r["calibration"][0] / base["calibration"][0] for r in runs]
print("machine drift (calibration loop, p90 current / baseline): " + ", ".join(f"{d:.2f}" for d in drifts))
print(f"{'benchmark':50} {'throughput':>10} {'corrected':>10} {'mallocs / 1000 ops':>20}  verdict")
regressions, suspects = 0, []
for name in sorted(set(base) - {"calibration"}):
    tries = [(r[name][0] / base[name][0], r[name][0] / base[name][0] / d, r[name][1]) for r, d in zip(runs, drifts) if name in r]
    if not tries:
        print(f"{name:50} not in this run")
        continue
    ratio, corrected, c_malloc = max(tries, key=lambda t: t[1])
    b_malloc = base[name][1]
    verdicts = []
    if corrected < THRESHOLD:
        verdicts.append("slower: REGRESSION")
        suspects.append(name)
    if b_malloc is not None and c_malloc is not None and c_malloc > b_malloc:
        verdicts.append("more allocations: REGRESSION")
    elif b_malloc is not None and c_malloc is not None and c_malloc < b_malloc:
        verdicts.append("fewer allocations")
    regressions += any("REGRESSION" in v for v in verdicts)
    mallocs = f"{b_malloc:g} → {c_malloc:g}" if b_malloc is not None and c_malloc is not None else "—"
    print(f"{name:50} {ratio:10.2f} {corrected:10.2f} {mallocs:>20}  {', '.join(verdicts) or 'ok'}")
for name in sorted(set(runs[0]) - set(base)):
    print(f"{name:50} new: not in the baseline")
if suspects_file:
    with open(suspects_file, "w") as f:
        escape = lambda n: re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", n)  # metacharacters only
        f.write("^(" + "|".join(escape(n) for n in ["calibration"] + suspects) + ")$" if suspects else "")
if regressions:
    print(f"{regressions} benchmark(s) regressed")
    sys.exit(1)
print("no regression")
