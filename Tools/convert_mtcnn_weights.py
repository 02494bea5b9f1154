#!/usr/bin/env python3
"""MTCNN fixtures with real, trained weights: facenet-pytorch's PNet/RNet/ONet on a real face.

Converts the state_dicts that facenet-pytorch ships (facenet_pytorch/data/{pnet,rnet,onet}.pt,
weights ported by its authors from the original MTCNN Caffe models) to safetensors, named
exactly as the labels of Specs/mtcnn_{pnet,rnet,onet}.cnn (which are facenet-pytorch's module
names), resizes a real face crop to each net's input size, and records what facenet-pytorch's
OWN modules (facenet_pytorch.models.mtcnn.PNet/RNet/ONet) output for it:

    Tests/Fixtures/mtcnn/face.ppm                 the face crop (binary PPM, 112x112 RGB)
    Tests/Fixtures/mtcnn/LICENSE.md               where the image and the weights come from
    Tests/Fixtures/mtcnn/{pnet,rnet,onet}.safetensors      float32, state_dict keys
    Tests/Fixtures/mtcnn/<net>/input.bin          raw little-endian float32, C,H,W (RGB),
                                                  normalised as facenet-pytorch does:
                                                  (pixel - 127.5) * 0.0078125
    Tests/Fixtures/mtcnn/<net>/output<i>.bin      raw little-endian float32, in the spec's
                                                  `output` order: pnet (conv4_2 box 1x1x4,
                                                  softmax4_1 1x1x2), rnet (dense5_2 4,
                                                  softmax5_1 2), onet (dense6_2 4, dense6_3 10,
                                                  softmax6_1 2); flattened in C,H,W order
    Tests/Fixtures/mtcnn/<net>/meta.json          as Tools/make_codegen_fixtures.py writes, plus
                                                  "weights": "../<net>.safetensors"

Input sizes are the specs' (PNet 12x12, RNet 24x24, ONet 48x48): the 112x112 crop is resized with
torch.nn.functional.interpolate(mode='area'), which is what facenet-pytorch's detect_face uses
(imresample) to cut its 24x24 and 48x48 candidates. Softmax index 1 is the face probability.

The face: scikit-image's `astronaut` test image (Eileen Collins, NASA; public domain, see
LICENSE.md). The crop is the square around the face box that facenet-pytorch's own MTCNN
detector finds on the 512x512 image: box (181.1, 62.2, 267.7, 172.1) -> centre (224, 117),
side 112 -> rows 61..172, columns 168..279. face.ppm is committed; the script reads it and only
regenerates it from scikit-image with --refresh-face.

Usage (from the repository root):
    pip install facenet-pytorch --no-deps     # 2.6.0 pins torch<2.3; its modules work on 2.15
    pip install tqdm requests                 # imported by facenet_pytorch/__init__
    pip install scikit-image                  # only for --refresh-face
    python3 Tools/convert_mtcnn_weights.py
    python3 Tools/convert_mtcnn_weights.py --refresh-face   # re-cut face.ppm from skimage

The committed files were generated with Python 3.11.7, torch 2.15.0+cu132, facenet-pytorch 2.6.0,
safetensors 0.8.0, numpy 2.4.6, scikit-image 0.26.0, on CPU.
The script also checks every net against a float64 numpy reference that reads the converted
safetensors by the spec's labels (Tools/make_codegen_fixtures.py: np_reference).
"""

import argparse
import os
import platform
import sys
from collections import OrderedDict
from importlib.metadata import version

import numpy as np
import safetensors
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_codegen_fixtures as mcf  # noqa: E402  (numpy reference, hwc)

ROOT = mcf.ROOT
OUT = os.path.join(ROOT, 'Tests', 'Fixtures', 'mtcnn')
FACE = os.path.join(OUT, 'face.ppm')
CROP = (61, 168, 112)          # top, left, side in skimage.data.astronaut()

NETS = OrderedDict([('pnet', (12, 'mtcnn_pnet')), ('rnet', (24, 'mtcnn_rnet')), ('onet', (48, 'mtcnn_onet'))])

LICENSE = """# Tests/Fixtures/mtcnn — sources and licences

## face.ppm

A 112x112 crop (rows 61..172, columns 168..279) of the `astronaut` test image shipped with
scikit-image (`skimage.data.astronaut()`, scikit-image 0.26.0): a portrait of astronaut Eileen
Collins. scikit-image documents it as: "This image was downloaded from the NASA Great Images
database <https://flic.kr/p/r9qvLn>. No known copyright restrictions, released into the public
domain." (NASA photographs are generally not subject to copyright in the United States.)

## pnet.safetensors, rnet.safetensors, onet.safetensors

The MTCNN weights shipped in facenet-pytorch 2.6.0 (`facenet_pytorch/data/{pnet,rnet,onet}.pt`),
converted to safetensors unchanged (same tensor names, shapes and float32 values).
facenet-pytorch (https://github.com/timesler/facenet-pytorch) is MIT-licensed (full text below).
Its README states that its weights were ported from David Sandberg's TensorFlow facenet
repository (https://github.com/davidsandberg/facenet, MIT licence), whose MTCNN weights are in
turn converted from the original Caffe models of the MTCNN authors
(https://github.com/kpzhang93/MTCNN_face_detection_alignment):

K. Zhang, Z. Zhang, Z. Li, Y. Qiao, "Joint Face Detection and Alignment using Multi-task
Cascaded Convolutional Networks", IEEE Signal Processing Letters 23(10), 2016.

### facenet-pytorch licence

{facenet_license}
## The other files

input.bin, output*.bin and meta.json are generated by Tools/convert_mtcnn_weights.py from the
two sources above.
"""


def write_ppm(path, img):
    h, w, _ = img.shape
    with open(path, 'wb') as f:
        f.write(f'P6\n{w} {h}\n255\n'.encode())
        f.write(np.ascontiguousarray(img, dtype=np.uint8).tobytes())


def read_ppm(path):
    data = open(path, 'rb').read()
    parts, pos = [], 0
    while len(parts) < 4:                     # magic, width, height, maxval (no comments written)
        while data[pos:pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        parts.append(data[pos:end])
        pos = end
    assert parts[0] == b'P6' and parts[3] == b'255', 'expected a binary 8-bit PPM'
    w, h = int(parts[1]), int(parts[2])
    return np.frombuffer(data[pos + 1:pos + 1 + w * h * 3], dtype=np.uint8).reshape(h, w, 3)


def refresh_face():
    import skimage.data
    img = skimage.data.astronaut()
    top, left, side = CROP
    write_ppm(FACE, img[top:top + side, left:left + side])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--refresh-face', action='store_true', help='re-cut face.ppm from skimage.data.astronaut()')
    args = ap.parse_args()
    import facenet_pytorch
    from facenet_pytorch.models.mtcnn import PNet, RNet, ONet
    modules = {'pnet': PNet, 'rnet': RNet, 'onet': ONet}
    data = os.path.join(os.path.dirname(facenet_pytorch.__file__), 'data')

    os.makedirs(OUT, exist_ok=True)
    if args.refresh_face or not os.path.exists(FACE):
        refresh_face()
    from importlib.metadata import distribution
    lic = next(p for p in distribution('facenet-pytorch').files if p.name.startswith('LICENSE'))
    with open(os.path.join(OUT, 'LICENSE.md'), 'w') as f:
        f.write(LICENSE.replace('{facenet_license}', '\n'.join('    ' + l if l else '' for l in lic.read_text().strip().splitlines())))
    face = torch.from_numpy(read_ppm(FACE).astype(np.float32)).permute(2, 0, 1)[None]  # 1,3,112,112
    ok = True
    for net, (size, stem) in NETS.items():
        sd = torch.load(os.path.join(data, f'{net}.pt'), map_location='cpu', weights_only=True)
        sd = OrderedDict((k, v.to(torch.float32).contiguous()) for k, v in sd.items())
        save_file(sd, os.path.join(OUT, f'{net}.safetensors'))
        model = modules[net]().eval()                        # loads the shipped .pt itself
        assert list(model.state_dict()) == list(sd), f'{net}: key order/names differ'
        x = (F.interpolate(face, size=(size, size), mode='area') - 127.5) * 0.0078125
        with torch.no_grad():
            outs = list(model(x))
        d = os.path.join(OUT, net)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, 'input.bin'), 'wb') as f:
            f.write(mcf.f32(x[0]))
        for i, o in enumerate(outs):
            with open(os.path.join(d, f'output{i}.bin'), 'wb') as f:
                f.write(mcf.f32(o[0]))
        meta = OrderedDict([
            ('spec', f'Specs/{stem}.cnn'),
            ('weights', f'../{net}.safetensors'),
            ('input', [size, size, 3]),
            ('outputs', [mcf.rr.hwc(o) for o in outs]),
            ('maxAbs', [float(o.abs().max()) for o in outs]),
            ('faceProbability', float(outs[-1].reshape(-1)[1])),
            ('torch', torch.__version__), ('facenet_pytorch', version('facenet-pytorch')),
            ('safetensors', safetensors.__version__), ('numpy', np.__version__),
            ('python', platform.python_version()),
            ('seed', None),
            ('inputSource', 'face.ppm resized with F.interpolate(mode="area"), (x - 127.5) * 0.0078125'),
            ('generator', 'Tools/convert_mtcnn_weights.py'),
        ])
        mcf.write_meta(os.path.join(d, 'meta.json'), meta)
        print(f'{net}: {os.path.getsize(os.path.join(OUT, f"{net}.safetensors")) / 1e6:.2f} MB, input {size}x{size}x3, '
              f'outputs {meta["outputs"]}, maxAbs {[round(v, 4) for v in meta["maxAbs"]]}, '
              f'face probability {meta["faceProbability"]:.6f}')
        # independent check: numpy float64 reference from the safetensors file, by spec labels
        W = load_file(os.path.join(OUT, f'{net}.safetensors'))
        ref = mcf.np_reference(stem, W, x[0].numpy())
        for i, (r, o) in enumerate(zip(ref, outs)):
            ok &= mcf.check(f'{net} output{i} numpy reference', r, o[0].numpy(), 1e-4)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
