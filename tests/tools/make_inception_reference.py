#!/usr/bin/python3
"""Reference case tests/reference/fid-inception: pytorch-fid's FID InceptionV3 (pool3, 2048-d) with seeded weights.

    /usr/bin/python3 tests/tools/make_inception_reference.py --pytorch-fid /path/to/pytorch-fid/src \\
        [--out tests/reference]

`--pytorch-fid` is the src/ folder of a github:mseitzer/pytorch-fid checkout (holding pytorch_fid/). Needs
Debian's python3-torch 1.13 and python3-torchvision 0.14. Runs upstream, unmodified:
`pytorch_fid.inception.InceptionV3([3], resize_input=True, normalize_input=True, use_fid_inception=True)`,
which calls fid_inception_v3() (torchvision Inception3(num_classes=1008, aux_logits=False,
init_weights=False) with Mixed_5b/5c/5d -> FIDInceptionA, 6b..6e -> FIDInceptionC, 7b -> FIDInceptionE_1,
7c -> FIDInceptionE_2) and then `inception.load_state_dict(load_state_dict_from_url(FID_WEIGHTS_URL))`
(strict). The only substitution: the module-global `load_state_dict_from_url` of pytorch_fid.inception is
replaced by a function that returns the seeded state dict below instead of downloading
pt_inception-2015-12-05-6726825d.pth.

Weights recipe (the full weights, 95 MB, are not committed; a port regenerates them with libtorch's CPU
generator):
    g = torch.Generator().manual_seed(20261207)          # CPU mt19937
    for key in sorted(keys):                             # ordinal (byte-wise) order of the ASCII names
        # keys: the state_dict names of FID Inception = of pt_inception-2015-12-05-6726825d.pth, without
        # any '*.num_batches_tracked'; all float32, all contiguous, all with >= 16 elements
        r = torch.randn(shape, generator=g, dtype=torch.float32)
        conv / fc '.weight' (4-d conv or 2-d fc): w = r / math.sqrt(fan_in / 2), fan_in = prod(shape[1:])
                             (float32 division by the float32-rounded sqrt: exactly torch's Tensor / float)
        '.bn.weight'        : 1 + 0.1 * r          (float32: r * float32(0.1) + 1)
        '.bn.bias'          : 0.05 * r
        '.bn.running_mean'  : 0.05 * r
        '.bn.running_var'   : 1 + 0.1 * r.abs()
        'fc.bias'           : 0.05 * r
No other use of g. (torch.randn for float32 tensors of >= 16 elements draws numel uniforms from g, plus
16 more when numel % 16 != 0, and applies Box-Muller in blocks of 16; the AVX2 kernel uses SLEEF log/sin/cos,
so a build that dispatches to a different kernel can differ in the last bit of a few values — harmless at
these tolerances. config.json carries per-key sums and first values to verify a regeneration.)

Inputs (re-creation): gi = torch.Generator().manual_seed(7);
    images_a = torch.rand(2, 3, 64, 80, generator=gi)     (values in [0, 1))
    images_b = torch.rand(1, 3, 299, 299, generator=gi)   (drawn after images_a, same generator)

Checks: fid_inception_small ([2,3,64,80] -> pool3 [2,2048]) and fid_inception_299 ([1,3,299,299] -> pool3
[1,2048]); and fid_inception_dims (optional component: images_a -> the spatially averaged block 0/1/2/3
features that pytorch-fid uses for --dims 64/192/768/2048). The conv weights have He variance 2/fan_in
so the input's influence survives the ReLUs down to pool3 (with 1/fan_in, pool3 of two different images
differed by only 4e-5, below the 1e-4 floor, and a wrong resize or channel order passed unnoticed). Outputs computed in float32 and float64 (model.double()); atol = max(1e-4, 20 * max|f32-f64|),
rtol = 0. Writes checks.json, tensors.safetensors and model/config.json (no weights), and
tests/reference/full-size-keys/pt_inception-2015-12-05.txt ("# parameters N", then "key<TAB>[shape]").
"""
import argparse
import copy
import json
import math
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_file import write_safetensors  # noqa: E402

SEED = 20261207




def recipe_state_dict(shapes):
    """The seeded weights: shapes maps key -> shape (num_batches_tracked already removed)."""
    g = torch.Generator().manual_seed(SEED)
    out = {}
    for key in sorted(shapes):
        shape = shapes[key]
        r = torch.randn(shape, generator=g, dtype=torch.float32)
        if key.endswith(".conv.weight") or key == "fc.weight":
            w = r / math.sqrt(int(np.prod(shape[1:])) / 2)
        elif key.endswith(".bn.weight"):
            w = 1 + 0.1 * r
        elif key.endswith(".bn.bias") or key.endswith(".bn.running_mean") or key == "fc.bias":
            w = 0.05 * r
        elif key.endswith(".bn.running_var"):
            w = 1 + 0.1 * r.abs()
        else:
            raise ValueError(f"no rule for {key}")
        out[key] = w
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pytorch-fid", required=True, help="pytorch-fid's src folder (holding pytorch_fid/)")
    parser.add_argument("--out", default=os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                        "..", "reference")))
    args = parser.parse_args()
    torch.set_num_threads(2)
    sys.path.insert(0, args.pytorch_fid)
    from pytorch_fid import inception as fid_inception

    # Key names and shapes: pytorch-fid's own skeleton for the FID model (the FIDInception* blocks subclass
    # torchvision's blocks and keep their submodule names), which load_state_dict(strict) checks again below.
    skeleton = fid_inception._inception_v3(num_classes=1008, aux_logits=False, weights=None)
    shapes = {k: list(v.shape) for k, v in skeleton.state_dict().items() if not k.endswith("num_batches_tracked")}
    del skeleton
    state = recipe_state_dict(shapes)

    def load_state_dict_from_url(url, *a, **k):
        assert url == fid_inception.FID_WEIGHTS_URL
        return dict(state)  # no _metadata: BatchNorm fills the missing num_batches_tracked (as for the release)

    fid_inception.load_state_dict_from_url = load_state_dict_from_url
    model = fid_inception.InceptionV3([3], resize_input=True, normalize_input=True, use_fid_inception=True).eval()

    # Check that the seeded values really are in the network and that the key set is the FID model's:
    # fid_inception_v3() (same stand-in, strict load) gives the complete Inception incl. fc ...
    full = fid_inception.fid_inception_v3().state_dict()
    inception_keys = {k for k in full if not k.endswith("num_batches_tracked")}
    assert inception_keys == set(state), sorted(inception_keys ^ set(state))
    for k in state:
        assert torch.equal(full[k], state[k]), k
    # ... and InceptionV3 holds the same layers as blocks.N.M (everything but fc).
    order = [["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", None], ["Conv2d_3b_1x1", "Conv2d_4a_3x3", None],
             ["Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"],
             ["Mixed_7a", "Mixed_7b", "Mixed_7c", None]]
    seen = set()
    for k, v in model.state_dict().items():
        if k.endswith("num_batches_tracked"):
            continue
        _, b, m, rest = k.split(".", 3)
        name = order[int(b)][int(m)] + "." + rest
        assert torch.equal(v, state[name]), k
        seen.add(name)
    assert seen == set(state) - {"fc.weight", "fc.bias"}
    n_params = sum(int(np.prod(s)) for k, s in shapes.items() if "running_" not in k)
    n_buffers = sum(int(np.prod(s)) for k, s in shapes.items() if "running_" in k)
    print(f"FID Inception: {len(shapes)} tensors, {n_params} parameters (+{n_buffers} BN running stats, "
          f"fc {2048 * 1008 + 1008} of the parameters)")

    gi = torch.Generator().manual_seed(7)
    images_a = torch.rand(2, 3, 64, 80, generator=gi)
    images_b = torch.rand(1, 3, 299, 299, generator=gi)

    model64 = copy.deepcopy(model).double().eval()
    tensors, checks = {}, []
    for name, x, what in (("fid_inception_small", images_a, "[2,3,64,80] upsampled to 299x299"),
                          ("fid_inception_299", images_b, "[1,3,299,299]: the bilinear resize to 299 is the identity")):
        with torch.no_grad():
            y32 = model(x)[0]
            y64 = model64(x.double())[0]
        assert y32.shape[2:] == (1, 1)
        y32 = y32[:, :, 0, 0]
        y64 = y64[:, :, 0, 0]
        d = float((y32.double() - y64).abs().max())
        atol = max(1e-4, 20 * d)
        tensors[f"{name}/in/images"] = x
        tensors[f"{name}/out/pool3"] = y32
        print(f"{name}: pool3 mean {float(y32.mean()):.4g} max {float(y32.max()):.4g} min {float(y32.min()):.4g}; "
              f"f32-f64 {d:.3g} -> atol {atol:.3g}")
        checks.append({
            "name": name, "component": "fid_inception",
            "inputs": {"images": f"{name}/in/images"},
            "outputs": {"pool3": f"{name}/out/pool3"},
            "atol": atol, "rtol": 0.0,
            "note": f"pytorch-fid InceptionV3([3], resize_input=True, normalize_input=True, use_fid_inception=True) "
                    f"with the seeded weights of model/config.json (weights_recipe): images {what}; "
                    f"F.interpolate(size=(299, 299), mode='bilinear', align_corners=False) (no antialias), then "
                    f"2x-1, then Conv2d_1a..2b, maxpool 3/2, Conv2d_3b, 4a, maxpool 3/2, Mixed_5b..7c, "
                    f"AdaptiveAvgPool(1) -> pool3 [B, 2048] (the [B,2048,1,1] output squeezed). float32 vs float64 "
                    f"max diff {d:.2e}; pool3 values are >= 0 (after ReLU), mean {float(y32.mean()):.3g}."})

    # pytorch-fid's other --dims (64, 192, 768 -> InceptionV3([block]) and get_activations' spatial
    # adaptive_avg_pool2d to 1x1). With these weights the input signal fades with depth (pool3 of two different
    # images differs by < 1e-4), so these shallow features are what checks resize / 2x-1 / the stem.
    model_all = fid_inception.InceptionV3([0, 1, 2, 3], resize_input=True, normalize_input=True,
                                          use_fid_inception=True).eval()
    model_all64 = copy.deepcopy(model_all).double().eval()
    name = "fid_inception_dims"
    with torch.no_grad():
        o32 = [torch.nn.functional.adaptive_avg_pool2d(o, output_size=(1, 1))[:, :, 0, 0] for o in model_all(images_a)]
        o64 = [torch.nn.functional.adaptive_avg_pool2d(o, output_size=(1, 1))[:, :, 0, 0]
               for o in model_all64(images_a.double())]
    assert torch.equal(o32[3], tensors["fid_inception_small/out/pool3"])
    d = max(float((a.double() - b).abs().max()) for a, b in zip(o32, o64))
    outputs = {}
    for dims, t in zip((64, 192, 768, 2048), o32):
        key = "pool3" if dims == 2048 else f"dims{dims}"
        tensors[f"{name}/out/{key}"] = t
        outputs[key] = f"{name}/out/{key}"
    sens = float((o32[0][0] - o32[0][1]).abs().max()), float((o32[3][0] - o32[3][1]).abs().max())
    print(f"{name}: f32-f64 {d:.3g}; image 0 vs 1: dims64 {sens[0]:.3g}, pool3 {sens[1]:.3g}")
    checks.append({
        "name": name, "component": "fid_inception_dims",
        "inputs": {"images": "fid_inception_small/in/images"},  # shared with fid_inception_small
        "outputs": outputs,
        "atol": max(1e-4, 20 * d), "rtol": 0.0,
        "note": "optional: pytorch-fid's features for --dims 64 / 192 / 768 / 2048 = InceptionV3([0,1,2,3]) "
                "outputs (block 0: after Conv2d_2b_3x3 + maxpool 3/2, [B,64,73,73]; block 1: after Conv2d_4a_3x3 "
                "+ maxpool 3/2, [B,192,35,35]; block 2: after Mixed_6e, [B,768,17,17]; block 3: pool3) each "
                "averaged over space (get_activations: adaptive_avg_pool2d to 1x1 when the map is not 1x1). Same "
                "images as fid_inception_small. Why: with the recipe weights the input's influence fades with "
                f"depth (pool3 of the two images differs by only {sens[1]:.2g}, below atol), while dims64 differs "
                f"by {sens[0]:.2g}; so these outputs are what tests the resize (bilinear, align_corners=False), "
                f"the 2x-1 scaling and the stem. float32 vs float64 max diff {d:.2e}."})

    case = os.path.join(args.out, "fid-inception")
    os.makedirs(os.path.join(case, "model"), exist_ok=True)
    write_safetensors(os.path.join(case, "tensors.safetensors"), tensors)
    with open(os.path.join(case, "checks.json"), "w") as f:
        json.dump(checks, f, indent=1)

    keys_sorted = sorted(shapes)
    config = {
        "_note": "pytorch-fid FID InceptionV3 (pt_inception-2015-12-05-6726825d.pth layout) with seeded weights "
                 "that are not stored: regenerate them with weights_recipe. See "
                 "tests/tools/make_inception_reference.py.",
        "architecture": {"class": "pytorch_fid.inception.InceptionV3", "output_blocks": [3],
                         "resize_input": True, "normalize_input": True, "use_fid_inception": True,
                         "num_classes": 1008, "aux_logits": False, "bn_eps": 0.001, "input_size": 299,
                         "dims": 2048},
        "weights_recipe": {
            "generator": "torch.Generator() (CPU, mt19937).manual_seed(20261207)",
            "order": "keys sorted ordinally (byte-wise; the names are ASCII), '*.num_batches_tracked' skipped",
            "draw": "r = torch.randn(shape, generator=g, dtype=torch.float32), one call per key in that order",
            "rules": {
                "*.conv.weight, fc.weight": "r / sqrt(fan_in / 2), fan_in = prod(shape[1:]); float32 division by "
                                            "float32(sqrt(fan_in / 2)) (torch Tensor / python float)",
                "*.bn.weight": "1 + 0.1 * r (float32)",
                "*.bn.bias": "0.05 * r",
                "*.bn.running_mean": "0.05 * r",
                "*.bn.running_var": "1 + 0.1 * abs(r)",
                "fc.bias": "0.05 * r",
            },
            "no_other_rng_use": True,
            "num_batches_tracked": "not part of the recipe (BatchNorm eval ignores it)",
        },
        "keys": [[k, shapes[k]] for k in keys_sorted],
        "weights_check": {k: {"sum": float(state[k].double().sum()), "first": [float(v) for v in
                                                                                 state[k].flatten()[:3]]}
                          for k in keys_sorted},
        "weights_check_note": "per key: sum = float64 sum of the float32 values (summation order can change the "
                              "last bits: compare with a relative tolerance ~1e-9), first = the first 3 values in "
                              "row-major order (exact)",
        "parameters": n_params,
        "running_stats": n_buffers,
    }
    with open(os.path.join(case, "model", "config.json"), "w") as f:
        json.dump(config, f, indent=1)

    keys_dir = os.path.join(args.out, "full-size-keys")
    os.makedirs(keys_dir, exist_ok=True)
    with open(os.path.join(keys_dir, "pt_inception-2015-12-05.txt"), "w") as f:
        f.write(f"# parameters {n_params}\n")
        for k in keys_sorted:
            f.write(f"{k}\t[{','.join(str(s) for s in shapes[k])}]\n")
    size = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(case) for fn in fns)
    print(f"wrote {case}: {len(checks)} checks, {size} bytes")


if __name__ == "__main__":
    main()
