#!/usr/bin/python3
"""Times diffusers on this machine with the settings of `icd bench unet`, so icd's speed claims can
be re-checked by anyone (issue 38).

Runs upstream diffusers (default v0.27.2 from a source tree: `git archive v0.27.2 src`) on Debian's
python3-torch (the same libtorch 1.13 icd uses). The UNet is SD1.5's with iCD's 512-wide guidance
embedding (time_cond_proj_dim), random PyTorch-default weights; the VAE is SD1.5's. Prints JSON in
the layout of `icd bench unet` (best of --repeats timed runs after one warm-up).

    /usr/bin/python3 tests/tools/time_diffusers.py --diffusers /tmp/diffusers-0.27.2/src --dtype fp32,bf16

Run it through `./icd` 's environment for huge pages, as the icd benchmark is run:
    GLIBC_TUNABLES=glibc.malloc.hugetlb=1 /usr/bin/python3 tests/tools/time_diffusers.py ...

Debian 12 has no huggingface_hub or safetensors packages; diffusers imports them at start-up but
the code timed here never calls them, so they are replaced by inert stand-in modules.
"""
import argparse
import importlib.abc
import importlib.machinery
import json
import os
import sys
import time
import types


class _Inert(types.ModuleType):
    """A module whose every attribute is a harmless class (decorators pass functions through)."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name.isupper():
            return os.path.join("/nonexistent", name) if "CACHE" in name or "HOME" in name else ""
        if name.startswith("validate") or name.startswith("is_"):
            return (lambda f=None, *a, **k: f) if name.startswith("validate") else (lambda *a, **k: False)

        class Stand(Exception):
            def __init__(self, *a, **k):
                pass

        Stand.__name__ = name
        return Stand


class _InertFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    ROOTS = ("huggingface_hub", "safetensors")

    def find_spec(self, fullname, path, target=None):
        if fullname.split(".")[0] in self.ROOTS:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _Inert(spec.name)
        module.__path__ = []
        module.__version__ = "0.20.0"
        return module

    def exec_module(self, module):
        pass


def best_of(fn, repeats):
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def peak_rss_gb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) * 1024 / 1e9, 2)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--diffusers", required=True, help="diffusers' src folder (the one holding diffusers/)")
    parser.add_argument("--dtype", default="fp32,bf16", help="comma-separated: fp32, bf16")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()

    sys.meta_path.insert(0, _InertFinder())
    sys.path.insert(0, args.diffusers)
    import torch
    from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel
    from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
    import diffusers

    torch.set_num_threads(args.threads)
    dtypes = {"fp32": torch.float32, "bf16": torch.bfloat16}
    report = {
        "benchmark": "unet (diffusers)",
        "diffusers": diffusers.__version__,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "by_dtype": [],
    }
    gen = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        for name in args.dtype.split(","):
            name = name.strip()
            if name not in dtypes:
                sys.exit(f"--dtype: unknown dtype '{name}' (known: fp32, bf16)")
            dtype = dtypes[name]
            results = []
            start = time.perf_counter()
            unet = UNet2DConditionModel(cross_attention_dim=768, time_cond_proj_dim=512).to(dtype).eval()
            build = time.perf_counter() - start
            for batch in (1, 2):
                x = torch.randn(batch, 4, 64, 64, generator=gen).to(dtype)
                ctx = torch.randn(batch, 77, 768, generator=gen).to(dtype)
                w = torch.randn(batch, 512, generator=gen).to(dtype)
                t = torch.tensor([500] * batch)
                seconds = best_of(lambda: unet(x, t, ctx, timestep_cond=w), args.repeats)
                results.append({
                    "name": f"unet_sd15_64x64_batch{batch}", "seconds": seconds,
                    "build_seconds": build if batch == 1 else None,
                })
            del unet
            vae = AutoencoderKL(
                block_out_channels=(128, 256, 512, 512),
                down_block_types=("DownEncoderBlock2D",) * 4,
                up_block_types=("UpDecoderBlock2D",) * 4,
                layers_per_block=2, latent_channels=4, sample_size=512,
            ).to(dtype).eval()
            image = torch.randn(1, 3, 512, 512, generator=gen).to(dtype)
            latent = torch.randn(1, 4, 64, 64, generator=gen).to(dtype)
            results.append({"name": "vae_encode_512", "seconds": best_of(lambda: vae.encode(image), args.repeats)})
            results.append({"name": "vae_decode_512", "seconds": best_of(lambda: vae.decode(latent), args.repeats)})
            del vae
            report["by_dtype"].append({"dtype": name, "results": results})
    report["peak_rss_gb"] = peak_rss_gb()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
