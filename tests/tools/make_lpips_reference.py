#!/usr/bin/python3
"""Reference distances for icd's LPIPS with AlexNet and SqueezeNet 1.1 backbones, from upstream lpips.

Runs the lpips package's own `LPIPS(net=..., version='0.1')` (its ScalingLayer, slices, unit
normalisation, v0.1 linear heads from the package's weights folder, spatial average) on torchvision
0.14's backbones with seeded random weights (`pnet_rand=True`; no download), rounded to float16 so
they can be committed. Writes the backbone as torchvision names it (`features.N.weight`, torch.save),
the two input batches (.npy) and the distances (expected.json). Needs Debian's python3-torch and
python3-torchvision and the lpips source (github:richzhang/PerceptualSimilarity, folder lpips/):

    /usr/bin/python3 tests/tools/make_lpips_reference.py --lpips /path/to/PerceptualSimilarity \
        --out tests/Icd.Core.Tests/Data/lpips
"""
import argparse
import json
import os
import sys

import numpy as np
import torch


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lpips", required=True, help="folder holding the lpips package (lpips/__init__.py)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    sys.path.insert(0, args.lpips)
    import lpips

    os.makedirs(args.out, exist_ok=True)
    gen = torch.Generator().manual_seed(7)
    a = torch.rand(2, 3, 64, 64, generator=gen) * 2 - 1
    b = (a + 0.3 * torch.randn(2, 3, 64, 64, generator=gen)).clamp(-1, 1)
    np.save(os.path.join(args.out, "a.npy"), a.numpy().astype(np.float32))
    np.save(os.path.join(args.out, "b.npy"), b.numpy().astype(np.float32))
    expected = {"source": "lpips " + lpips.__file__.split("/")[-2] + " LPIPS(version='0.1'), torchvision " + __import__("torchvision").__version__}
    for net in ("alex", "squeeze"):
        torch.manual_seed(11)
        model = lpips.LPIPS(net=net, version="0.1", pretrained=True, pnet_rand=True, verbose=False).eval()
        # Backbone weights rounded to float16 (committed that way), under torchvision's names:
        # the slices keep each layer's index in torchvision's `features` Sequential.
        backbone = {}
        for slice_name, module in model.net.named_children():
            for index, layer in module.named_children():
                for pname, p in layer.named_parameters():
                    p.data = p.data.half().float()
                    backbone[f"features.{index}.{pname}"] = p.data.half().clone()
        torch.save(backbone, os.path.join(args.out, f"{net}_features.pth"))
        with torch.no_grad():
            d = model(a, b).flatten()
        expected[net] = [float(v) for v in d]
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2)
    print(json.dumps(expected, indent=2))


if __name__ == "__main__":
    main()
