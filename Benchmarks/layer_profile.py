#!/usr/bin/env python3
"""Per-layer profile of one cnnc-generated network, next to onnxruntime's per-node profile.

Usage (after `Benchmarks/run.py --specs STEM` has prepared Benchmarks/out/STEM/):
    python3 Benchmarks/layer_profile.py STEM [--threads 1] [--runs 30] [--cnnc PATH] [--top 25]

What it does:
  1. Regenerates Model.swift with the given cnnc (default .build-bench/release/cnnc) into
     Benchmarks/out/STEM/profile/, and rewrites `forward(input:outputs:)` so that every layer call
     is timed (DispatchTime around each call, summed over the runs). Nothing else changes, so the
     figures are the layers' own cost plus ~30 ns of timer per layer.
  2. Builds it with the same driver and flags as run.py, runs RUNS forwards after 5 warm-ups, and
     prints each step: milliseconds per forward, MACs (from `cnnc report --format json`), GFLOP/s,
     and share of the total.
  3. Runs onnxruntime with profiling on the same ONNX model and prints its time per operator type
     and its heaviest nodes, so a layer kind that is slower than onnxruntime's stands out.
Needs the Python packages of run.py (numpy, onnxruntime).
"""
import argparse
import collections
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = importlib.util.spec_from_file_location('bench_run', os.path.join(ROOT, 'Benchmarks', 'run.py'))
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

TIMED_MAIN = r'''
import Foundation

@main
struct Profile {
  static func main() {
    let args = CommandLine.arguments
    let runs = Int(args[3])!, threads = Int(args[4])!
    let data = FileManager.default.contents(atPath: args[2])!
    let input: [Float] = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    let model: @MODEL@
    @MAKE@
    model.threads = threads
    let outputs = @MODEL@.outputCounts.map { UnsafeMutablePointer<Float>.allocate(capacity: $0) }
    let t = cnncProfileTimes
    input.withUnsafeBufferPointer { x in
      for _ in 0..<5 { model.forward(input: x.baseAddress!, outputs: outputs) }
      t.update(repeating: 0, count: @COUNT@)
      let start = DispatchTime.now().uptimeNanoseconds
      for _ in 0..<runs { model.forward(input: x.baseAddress!, outputs: outputs) }
      let total = DispatchTime.now().uptimeNanoseconds - start
      var line = "{\"total_ns\": \(total / UInt64(runs)), \"steps_ns\": ["
      line += (0..<@COUNT@).map { String(t[$0] / UInt64(runs)) }.joined(separator: ", ")
      print(line + "]}")
    }
  }
}
'''


def instrument(model_swift):
    """The forward body's layer calls, each wrapped in a timer; returns (names, timed body)."""
    text = open(model_swift).read()
    m = re.search(r'(public func forward\(input: UnsafePointer<Float>, outputs: \[UnsafeMutablePointer<Float>\]\) \{\n)(.*?)(\n  \}\n)', text, re.S)
    if not m:
        sys.exit('layer_profile.py: no forward(input:outputs:) in the generated file')
    names, body = [], []
    for line in m.group(2).split('\n'):
        call = re.match(r'^    (\w+)\((.*)\)$', line)
        if call and not line.strip().startswith('precondition'):
            i = len(names)
            names.append(call.group(1))
            body.append(f'    do {{ let s = DispatchTime.now().uptimeNanoseconds; {line.strip()}; '
                        f'cnncProfileTimes[{i}] &+= DispatchTime.now().uptimeNanoseconds &- s }}')
        else:
            body.append(line)
    timed = text[:m.start(2)] + '\n'.join(body) + text[m.end(2):]
    timed += ('\n/// Nanoseconds per step, summed over calls (Benchmarks/layer_profile.py).\n'
              f'nonisolated(unsafe) let cnncProfileTimes = UnsafeMutablePointer<UInt64>.allocate(capacity: {len(names)})\n')
    return names, timed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('stem')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--runs', type=int, default=30)
    ap.add_argument('--cnnc', default=os.path.join(ROOT, '.build-bench', 'release', 'cnnc'))
    ap.add_argument('--target-cpu', default=None)
    ap.add_argument('--top', type=int, default=25)
    ap.add_argument('--no-ort', action='store_true')
    args = ap.parse_args()

    d = os.path.join(ROOT, 'Benchmarks', 'out', args.stem)
    if not os.path.exists(os.path.join(d, 'input.bin')):
        sys.exit(f'layer_profile.py: run `python3 Benchmarks/run.py --specs {args.stem}` first '
                 f'(it writes the weights, input and ONNX model into {d})')
    cpu = args.target_cpu or bench.detect_target_cpu()
    spec_path = os.path.join(ROOT, 'Specs', args.stem + '.cnn')
    p = os.path.join(d, 'profile')
    os.makedirs(p, exist_ok=True)
    model = os.path.join(p, 'Model.swift')
    subprocess.run([args.cnnc, spec_path, '-o', model, '--target-cpu', cpu], check=True)
    report = json.loads(subprocess.run([args.cnnc, 'report', spec_path, '--format', 'json'],
                                       check=True, capture_output=True, text=True).stdout)
    # Step functions are the report's layer names with every non-identifier character as `_`.
    layers = {re.sub(r'\W', '_', l['name']): l for l in report.get('layers', [])}

    text = open(model).read()
    names, timed = instrument(model)
    mtype = bench.model_type(model)
    constant = re.search(r'public (convenience )?init\(\)', text) is not None
    make = ('model = @MODEL@()' if constant else
            'model = try! @MODEL@(weightsPath: args[1])')
    main_src = (TIMED_MAIN.replace('@MAKE@', make)
                .replace('@MODEL@', mtype).replace('@COUNT@', str(len(names))))
    open(os.path.join(p, 'ProfileMain.swift'), 'w').write(main_src)
    open(model, 'w').write(timed)
    subprocess.run(['swiftc', '-O', '-target-cpu', cpu, '-D', 'CNNC_FMA', '-parse-as-library', 'Model.swift',
                    'ProfileMain.swift', '-o', 'profile'], check=True, cwd=p)
    weights = os.path.join(d, 'weights.safetensors')
    out = subprocess.run([os.path.join(p, 'profile'), weights if os.path.exists(weights) else '-',
                          os.path.join(d, 'input.bin'), str(args.runs), str(args.threads)],
                         check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().split('\n')[-1])
    total = r['total_ns'] / 1e6
    steps = r['steps_ns']
    print(f'cnnc {args.stem}, {args.threads} thread(s), -target-cpu {cpu}: {total:.3f} ms per forward '
          f'(sum of steps {sum(steps) / 1e6:.3f} ms)')
    by_kind = collections.defaultdict(float)
    rows = []
    for name, ns in zip(names, steps):
        layer = layers.get(name, {})
        macs = layer.get('macs', 0) or 0
        kind = layer.get('kind', '?')
        by_kind[kind] += ns / 1e6
        rows.append((ns / 1e6, name, kind, macs, 'x'.join(map(str, layer.get('output', [])))))
    print(f'\n{"ms":>8} {"share":>6} {"GFLOP/s":>8} {"MMACs":>9}  step (kind, output)')
    for ms, name, kind, macs, shape in sorted(rows, reverse=True)[:args.top]:
        g = 2 * macs / (ms * 1e6) if ms > 0 and macs else 0
        print(f'{ms:8.3f} {100 * ms / total:5.1f}% {g:8.1f} {macs / 1e6:9.1f}  {name} ({kind}, {shape})')
    print('\ncnnc by kind: ' + ', '.join(f'{k} {v:.2f} ms' for k, v in sorted(by_kind.items(), key=lambda kv: -kv[1])))

    if args.no_ort:
        return
    import onnxruntime as ort
    sess, x = bench.ort_session(d, args.threads, profile_prefix=os.path.join(tempfile.mkdtemp(), 'ort'))
    name = sess.get_inputs()[0].name
    for _ in range(5):
        sess.run(None, {name: x})
    import time
    start = time.perf_counter()
    for _ in range(args.runs):
        sess.run(None, {name: x})
    ort_ms = (time.perf_counter() - start) * 1e3 / args.runs
    events = json.load(open(sess.end_profiling()))
    per_node = collections.defaultdict(float)
    per_op = collections.defaultdict(float)
    for e in events:
        if e.get('cat') == 'Node' and e['name'].endswith('_kernel_time'):
            per_node[(e['name'][:-12], e['args'].get('op_name', '?'))] += e['dur'] / 1e3
            per_op[e['args'].get('op_name', '?')] += e['dur'] / 1e3
    n = args.runs + 5
    print(f'\nonnxruntime {ort.__version__}, {args.threads} thread(s): {ort_ms:.3f} ms per run '
          f'(profiling on); by operator: ' +
          ', '.join(f'{k} {v / n:.2f} ms' for k, v in sorted(per_op.items(), key=lambda kv: -kv[1])))
    for (node, op), ms in sorted(per_node.items(), key=lambda kv: -kv[1])[:args.top]:
        print(f'{ms / n:8.3f}  {node} ({op})')


if __name__ == '__main__':
    main()
