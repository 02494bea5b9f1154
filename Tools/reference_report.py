#!/usr/bin/env python3
"""PyTorch reference numbers for the model zoo in Specs/.

For every Specs/<stem>.cnn this builds the same network in PyTorch (torchvision where it exists,
otherwise defined below with module names equal to the spec's layer names), runs a batch-1 input
through it with a forward hook on every leaf module and through torchinfo.summary, and writes
Tests/Fixtures/reference/<stem>.json.

Usage (from the repository root):
    python3 Tools/reference_report.py                    # writes every fixture
    python3 Tools/reference_report.py resnet18 vgg16     # only these
    python3 Tools/reference_report.py --list             # zoo stems and their sources
    python3 Tools/reference_report.py --compare CNNC     # compare `CNNC report Specs/<stem>.cnn
                                                         #   --format json` with the fixtures
                                                         #   (CNNC may be a command with arguments)

The fixtures in the repository were generated with
    python3 Tools/reference_report.py
on CPU with Python 3.11.7, torch 2.15.0+cu132, torchvision 0.29.2+cu132, torchinfo 1.8.0
(`pip install torch torchvision torchinfo`). No pretrained weights are downloaded: the models are
built with weights=None, since only shapes and counts are recorded.

Fixture format (see Tools/README.md):
    { "source", "torch", "torchvision", "torchinfo", "input": [H, W, C], "outputs": [[H, W, C], ...],
      "totals": { "params", "trainableParams", "buffers", "macs_torchinfo", "macs_convfc" },
      "layers": [ { "name", "kind", "output": [H, W, C], "params", "macs" }, ... ] }
One layer entry per leaf-module call, in execution order, named by the module's path (the
state_dict prefix). A module called more than once (torchvision ResNet's per-block `relu`)
appears once per call; its parameters are counted at its first call only.
"""

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
from collections import OrderedDict

import torch
import torch.nn as nn
import torchinfo
import torchvision
from torchvision import models as tvm

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPECS = os.path.join(ROOT, 'Specs')
OUT = os.path.join(ROOT, 'Tests', 'Fixtures', 'reference')

# --------------------------------------------------------------------------------------------
# Networks without a torchvision model. Module names are the spec's layer names: its labels,
# and for unlabelled layers the names cnnc generates (relu1, lrn1, maxpool1, flatten1, ...:
# one counter per kind over unlabelled layers in execution order).
# --------------------------------------------------------------------------------------------

def seq(*pairs):
    return nn.Sequential(OrderedDict(pairs))


def lenet5():
    return seq(('conv1', nn.Conv2d(1, 6, 5)), ('tanh1', nn.Tanh()), ('avgpool1', nn.AvgPool2d(2)),
               ('conv2', nn.Conv2d(6, 16, 5)), ('tanh2', nn.Tanh()), ('avgpool2', nn.AvgPool2d(2)),
               ('flatten1', nn.Flatten()),
               ('fc1', nn.Linear(400, 120)), ('tanh3', nn.Tanh()),
               ('fc2', nn.Linear(120, 84)), ('tanh4', nn.Tanh()),
               ('fc3', nn.Linear(84, 10)))


def lrn():
    return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)


def alexnet_paper():
    """Krizhevsky et al. 2012: two-GPU split as groups=2 on conv2/4/5, LRN, 227x227 input."""
    return seq(('conv1', nn.Conv2d(3, 96, 11, stride=4)), ('relu1', nn.ReLU()), ('lrn1', lrn()),
               ('maxpool1', nn.MaxPool2d(3, 2)),
               ('conv2', nn.Conv2d(96, 256, 5, padding=2, groups=2)), ('relu2', nn.ReLU()),
               ('lrn2', lrn()), ('maxpool2', nn.MaxPool2d(3, 2)),
               ('conv3', nn.Conv2d(256, 384, 3, padding=1)), ('relu3', nn.ReLU()),
               ('conv4', nn.Conv2d(384, 384, 3, padding=1, groups=2)), ('relu4', nn.ReLU()),
               ('conv5', nn.Conv2d(384, 256, 3, padding=1, groups=2)), ('relu5', nn.ReLU()),
               ('maxpool3', nn.MaxPool2d(3, 2)),
               ('flatten1', nn.Flatten()),
               ('fc6', nn.Linear(9216, 4096)), ('relu6', nn.ReLU()), ('dropout1', nn.Dropout(0.5)),
               ('fc7', nn.Linear(4096, 4096)), ('relu7', nn.ReLU()), ('dropout2', nn.Dropout(0.5)),
               ('fc8', nn.Linear(4096, 1000)), ('softmax1', nn.Softmax(dim=1)))


def zfnet():
    """Zeiler & Fergus 2013, Fig. 3: conv1 7x7/2 padded 1 (-> 110), ceil-mode pools (-> 55, 13)."""
    return seq(('conv1', nn.Conv2d(3, 96, 7, stride=2, padding=1)), ('relu1', nn.ReLU()),
               ('maxpool1', nn.MaxPool2d(3, 2, ceil_mode=True)), ('lrn1', lrn()),
               ('conv2', nn.Conv2d(96, 256, 5, stride=2)), ('relu2', nn.ReLU()),
               ('maxpool2', nn.MaxPool2d(3, 2, ceil_mode=True)), ('lrn2', lrn()),
               ('conv3', nn.Conv2d(256, 384, 3, padding=1)), ('relu3', nn.ReLU()),
               ('conv4', nn.Conv2d(384, 384, 3, padding=1)), ('relu4', nn.ReLU()),
               ('conv5', nn.Conv2d(384, 256, 3, padding=1)), ('relu5', nn.ReLU()),
               ('maxpool3', nn.MaxPool2d(3, 2)),
               ('flatten1', nn.Flatten()),
               ('fc6', nn.Linear(9216, 4096)), ('relu6', nn.ReLU()), ('dropout1', nn.Dropout(0.5)),
               ('fc7', nn.Linear(4096, 4096)), ('relu7', nn.ReLU()), ('dropout2', nn.Dropout(0.5)),
               ('fc8', nn.Linear(4096, 1000)), ('softmax1', nn.Softmax(dim=1)))


def nin():
    """Network in Network, ImageNet (Caffe model zoo NIN-Imagenet), 224x224."""
    return seq(('conv1', nn.Conv2d(3, 96, 11, stride=4)), ('relu1', nn.ReLU()),
               ('cccp1', nn.Conv2d(96, 96, 1)), ('relu2', nn.ReLU()),
               ('cccp2', nn.Conv2d(96, 96, 1)), ('relu3', nn.ReLU()),
               ('pool0', nn.MaxPool2d(3, 2, ceil_mode=True)),
               ('conv2', nn.Conv2d(96, 256, 5, padding=2)), ('relu4', nn.ReLU()),
               ('cccp3', nn.Conv2d(256, 256, 1)), ('relu5', nn.ReLU()),
               ('cccp4', nn.Conv2d(256, 256, 1)), ('relu6', nn.ReLU()),
               ('pool2', nn.MaxPool2d(3, 2, ceil_mode=True)),
               ('conv3', nn.Conv2d(256, 384, 3, padding=1)), ('relu7', nn.ReLU()),
               ('cccp5', nn.Conv2d(384, 384, 1)), ('relu8', nn.ReLU()),
               ('cccp6', nn.Conv2d(384, 384, 1)), ('relu9', nn.ReLU()),
               ('pool3', nn.MaxPool2d(3, 2, ceil_mode=True)),
               ('dropout1', nn.Dropout(0.5)),
               ('conv4_1024', nn.Conv2d(384, 1024, 3, padding=1)), ('relu10', nn.ReLU()),
               ('cccp7_1024', nn.Conv2d(1024, 1024, 1)), ('relu11', nn.ReLU()),
               ('cccp8_1024', nn.Conv2d(1024, 1000, 1)), ('relu12', nn.ReLU()),
               ('pool4', nn.AvgPool2d(6, stride=1)),
               ('softmax1', nn.Softmax(dim=1)))


class DWSep(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.dw = nn.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin, bias=False)
        self.dw_bn = nn.BatchNorm2d(cin)
        self.dw_relu = nn.ReLU()
        self.pw = nn.Conv2d(cin, cout, 1, bias=False)
        self.pw_bn = nn.BatchNorm2d(cout)
        self.pw_relu = nn.ReLU()

    def forward(self, x):
        x = self.dw_relu(self.dw_bn(self.dw(x)))
        return self.pw_relu(self.pw_bn(self.pw(x)))


class MobileNetV1(nn.Module):
    """Howard et al. 2017, Table 1, width 1.0 (13th depthwise conv with stride 1, as everyone does)."""
    CFG = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
           (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.relu1 = nn.ReLU()
        blocks, cin = [], 32
        for cout, s in self.CFG:
            blocks.append(DWSep(cin, cout, s))
            cin = cout
        self.layers = nn.Sequential(*blocks)
        self.avgpool = nn.AvgPool2d(7)
        self.flatten1 = nn.Flatten()
        self.fc = nn.Linear(1024, 1000)
        self.softmax1 = nn.Softmax(dim=1)

    def forward(self, x):
        x = self.layers(self.relu1(self.bn1(self.conv1(x))))
        return self.softmax1(self.fc(self.flatten1(self.avgpool(x))))


# MTCNN, as facenet-pytorch's models/mtcnn.py defines PNet, RNet and ONet (without the weight
# loading); the flatten is x.permute(0, 3, 2, 1).contiguous().view(N, -1), not a module.

class PNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 10, kernel_size=3)
        self.prelu1 = nn.PReLU(10)
        self.pool1 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv2 = nn.Conv2d(10, 16, kernel_size=3)
        self.prelu2 = nn.PReLU(16)
        self.conv3 = nn.Conv2d(16, 32, kernel_size=3)
        self.prelu3 = nn.PReLU(32)
        self.conv4_1 = nn.Conv2d(32, 2, kernel_size=1)
        self.softmax4_1 = nn.Softmax(dim=1)
        self.conv4_2 = nn.Conv2d(32, 4, kernel_size=1)

    def forward(self, x):
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.prelu2(self.conv2(x))
        x = self.prelu3(self.conv3(x))
        a = self.softmax4_1(self.conv4_1(x))
        b = self.conv4_2(x)
        return b, a


class RNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 28, kernel_size=3)
        self.prelu1 = nn.PReLU(28)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2 = nn.Conv2d(28, 48, kernel_size=3)
        self.prelu2 = nn.PReLU(48)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3 = nn.Conv2d(48, 64, kernel_size=2)
        self.prelu3 = nn.PReLU(64)
        self.dense4 = nn.Linear(576, 128)
        self.prelu4 = nn.PReLU(128)
        self.dense5_1 = nn.Linear(128, 2)
        self.softmax5_1 = nn.Softmax(dim=1)
        self.dense5_2 = nn.Linear(128, 4)

    def forward(self, x):
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.prelu3(self.conv3(x))
        x = x.permute(0, 3, 2, 1).contiguous()
        x = self.prelu4(self.dense4(x.view(x.shape[0], -1)))
        a = self.softmax5_1(self.dense5_1(x))
        b = self.dense5_2(x)
        return b, a


class ONet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, kernel_size=3)
        self.prelu1 = nn.PReLU(32)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3)
        self.prelu2 = nn.PReLU(64)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3 = nn.Conv2d(64, 64, kernel_size=3)
        self.prelu3 = nn.PReLU(64)
        self.pool3 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv4 = nn.Conv2d(64, 128, kernel_size=2)
        self.prelu4 = nn.PReLU(128)
        self.dense5 = nn.Linear(1152, 256)
        self.prelu5 = nn.PReLU(256)
        self.dense6_1 = nn.Linear(256, 2)
        self.softmax6_1 = nn.Softmax(dim=1)
        self.dense6_2 = nn.Linear(256, 4)
        self.dense6_3 = nn.Linear(256, 10)

    def forward(self, x):
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.pool3(self.prelu3(self.conv3(x)))
        x = self.prelu4(self.conv4(x))
        x = x.permute(0, 3, 2, 1).contiguous()
        x = self.prelu5(self.dense5(x.view(x.shape[0], -1)))
        a = self.softmax6_1(self.dense6_1(x))
        b = self.dense6_2(x)
        c = self.dense6_3(x)
        return b, c, a


def fixed(name, conv, values):
    """A conv with constant weights (not trainable), as the spec's `weights=[...]`."""
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(values, dtype=torch.float32).reshape(conv.weight.shape))
    conv.weight.requires_grad_(False)
    return seq((name, conv))


def edge_vertical():
    return fixed('edge', nn.Conv2d(1, 1, (1, 3), padding=(0, 1), bias=False), [1, 0, -1])


def laplacian():
    k = [-0.125] * 4 + [1] + [-0.125] * 4
    return fixed('laplacian', nn.Conv2d(3, 3, 3, padding=1, groups=3, bias=False), k * 3)


def box_blur():
    return fixed('blur', nn.Conv2d(3, 3, 5, padding=2, groups=3, bias=False), [0.04] * 75)


# --------------------------------------------------------------------------------------------
# The zoo: spec stem -> (constructor, input [H, W, C], source)
# --------------------------------------------------------------------------------------------

TV = f'torchvision {torchvision.__version__.split("+")[0]}'
HERE = 'defined in Tools/reference_report.py'
ZOO = OrderedDict([
    ('lenet5', (lenet5, (32, 32, 1), f'{HERE} (LeNet-5, LeCun et al. 1998)')),
    ('alexnet', (alexnet_paper, (227, 227, 3), f'{HERE} (AlexNet, Krizhevsky et al. 2012)')),
    ('alexnet_torchvision', (lambda: tvm.alexnet(weights=None), (224, 224, 3), f'{TV} alexnet')),
    ('zfnet', (zfnet, (224, 224, 3), f'{HERE} (ZFNet, Zeiler & Fergus 2013)')),
    ('nin', (nin, (224, 224, 3), f'{HERE} (Network in Network, ImageNet, Lin et al. 2014)')),
] + [(n, (lambda n=n: getattr(tvm, n)(weights=None), (224, 224, 3), f'{TV} {n}'))
     for n in ('vgg11', 'vgg16', 'vgg19', 'vgg11_bn', 'vgg16_bn', 'vgg19_bn')] + [
    ('googlenet', (lambda: tvm.googlenet(weights=None, aux_logits=False, transform_input=False,
                                         init_weights=False), (224, 224, 3),
                   f'{TV} googlenet(aux_logits=False, transform_input=False, init_weights=False)')),
] + [(n, (lambda n=n: getattr(tvm, n)(weights=None), (224, 224, 3), f'{TV} {n}'))
     for n in ('resnet18', 'resnet34', 'resnet50', 'resnet101', 'densenet121')] + [
    ('mobilenet_v1', (MobileNetV1, (224, 224, 3), f'{HERE} (MobileNet v1 1.0-224, Howard et al. 2017)')),
    ('mobilenet_v2', (lambda: tvm.mobilenet_v2(weights=None), (224, 224, 3), f'{TV} mobilenet_v2')),
    ('squeezenet1_0', (lambda: tvm.squeezenet1_0(weights=None), (224, 224, 3), f'{TV} squeezenet1_0')),
    ('squeezenet1_1', (lambda: tvm.squeezenet1_1(weights=None), (224, 224, 3), f'{TV} squeezenet1_1')),
    ('mtcnn_pnet', (PNet, (12, 12, 3), f'{HERE} (facenet-pytorch PNet)')),
    ('mtcnn_rnet', (RNet, (24, 24, 3), f'{HERE} (facenet-pytorch RNet)')),
    ('mtcnn_onet', (ONet, (48, 48, 3), f'{HERE} (facenet-pytorch ONet)')),
    ('edge_vertical', (edge_vertical, (64, 64, 1), f'{HERE} (fixed 1x3 [1,0,-1] filter)')),
    ('laplacian', (laplacian, (128, 128, 3), f'{HERE} (fixed depthwise 3x3 Laplacian / 8)')),
    ('box_blur', (box_blur, (128, 128, 3), f'{HERE} (fixed depthwise 5x5 box blur)')),
])

# --------------------------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------------------------

def hwc(t):
    """PyTorch NCHW / NC shape (batch 1) -> the report's [H, W, C]; flat tensors are [1, 1, N]."""
    s = list(t.shape)[1:]
    if len(s) == 3:
        return [s[1], s[2], s[0]]
    if len(s) == 1:
        return [1, 1, s[0]]
    raise ValueError(f'unexpected tensor shape {list(t.shape)}')


def contract_macs(m, inp, out):
    """The language contract's MAC formula (bias adds not counted); 0 for other layers."""
    if isinstance(m, nn.Conv2d):
        kh, kw = m.kernel_size
        return out.shape[2] * out.shape[3] * m.out_channels * (m.in_channels // m.groups) * kh * kw
    if isinstance(m, nn.ConvTranspose2d):
        kh, kw = m.kernel_size
        return inp.shape[2] * inp.shape[3] * m.in_channels * (m.out_channels // m.groups) * kh * kw
    if isinstance(m, nn.Linear):
        return m.in_features * m.out_features
    return 0


def torchinfo_extra(m, out):
    """What torchinfo's mult-adds count on top of contract_macs (see Tools/README.md):
    a conv bias adds one per output element; every other parameterised module (Linear bias,
    BatchNorm weight+bias, PReLU slopes) adds its parameter count once per batch item."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        return out.numel() if m.bias is not None else 0
    n = sum(p.numel() for p in m.parameters())
    if isinstance(m, nn.Linear):
        n -= m.weight.numel()
    return n


def measure(stem):
    build, (h, w, c), source = ZOO[stem]
    torch.manual_seed(0)
    model = build().eval()
    names = {m: n for n, m in model.named_modules()}
    leaves = [m for m in model.modules() if not list(m.children())]
    layers, seen, extra = [], set(), [0]

    def hook(m, inputs, out):
        first = m not in seen
        seen.add(m)
        extra[0] += torchinfo_extra(m, out)
        layers.append(OrderedDict([
            ('name', names[m]), ('kind', type(m).__name__), ('output', hwc(out)),
            ('params', sum(p.numel() for p in m.parameters()) if first else 0),
            ('macs', contract_macs(m, inputs[0], out))]))

    handles = [m.register_forward_hook(hook) for m in leaves]
    with torch.no_grad():
        outs = model(torch.zeros(1, c, h, w))
    for hd in handles:
        hd.remove()
    outs = list(outs) if isinstance(outs, tuple) else [outs]

    stats = torchinfo.summary(model, input_size=(1, c, h, w), verbose=0, device='cpu')
    params = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    buffers = sum(b.numel() for n, b in model.named_buffers() if not n.endswith('num_batches_tracked'))
    macs = sum(l['macs'] for l in layers)
    assert sum(l['params'] for l in layers) == params, f'{stem}: parameters outside leaf modules'
    assert stats.total_params == params and stats.trainable_params == trainable, stem
    assert stats.total_mult_adds == macs + extra[0], \
        f'{stem}: torchinfo {stats.total_mult_adds} != contract {macs} + extra {extra[0]}'
    return OrderedDict([
        ('source', source),
        ('python', platform.python_version()),
        ('torch', torch.__version__), ('torchvision', torchvision.__version__),
        ('torchinfo', torchinfo.__version__),
        ('input', [h, w, c]),
        ('outputs', [hwc(o) for o in outs]),
        ('totals', OrderedDict([('params', params), ('trainableParams', trainable),
                                ('buffers', buffers),
                                ('macs_torchinfo', stats.total_mult_adds), ('macs_convfc', macs)])),
        ('layers', layers)])


def dump(doc):
    """Compact JSON: header fields one per line, one layer per line."""
    d = lambda v: json.dumps(v, separators=(', ', ': '))
    head = [f'  {d(k)}: {d(v)}' for k, v in doc.items() if k != 'layers']
    rows = ',\n'.join(f'    {d(l)}' for l in doc['layers'])
    return '{\n' + ',\n'.join(head) + ',\n  "layers": [\n' + rows + '\n  ]\n}\n'


# --------------------------------------------------------------------------------------------
# --compare: check cnnc's report against the fixtures
# --------------------------------------------------------------------------------------------

def compare(cmd, stems):
    failures = 0
    for stem in stems:
        path = os.path.join(OUT, f'{stem}.json')
        ref = json.load(open(path))
        spec = os.path.join(SPECS, f'{stem}.cnn')
        run = subprocess.run(shlex.split(cmd) + ['report', spec, '--format', 'json'],
                             capture_output=True, text=True)
        if run.returncode != 0:
            print(f'FAIL {stem}: cnnc exited {run.returncode}\n{run.stderr}')
            failures += 1
            continue
        rep = json.loads(run.stdout)
        problems = []
        rt, ft = rep['totals'], ref['totals']
        for a, b in (('params', 'params'), ('trainableParams', 'trainableParams'),
                     ('macs', 'macs_convfc'), ('buffers', 'buffers')):
            if a in rt and rt[a] != ft[b]:
                problems.append(f'totals.{a} {rt[a]} != reference {b} {ft[b]}')
        if rep.get('input') != ref['input']:
            problems.append(f'input {rep.get("input")} != {ref["input"]}')
        if 'outputs' in rep and rep['outputs'] != ref['outputs']:
            problems.append(f'outputs {rep["outputs"]} != {ref["outputs"]}')
        byname = {l['name']: l for l in rep['layers']}
        matched = unmatched = 0
        for l in ref['layers']:
            r = byname.get(l['name'])
            if r is None:
                unmatched += 1
                if l['params'] or l['macs']:
                    problems.append(f'{l["name"]} ({l["kind"]}, {l["params"]} params) has no layer of that name')
                continue
            matched += 1
            for key in ('output', 'params', 'macs'):
                if key == 'params' and l['params'] == 0 and r['params'] != 0:
                    continue  # second call of a shared module
                if r.get(key) != l[key]:
                    problems.append(f'{l["name"]}.{key}: cnnc {r.get(key)} != reference {l[key]}')
        status = 'ok  ' if not problems else 'FAIL'
        print(f'{status} {stem}: params {rt.get("params")}, macs {rt.get("macs")}; '
              f'{matched} layers matched by name, {unmatched} reference layers unnamed in the spec')
        for p in problems[:20]:
            print(f'     {p}')
        failures += bool(problems)
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('stems', nargs='*', help='zoo networks (default: all)')
    ap.add_argument('--list', action='store_true', help='list the zoo and exit')
    ap.add_argument('--compare', metavar='CNNC', help='compare `CNNC report` output with the fixtures')
    args = ap.parse_args()
    stems = args.stems or list(ZOO)
    unknown = [s for s in stems if s not in ZOO]
    if unknown:
        ap.error(f'unknown network(s): {", ".join(unknown)}; see --list')
    if args.list:
        for s in stems:
            print(f'{s:22} {ZOO[s][2]}')
        return 0
    if args.compare:
        return 1 if compare(args.compare, stems) else 0
    os.makedirs(OUT, exist_ok=True)
    for stem in stems:
        doc = measure(stem)
        with open(os.path.join(OUT, f'{stem}.json'), 'w') as f:
            f.write(dump(doc))
        t = doc['totals']
        print(f'{stem:22} params {t["params"]:>12,}  trainable {t["trainableParams"]:>12,}  '
              f'macs(contract) {t["macs_convfc"]:>15,}  macs(torchinfo) {t["macs_torchinfo"]:>15,}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
