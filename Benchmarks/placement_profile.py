#!/usr/bin/env python3
"""Per-layer cost of the VM's core placement at 2 threads: every layer near and far, for one or more cnnc builds.

Usage (after `Benchmarks/run.py --specs STEM` has prepared Benchmarks/out/STEM/):
    python3 Benchmarks/placement_profile.py STEM --cnnc A/cnnc [--cnnc B/cnnc ...]
                                            [--seconds 300] [--runs 20] [--top 12] [--spec PATH]

Why: this VM's host puts the two vCPUs either on cores that share an L3 ("near", a core-to-core
round trip of 60-130 ns) or on two dies ("far", 300-450 ns), and moves them every few seconds
or minutes (Benchmarks/README.md, "Stop 16, the VM's core placement"). A 2-thread figure is
one or the other, or a mix. To see what a change does in each, the placements have to be
told apart sample by sample.

What it does:
  1. Generates, instruments and builds each cnnc's Model.swift for STEM exactly as
     `ab_profile.py` does (into Benchmarks/out/placement/STEM-0, -1, ...).
  2. For SECONDS, runs the builds in turn at 2 threads, RUNS forwards each (after 5 warm-ups),
     and times a core-to-core round trip (Benchmarks/out/limits/core_latency, built by
     `run.py`) just before and just after every sample.
  3. Counts a sample near when both round trips are at most 130 ns and far when both exceed
     200 ns (a sample during a move is neither), and prints per build the median forward near
     and far, then the layers whose near -> far cost is largest (one build) or whose medians
     differ most between the first and the last build (several), near and far separately.
"""
import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = importlib.util.spec_from_file_location('ab_profile', os.path.join(ROOT, 'Benchmarks', 'ab_profile.py'))
ab = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ab)

NEAR_NS, FAR_NS = 130, 200
round_trip = ab.bench.core_round_trip  # run.py's probe: ns per round trip, None if it failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('stem')
    ap.add_argument('--cnnc', action='append', required=True, help='a cnnc executable (repeat for several builds)')
    ap.add_argument('--seconds', type=float, default=300)
    ap.add_argument('--runs', type=int, default=20)
    ap.add_argument('--top', type=int, default=12)
    ap.add_argument('--spec')
    args = ap.parse_args()
    data = os.path.join(ROOT, 'Benchmarks', 'out', args.stem)
    latency = os.path.join(ROOT, 'Benchmarks', 'out', 'limits', 'core_latency')
    for needed in (os.path.join(data, 'weights.safetensors'), os.path.join(data, 'input.bin'), latency):
        if not os.path.exists(needed):
            raise SystemExit(f'{needed} is missing: run `python3 Benchmarks/run.py --specs {args.stem}` first')
    spec_path = args.spec or os.path.join(ROOT, 'Specs', f'{args.stem}.cnn')
    cpu = ab.bench.detect_target_cpu()
    outdir = os.path.join(ROOT, 'Benchmarks', 'out', 'placement', args.stem)
    builds = [ab.build(str(i), cnnc, spec_path, cpu, outdir) for i, cnnc in enumerate(args.cnnc)]
    names = builds[0][1]
    samples = [[] for _ in builds]
    end = time.time() + args.seconds
    while time.time() < end:
        for i, (exe, _) in enumerate(builds):
            before = round_trip(latency)
            out = subprocess.run([exe, os.path.join(data, 'weights.safetensors'), os.path.join(data, 'input.bin'),
                                  str(args.runs), '2'], capture_output=True, text=True, check=True).stdout
            after = round_trip(latency)
            samples[i].append((before, after, json.loads(out.strip().split('\n')[-1])))

    def placed(i, kind):
        known = [(a, b, r) for a, b, r in samples[i] if a is not None and b is not None]
        if kind == 'near':
            return [r for a, b, r in known if a <= NEAR_NS and b <= NEAR_NS]
        return [r for a, b, r in known if a > FAR_NS and b > FAR_NS]

    def median_ms(rows, step=None):
        values = [r['total_ns'] if step is None else r['steps_ns'][step] for r in rows]
        return statistics.median(values) / 1e6

    print(f'{args.stem}, 2 threads, {args.seconds:.0f} s, -target-cpu {cpu}; near: round trips <= {NEAR_NS} ns '
          f'before and after, far: > {FAR_NS} ns')
    for i, cnnc in enumerate(args.cnnc):
        near, far = placed(i, 'near'), placed(i, 'far')
        line = f'  build {i} ({cnnc}): {len(samples[i])} samples, {len(near)} near, {len(far)} far'
        if near:
            line += f'; median forward near {median_ms(near):.3f} ms'
        if far:
            line += f', far {median_ms(far):.3f} ms'
        print(line)
    if len(builds) == 1:
        near, far = placed(0, 'near'), placed(0, 'far')
        if not (near and far):
            print('  not both placements sampled: run longer')
            return
        rows = sorted(((median_ms(far, s) - median_ms(near, s), s) for s in range(len(names))), reverse=True)
        print('  layers by far - near (ms): near, far, far - near')
        for delta, s in rows[:args.top]:
            print(f'    {median_ms(near, s):8.3f} {median_ms(far, s):8.3f} {delta:+8.3f}  {names[s]}')
        return
    last = len(builds) - 1
    for kind in ('near', 'far'):
        groups = [placed(i, kind) for i in range(len(builds))]
        if not all(groups):
            print(f'  {kind}: not every build sampled')
            continue
        print(f'  {kind}: medians per build (ms), then last - first')
        rows = sorted(((median_ms(groups[last], s) - median_ms(groups[0], s), s) for s in range(len(names))),
                      key=lambda r: -abs(r[0]))
        for delta, s in rows[:args.top]:
            values = ' '.join(f'{median_ms(g, s):8.3f}' for g in groups)
            print(f'    {values} {delta:+8.3f}  {names[s]}')


if __name__ == '__main__':
    main()
