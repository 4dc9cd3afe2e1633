#!/usr/bin/python3
"""Reference distances for icd's LPIPS (AlexNet, SqueezeNet 1.1, VGG16 backbones) from upstream lpips and piq.

Runs the lpips package's own `LPIPS(net=..., version='0.1', pretrained=True, pnet_rand=True)` (its
ScalingLayer, slices, unit normalisation, 1x1 linear heads, spatial average) on torchvision 0.14's
backbones, and piq's `LPIPS(reduction='none')` exactly as iCD's `calculate_lpips` calls it. Nothing is
downloaded and no upstream weight file ends up in the output: every weight is seeded.

Backbones
  alex, squeeze: torchvision's random initialisation after `torch.manual_seed(11)` (`pnet_rand=True`),
    rounded to float16 so they can be committed; written as torchvision names them
    (`{net}_features.pth`, `features.N.weight`: lpips' slices keep each layer's index in torchvision's
    `features` Sequential as the child's name).
  vgg: VGG16's 14.7M weights are not stored. They are regenerated from VGG_RECIPE below, which the C#
    side reimplements with the same libtorch CPU generator, and loaded (float32, not rounded) into
    lpips' vgg16 slices (slice1 = features 0-3, slice2 = 4-8, slice3 = 9-15, slice4 = 16-22,
    slice5 = 23-29, children named by torchvision's index) and into piq's torchvision vgg16. Its
    SHA-256 (float32 little-endian bytes, keys in recipe order) is recorded as vgg_recipe_sha256.
    torch.randn on CPU takes a vectorised path whose log/cos differ in the last bits between ATen CPU
    capabilities (ATEN_CPU_CAPABILITY=default vs avx2); the capability used here is recorded as
    cpu_capability.

Heads (`{net}_lin.pth`)
  Not the lpips package's released v0.1 heads (those may not be redistributed): after construction each
  `model.lin{k}.model[1].weight` ([1, C_k, 1, 1]) is overwritten per HEADS_RULE below (non-negative, like
  trained heads). Saved as an OrderedDict {'lin{k}.model.1.weight': float32 tensor} in the legacy
  (torch < 1.6) torch.save format upstream's heads use, so icd's legacy torch.save reader stays
  exercised: written by save_legacy (torch's `_use_new_zipfile_serialization=False` output, but with
  reproducible storage keys '0', '1', ... where torch uses memory addresses); storage location 'cpu'
  where upstream's say 'cuda:0'.

Inputs and outputs (all under --out)
  a.npy, b.npy: [2, 3, 64, 64] float32 in [-1, 1] (seed 7); "alex", "squeeze", "vgg": lpips distances.
  piq_a.png, piq_b.png: 96x80 (WxH) uint8 RGB (seed 41: bilinear-upsampled 5x6 colour field plus
    noise; b = a + noise), PNG (lossless). Read back from the PNGs and prepared as iCD's
    `calculate_lpips` (yandex-research/invertible-cd, utils/metrics.py) does:
    `torch.tensor(np.array(img.resize((224, 224))).reshape(1, 224, 224, 3)).permute(0, 3, 1, 2) / 255.`
    (PIL's default resample for RGB, BICUBIC; uint8 tensor / 255. gives float32, not numpy's float64).
    "piq_vgg_224": piq's `LPIPS(reduction='none')(x, y)`, with `torch.hub.load_state_dict_from_url`
    (piq's lpips_weights.pt: a python list of the 5 heads [1, C, 1, 1], here the seeded vgg heads) and
    torchvision's `load_state_dict_from_url` (vgg16 ImageNet weights: here VGG_RECIPE, the unused
    classifier filled with broadcast zeros) patched; any other URL is refused. piq taps
    VGG16_LAYERS relu1_2, relu2_2, relu3_3, relu4_3, relu5_3 = features 3, 8, 15, 22, 29, the last
    layer of lpips' five vgg slices (checked).
    "vgg_224": the lpips package's vgg on the same tensors as (x * 2 - 1, y * 2 - 1).
  expected.json: the distances, HEADS_RULE, VGG_RECIPE and provenance.

piq vs lpips input standardisation: lpips' ScalingLayer maps [-1, 1] input by (t - shift) / scale with
shift = (-.030, -.088, -.188), scale = (.458, .448, .450). With t = 2x - 1 for x in [0, 1] that is
(x - (1 + shift) / 2) / (scale / 2) = (x - (0.485, 0.456, 0.406)) / (0.229, 0.224, 0.225), i.e. exactly
piq's ImageNet mean/std on [0, 1] input. The two differ only in float32 rounding (and piq sums
head-weighted channels after the spatial mean where lpips applies a 1x1 convolution first), so
"vgg_224" and "piq_vgg_224" agree to about 1e-9 (9.3e-10 here), not bit for bit.

Needs Debian's python3-torch, python3-torchvision, python3-numpy, python3-pil, the lpips source
(github:richzhang/PerceptualSimilarity, folder lpips/) and the piq source (github:photosynthesis-team/piq,
folder piq/). Deterministic: two runs write identical files.

    /usr/bin/python3 tests/tools/make_lpips_reference.py --lpips /path/to/PerceptualSimilarity \
        --piq /path/to/piq --out tests/Icd.Core.Tests/Data/lpips
"""
import argparse
import hashlib
import json
import math
import os
import pickle
import re
import struct
import sys
import warnings
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image

NETS = ("alex", "squeeze", "vgg")
HEAD_SEED = 29
HEADS_RULE = (
    "for net i in (alex=0, squeeze=1, vgg=2): g = torch.Generator().manual_seed(29 + i); "
    "for k = 0 .. L-1 in order (C_k = lpips' chns): lin{k}.model.1.weight = "
    "(torch.rand([1, C_k, 1, 1], generator=g) * 0.2).half().float()"
)
VGG_SEED = 20261208
# torchvision vgg16 `features` convolutions up to relu5_3 (index, out channels); in = previous out, 3 first.
VGG_CONVS = ((0, 64), (2, 64), (5, 128), (7, 128), (10, 256), (12, 256), (14, 256),
             (17, 512), (19, 512), (21, 512), (24, 512), (26, 512), (28, 512))
VGG_RECIPE = (
    "VGG16 features as torchvision names them: the 13 convolutions features.{0,2,5,7,10,12,14,17,19,21,24,26,28}, "
    "weight [Cout, Cin, 3, 3], bias [Cout] (Cout = 64,64,128,128,256,256,256,512,512,512,512,512,512; "
    "Cin = 3 then the previous Cout). g = torch.Generator().manual_seed(20261208); for each of the 26 keys in "
    "ordinal (byte-wise) sorted order (features.0.bias, features.0.weight, features.10.bias, features.10.weight, "
    "features.12.bias, ..., features.7.bias, features.7.weight): r = torch.randn(shape, generator=g, "
    "dtype=torch.float32); weight = r / math.sqrt(fan_in / 2) with fan_in = Cin*3*3; bias = 0.05 * r. "
    "The python scalar is rounded to float32 before the float32 divide / multiply (libtorch tensor-scalar "
    "arithmetic). No other use of g."
)
PIQ_VGG_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3")


def seeded_heads(net, chns):
    """HEADS_RULE: non-negative float16-representable float32 heads, keyed as lpips names them."""
    g = torch.Generator().manual_seed(HEAD_SEED + NETS.index(net))
    return OrderedDict((f"lin{k}.model.1.weight", (torch.rand([1, c, 1, 1], generator=g) * 0.2).half().float())
                       for k, c in enumerate(chns))


def save_legacy(state, path):
    """torch.save(state, path, _use_new_zipfile_serialization=False) as torch 1.13 writes it (magic, protocol,
    sys info, the object, the storage keys, each storage as an int64 count and its bytes; pickle protocol 2),
    except that the storage keys are '0', '1', ... in pickling order and the storages are written in that
    order: torch keys them by memory address and writes them sorted by it, so its output is not reproducible."""
    from torch.serialization import INT_SIZE, LONG_SIZE, MAGIC_NUMBER, PROTOCOL_VERSION, SHORT_SIZE
    storages = []

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if not isinstance(obj, torch.storage.TypedStorage):
                return None
            assert all(s.data_ptr() != obj.data_ptr() for s in storages), "tensors sharing a storage"
            storages.append(obj)
            return ("storage", getattr(torch, obj.pickle_storage_type()), str(len(storages) - 1), "cpu", obj.size(), None)

    with open(path, "wb") as f:
        pickle.dump(MAGIC_NUMBER, f, protocol=2)
        pickle.dump(PROTOCOL_VERSION, f, protocol=2)
        pickle.dump(dict(protocol_version=PROTOCOL_VERSION, little_endian=sys.byteorder == "little",
                         type_sizes=dict(short=SHORT_SIZE, int=INT_SIZE, long=LONG_SIZE)), f, protocol=2)
        Pickler(f, protocol=2).dump(state)
        pickle.dump([str(i) for i in range(len(storages))], f, protocol=2)
        for s in storages:
            f.write(struct.pack("<q", s.size()))
            f.write(torch.empty(0, dtype=s.dtype).set_(s).numpy().tobytes())


def set_heads(model, heads):
    assert len(model.lins) == len(heads)
    for k, lin in enumerate(model.lins):
        w = lin.model[1].weight
        assert tuple(w.shape) == tuple(heads[f"lin{k}.model.1.weight"].shape)
        w.data.copy_(heads[f"lin{k}.model.1.weight"])


def vgg_recipe():
    """VGG_RECIPE: {torchvision key: float32 tensor}, in the order the keys draw from the generator."""
    shapes, cin = {}, 3
    for index, cout in VGG_CONVS:
        shapes[f"features.{index}.weight"] = (cout, cin, 3, 3)
        shapes[f"features.{index}.bias"] = (cout,)
        cin = cout
    g = torch.Generator().manual_seed(VGG_SEED)
    weights = OrderedDict()
    for key in sorted(shapes, key=lambda k: k.encode("ascii")):
        r = torch.randn(shapes[key], generator=g, dtype=torch.float32)
        if key.endswith(".weight"):
            weights[key] = r / math.sqrt(math.prod(shapes[key][1:]) / 2)
        else:
            weights[key] = 0.05 * r
    return weights


def backbone_of(model):
    """lpips' slices by torchvision name: {'features.N.param': parameter}."""
    return {f"features.{index}.{pname}": p
            for _, module in model.net.named_children()
            for index, layer in module.named_children()
            for pname, p in layer.named_parameters()}


def make_images():
    """Two 96x80 uint8 RGB images: a smooth colour field plus noise, and the same plus more noise."""
    g = torch.Generator().manual_seed(41)
    coarse = torch.rand(1, 3, 5, 6, generator=g)
    smooth = F.interpolate(coarse, size=(80, 96), mode="bilinear", align_corners=False)
    a = (smooth * 200 + 28 + 10 * torch.randn(1, 3, 80, 96, generator=g)).round().clamp(0, 255)
    b = (a + 12 * torch.randn(1, 3, 80, 96, generator=g)).round().clamp(0, 255)
    to_pil = lambda t: Image.fromarray(t[0].permute(1, 2, 0).to(torch.uint8).numpy(), mode="RGB")
    return to_pil(a), to_pil(b)


def icd_tensor(img):
    """iCD's calculate_lpips preparation of one PIL image: [1, 3, 224, 224] float32 in [0, 1]."""
    return torch.tensor(np.array(img.resize((224, 224))).reshape(1, 224, 224, 3)).permute(0, 3, 1, 2) / 255.


def piq_lpips(piq_dir, recipe, heads, x, y, lpips_model):
    """piq.LPIPS(reduction='none')(x, y) with its two downloads replaced by the seeded weights."""
    sys.path.insert(0, piq_dir)
    import piq
    import piq.perceptual
    import torchvision.models._api as tv_api

    vgg_url = torchvision.models.VGG16_Weights.IMAGENET1K_V1.url
    classifier = {"classifier.0.weight": (4096, 25088), "classifier.0.bias": (4096,),
                  "classifier.3.weight": (4096, 4096), "classifier.3.bias": (4096,),
                  "classifier.6.weight": (1000, 4096), "classifier.6.bias": (1000,)}

    def load(url, *args, **kwargs):
        if url == piq.LPIPS._weights_url:
            return [heads[f"lin{k}.model.1.weight"].clone() for k in range(len(heads))]
        if url == vgg_url:
            state = {k: v.clone() for k, v in recipe.items()}
            state.update({k: torch.zeros(()).expand(s) for k, s in classifier.items()})  # unused by piq
            return state
        raise RuntimeError(f"refusing to download {url}")

    saved = torch.hub.load_state_dict_from_url, tv_api.load_state_dict_from_url
    torch.hub.load_state_dict_from_url = tv_api.load_state_dict_from_url = load
    try:
        metric = piq.LPIPS(reduction="none")
    finally:
        torch.hub.load_state_dict_from_url, tv_api.load_state_dict_from_url = saved
    # piq taps the last layer of each lpips vgg slice, and now holds the recipe weights and seeded heads.
    taps = [piq.perceptual.VGG16_LAYERS[name] for name in PIQ_VGG_LAYERS]
    assert metric.layers == taps, metric.layers
    assert taps == [list(s._modules)[-1] for s in lpips_model.net.children()], taps
    state = metric.model.state_dict()
    assert all(torch.equal(state[k.split(".", 1)[1]], v) for k, v in recipe.items())
    assert all(torch.equal(w, heads[f"lin{k}.model.1.weight"]) for k, w in enumerate(metric.weights))
    with torch.no_grad():
        return metric(x, y).flatten(), piq.__version__


def cpu_capability():
    m = re.search(r"CPU capability usage: (\S+)", torch.__config__.show())
    return m.group(1) if m else "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lpips", required=True, help="folder holding the lpips package (lpips/__init__.py)")
    parser.add_argument("--piq", required=True, help="folder holding the piq package (piq/__init__.py)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    sys.path.insert(0, args.lpips)
    import lpips
    warnings.filterwarnings("ignore", message=".*(pretrained|weights).*", category=UserWarning)  # torchvision 0.14

    os.makedirs(args.out, exist_ok=True)
    gen = torch.Generator().manual_seed(7)
    a = torch.rand(2, 3, 64, 64, generator=gen) * 2 - 1
    b = (a + 0.3 * torch.randn(2, 3, 64, 64, generator=gen)).clamp(-1, 1)
    np.save(os.path.join(args.out, "a.npy"), a.numpy().astype(np.float32))
    np.save(os.path.join(args.out, "b.npy"), b.numpy().astype(np.float32))
    recipe = vgg_recipe()
    digest = hashlib.sha256(b"".join(v.numpy().astype("<f4").tobytes() for v in recipe.values())).hexdigest()
    print("VGG recipe:", VGG_RECIPE)
    expected = {"source": "lpips " + lpips.__file__.split("/")[-2] + " LPIPS(version='0.1'), torchvision " + torchvision.__version__,
                "heads": HEADS_RULE, "vgg_recipe": VGG_RECIPE, "vgg_recipe_sha256": digest,
                "cpu_capability": cpu_capability()}
    models, all_heads = {}, {}
    for net in NETS:
        torch.manual_seed(11)
        model = lpips.LPIPS(net=net, version="0.1", pretrained=True, pnet_rand=True, verbose=False).eval()
        backbone = backbone_of(model)
        if net == "vgg":
            assert sorted(backbone) == sorted(recipe), sorted(backbone)
            for key, p in backbone.items():
                assert p.shape == recipe[key].shape, key
                p.data.copy_(recipe[key])
        else:
            # Backbone weights rounded to float16 (committed that way), under torchvision's names.
            for key, p in backbone.items():
                p.data = p.data.half().float()
            torch.save({k: p.data.half().clone() for k, p in backbone.items()}, os.path.join(args.out, f"{net}_features.pth"))
        heads = seeded_heads(net, model.chns)
        set_heads(model, heads)
        save_legacy(heads, os.path.join(args.out, f"{net}_lin.pth"))
        with torch.no_grad():
            d = model(a, b).flatten()
        expected[net] = [float(v) for v in d]
        models[net], all_heads[net] = model, heads

    img_a, img_b = make_images()
    for name, img in (("piq_a.png", img_a), ("piq_b.png", img_b)):
        img.save(os.path.join(args.out, name), format="PNG")
    with Image.open(os.path.join(args.out, "piq_a.png")) as fa, Image.open(os.path.join(args.out, "piq_b.png")) as fb:
        x, y = icd_tensor(fa.convert("RGB")), icd_tensor(fb.convert("RGB"))
    assert x.dtype == torch.float32 and tuple(x.shape) == (1, 3, 224, 224)
    with torch.no_grad():
        expected["vgg_224"] = [float(v) for v in models["vgg"](x * 2 - 1, y * 2 - 1).flatten()]
    d, piq_version = piq_lpips(args.piq, recipe, all_heads["vgg"], x, y, models["vgg"])
    expected["piq_vgg_224"] = [float(v) for v in d]
    expected["piq_source"] = f"piq {piq_version} LPIPS(reduction='none') as iCD's calculate_lpips calls it"
    print(f"vgg_224 (lpips) {expected['vgg_224'][0]!r}, piq_vgg_224 {expected['piq_vgg_224'][0]!r}, "
          f"|difference| {abs(expected['vgg_224'][0] - expected['piq_vgg_224'][0]):.3e}")

    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2)
    print(json.dumps(expected, indent=2))


if __name__ == "__main__":
    main()
