#!/usr/bin/env python3
"""Interleaved A/B of two cnnc builds on one network: whole forwards and every layer.

Usage (after `Benchmarks/run.py --specs STEM` has prepared Benchmarks/out/STEM/):
    python3 Benchmarks/ab_profile.py STEM --a OLD/cnnc --b NEW/cnnc [--rounds 6] [--runs 20]
                                      [--threads 1] [--top 25] [--spec PATH] [--rebuild ab]

Why: on a shared VM whole forwards drift by 10-40 % within minutes, so two builds measured one
after the other (or in two `run.py` invocations) differ by more than most kernel changes do.
This runs them alternately (A B, B A, A B, ...) in the same minutes and compares minima.

What it does:
  1. Generates each build's Model.swift for STEM (`Specs/STEM.cnn`, or `--spec`) for the host's
     -target-cpu into Benchmarks/out/ab/STEM-A and -B, instruments every layer call exactly as
     `layer_profile.py` does (DispatchTime around each call), and builds each with swiftc -O.
  2. Runs the two binaries alternately for ROUNDS rounds of RUNS forwards (after 5 warm-ups),
     with Benchmarks/out/STEM/input.bin and weights.safetensors.
  3. Prints the median and minimum forward time of each, every round's time, and the layers
     whose minima differ most (A ms, B ms, B - A). Read single layers against the spread of
     layers neither build changed: that is the noise of the hour.
The figures in Benchmarks/README.md's stop entries marked "interleaved" were made this way.
"""
import argparse
import importlib.util
import json
import os
import re
import statistics
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = importlib.util.spec_from_file_location('layer_profile', os.path.join(ROOT, 'Benchmarks', 'layer_profile.py'))
profile = importlib.util.module_from_spec(spec)
spec.loader.exec_module(profile)
bench = profile.bench


def build(variant, cnnc, spec_path, cpu, outdir):
    """Generates, instruments and compiles one variant; returns (executable, layer names)."""
    d = os.path.join(outdir, variant)
    os.makedirs(d, exist_ok=True)
    model = os.path.join(d, 'Model.swift')
    subprocess.run([cnnc, spec_path, '-o', model, '--target-cpu', cpu], check=True, capture_output=True)
    names, timed = profile.instrument(model)
    text = open(model).read()
    model_type = bench.model_type(model)
    constant = re.search(r'public (convenience )?init\(\)', text) is not None
    make = 'model = @MODEL@()' if constant else 'model = try! @MODEL@(weightsPath: args[1])'
    main = profile.TIMED_MAIN.replace('@MAKE@', make).replace('@MODEL@', model_type)
    open(os.path.join(d, 'ProfileMain.swift'), 'w').write(main.replace('@COUNT@', str(len(names))))
    open(model, 'w').write(timed)
    subprocess.run(['swiftc', '-O', '-target-cpu', cpu, '-D', 'CNNC_FMA', '-parse-as-library',
                    'Model.swift', 'ProfileMain.swift', '-o', 'profile'], check=True, cwd=d)
    json.dump(names, open(os.path.join(d, 'names.json'), 'w'))
    return os.path.join(d, 'profile'), names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('stem')
    ap.add_argument('--a', required=True, help='cnnc executable A (the baseline)')
    ap.add_argument('--b', required=True, help='cnnc executable B')
    ap.add_argument('--spec', help='spec file (default Specs/STEM.cnn)')
    ap.add_argument('--rounds', type=int, default=6)
    ap.add_argument('--runs', type=int, default=20)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--top', type=int, default=25)
    args = ap.parse_args()

    data = os.path.join(ROOT, 'Benchmarks', 'out', args.stem)
    spec_path = args.spec or os.path.join(ROOT, 'Specs', args.stem + '.cnn')
    cpu = bench.detect_target_cpu()
    outdir = os.path.join(ROOT, 'Benchmarks', 'out', 'ab', args.stem)
    executables, names = {}, {}
    for variant, cnnc in (('A', args.a), ('B', args.b)):
        executables[variant], names[variant] = build(variant, cnnc, spec_path, cpu, outdir)
    weights = os.path.join(data, 'weights.safetensors')
    weights = weights if os.path.exists(weights) else '-'
    results = {'A': [], 'B': []}
    for r in range(args.rounds):
        for variant in ('A', 'B') if r % 2 == 0 else ('B', 'A'):
            out = subprocess.run([executables[variant], weights, os.path.join(data, 'input.bin'),
                                  str(args.runs), str(args.threads)],
                                 check=True, capture_output=True, text=True).stdout
            results[variant].append(json.loads(out.strip().split('\n')[-1]))
    median = {v: statistics.median(x['total_ns'] for x in results[v]) / 1e6 for v in results}
    least = {v: min(x['total_ns'] for x in results[v]) / 1e6 for v in results}
    print(f'{args.stem} {args.threads}T, {args.rounds} rounds x {args.runs} runs, -target-cpu {cpu}')
    print(f'  median forward: A {median["A"]:.3f} ms  B {median["B"]:.3f} ms  B/A {median["B"] / median["A"]:.3f}')
    print(f'  min forward:    A {least["A"]:.3f} ms  B {least["B"]:.3f} ms  B/A {least["B"] / least["A"]:.3f}')
    for variant in ('A', 'B'):
        print(f'  {variant} rounds:', ' '.join(f'{x["total_ns"] / 1e6:.2f}' for x in results[variant]))
    if names['A'] != names['B']:
        print('  (the builds name different steps: no per-layer comparison)')
        return
    rows = []
    for i, name in enumerate(names['A']):
        a = min(x['steps_ns'][i] for x in results['A']) / 1e6
        b = min(x['steps_ns'][i] for x in results['B']) / 1e6
        rows.append((a, b, name))
    rows.sort(key=lambda t: -abs(t[1] - t[0]))
    print('  per layer, minima over the rounds (ms): A, B, B - A')
    for a, b, name in rows[:args.top]:
        print(f'  {a:8.3f} {b:8.3f} {b - a:+8.3f}  {name}')


if __name__ == '__main__':
    main()
