#!/usr/bin/python3
"""Expected outputs of Pillow's Image.resize for icd's PillowResize (Icd.Imaging).

Runs Debian's python3-pil (Pillow 9.4) on a seeded random 37×23 RGB image: bicubic, bilinear and Lanczos,
down- and up-scaling, each axis alone and both. Writes raw RGB bytes (row-major, no header) and
resize.json listing the cases:

    /usr/bin/python3 tests/tools/make_pillow_resize_reference.py --out tests/Icd.Imaging.Tests/Data/resize
"""
import argparse
import json
import os

import numpy as np
import PIL
from PIL import Image


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(20261207)
    # Smooth structure plus noise, so both flat and sharp regions are exercised.
    yy, xx = np.mgrid[0:23, 0:37]
    base = np.stack([xx * 6, yy * 10, (xx + yy) * 4], -1) + rng.integers(-40, 40, (23, 37, 3))
    source = np.clip(base, 0, 255).astype(np.uint8)
    source.tofile(os.path.join(args.out, "source.rgb"))
    cases = []
    filters = {"bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR, "lanczos": Image.LANCZOS}
    for name, f in filters.items():
        for w, h in [(11, 7), (80, 50), (37, 9), (5, 23), (224, 139), (19, 61)]:
            out = np.asarray(Image.fromarray(source).resize((w, h), resample=f))
            file = f"{name}_{w}x{h}.rgb"
            out.tofile(os.path.join(args.out, file))
            cases.append({"filter": name, "width": w, "height": h, "file": file})
    with open(os.path.join(args.out, "resize.json"), "w") as fp:
        json.dump({"source": {"width": 37, "height": 23, "file": "source.rgb"}, "pillow": PIL.__version__, "cases": cases}, fp, indent=1)


if __name__ == "__main__":
    main()
