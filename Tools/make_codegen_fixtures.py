#!/usr/bin/env python3
"""Numerical fixtures for cnnc's code generator: seeded random weights, an input and PyTorch's outputs.

For every zoo network Specs/<stem>.cnn (and the extra network Tests/Fixtures/codegen/allkinds/
allkinds.cnn, which exercises every layer kind and option the zoo does not) this builds the
PyTorch twin (the model builders of Tools/reference_report.py, whose module names are the spec's
layer names), gives it seeded random weights, runs a seeded random input through it in eval mode
and writes

    <dir>/<stem>/weights.safetensors   model.state_dict() (float32, contiguous; BN
                                       `num_batches_tracked` kept as int64: must be accepted and
                                       ignored). Constant weights written in the spec
                                       (`weights=[...]`, the fixed filters) are NOT in the file.
    <dir>/<stem>/input.bin             raw little-endian float32, C,H,W order (batch 1)
    <dir>/<stem>/output<i>.bin         raw little-endian float32 of output i, in the spec's
                                       `output @a, @b` order (else its last layer), flattened in
                                       C,H,W order (a flat output is just the vector)
    <dir>/<stem>/meta.json             {"spec", "input": [H,W,C], "outputs": [[H,W,C],...],
                                        "maxAbs": [max|output i|...], "torch", "seed", ...}

<dir> is Tests/Fixtures/codegen (committed: networks whose weights are at most 20 MB, plus
allkinds) or, with --large, Tests/Fixtures/codegen-large (git-ignored: the others).

Usage (from the repository root):
    python3 Tools/make_codegen_fixtures.py                 # committed fixtures (small nets, allkinds)
    python3 Tools/make_codegen_fixtures.py --large         # the big nets -> Tests/Fixtures/codegen-large
    python3 Tools/make_codegen_fixtures.py --large vgg16   # only these (small or large)
    python3 Tools/make_codegen_fixtures.py --verify        # re-read the fixtures on disk and check
                                                           #   them independently (see verify())

The committed fixtures were generated with
    python3 Tools/make_codegen_fixtures.py
on CPU with Python 3.11.7, torch 2.15.0+cu132, torchvision 0.29.2+cu132, safetensors 0.8.0,
numpy 2.4.6 (and torchinfo 1.8.0, which Tools/reference_report.py imports). meta.json records the
versions used.

Weights (deterministic: torch.manual_seed(0) before building the model, nothing else random):
  - the model's own init (torchvision's, or PyTorch's default), then every conv/deconv/fc bias
    <- randn * 0.1; BatchNorm weight <- U(0.5, 1.5), bias <- randn * 0.1, running_mean <-
    randn * 0.1, running_var <- U(0.5, 1.5); PReLU slopes <- U(0.05, 0.45) per channel;
  - then one calibration pass on the fixture input: at the first call of every trainable
    conv/deconv/fc whose output has at least 16 elements, the weight is divided by the RMS of
    (output - bias), so every such layer's W*x has RMS 1 on this input. That keeps activations
    O(1) through VGG-19 or ResNet-101 (the default inits shrink or grow them geometrically) and
    keeps biases from dominating. The expected outputs come from a clean forward pass afterwards.
Input: torch.Generator seeded 0; randn(1, C, H, W), except the fixed filters (edge_vertical,
laplacian, box_blur), which get an image-like uniform [0, 1) input.
"""

import argparse
import json
import os
import platform
import sys
from collections import OrderedDict

import numpy as np
import safetensors
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_report as rr  # noqa: E402  (the zoo's PyTorch twins)

ROOT = rr.ROOT
SMALL = os.path.join(ROOT, 'Tests', 'Fixtures', 'codegen')
LARGE = os.path.join(ROOT, 'Tests', 'Fixtures', 'codegen-large')
LIMIT = 20 * 1000 * 1000          # bytes of weights.safetensors above which a fixture is not committed
SEED = 0
FIXED = ('edge_vertical', 'laplacian', 'box_blur')

# --------------------------------------------------------------------------------------------
# allkinds: every layer kind / option that no zoo spec uses (see allkinds.cnn for the shapes)
# --------------------------------------------------------------------------------------------

ALLKINDS_SPEC = os.path.join(SMALL, 'allkinds', 'allkinds.cnn')


def same_pad(size, k, s, d):
    """ONNX SAME_UPPER padding (begin, end) for one axis."""
    out = -(-size // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
    return total // 2, total - total // 2


class AllKinds(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(4, 8, 3, stride=2, dilation=2)                 # pad=same via F.pad
        self.d1 = nn.ConvTranspose2d(8, 8, 3, stride=2, padding=1, output_padding=1, groups=2)
        self.d1bn = nn.BatchNorm2d(8)
        self.c2 = nn.Conv2d(8, 8, 3)                                       # pad=0,1,2,1 via F.pad
        self.dw = nn.Conv2d(8, 16, 3, padding=1, groups=8)
        self.dwbn = nn.BatchNorm2d(16)
        self.pbn = nn.BatchNorm2d(32)
        self.c3 = nn.Conv2d(32, 12, 1)
        self.lrn = nn.LocalResponseNorm(3, alpha=0.5, beta=0.75, k=1.0)
        self.c4 = nn.Conv2d(12, 8, 3, stride=2, padding=1)
        self.h1 = nn.Linear(72, 5)
        self.h2 = nn.Linear(112, 6)
        self.h2bn = nn.BatchNorm1d(6)
        self.h3 = nn.Linear(448, 4)
        self.h4 = nn.Linear(448, 4)

    def forward(self, x):
        t, l = same_pad(x.shape[2], 3, 2, 2), same_pad(x.shape[3], 3, 2, 2)
        x = F.elu(self.c1(F.pad(x, (l[0], l[1], t[0], t[1]))))           # 6x6x8
        x = F.leaky_relu(self.d1bn(self.d1(x)), 0.1)                       # 12x12x8
        x = F.hardswish(self.c2(F.pad(x, (1, 1, 0, 2))))                   # (left, right, top, bottom)
        dwbn = self.dwbn(self.dw(x))                                       # 12x12x16
        x = F.hardsigmoid(dwbn)
        x = torch.cat([F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
                       F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=True)], 1)
        x = self.pbn(x)                                                    # 7x7x32
        x = self.lrn(F.silu(self.c3(x)))                                   # 7x7x12
        x = torch.sigmoid(F.interpolate(x, scale_factor=2, mode='nearest'))  # 14x14x12
        x = F.pad(x, (1, 1, 0, 0))                                         # zeropad 0,1,0,1: 14x16
        t4 = torch.tanh(self.c4(x))                                        # 7x8x8
        h1 = self.h1(F.adaptive_avg_pool2d(t4, 3).flatten(1))
        spp = torch.cat([F.adaptive_max_pool2d(t4, n).flatten(1) for n in (1, 2, 3)], 1)
        h2 = self.h2bn(self.h2(spp))
        h3 = self.h3(t4.permute(0, 2, 3, 1).reshape(1, -1))                # order=hwc
        h4 = self.h4(t4.permute(0, 3, 2, 1).reshape(1, -1))                # order=whc
        g = torch.cat([t4.amax(dim=(2, 3), keepdim=True), t4.mean(dim=(2, 3), keepdim=True)], 1)
        mp = F.max_pool2d(dwbn, 3, 2, 1, dilation=2, ceil_mode=True)       # 6x6x16
        return h1, h2, h3, h4, g, mp


def networks():
    """stem -> (builder, (H, W, C), spec path relative to the repository)."""
    nets = OrderedDict((stem, (b, shape, f'Specs/{stem}.cnn')) for stem, (b, shape, _) in rr.ZOO.items())
    nets['allkinds'] = (AllKinds, (12, 12, 4), os.path.relpath(ALLKINDS_SPEC, ROOT))
    return nets


# --------------------------------------------------------------------------------------------
# Weights and fixtures
# --------------------------------------------------------------------------------------------

WEIGHTED = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)
BN = (nn.BatchNorm1d, nn.BatchNorm2d)


def randomize(model, x):
    """The deterministic weight recipe of the module docstring (RNG already seeded)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, WEIGHTED) and m.weight.requires_grad and m.bias is not None:
                m.bias.copy_(torch.randn(m.bias.shape) * 0.1)
            elif isinstance(m, BN):
                m.weight.uniform_(0.5, 1.5)
                m.bias.copy_(torch.randn(m.bias.shape) * 0.1)
                m.running_mean.copy_(torch.randn(m.running_mean.shape) * 0.1)
                m.running_var.uniform_(0.5, 1.5)
            elif isinstance(m, nn.PReLU):
                m.weight.uniform_(0.05, 0.45)
        seen = set()

        def calibrate(m, inputs, out):
            if m in seen or out.numel() < 16:
                return None
            seen.add(m)
            bias = m.bias.view(1, -1, *([1] * (out.dim() - 2))) if m.bias is not None else 0
            wx = out - bias
            rms = wx.pow(2).mean().sqrt().item()
            if rms == 0:
                return None
            m.weight.div_(rms)
            return wx / rms + bias

        handles = [m.register_forward_hook(calibrate) for m in model.modules()
                   if isinstance(m, WEIGHTED) and m.weight.requires_grad]
        model(x)
        for h in handles:
            h.remove()


def make_input(stem, shape):
    h, w, c = shape
    g = torch.Generator().manual_seed(SEED)
    if stem in FIXED:
        return torch.rand(1, c, h, w, generator=g)
    return torch.randn(1, c, h, w, generator=g)


def tensors_to_save(model):
    """state_dict without constant (requires_grad=False) parameters, float32 contiguous."""
    fixed = {n for n, p in model.named_parameters() if not p.requires_grad}
    out = OrderedDict()
    for k, v in model.state_dict().items():
        if k in fixed:
            continue
        out[k] = v.detach().to(torch.float32 if v.is_floating_point() else v.dtype).contiguous().clone()
    return out


def f32(t):
    return np.ascontiguousarray(t.detach().numpy().astype('<f4')).tobytes()


def weight_bytes(build):
    torch.manual_seed(SEED)
    m = build()
    return sum(v.numel() * v.element_size() for v in tensors_to_save(m).values())


def build_model(stem):
    build, shape, spec = networks()[stem]
    torch.manual_seed(SEED)
    model = build().eval()
    x = make_input(stem, shape)
    randomize(model, x)
    return model, x, shape, spec


def write_meta(path, meta):
    """JSON, one key per line, each value compact."""
    body = ',\n'.join(f'  {json.dumps(k)}: {json.dumps(v, separators=(", ", ": "))}' for k, v in meta.items())
    with open(path, 'w') as f:
        f.write('{\n' + body + '\n}\n')


def generate(stem, outdir):
    model, x, shape, spec = build_model(stem)
    with torch.no_grad():
        outs = model(x)
    outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
    d = os.path.join(outdir, stem)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith('output') and f.endswith('.bin'):
            os.remove(os.path.join(d, f))
    save_file(tensors_to_save(model), os.path.join(d, 'weights.safetensors'))
    with open(os.path.join(d, 'input.bin'), 'wb') as f:
        f.write(f32(x[0]))
    for i, o in enumerate(outs):
        with open(os.path.join(d, f'output{i}.bin'), 'wb') as f:
            f.write(f32(o[0]))
    meta = OrderedDict([
        ('spec', spec),
        ('input', list(shape)),
        ('outputs', [rr.hwc(o) for o in outs]),
        ('maxAbs', [float(o.abs().max()) for o in outs]),
        ('torch', torch.__version__), ('torchvision', torchvision.__version__),
        ('safetensors', safetensors.__version__), ('numpy', np.__version__),
        ('python', platform.python_version()),
        ('seed', SEED),
        ('inputDistribution', 'uniform [0, 1)' if stem in FIXED else 'standard normal'),
        ('generator', 'Tools/make_codegen_fixtures.py'),
    ])
    write_meta(os.path.join(d, 'meta.json'), meta)
    size = os.path.getsize(os.path.join(d, 'weights.safetensors'))
    print(f'{stem:22} {size / 1e6:8.2f} MB  outputs {meta["outputs"]}  '
          f'maxAbs {[round(v, 4) for v in meta["maxAbs"]]}  -> {os.path.relpath(d, ROOT)}')


# --------------------------------------------------------------------------------------------
# --verify: independent checks of what is on disk
# --------------------------------------------------------------------------------------------

def read_fixture(d):
    meta = json.load(open(os.path.join(d, 'meta.json')))
    h, w, c = meta['input']
    x = np.fromfile(os.path.join(d, 'input.bin'), dtype='<f4').reshape(c, h, w)
    outs = [np.fromfile(os.path.join(d, f'output{i}.bin'), dtype='<f4') for i in range(len(meta['outputs']))]
    return meta, x, outs, load_file(os.path.join(d, 'weights.safetensors'))


# A tiny numpy reference (float64) for the layer kinds of LeNet-5 and MTCNN. Weights come straight
# from the safetensors file by the spec's labels, so this checks names and layouts as well.

def np_conv(x, w, b, stride=1, pad=0):
    c, h, wd = x.shape
    o, ci, kh, kw = w.shape
    x = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    oh, ow = (x.shape[1] - kh) // stride + 1, (x.shape[2] - kw) // stride + 1
    cols = np.empty((ci * kh * kw, oh * ow))
    for i in range(kh):
        for j in range(kw):
            patch = x[:, i:i + stride * oh:stride, j:j + stride * ow:stride]
            cols[np.arange(ci) * kh * kw + i * kw + j] = patch.reshape(ci, -1)
    return (w.reshape(o, -1) @ cols).reshape(o, oh, ow) + b[:, None, None]


def np_pool(x, k, s, mode, ceil=False):
    c, h, w = x.shape
    size = lambda n: (-(-(n - k) // s) if ceil else (n - k) // s) + 1
    oh, ow = size(h), size(w)
    out = np.empty((c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = x[:, i * s:min(i * s + k, h), j * s:min(j * s + k, w)]
            out[:, i, j] = win.max(axis=(1, 2)) if mode == 'max' else win.mean(axis=(1, 2))
    return out


def np_prelu(x, a):
    a = a.reshape(-1, *([1] * (x.ndim - 1)))
    return np.where(x >= 0, x, a * x)


def np_softmax(x):
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def np_reference(stem, W, x):
    g = lambda k: W[k].numpy().astype(np.float64)
    conv = lambda n, x, **kw: np_conv(x, g(f'{n}.weight'), g(f'{n}.bias'), **kw)
    fc = lambda n, v: g(f'{n}.weight') @ v + g(f'{n}.bias')
    x = x.astype(np.float64)
    if stem == 'lenet5':
        x = np_pool(np.tanh(conv('conv1', x)), 2, 2, 'avg')
        x = np_pool(np.tanh(conv('conv2', x)), 2, 2, 'avg').reshape(-1)
        return [fc('fc3', np.tanh(fc('fc2', np.tanh(fc('fc1', x)))))]
    if stem.startswith('mtcnn_pnet') or stem == 'pnet':
        x = np_pool(np_prelu(conv('conv1', x), g('prelu1.weight')), 2, 2, 'max', ceil=True)
        x = np_prelu(conv('conv2', x), g('prelu2.weight'))
        x = np_prelu(conv('conv3', x), g('prelu3.weight'))
        return [conv('conv4_2', x), np_softmax(conv('conv4_1', x))]
    if stem.startswith('mtcnn_rnet') or stem == 'rnet':
        x = np_pool(np_prelu(conv('conv1', x), g('prelu1.weight')), 3, 2, 'max', ceil=True)
        x = np_pool(np_prelu(conv('conv2', x), g('prelu2.weight')), 3, 2, 'max', ceil=True)
        x = np_prelu(conv('conv3', x), g('prelu3.weight'))
        x = x.transpose(2, 1, 0).reshape(-1)                       # flatten order=whc
        x = np_prelu(fc('dense4', x), g('prelu4.weight'))
        return [fc('dense5_2', x), np_softmax(fc('dense5_1', x))]
    if stem.startswith('mtcnn_onet') or stem == 'onet':
        x = np_pool(np_prelu(conv('conv1', x), g('prelu1.weight')), 3, 2, 'max', ceil=True)
        x = np_pool(np_prelu(conv('conv2', x), g('prelu2.weight')), 3, 2, 'max', ceil=True)
        x = np_pool(np_prelu(conv('conv3', x), g('prelu3.weight')), 2, 2, 'max', ceil=True)
        x = np_prelu(conv('conv4', x), g('prelu4.weight'))
        x = x.transpose(2, 1, 0).reshape(-1)                       # flatten order=whc
        x = np_prelu(fc('dense5', x), g('prelu5.weight'))
        return [fc('dense6_2', x), fc('dense6_3', x), np_softmax(fc('dense6_1', x))]
    if stem == 'edge_vertical':                                    # out[y,x] = in[y,x-1] - in[y,x+1]
        p = np.pad(x, ((0, 0), (0, 0), (1, 1)))
        return [p[:, :, :-2] - p[:, :, 2:]]
    if stem in ('laplacian', 'box_blur'):                          # depthwise, constants from the spec
        k = np.full((3, 3), -0.125)
        k[1, 1] = 1.0
        k, pad = (k, 1) if stem == 'laplacian' else (np.full((5, 5), 0.04), 2)
        return [np.concatenate([np_conv(x[i:i + 1], k[None, None], np.zeros(1), pad=pad) for i in range(3)])]
    return None


def check(name, got, want, tol):
    err = float(np.max(np.abs(got.reshape(-1) - want.reshape(-1)))) if got.size == want.size else float('inf')
    scale = max(1.0, float(np.max(np.abs(want))))
    ok = err <= tol * scale
    print(f'  {"ok  " if ok else "FAIL"} {name}: max |diff| {err:.3g}')
    return ok


def verify(stems, dirs):
    """For each fixture on disk: (1) load weights.safetensors (strictly: every key the PyTorch
    twin has and nothing else, fixed-filter constants excepted) into a freshly built model and
    rerun input.bin, comparing with output<i>.bin; (2) for LeNet-5, the MTCNN nets and the
    vertical edge filter also a float64 numpy reference that reads the weights by the spec's
    labels."""
    ok = True
    for stem in stems:
        d = next((os.path.join(b, stem) for b in dirs if os.path.exists(os.path.join(b, stem, 'meta.json'))), None)
        if d is None:
            continue
        meta, x, outs, W = read_fixture(d)
        print(f'{stem} ({os.path.relpath(d, ROOT)})')
        build = networks()[stem][0]
        model = build().eval()
        fixed = {n for n, p in model.named_parameters() if not p.requires_grad}
        missing, unexpected = model.load_state_dict(W, strict=False)
        missing = [k for k in missing if k not in fixed]
        if missing or unexpected:
            print(f'  FAIL names: missing {missing}, unexpected {unexpected}')
            ok = False
        with torch.no_grad():
            got = model(torch.from_numpy(x)[None])
        got = list(got) if isinstance(got, (tuple, list)) else [got]
        for i, (g_, w_) in enumerate(zip(got, outs)):
            ok &= check(f'output{i} torch reload', g_[0].numpy(), w_, 0)
        ref = np_reference(stem, W, x)
        if ref is not None:
            for i, (r, w_) in enumerate(zip(ref, outs)):
                ok &= check(f'output{i} numpy reference', r, w_, 1e-4)
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('stems', nargs='*', help='networks (default: all committed ones, or all large ones with --large)')
    ap.add_argument('--large', action='store_true', help=f'write networks over {LIMIT // 10**6} MB to {os.path.relpath(LARGE, ROOT)}')
    ap.add_argument('--verify', action='store_true', help='check the fixtures on disk instead of writing')
    args = ap.parse_args()
    nets = networks()
    unknown = [s for s in args.stems if s not in nets]
    if unknown:
        ap.error(f'unknown network(s): {", ".join(unknown)}; known: {", ".join(nets)}')
    if args.verify:
        return 0 if verify(args.stems or list(nets), [SMALL, LARGE]) else 1
    stems = args.stems or list(nets)
    for stem in stems:
        big = weight_bytes(nets[stem][0]) > LIMIT
        if args.stems and big and not args.large:
            print(f'{stem}: weights over {LIMIT // 10**6} MB; use --large')
            continue
        if not args.stems and big != args.large:
            continue
        generate(stem, LARGE if big else SMALL)
    return 0


if __name__ == '__main__':
    sys.exit(main())
