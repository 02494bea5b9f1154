#!/usr/bin/env python3
"""Benchmarks cnnc's generated Swift against onnxruntime and PyTorch eager on the model zoo.

Usage (from anywhere; paths are relative to the repository root):
    python3 Benchmarks/run.py                                  # every spec with a conv or fc
    python3 Benchmarks/run.py --specs lenet5,squeezenet1_1 --runs 5          # a smoke run
    python3 Benchmarks/run.py --cnnc .build/release/cnnc --threads 1,2 --out Benchmarks/out
    python3 Benchmarks/run.py --render Benchmarks/out   # rewrite OUT/results.md from OUT/results.json

For each Specs/<stem>.cnn whose `cnnc report` lists a conv/dwconv/deconv/fc layer:
  1. `cnnc build Specs/<stem>.cnn -o OUT/<stem>/Model.swift --target-cpu HOST`   (codegen time)
  2. in a worker process: the PyTorch twin with the seeded weights of
     Tools/make_codegen_fixtures.py -> OUT/<stem>/weights.safetensors (state_dict names),
     input.bin, expected<i>.bin (PyTorch's outputs) and model.onnx (torch.onnx.export, opset 17)
  3. `swiftc -O -target-cpu HOST -parse-as-library Model.swift BenchMain.swift` (the driver template
     Benchmarks/driver/main.swift): swiftc wall time and binary size
  4. the Swift binary at every thread count: median/min of RUNS timed calls after WARMUP calls,
     init time (load + repack), peak RSS of the process (wait4 rusage)
  5. onnxruntime (intra_op_num_threads=T, inter_op=1, sequential) and PyTorch eager
     (torch.set_num_threads(T), inference_mode) in their own worker processes, same statistics
  6. Swift outputs vs PyTorch's: max |error| <= 1e-4 * max(1, max|expected|) per output (reported)
  Before every multi-threaded process: the core-to-core round trip (Benchmarks/limits/core_latency.swift),
  which tells whether the VM's vCPUs sat on cores sharing an L3 for that process (see "Core placement").
Then OUT/results.md and OUT/results.json: the table (medians; with several rounds also each system's
minimum and the round-by-round ratios, "Spread"), machine limits (Benchmarks/limits/), the cost of
cnnc itself on a generated 10,000-layer spec, and the cliff of building one model without its build flags.
A stage that fails is recorded in that spec's row; the run goes on.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, 'Benchmarks')
SPECS = os.path.join(ROOT, 'Specs')
DRIVER = os.path.join(BENCH, 'driver', 'main.swift')
LIMITS = os.path.join(BENCH, 'limits')
WEIGHTED_KINDS = {'conv', 'dwconv', 'deconv', 'fc'}


# ------------------------------------------------------------------------------------------------
# Small helpers
# ------------------------------------------------------------------------------------------------

def log(msg):
    print(msg, file=sys.stderr, flush=True)


class StageError(Exception):
    pass


GNU_TIME = '/usr/bin/time' if os.path.exists('/usr/bin/time') else None


def run_child(cmd, timeout=None, cwd=None, env=None):
    """Runs cmd; returns (returncode, stdout, stderr, wall seconds, peak RSS bytes of that process).

    Peak RSS: GNU time's %M when /usr/bin/time exists, else wait4's rusage for this child. (Linux
    keeps ru_maxrss across exec, so a child forked straight from this Python process would count
    the parent's RSS; the tiny `time` process in between avoids that.)"""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(mode='r', suffix='.rss') as rssfile:
        full = [GNU_TIME, '-f', '%M', '-o', rssfile.name, *cmd] if GNU_TIME else cmd
        start = time.perf_counter()
        p = subprocess.Popen(full, stdout=out, stderr=err, cwd=cwd, env=env, start_new_session=True)
        deadline = None if timeout is None else start + timeout
        while True:
            pid, status, rusage = os.wait4(p.pid, os.WNOHANG)
            if pid != 0:
                break
            if deadline is not None and time.perf_counter() > deadline:
                os.killpg(p.pid, 9)          # its own process group: `time` and the command
                os.wait4(p.pid, 0)
                p.returncode = -9
                raise StageError(f'timed out after {timeout:.0f} s: {" ".join(cmd[:3])} …')
            time.sleep(0.005)
        wall = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        rss = None
        if GNU_TIME:
            m = re.findall(r'^(\d+)$', rssfile.read(), re.M)
            rss = int(m[-1]) * 1024 if m else None
        if rss is None:
            rss = rusage.ru_maxrss * (1 if sys.platform == 'darwin' else 1024)
        out.seek(0)
        err.seek(0)
        return p.returncode, out.read().decode(errors='replace'), err.read().decode(errors='replace'), wall, rss


def checked_child(cmd, stage, timeout=None, **kw):
    rc, out, err, wall, rss = run_child(cmd, timeout=timeout, **kw)
    if rc != 0:
        tail = (err.strip() or out.strip()).splitlines()[-12:]
        raise StageError(f'{stage} failed (exit {rc}): ' + ' | '.join(tail))
    return out, err, wall, rss


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith('{'):
            return json.loads(line)
    raise StageError(f'no JSON in output: {text[-300:]!r}')


def stats_ms(times):
    times = sorted(times)
    return {'median_ms': statistics.median(times), 'min_ms': times[0],
            'mean_ms': sum(times) / len(times), 'runs': len(times)}


def worker_cmd(*args):
    return [sys.executable, os.path.abspath(__file__), '--worker', *map(str, args)]


# ------------------------------------------------------------------------------------------------
# Host, toolchain, cnnc
# ------------------------------------------------------------------------------------------------

def swiftc_cpus():
    """The -target-cpu names this swiftc accepts (it lists them when given an unknown one)."""
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, 'x.swift')
        open(src, 'w').write('print(1)\n')
        r = subprocess.run(['swiftc', '-target-cpu', 'help', src, '-o', os.path.join(d, 'x')],
                           capture_output=True, text=True)
    m = re.search(r'valid target CPU values are: (.*)', r.stderr)
    return [c.strip() for c in m.group(1).split(',')] if m else []


def detect_target_cpu():
    """LLVM's name for this CPU as the Swift toolchain's clang sees it (`-march=native`), if swiftc
    accepts it; else a conservative name from the CPU flags; None when no flag is needed/known."""
    valid = swiftc_cpus()
    swiftc = shutil.which('swiftc')
    clang = os.path.join(os.path.dirname(os.path.realpath(swiftc)), 'clang') if swiftc else None
    for cc in [clang, shutil.which('clang')]:
        if not cc or not os.path.exists(cc):
            continue
        r = subprocess.run([cc, '-march=native', '-###', '-c', '-x', 'c', os.devnull],
                           capture_output=True, text=True)
        m = re.search(r'"-target-cpu" "([^"]+)"', r.stderr)
        if m and (not valid or m.group(1) in valid):
            return m.group(1)
    flags = ''
    try:
        flags = next((l for l in open('/proc/cpuinfo') if l.startswith('flags')), '')
    except OSError:
        pass
    if ' avx512f' in flags:
        return 'skylake-avx512'
    if ' avx2' in flags and ' fma' in flags:
        return 'haswell'
    return None


def cpu_model():
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def versions():
    v = {'python': platform.python_version()}
    try:
        v['swift'] = subprocess.run(['swiftc', '--version'], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        v['swift'] = '?'
    try:   # in a child process: this one stays small (see run_child)
        v.update(json.loads(subprocess.run(worker_cmd('versions'), capture_output=True, text=True).stdout))
    except ValueError:
        v['packages'] = 'unavailable'
    return v


def find_cnnc(args):
    if args.cnnc:
        return os.path.abspath(args.cnnc)
    build = os.path.join(ROOT, '.build-bench')
    log(f'building cnnc (swift build -c release --build-path {os.path.relpath(build, ROOT)}) …')
    subprocess.run(['swift', 'build', '-c', 'release', '--product', 'cnnc', '--build-path', build],
                   cwd=ROOT, check=True)
    return os.path.join(build, 'release', 'cnnc')


# ------------------------------------------------------------------------------------------------
# Machine limits
# ------------------------------------------------------------------------------------------------

def machine_limits(outdir, cpu, threads):
    d = os.path.join(outdir, 'limits')
    os.makedirs(d, exist_ok=True)
    res = {'target_cpu': cpu, 'fma_gflops': {}, 'dram_gbps': {}, 'errors': []}
    flags = ['-target-cpu', cpu] if cpu else []
    builds = [('fma_peak', flags), ('bandwidth', flags), ('fma_peak_generic', [])]
    for name, extra in builds:
        src = os.path.join(LIMITS, name.replace('_generic', '') + '.swift')
        try:
            checked_child(['swiftc', '-O', *extra, '-parse-as-library', src, '-o', os.path.join(d, name)],
                          f'swiftc {name}', timeout=600)
        except StageError as e:
            res['errors'].append(str(e))
    for t in threads:
        try:
            out, *_ = checked_child([os.path.join(d, 'fma_peak'), str(t), '0.3'], 'fma_peak', timeout=300)
            res['fma_gflops'][t] = last_json(out)['gflops_best']
            out, *_ = checked_child([os.path.join(d, 'bandwidth'), str(t), '1024'], 'bandwidth', timeout=300)
            res['dram_gbps'][t] = last_json(out)['gbps_best']
        except (StageError, KeyError, ValueError) as e:
            res['errors'].append(str(e))
    try:
        out, *_ = checked_child([os.path.join(d, 'fma_peak_generic'), '1', '0.3'], 'fma_peak_generic', timeout=300)
        res['fma_gflops_without_target_cpu_1t'] = last_json(out)['gflops_best']
    except (StageError, KeyError, ValueError) as e:
        res['errors'].append(str(e))
    return res


def build_core_latency(outdir):
    """Builds Benchmarks/limits/core_latency.swift into OUT/limits; its path, or None if it fails."""
    d = os.path.join(outdir, 'limits')
    os.makedirs(d, exist_ok=True)
    exe = os.path.join(d, 'core_latency')
    try:
        checked_child(['swiftc', '-O', '-parse-as-library', os.path.join(LIMITS, 'core_latency.swift'),
                       '-o', exe], 'swiftc core_latency', timeout=600)
        return exe
    except StageError as e:
        log(f'core_latency not built: {e}')
        return None


def core_round_trip(exe):
    """Nanoseconds per core-to-core round trip right now (None without the probe): ~55 ns when
    the host has our two vCPUs on cores sharing an L3, ~330 ns across CCDs (AMD EPYC VM)."""
    if not exe:
        return None
    try:
        out, *_ = checked_child([exe, '200000'], 'core_latency', timeout=60)
        return last_json(out)['round_trip_ns']
    except (StageError, KeyError, ValueError):
        return None


# ------------------------------------------------------------------------------------------------
# cnnc's own cost on a very deep spec
# ------------------------------------------------------------------------------------------------

def deep_spec(layers):
    lines = [f'# {layers} layers generated by Benchmarks/run.py to time cnnc itself',
             f'network Deep{layers}', 'input 64x64x8', '']
    lines += ['conv 8 3x3 p1' if i % 2 == 0 else 'relu' for i in range(layers)]
    return '\n'.join(lines) + '\n'


def cnnc_scaling(cnnc, outdir, layers, timeout):
    d = os.path.join(outdir, 'scale')
    os.makedirs(d, exist_ok=True)
    spec = os.path.join(d, f'deep{layers}.cnn')
    open(spec, 'w').write(deep_spec(layers))
    res = {'layers': layers, 'spec': os.path.relpath(spec, ROOT)}
    commands = {
        'check_s': [cnnc, 'check', spec],
        'report_json_s': [cnnc, 'report', spec, '--format', 'json'],
        'build_s': [cnnc, 'build', spec, '-o', os.path.join(d, 'Deep.swift')],
    }
    for key, cmd in commands.items():
        try:
            walls = []
            for _ in range(3):
                out, _, wall, rss = checked_child(cmd, key, timeout=timeout)
                walls.append(wall)
                res[key.replace('_s', '_peak_rss_mb')] = rss / 1e6
            res[key] = min(walls)
            if key == 'report_json_s':
                res['report_layers'] = len(json.loads(out)['layers'])
        except (StageError, ValueError, KeyError) as e:
            res[key] = None
            res.setdefault('errors', []).append(str(e))
    return res


# ------------------------------------------------------------------------------------------------
# One spec
# ------------------------------------------------------------------------------------------------

def model_type(model_swift):
    m = re.search(r'^public final class (\w+)', open(model_swift).read(), re.M)
    if not m:
        raise StageError('no `public final class` in the generated file')
    return m.group(1)


def write_driver(model_swift, dest):
    """The driver template with the model's type, how to construct it, and how to set threads."""
    text = open(model_swift).read()
    name = model_type(model_swift)
    constant = re.search(r'public (convenience )?init\(\)', text) is not None
    # From a path, not a URL: the model's resident memory is measured from just before this call,
    # and Foundation's URL alone would add ~2 MB that the loader itself never needs.
    make = ('model = Model()' if constant else
            'do { model = try Model(weightsPath: args[1]) } '
            'catch { fail("cannot load weights: \\(error)") }')
    # A thread setting, if the generated class has one (instance property named like `threads`).
    m = re.search(r'public var (threads|threadCount|numThreads|maxThreads|concurrency)\b', text)
    set_threads = f'model.{m.group(1)} = threads\n  return true' if m else 'return threads == 1'
    src = open(DRIVER).read()
    src = (src.replace('@MODEL_TYPE@', name).replace('@MAKE_MODEL@', make)
              .replace('@SET_THREADS@', set_threads))
    open(dest, 'w').write(src)
    return constant, m is not None


def compile_swift(d, cpu, name, timeout):
    # The generated header's build flags; without a CPU, none at all (the cliff measurement).
    flags = ['-target-cpu', cpu, '-D', 'CNNC_FMA'] if cpu else []
    exe = os.path.join(d, name)
    _, _, wall, rss = checked_child(['swiftc', '-O', *flags, '-parse-as-library', 'Model.swift',
                                     'BenchMain.swift', '-o', name], 'swiftc', timeout=timeout, cwd=d)
    return {'swiftc_s': wall, 'swiftc_peak_rss_mb': rss / 1e6, 'binary_bytes': os.path.getsize(exe)}


def run_swift(d, exe, weights, threads, runs, warmup, timeout):
    out_bin = os.path.join(d, f'{exe}_out_{threads}t.bin')
    out, _, wall, rss = checked_child([os.path.join(d, exe), weights, os.path.join(d, 'input.bin'),
                                       str(runs), str(warmup), str(threads), out_bin],
                                      f'{exe} ({threads}T)', timeout=timeout)
    r = last_json(out)
    r['peak_rss_bytes'] = rss
    r['output'] = out_bin
    return r


def compare(got_path, meta, d):
    import numpy as np
    got = np.fromfile(got_path, dtype='<f4')
    want_total = sum(meta['output_counts'])
    if got.size != want_total:
        return {'ok': False, 'error': f'{got.size} floats, expected {want_total}'}
    worst, ok, off = 0.0, True, 0
    for i, n in enumerate(meta['output_counts']):
        want = np.fromfile(os.path.join(d, f'expected{i}.bin'), dtype='<f4')
        g = got[off:off + n]
        off += n
        err = float(np.max(np.abs(g.astype(np.float64) - want))) if n else 0.0
        if not math.isfinite(err):
            err = float('inf')
        tol = 1e-4 * max(1.0, float(np.max(np.abs(want))) if n else 1.0)
        ok &= err <= tol
        worst = max(worst, err)
    return {'ok': bool(ok), 'max_abs_err': worst}


def bench_spec(stem, args, cnnc, cpu, outdir):
    row = {'spec': stem, 'errors': []}
    d = os.path.join(outdir, stem)
    os.makedirs(d, exist_ok=True)
    spec = os.path.join(SPECS, f'{stem}.cnn')

    def stage(name, fn):
        try:
            return fn()
        except (StageError, OSError, ValueError, KeyError, subprocess.SubprocessError) as e:
            row['errors'].append(f'{name}: {e}')
            log(f'  {stem}: {name}: {e}')
            return None

    # Report: MACs, weights, peak activations
    def report():
        out, *_ = checked_child([cnnc, 'report', spec, '--format', 'json'], 'cnnc report', timeout=300)
        return json.loads(out)
    rep = stage('report', report)
    if rep is None:
        return row
    totals = rep.get('totals', {})
    row.update(network=rep.get('network'), macs=totals.get('macs'), weight_bytes=totals.get('weightBytes'),
               peak_activation_bytes=totals.get('peakActivationBytes'), params=totals.get('params'))

    # 1. codegen
    def codegen():
        cmd = [cnnc, 'build', spec, '-o', os.path.join(d, 'Model.swift')] + (['--target-cpu', cpu] if cpu else [])
        _, _, wall, _ = checked_child(cmd, 'cnnc build', timeout=args.compile_timeout)
        row['codegen_s'] = wall
        row['model_swift_lines'] = sum(1 for _ in open(os.path.join(d, 'Model.swift')))
        return True
    generated = stage('codegen', codegen)

    # 2. weights, input, expected outputs, ONNX (worker process)
    def prepare():
        out, *_ = checked_child(worker_cmd('prepare', stem, d), 'prepare', timeout=args.run_timeout)
        return last_json(out)
    meta = stage('weights/onnx', prepare)
    if meta:
        row['onnx_export_s'] = meta.get('onnx_s')
        row['onnx_error'] = meta.get('onnx_error')
        if meta.get('onnx_error'):
            row['errors'].append(f'onnx export: {meta["onnx_error"]}')

    # 3. compile
    constant = threaded = False
    if generated:
        def build():
            nonlocal constant, threaded
            constant, threaded = write_driver(os.path.join(d, 'Model.swift'), os.path.join(d, 'BenchMain.swift'))
            return compile_swift(d, cpu, 'bench', args.compile_timeout)
        c = stage('swiftc', build)
        if c:
            row.update(c)
            row['swift_threading'] = threaded

    # 4-5. Timing, in `args.rounds` interleaved rounds: each round runs every system at every
    # thread count for its share of the runs (one process each), so a burst of load on the shared
    # VM lands on all systems alike instead of on one; the statistics pool all rounds' times.
    row['swift'], row['ort'], row['torch'] = {}, {}, {}
    swift_ok = bool(row.get('binary_bytes') and meta)
    weights = '-' if constant else os.path.join(d, 'weights.safetensors')
    per_round = max(1, -(-args.runs // args.rounds))
    rounds = {}                                  # (system, threads) -> [result of each round]
    # Where the host has the vCPUs this instant, measured just before each multi-threaded process.
    placement = lambda t: core_round_trip(args.core_latency) if t > 1 else None
    for rnd in range(args.rounds):
        for t in args.threads:
            if swift_ok and (t == 1 or threaded):
                trip = placement(t)
                r = stage(f'swift {t}T', lambda t=t: run_swift(d, 'bench', weights, t, per_round,
                                                              args.warmup, args.run_timeout))
                if r:
                    r['core_round_trip_ns'] = trip
                    out_bin = r.pop('output')
                    if rnd == 0:
                        acc = stage('accuracy', lambda: compare(out_bin, meta, d))
                        if acc:
                            r.update(acc)
                    rounds.setdefault(('swift', t), []).append(r)
            if meta and not meta.get('onnx_error'):
                trip = placement(t)
                r = stage(f'onnxruntime {t}T', lambda t=t: worker_json('ort', stem, d, t, per_round, args))
                if r:
                    r['core_round_trip_ns'] = trip
                    rounds.setdefault(('ort', t), []).append(r)
            if meta:
                trip = placement(t)
                r = stage(f'pytorch {t}T', lambda t=t: worker_json('torch', stem, d, t, per_round, args))
                if r:
                    r['core_round_trip_ns'] = trip
                    rounds.setdefault(('torch', t), []).append(r)
    for t in args.threads:
        if swift_ok and t > 1 and not threaded:
            row['swift'][t] = None              # n/a: the generated code has no thread setting
        for system in ('swift', 'ort', 'torch'):
            if (system, t) in rounds:
                row[system][t] = pooled(rounds[(system, t)])
    if swift_ok:
        s1 = row['swift'].get(args.threads[0])
        if s1:
            row['init_ms'] = s1.get('init_ms')
            row['peak_rss_bytes'] = s1.get('peak_rss_bytes')
            # What the model itself holds: the process's peak minus its size before init
            # (the Swift runtime and Foundation, ~17-20 MB, which no model can shed).
            if (s1.get('baseline_rss_kb') or -1) > 0 and (s1.get('peak_rss_kb') or -1) > 0:
                row['model_rss_bytes'] = (s1['peak_rss_kb'] - s1['baseline_rss_kb']) * 1024
            row['accuracy_ok'] = s1.get('ok')
            row['max_abs_err'] = s1.get('max_abs_err')

    return row


def pooled(results):
    """One system's rounds as one measurement: statistics over all rounds' times, each round's
    median kept, the largest peak RSS, the first round's other fields (init time, accuracy)."""
    r = dict(results[0])
    times = [x for res in results for x in res.get('times_ms', [])]
    if times:
        r.update(stats_ms(times))
    r['round_medians_ms'] = [res.get('median_ms') for res in results]
    r['round_core_round_trip_ns'] = [res.get('core_round_trip_ns') for res in results]
    r.pop('core_round_trip_ns', None)
    r['peak_rss_bytes'] = max(res.get('peak_rss_bytes') or 0 for res in results)
    if all(res.get('peak_rss_kb') for res in results):
        top = max(results, key=lambda res: res['peak_rss_kb'])    # its own baseline with it
        r['peak_rss_kb'], r['baseline_rss_kb'] = top['peak_rss_kb'], top['baseline_rss_kb']
    r.pop('times_ms', None)
    return r


def worker_json(kind, stem, d, t, runs, args):
    out, _, _, rss = checked_child(worker_cmd(kind, stem, d, t, runs, args.warmup), kind,
                                   timeout=args.run_timeout)
    r = last_json(out)
    r['peak_rss_bytes'] = rss
    return r


def cliff(row, args, cpu, outdir):
    """The generated file compiled without any flag (no -target-cpu, no -D CNNC_FMA), 1 thread."""
    d = os.path.join(outdir, row['spec'])
    res = {'spec': row['spec']}
    try:
        res.update(compile_swift(d, None, 'bench_generic', args.compile_timeout))
        weights = '-' if not os.path.exists(os.path.join(d, 'weights.safetensors')) or \
            re.search(r'public (convenience )?init\(\)', open(os.path.join(d, 'Model.swift')).read()) \
            else os.path.join(d, 'weights.safetensors')
        r = run_swift(d, 'bench_generic', weights, 1, max(1, min(args.runs, 5)), 1, args.run_timeout)
        r.pop('output', None)
        res['median_ms'] = r['median_ms']
        fast = (row.get('swift') or {}).get(1)
        if fast:
            res['with_target_cpu_ms'] = fast['median_ms']
            res['slowdown'] = r['median_ms'] / fast['median_ms']
    except StageError as e:
        res['error'] = str(e)
    return res


# ------------------------------------------------------------------------------------------------
# Workers (run in their own processes: thread settings and peak RSS stay per framework)
# ------------------------------------------------------------------------------------------------

def fixtures_module():
    sys.path.insert(0, os.path.join(ROOT, 'Tools'))
    import make_codegen_fixtures as fx  # noqa: E402  (builders + the seeded weight recipe)
    return fx


def worker_prepare(stem, d):
    import numpy as np
    import torch
    from safetensors.torch import save_file
    fx = fixtures_module()
    model, x, shape, _ = fx.build_model(stem)          # seeded, calibrated, eval mode
    with torch.inference_mode():
        outs = model(x)
    outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
    save_file(fx.tensors_to_save(model), os.path.join(d, 'weights.safetensors'))
    x.detach().numpy().astype('<f4').tofile(os.path.join(d, 'input.bin'))
    for i, o in enumerate(outs):
        o[0].detach().numpy().astype('<f4').tofile(os.path.join(d, f'expected{i}.bin'))
    meta = {'output_counts': [int(o[0].numel()) for o in outs],
            'max_abs': [float(o.abs().max()) for o in outs], 'input_shape_hwc': list(shape)}
    start = time.perf_counter()
    try:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            torch.onnx.export(model, (x,), os.path.join(d, 'model.onnx'), opset_version=17, dynamo=False,
                              input_names=['input'], output_names=[f'output{i}' for i in range(len(outs))])
        meta['onnx_s'] = time.perf_counter() - start
    except Exception as e:  # noqa: BLE001 (reported in the row)
        meta['onnx_error'] = f'{type(e).__name__}: {str(e)[:300]}'
    json.dump(meta, open(os.path.join(d, 'meta.json'), 'w'))
    print(json.dumps(meta))


def time_calls(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return dict(stats_ms(times), times_ms=times)


def ort_session(d, threads, profile_prefix=None):
    """onnxruntime on OUT/<stem>/model.onnx as the benchmark runs it (intra-op `threads`, one
    inter-op thread, sequential, all graph optimizations; per-node profiling when
    `profile_prefix` is given), and the input as an NCHW array."""
    import numpy as np
    import onnxruntime as ort
    meta = json.load(open(os.path.join(d, 'meta.json')))
    h, w, c = meta['input_shape_hwc']
    x = np.fromfile(os.path.join(d, 'input.bin'), dtype='<f4').reshape(1, c, h, w)
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if profile_prefix:
        so.enable_profiling = True
        so.profile_file_prefix = profile_prefix
    sess = ort.InferenceSession(os.path.join(d, 'model.onnx'), so, providers=['CPUExecutionProvider'])
    return sess, x


def worker_ort(stem, d, threads, runs, warmup):
    import numpy as np
    start = time.perf_counter()
    sess, x = ort_session(d, threads)
    init_ms = (time.perf_counter() - start) * 1e3
    name = sess.get_inputs()[0].name
    r = time_calls(lambda: sess.run(None, {name: x}), runs, warmup)
    outs = sess.run(None, {name: x})
    err = max(float(np.max(np.abs(o.reshape(-1) - np.fromfile(os.path.join(d, f'expected{i}.bin'), dtype='<f4'))))
              for i, o in enumerate(outs))
    r.update(init_ms=init_ms, threads=threads, max_abs_err_vs_torch=err)
    print(json.dumps(r))


def worker_torch(stem, d, threads, runs, warmup):
    import numpy as np
    import torch
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    from safetensors.torch import load_file
    fx = fixtures_module()
    meta = json.load(open(os.path.join(d, 'meta.json')))
    h, w, c = meta['input_shape_hwc']
    start = time.perf_counter()
    model = fx.networks()[stem][0]().eval()
    missing, unexpected = model.load_state_dict(load_file(os.path.join(d, 'weights.safetensors')), strict=False)
    fixed = {n for n, p in model.named_parameters() if not p.requires_grad}
    if [k for k in missing if k not in fixed] or unexpected:
        raise SystemExit(f'state_dict mismatch: missing {missing}, unexpected {unexpected}')
    init_ms = (time.perf_counter() - start) * 1e3
    x = torch.from_numpy(np.fromfile(os.path.join(d, 'input.bin'), dtype='<f4').reshape(1, c, h, w))
    with torch.inference_mode():
        r = time_calls(lambda: model(x), runs, warmup)
    r.update(init_ms=init_ms, threads=torch.get_num_threads())
    print(json.dumps(r))


def worker_versions():
    v = {}
    for mod in ('torch', 'torchvision', 'onnx', 'onnxruntime', 'safetensors', 'numpy'):
        try:
            v[mod] = __import__(mod).__version__
        except Exception as e:  # noqa: BLE001 (a missing package is reported, not fatal)
            v[mod] = f'unavailable ({type(e).__name__})'
    print(json.dumps(v))


def worker(argv):
    # Python puts this script's folder first on sys.path; a file there named like a standard
    # module (as `profile.py` once shadowed the `profile` that torch's cProfile imports) must not
    # shadow it in the worker processes.
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or '.') != BENCH]
    kind = argv[0]
    if kind == 'versions':
        return worker_versions()
    if kind == 'prepare':
        return worker_prepare(argv[1], argv[2])
    stem, d, threads, runs, warmup = argv[1], argv[2], int(argv[3]), int(argv[4]), int(argv[5])
    return {'ort': worker_ort, 'torch': worker_torch}[kind](stem, d, threads, runs, warmup)


# ------------------------------------------------------------------------------------------------
# Output
# ------------------------------------------------------------------------------------------------

def fmt(v, digits=2):
    if v is None:
        return 'n/a'
    if isinstance(v, float):
        return f'{v:,.{digits}f}'
    return f'{v:,}' if isinstance(v, int) else str(v)


def med(row, fw, t, key='median_ms'):
    """A system's statistic (its median, or `key`) at `t` threads, or None."""
    r = (row.get(fw) or {}).get(t)
    return r.get(key) if r else None


def ratio(a, b):
    return a / b if a and b else None


def geomean(xs):
    xs = [x for x in xs if x]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def best(row, fw, t):
    return med(row, fw, t, 'min_ms')


def spread_section(doc):
    """Minima and every round's ratio: where a shared VM moves whole rounds by 20-50 %, the
    median ratio of one run can miss by more than a kernel change moves it; the fastest run of
    each system (the least disturbed) and the spread of the round-by-round ratios say how far
    to trust a row."""
    threads, rows = doc['threads'], doc['rows']
    if doc.get('rounds', 1) < 2:
        return []
    L = ['', '## Spread: minima and round-by-round ratios', '',
         'cnnc/ORT of the fastest run of each system, and of each interleaved round\'s medians '
         '(round i of cnnc against round i of onnxruntime, run minutes apart).', '',
         '| spec | threads | cnnc min ms | ORT min ms | cnnc/ORT min | cnnc/ORT median | cnnc/ORT by round |',
         '|---|---|---|---|---|---|---|']
    for r in rows:
        if r.get('skipped'):
            continue
        for t in threads:
            s, o = (r.get('swift') or {}).get(t), (r.get('ort') or {}).get(t)
            if not s or not o:
                continue
            rounds = [ratio(a, b) for a, b in zip(s.get('round_medians_ms') or [], o.get('round_medians_ms') or [])]
            cnnc_min, ort_min = best(r, 'swift', t), best(r, 'ort', t)
            L.append(f'| {r["spec"]} | {t} | {fmt(cnnc_min, 3)} | {fmt(ort_min, 3)} | '
                     f'{fmt(ratio(cnnc_min, ort_min))} | '
                     f'{fmt(ratio(med(r, "swift", t), med(r, "ort", t)))} | {", ".join(fmt(x) for x in rounds)} |')
    L.append('')
    for t in threads:
        g = geomean([ratio(best(r, 'ort', t), best(r, 'swift', t)) for r in rows])
        behind = [(r['spec'], ratio(best(r, 'swift', t), best(r, 'ort', t))) for r in rows]
        misses = [f'{spec} {fmt(x)}' for spec, x in behind if (x or 0) > 1]
        L.append(f'- {t}T, minima: geometric-mean speed-up over onnxruntime {fmt(g, 3) + "×" if g else "n/a"}; '
                 f'cnnc slower on {", ".join(misses) if misses else "none"}')
    return L


def placement_section(doc):
    """'Core placement': each multi-threaded round with the core-to-core round trip measured just
    before its process, and the cnnc/onnxruntime ratio over the rounds each system ran *near*
    (round trip at most twice the run's smallest: the vCPUs on cores sharing an L3) and *far*."""
    rows = [r for r in doc['rows'] if not r.get('skipped')]
    trips = [x for r in rows for fw in ('swift', 'ort', 'torch') for t, res in (r.get(fw) or {}).items()
             if res for x in (res.get('round_core_round_trip_ns') or []) if x]
    if not trips:
        return []
    limit = 2 * min(trips)
    near = lambda x: x is not None and x <= limit

    def split(res):
        """(near round medians, far round medians) of one system's pooled result."""
        pairs = list(zip(res.get('round_medians_ms') or [], res.get('round_core_round_trip_ns') or []))
        return ([m for m, x in pairs if m and near(x)], [m for m, x in pairs if m and x and not near(x)])

    L = ['', '## Core placement (multi-threaded rounds)', '',
         f'Before each multi-threaded process the harness times a core-to-core round trip '
         f'(Benchmarks/limits/core_latency.swift). On a VM the host may put the two vCPUs on cores that '
         f'share an L3 or on different dies, and move them between runs; every split layer hands its '
         f'output to the other thread, so the placement moves 2-thread latencies for every system, not '
         f'by the same amount. Smallest round trip in this run: {min(trips):.0f} ns, largest {max(trips):.0f} ns; '
         f'a process counts as near at <= {limit:.0f} ns, else far. '
         f'{sum(1 for x in trips if near(x))} of {len(trips)} processes ran near.', '',
         '| spec | threads | cnnc round medians ms (round trip ns) | ORT round medians ms (round trip ns) | cnnc/ORT near | cnnc/ORT far |',
         '|---|---|---|---|---|---|']
    ratios = {'near': [], 'far': []}
    for r in rows:
        for t in doc['threads']:
            s, o = (r.get('swift') or {}).get(t), (r.get('ort') or {}).get(t)
            if t <= 1 or not s or not o:
                continue
            show = lambda res: ', '.join(f'{fmt(m, 2)} ({x:.0f})' if m and x else fmt(m, 2)
                                         for m, x in zip(res.get('round_medians_ms') or [],
                                                         res.get('round_core_round_trip_ns') or []))
            (sn, sf), (on, of) = split(s), split(o)
            rn = ratio(statistics.median(sn), statistics.median(on)) if sn and on else None
            rf = ratio(statistics.median(sf), statistics.median(of)) if sf and of else None
            ratios['near'].append(rn)
            ratios['far'].append(rf)
            L.append(f'| {r["spec"]} | {t} | {show(s)} | {show(o)} | {fmt(rn)} | {fmt(rf)} |')
    for kind in ('near', 'far'):
        g = geomean([ratio(1, x) for x in ratios[kind]])
        n = sum(1 for x in ratios[kind] if x)
        L.append(f'- geometric-mean speed-up of cnnc over onnxruntime, rounds both ran {kind}: '
                 f'{fmt(g, 3) + "×" if g else "n/a"} ({n} rows)')
    return L


def markdown(doc):
    threads = doc['threads']
    rows = doc['rows']
    L = [f'# cnnc benchmark results', '',
         f'{doc["date"]} · {doc["machine"]["cpu"]} · {doc["machine"]["cpus"]} CPUs · '
         f'-target-cpu {doc["machine"]["target_cpu"]} · batch 1, fp32 · '
         f'{doc["runs"]} timed runs per system and thread count in {doc.get("rounds", 1)} interleaved '
         f'round(s) (each process {doc["warmup"]} warm-up calls first), median ms over all of them', '',
         'Versions: ' + ', '.join(f'{k} {v}' for k, v in doc['versions'].items()), '']
    busy = max([r.get('loadavg_1min') or 0 for r in rows] + [doc['machine'].get('loadavg_1min_start') or 0])
    if busy > 0.5:
        L += [f'**Warning: the machine was busy (1-minute load average up to {busy:.1f} on '
              f'{doc["machine"]["cpus"]} CPUs): timings, above all the 2-thread ones, are not reliable.**', '']
    L += ['## Latency', '']
    head = ['spec', 'MMACs']
    for t in threads:
        head += [f'cnnc {t}T', f'ORT {t}T', f'PyTorch {t}T']
    for t in threads:
        head += [f'GFLOP/s {t}T', f'cnnc/ORT {t}T', f'cnnc/PyTorch {t}T']
    head += ['max err', 'ok']
    L += ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for r in rows:
        if r.get('skipped'):
            continue
        cells = [r['spec'], fmt(r['macs'] / 1e6, 1) if r.get('macs') else 'n/a']
        for t in threads:
            cells += [fmt(med(r, 'swift', t), 3), fmt(med(r, 'ort', t), 3), fmt(med(r, 'torch', t), 3)]
        for t in threads:
            s = med(r, 'swift', t)
            cells += [fmt(2 * r['macs'] / (s * 1e6), 1) if s and r.get('macs') else 'n/a',
                      fmt(ratio(s, med(r, 'ort', t))), fmt(ratio(s, med(r, 'torch', t)))]
        cells += [f'{r["max_abs_err"]:.2g}' if r.get('max_abs_err') is not None else 'n/a',
                  {True: 'yes', False: '**NO**'}.get(r.get('accuracy_ok'), 'n/a')]
        L.append('| ' + ' | '.join(cells) + ' |')
    L += ['', 'Ratios are cnnc time / other time: below 1 means cnnc is faster. GFLOP/s = 2·MACs / cnnc time.',
          'A Swift 2T column reads n/a when the generated class has no thread setting.', '']
    for t in threads:
        for fw, label in (('ort', 'onnxruntime'), ('torch', 'PyTorch')):
            g = geomean([ratio(med(r, fw, t), med(r, 'swift', t)) for r in rows])
            n = sum(1 for r in rows if ratio(med(r, fw, t), med(r, 'swift', t)))
            L.append(f'- geometric-mean speed-up of cnnc over {label} at {t}T: '
                     f'{fmt(g, 3) + "×" if g else "n/a"} ({n} networks; >1 means cnnc is faster)')
    L += spread_section(doc)
    L += placement_section(doc)
    L += ['', '## Build and memory', '',
          '| spec | codegen s | Model.swift lines | swiftc s | binary MB | init ms | peak RSS MB | model RSS MB | weights MB | peak activations MB | model RSS / (weights + activations) | ORT peak RSS MB | PyTorch peak RSS MB |',
          '|---|---|---|---|---|---|---|---|---|---|---|---|---|']
    t0 = threads[0]
    for r in rows:
        if r.get('skipped'):
            continue
        mb = lambda v: fmt(v / 1e6, 2) if v is not None else 'n/a'
        ort_rss = ((r.get('ort') or {}).get(t0) or {}).get('peak_rss_bytes')
        pt_rss = ((r.get('torch') or {}).get(t0) or {}).get('peak_rss_bytes')
        L.append('| ' + ' | '.join([r['spec'], fmt(r.get('codegen_s'), 3), fmt(r.get('model_swift_lines')),
                                     fmt(r.get('swiftc_s'), 1), mb(r.get('binary_bytes')), fmt(r.get('init_ms'), 1),
                                     mb(r.get('peak_rss_bytes')), mb(r.get('model_rss_bytes')),
                                     mb(r.get('weight_bytes')), mb(r.get('peak_activation_bytes')),
                                     fmt(ratio(r.get('model_rss_bytes'),
                                               (r.get('weight_bytes') or 0) + (r.get('peak_activation_bytes') or 0)), 3),
                                     mb(ort_rss), mb(pt_rss)]) + ' |')
    total_cg = sum(r.get('codegen_s') or 0 for r in rows)
    L += ['', f'Total cnnc codegen time for these {sum(1 for r in rows if r.get("codegen_s"))} specs: {total_cg:.2f} s.',
          'Peak RSS: the whole benchmark process (runtime, weights as loaded and packed, arena); '
          'model RSS: the process\'s peak when the timed runs end (VmHWM, before the outputs are '
          'written) minus its resident size just before the model was built (the Swift runtime and '
          'Foundation); weights and peak activations are `cnnc report` totals '
          '(target: the ratio ≤ 1.1).']
    errs = [(r['spec'], e) for r in rows for e in r.get('errors', [])]
    if errs:
        L += ['', '## Errors', ''] + [f'- `{s}`: {e}' for s, e in errs]
    lim = doc.get('limits')
    if lim:
        L += ['', '## Machine limits (Benchmarks/limits/)', '', '| what | ' + ' | '.join(f'{t} thread(s)' for t in threads) + ' |',
              '|---|' + '---|' * len(threads),
              f'| FMA peak (best of SIMD16 x 24 and SIMD8 x 12 chains), swiftc -O -target-cpu {lim["target_cpu"]} (GFLOP/s) | ' +
              ' | '.join(fmt(lim['fma_gflops'].get(t), 1) for t in threads) + ' |',
              '| DRAM read bandwidth, 1 GB SIMD sum (GB/s) | ' +
              ' | '.join(fmt(lim['dram_gbps'].get(t), 1) for t in threads) + ' |',
              '', f'Same FMA loop without -target-cpu: {fmt(lim.get("fma_gflops_without_target_cpu_1t"), 2)} GFLOP/s (1 thread).']
        L += [f'- {e}' for e in lim.get('errors', [])]
    c = doc.get('cliff')
    if c:
        L += ['', '## Without -target-cpu', '']
        if c.get('error'):
            L.append(f'`{c["spec"]}`: {c["error"]}')
        else:
            L.append(f'`{c["spec"]}` Model.swift compiled with `swiftc -O -parse-as-library` (no -target-cpu, no -D CNNC_FMA): '
                     f'{fmt(c.get("median_ms"), 3)} ms vs {fmt(c.get("with_target_cpu_ms"), 3)} ms with it '
                     f'({fmt(c.get("slowdown"), 1)}× slower; 1 thread).')
    s = doc.get('scale')
    if s:
        L += ['', '## Cost of cnnc itself', '',
              f'Generated spec of {s["layers"]} layers (`input 64x64x8`, alternating `conv 8 3x3 p1` / `relu`), best of 3:', '',
              '| command | wall s | peak RSS MB |', '|---|---|---|',
              f'| cnnc check | {fmt(s.get("check_s"), 3)} | {fmt(s.get("check_peak_rss_mb"), 1)} |',
              f'| cnnc report --format json | {fmt(s.get("report_json_s"), 3)} | {fmt(s.get("report_json_peak_rss_mb"), 1)} |',
              f'| cnnc build (codegen only) | {fmt(s.get("build_s"), 3)} | {fmt(s.get("build_peak_rss_mb"), 1)} |']
        L += [f'- {e}' for e in s.get('errors', [])]
    return '\n'.join(L) + '\n'


def print_summary(row, threads):
    parts = [f'{row["spec"]:20}']
    for t in threads:
        parts.append(f'{t}T cnnc {fmt(med(row, "swift", t), 3)} ORT {fmt(med(row, "ort", t), 3)} '
                     f'PT {fmt(med(row, "torch", t), 3)} ms')
    if row.get('max_abs_err') is not None:
        parts.append(f'err {row["max_abs_err"]:.2g} {"ok" if row.get("accuracy_ok") else "FAIL"}')
    if row['errors']:
        parts.append(f'{len(row["errors"])} error(s)')
    log('  '.join(parts))


# ------------------------------------------------------------------------------------------------

def render(outdir):
    """Rewrites OUT/results.md from OUT/results.json (after a change to the report's layout)."""
    doc = json.load(open(os.path.join(outdir, 'results.json')))
    # JSON made the per-thread keys strings; the report looks them up by the thread count.
    def by_thread(d):
        return {int(k) if str(k).isdigit() else k: v for k, v in d.items()} if isinstance(d, dict) else d
    for row in doc['rows']:
        for fw in ('swift', 'ort', 'torch'):
            row[fw] = by_thread(row.get(fw))
    if isinstance(doc.get('limits'), dict):
        for key in ('fma_gflops', 'dram_gbps'):
            doc['limits'][key] = by_thread(doc['limits'].get(key))
    open(os.path.join(outdir, 'results.md'), 'w').write(markdown(doc))
    log(f'wrote {os.path.relpath(os.path.join(outdir, "results.md"))}')


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--worker':
        return worker(sys.argv[2:])
    if len(sys.argv) > 2 and sys.argv[1] == '--render':
        return render(sys.argv[2])
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--specs', help='comma-separated spec stems (default: every Specs/*.cnn with conv/fc)')
    ap.add_argument('--runs', type=int, default=30, help='timed forward calls per measurement (default 30)')
    ap.add_argument('--warmup', type=int, default=None, help='untimed calls first, per process (default: min(5, runs))')
    ap.add_argument('--rounds', type=int, default=3, help='interleaved rounds the runs are split into (default 3)')
    ap.add_argument('--threads', default='1,2', help='thread counts (default 1,2)')
    ap.add_argument('--out', default=os.path.join(ROOT, 'Benchmarks', 'out'), help='output directory')
    ap.add_argument('--cnnc', help='cnnc executable (default: swift build -c release into .build-bench)')
    ap.add_argument('--target-cpu', help='-target-cpu for swiftc and cnnc (default: detect the host)')
    ap.add_argument('--cliff-spec', help='spec for the no -target-cpu measurement (default: squeezenet1_1 '
                                         'if benchmarked, else the first that ran); "none" to skip')
    ap.add_argument('--skip-limits', action='store_true', help='do not measure the machine limits')
    ap.add_argument('--scale-layers', type=int, default=10000, help='layers of the cnnc-cost spec (0: skip)')
    ap.add_argument('--compile-timeout', type=float, default=3600, help='seconds per codegen/swiftc')
    ap.add_argument('--run-timeout', type=float, default=3600, help='seconds per benchmark process')
    args = ap.parse_args()
    args.threads = [int(t) for t in args.threads.split(',') if t]
    args.warmup = min(5, args.runs) if args.warmup is None else args.warmup
    outdir = os.path.abspath(args.out)
    os.makedirs(outdir, exist_ok=True)

    cpu = args.target_cpu or detect_target_cpu()
    cnnc = find_cnnc(args)
    all_specs = sorted(f[:-4] for f in os.listdir(SPECS) if f.endswith('.cnn'))
    stems = [s.strip() for s in args.specs.split(',')] if args.specs else all_specs
    doc = {'schema': 'cnnc.bench/1', 'date': datetime.datetime.now().isoformat(timespec='seconds'),
           'machine': {'cpu': cpu_model(), 'cpus': os.cpu_count(), 'target_cpu': cpu,
                       'platform': platform.platform(), 'loadavg_1min_start': os.getloadavg()[0]},
           'versions': versions(), 'cnnc': cnnc, 'runs': args.runs, 'warmup': args.warmup, 'rounds': args.rounds,
           'threads': args.threads, 'rows': []}
    log(f'host -target-cpu: {cpu}; cnnc: {cnnc}; {len(stems)} spec(s)')
    args.core_latency = build_core_latency(outdir) if max(args.threads) > 1 else None

    def save():
        json.dump(doc, open(os.path.join(outdir, 'results.json'), 'w'), indent=1, default=str)
        open(os.path.join(outdir, 'results.md'), 'w').write(markdown(doc))

    for stem in stems:
        if stem not in all_specs:
            doc['rows'].append({'spec': stem, 'errors': [f'no Specs/{stem}.cnn']})
            continue
        try:
            rep = json.loads(subprocess.run([cnnc, 'report', os.path.join(SPECS, f'{stem}.cnn'), '--format', 'json'],
                                            capture_output=True, text=True, timeout=300).stdout)
            if not any(l.get('kind') in WEIGHTED_KINDS for l in rep.get('layers', [])):
                log(f'{stem}: no conv/fc layer, skipped')
                continue
        except (ValueError, subprocess.SubprocessError):
            pass                       # bench_spec records the report error
        log(f'{stem} …')
        load = os.getloadavg()[0]
        row = bench_spec(stem, args, cnnc, cpu, outdir)
        row['loadavg_1min'] = max(load, os.getloadavg()[0])
        doc['rows'].append(row)
        print_summary(row, args.threads)
        save()

    if args.cliff_spec != 'none':
        ran = [r for r in doc['rows'] if (r.get('swift') or {}).get(1)]
        pick = next((r for r in ran if r['spec'] == (args.cliff_spec or 'squeezenet1_1')), ran[0] if ran and not args.cliff_spec else None)
        if pick:
            log(f'no -target-cpu cliff on {pick["spec"]} …')
            doc['cliff'] = cliff(pick, args, cpu, outdir)
            save()
    if args.scale_layers:
        log(f'cnnc on a {args.scale_layers}-layer spec …')
        doc['scale'] = cnnc_scaling(cnnc, outdir, args.scale_layers, args.compile_timeout)
        save()
    if not args.skip_limits:
        log('machine limits …')
        doc['limits'] = machine_limits(outdir, cpu, args.threads)
        save()
    md = markdown(doc)
    print(md)
    log(f'wrote {os.path.relpath(os.path.join(outdir, "results.md"))} and results.json')
    return 0


if __name__ == '__main__':
    sys.exit(main())
