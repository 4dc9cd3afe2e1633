#!/usr/bin/python3
"""Reference numbers for icd's FID statistics and Fréchet distance, from upstream pytorch-fid.

Runs pytorch-fid's own `calculate_activation_statistics` (its model pass replaced by fixed feature
matrices: the statistics are numpy's mean and covariance of whatever the network returned) and
`calculate_frechet_distance`, and writes statistics with `np.savez_compressed` as its
`save_fid_stats` does. Needs Debian's python3-torch, python3-torchvision, python3-scipy and a
pytorch-fid source tree (the fetch tool brings github:mseitzer/pytorch-fid):

    /usr/bin/python3 tests/tools/make_fid_reference.py --pytorch-fid /path/to/pytorch-fid/src \
        --out tests/Icd.Core.Tests/Data/fid
"""
import argparse
import json
import os
import sys

import numpy as np


def features(rng, n, d, shift, scale):
    mix = rng.standard_normal((d, d)) * 0.3 + np.eye(d)
    return (rng.standard_normal((n, d)) @ mix) * scale + shift


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pytorch-fid", required=True, help="pytorch-fid's src folder (holding pytorch_fid/)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    sys.path.insert(0, args.pytorch_fid)
    from pytorch_fid import fid_score

    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(20261207)
    d = 12
    sets = {
        "a": features(rng, 400, d, 0.0, 1.0),
        "b": features(rng, 300, d, 0.4, 1.3),
        # Fewer samples than dimensions: singular covariances (pytorch-fid's eps path).
        "c": features(rng, 8, d, 0.0, 1.0),
        "d": features(rng, 9, d, 0.2, 0.8),
    }
    stats = {}
    for name, act in sets.items():
        np.save(os.path.join(args.out, f"{name}_features.npy"), act)
        fid_score.get_activations = lambda *a, _act=act, **k: _act  # the model pass, replaced
        stats[name] = fid_score.calculate_activation_statistics(None, None)
    for name in ("a", "b"):
        mu, sigma = stats[name]
        np.savez_compressed(os.path.join(args.out, f"{name}_stats.npz"), mu=mu, sigma=sigma)
    expected = {
        "fid_a_b": float(fid_score.calculate_frechet_distance(*stats["a"], *stats["b"])),
        "fid_a_a": float(fid_score.calculate_frechet_distance(*stats["a"], *stats["a"])),
        "fid_c_d": float(fid_score.calculate_frechet_distance(*stats["c"], *stats["d"])),
        "mu_a_0": float(stats["a"][0][0]),
        "sigma_a_0_1": float(stats["a"][1][0, 1]),
        "source": "pytorch-fid " + fid_score.__name__ + " (calculate_activation_statistics, calculate_frechet_distance)",
    }
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2)
    print(json.dumps(expected, indent=2))


if __name__ == "__main__":
    main()
