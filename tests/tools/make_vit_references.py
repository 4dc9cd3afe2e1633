#!/usr/bin/python3
"""Reference cases for icd's CLIP / DINOv2 / DINO-ViT metric networks, from upstream transformers, DINO and PIE-Bench.

Writes three cases in the format of shared/reference/README.md (sections 1-3: `model/config.json`,
`model/model.safetensors`, `checks.json`, `tensors.safetensors`) plus the state-dict key lists of the
real full-size models:

    tests/reference/tiny-clip/        CLIPModel (vision + text + projections), clip_score, CLIP preprocessing
    tests/reference/tiny-dinov2/      Dinov2Model (native size, pos-embedding interpolation), DINOv2 preprocessing
    tests/reference/tiny-dino-vit/    ViTModel as facebook/dino-vitb8 + PIE-Bench's DINO key self-similarity
                                      and structure distance (run through PIE-Bench's own code)
    tests/reference/full-size-keys/   "key<TAB>shape" of openai/clip-vit-large-patch14, openai/clip-vit-base-patch32,
                                      facebook/dinov2-base, facebook/dino-vitb8 (random init, no download)

Run with Debian's python3-torch 1.13 / python3-torchvision 0.14 / numpy / PIL (no transformers, safetensors,
huggingface_hub or torchmetrics needed):

    /usr/bin/python3 tests/tools/make_vit_references.py \
        --transformers /path/to/transformers/src/transformers \
        --dino /path/to/facebookresearch-dino \
        --pie /path/to/PnPInversion/evaluation/matrics_calculator.py \
        [--out tests/reference]

Upstream sources used (none of them is committed here; pass their paths):

* huggingface/transformers at commit 11ef35e8281ccf38fe28c6ba6a38b565cc722585 ("Support sharded safetensors in
  TF (#29350)", 2024-03-20): the last commit on main whose version is 4.39.0.dev0 (its child 1248f0925 bumps main
  to 4.40.0.dev0), i.e. the 4.39 release point. Obtain it with
  `git archive 11ef35e8281ccf38fe28c6ba6a38b565cc722585 src/transformers | tar -x` in any clone of
  huggingface/transformers (or of a fork that has that history; the committed cases were made from a snapshot of
  the Starlento/transformers fork) and pass `--transformers .../src/transformers`.
  These files are copied unmodified into a temporary `transformers` package (git blob ids at that commit):
      models/clip/configuration_clip.py      8c3e30ee0517af6c8d2b301debf698d964d3800f
      models/clip/modeling_clip.py           06ee5f6e325db4223edb9b85538a9c6e9b92df97
      models/clip/image_processing_clip.py   fd2f8b3d532bbbc5a6b5c385b33d0c0b67518b98
      models/dinov2/configuration_dinov2.py  037f889ebf2a8c36863610a0c8cb7031beb69dae
      models/dinov2/modeling_dinov2.py       accdf0a9b23bee7d45bf592c045b3bd55072d5d2
      models/vit/configuration_vit.py        5eda0385c30c1ddd86933dc89bbb01f987757f9d
      models/vit/modeling_vit.py             734ccf6a9e80f4a5f231b92a00bc0c3a1037c5a8
      models/bit/image_processing_bit.py     c9d5c7a7594a495f79d69c5d1c9a924fa24a01ad  (DINOv2's image processor)
      activations.py                         2355fb5fed678d0de6e2c53f52644a35a691a34e
      modeling_attn_mask_utils.py            8ad68f39db91347ad7cf0831c24bbfe01b01433e
      modeling_outputs.py                    7328e05186f2deddebb54f76d64427475de849a6
      pytorch_utils.py                       cab0b0d4aec72babb54fbd8edac5df83285abe06
      configuration_utils.py                 dd2ed9d695e73b0b7fce0d58b25639306649b0e1  (PretrainedConfig, save_pretrained)
      image_processing_utils.py              a2004a8b55931e8f97e50b4c6061468c3a53c835
      image_transforms.py                    b3a25a8be8919f73e48fb1f52f8c4b76fef8e1ef
      image_utils.py                         a7e53b3fe7d4f2d898eccc35c39ff130c145bc9e
      feature_extraction_utils.py            b0df39e1642b9a5afbc07866061a9d992759c566
      utils/generic.py                       d5762337b50ac8778975dcd8dbd5ca106fb380c5  (ModelOutput, TensorType)
      utils/backbone_utils.py                14fcfe4a50a2d2dd0082905aed3001e2c2f74280
      utils/constants.py                     fefd1b4601da04e073ff2880099ccaf87d0b1666
      utils/doc.py                           23679f31a3e2ec231e2c4c64ecdf9db5a5eb1c97
  The rest of the package is replaced by the small stand-ins in STANDINS below (written to the temporary tree):
  `transformers/__init__.py` (only __version__), `utils/__init__.py` (re-exports of the upstream utils files plus
  offline hub stubs), `utils/import_utils.py` (torch/PIL available, TF/JAX/MLX not), `utils/logging.py`
  (stdlib logging), `modeling_utils.py` (PreTrainedModel = nn.Module + config, post_init applying the model's
  own _init_weights, get_head_mask for head_mask=None), `dynamic_module_utils.py`, `onnx/__init__.py`
  (empty OnnxConfig base) and a `safetensors.torch` stub used only if safetensors is not installed
  (pytorch_utils imports it for functions not used here). None of the stand-ins touches the numerics:
  attention, embeddings, DINOv2's interpolate_pos_encoding, layer scale, MLPs, layer norms, pooling,
  projections and the image transforms are the upstream files.
* facebookresearch/dino at commit 7c446df5b9f45747937fb0d72314eb9f7b66930a: `vision_transformer.py` and
  `utils.py` (for trunc_normal_) from the folder passed as `--dino`; this is what PIE-Bench's
  `torch.hub.load('facebookresearch/dino:main', 'dino_vitb8')` builds (hubconf: vit_base(patch_size=8,
  num_classes=0) = VisionTransformer(embed_dim=768, depth=12, num_heads=12, mlp_ratio=4, qkv_bias=True,
  norm_layer=LayerNorm(eps=1e-6))). torch.hub.load is patched to return a tiny VisionTransformer built with the
  same recipe (embed_dim 32, depth 2, 4 heads, patch 4, img_size 16) holding the tiny-dino-vit weights.
* cure-lab/PnPInversion (PIE-Bench) at commit 07f97f448150e2ca220bebd54c8f687c5c50c67a: `evaluation/matrics_calculator.py` passed as `--pie`,
  imported unmodified with `torchmetrics` replaced by inert stubs (only its LossG / VitExtractor code runs).
  Because VitExtractor hard-codes the sizes of the released models (patch 8 for "dino_vitb8", 12 heads, 768
  dims, keys of block 11), the instance's get_patch_size/get_head_num/get_embedding_dim are overridden with the
  tiny model's 4/4/32 and block index 11 (the last of dino_vitb8's 12 blocks) is mapped to the tiny model's
  last block (1). Everything else (resize, normalisation, hooks, key extraction, cosine self-similarity, MSE)
  is PIE-Bench's code.

Components in checks.json: clip_vision, clip_text, clip_score, clip_preprocess (tiny-clip); dinov2,
dinov2_preprocess (tiny-dinov2); vit, dino_vit_keys, dino_structure_distance (tiny-dino-vit). Each check's
note says exactly what is computed.

torchmetrics' CLIPScore is not installed; its formula is reproduced in clip_score() below (cited there).

Weights are seeded random: linear/conv weights N(0, 1/fan_in), biases 0.05*N(0,1), LayerNorm weights
1 + 0.1*N(0,1), embeddings/cls/position/mask tokens 0.5*N(0,1), DINOv2 layer-scale lambda 1 + 0.3*N(0,1),
CLIP logit_scale 2.6592 + 0.1*N(0,1); stored as F32. Every network output is computed in float32 and again with a
float64 copy of the model (run with torch's default dtype set to float64, because transformers 4.39 builds the
CLIP causal mask with torch.full(..., finfo(dtype).min) in the default dtype); atol = max(1e-4, 20 * max|f32 - f64|)
rounded up, rtol = 0; the structure distances (~3e-3) use atol 1e-6, rtol 1e-3 instead. Image-preprocessing checks use
atol 1e-4 (their outputs are (uint8/255 - mean)/std; one uint8 step is ~0.015, so they need Pillow-exact
resampling).
"""
import argparse
import copy
import importlib
import importlib.util
import json
import math
import os
import shutil
import struct
import sys
import tempfile
import types

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_file import write_safetensors  # noqa: E402

TRANSFORMERS_COMMIT = "11ef35e8281ccf38fe28c6ba6a38b565cc722585"
TRANSFORMERS_VERSION = "4.39.0.dev0"
DINO_COMMIT = "7c446df5b9f45747937fb0d72314eb9f7b66930a"
PIE_COMMIT = "07f97f448150e2ca220bebd54c8f687c5c50c67a"

UPSTREAM_FILES = [
    "models/clip/configuration_clip.py",
    "models/clip/modeling_clip.py",
    "models/clip/image_processing_clip.py",
    "models/dinov2/configuration_dinov2.py",
    "models/dinov2/modeling_dinov2.py",
    "models/vit/configuration_vit.py",
    "models/vit/modeling_vit.py",
    "models/bit/image_processing_bit.py",
    "activations.py",
    "modeling_attn_mask_utils.py",
    "modeling_outputs.py",
    "pytorch_utils.py",
    "configuration_utils.py",
    "image_processing_utils.py",
    "image_transforms.py",
    "image_utils.py",
    "feature_extraction_utils.py",
    "utils/generic.py",
    "utils/backbone_utils.py",
    "utils/constants.py",
    "utils/doc.py",
]

# ----------------------------------------------------------------------------------------------------------
# Stand-ins for transformers infrastructure (hub, lazy imports, logging, PreTrainedModel). No numerics here.
# ----------------------------------------------------------------------------------------------------------
STANDINS = {
    "__init__.py": f'''
# stand-in: the real package __init__ is a lazy-import table that needs huggingface_hub, tokenizers, safetensors.
__version__ = "{TRANSFORMERS_VERSION}"
''',
    "models/__init__.py": "",
    "models/clip/__init__.py": "",
    "models/dinov2/__init__.py": "",
    "models/vit/__init__.py": "",
    "models/bit/__init__.py": "",
    "onnx/__init__.py": '''
# stand-in: configuration_*.py subclass OnnxConfig for ONNX export only.
class OnnxConfig:
    pass
''',
    "dynamic_module_utils.py": '''
# stand-in: only used when saving custom (remote-code) classes.
def custom_object_save(obj, folder, config=None):
    return []
''',
    "utils/logging.py": '''
# stand-in for transformers.utils.logging: stdlib logging with the warning_once helper upstream adds.
import functools
import logging as _logging


def get_logger(name=None):
    return _logging.getLogger(name if name is not None else "transformers")


@functools.lru_cache(None)
def _warning_once(self, *args, **kwargs):
    self.warning(*args, **kwargs)


def _warning_advice(self, *args, **kwargs):
    self.warning(*args, **kwargs)


_logging.Logger.warning_once = _warning_once
_logging.Logger.warning_advice = _warning_advice


def set_verbosity_error():
    _logging.getLogger("transformers").setLevel(_logging.ERROR)
''',
    "utils/import_utils.py": '''
# stand-in for transformers.utils.import_utils: torch and PIL present; TF, JAX/Flax, MLX, XLA absent.
import importlib.util

import torch


def is_torch_available():
    return True


def get_torch_version():
    return torch.__version__


def is_vision_available():
    return importlib.util.find_spec("PIL") is not None


def is_torchvision_available():
    return importlib.util.find_spec("torchvision") is not None


def is_tf_available():
    return False


def is_flax_available():
    return False


def is_mlx_available():
    return False


def is_torch_xla_available(*args, **kwargs):
    return False


def is_torch_fx_proxy(x):
    try:
        import torch.fx

        return isinstance(x, torch.fx.Proxy)
    except Exception:
        return False


def requires_backends(obj, backends):
    backends = backends if isinstance(backends, (list, tuple)) else [backends]
    name = getattr(obj, "__name__", obj.__class__.__name__)
    for backend in backends:
        if backend == "vision" and not is_vision_available():
            raise ImportError(f"{name} requires PIL")
        if backend == "torch" and not is_torch_available():
            raise ImportError(f"{name} requires torch")
''',
    "utils/__init__.py": '''
# stand-in for transformers.utils: re-exports the upstream generic/doc/constants/backbone helpers and
# offline stubs for the hub functions (nothing is downloaded or uploaded).
import types as _types

from . import logging
from .constants import *  # noqa  (upstream)
from .doc import *  # noqa  (upstream)
from .generic import *  # noqa  (upstream: ModelOutput, TensorType, ExplicitEnum, is_torch_tensor, ...)
from .import_utils import *  # noqa  (stand-in)

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "pytorch_model.bin"
SAFE_WEIGHTS_NAME = "model.safetensors"
FEATURE_EXTRACTOR_NAME = "preprocessor_config.json"
IMAGE_PROCESSOR_NAME = FEATURE_EXTRACTOR_NAME


class PushToHubMixin:
    def push_to_hub(self, *args, **kwargs):
        """Upload the {object_files} to the Hub ({object}, {object_class}): disabled in this stand-in."""
        raise NotImplementedError("offline stand-in")

    def _create_repo(self, *args, **kwargs):
        raise NotImplementedError("offline stand-in")


def add_model_info_to_auto_map(auto_map, repo_id):
    for key, value in auto_map.items():
        if isinstance(value, (tuple, list)):
            auto_map[key] = [f"{repo_id}--{v}" if (v is not None and "--" not in v) else v for v in value]
        elif value is not None and "--" not in value:
            auto_map[key] = f"{repo_id}--{value}"
    return auto_map


def cached_file(path_or_repo_id, filename, **kwargs):
    import os

    resolved = os.path.join(path_or_repo_id, filename)
    if os.path.isfile(resolved):
        return resolved
    raise EnvironmentError(f"offline stand-in: {resolved} not found")


def copy_func(f):
    g = _types.FunctionType(f.__code__, f.__globals__, name=f.__name__, argdefs=f.__defaults__, closure=f.__closure__)
    g.__kwdefaults__ = f.__kwdefaults__
    g.__doc__ = f.__doc__
    return g


def download_url(url, proxies=None):
    raise EnvironmentError("offline stand-in")


def extract_commit_hash(resolved_file, commit_hash):
    return commit_hash


def is_remote_url(url_or_filename):
    return False


def is_offline_mode():
    return True
''',
    "modeling_utils.py": '''
# stand-in for transformers.modeling_utils.PreTrainedModel: an nn.Module holding the config. post_init applies
# the model's own (upstream) _init_weights, as PreTrainedModel.init_weights does; loading/saving is not needed.
import torch
from torch import nn


class PreTrainedModel(nn.Module):
    config_class = None
    base_model_prefix = ""
    main_input_name = "input_ids"
    supports_gradient_checkpointing = False
    _no_split_modules = None

    def __init__(self, config, *inputs, **kwargs):
        super().__init__()
        self.config = config
        self.name_or_path = config.name_or_path

    def post_init(self):
        if hasattr(self, "_init_weights"):
            self.apply(self._init_weights)

    def get_head_mask(self, head_mask, num_hidden_layers, is_attention_chunked=False):
        if head_mask is not None:
            raise NotImplementedError("stand-in PreTrainedModel: head_mask is not supported")
        return [None] * num_hidden_layers

    @property
    def dtype(self):
        return next(self.parameters()).dtype

    @property
    def device(self):
        return next(self.parameters()).device
''',
}

SAFETENSORS_STUB = '''
# stand-in: transformers.pytorch_utils imports these two helpers (used only for tied-weight detection).
def storage_ptr(tensor):
    raise NotImplementedError("safetensors stub")


def storage_size(tensor):
    raise NotImplementedError("safetensors stub")
'''


def build_transformers_tree(upstream_dir, tmp):
    """Copies the upstream files and writes the stand-ins into tmp/transformers; returns the sys.path entries."""
    pkg = os.path.join(tmp, "transformers")
    for rel in UPSTREAM_FILES:
        src = os.path.join(upstream_dir, rel)
        if not os.path.isfile(src):
            raise SystemExit(f"missing upstream file {src} (pass --transformers .../src/transformers at {TRANSFORMERS_COMMIT})")
        os.makedirs(os.path.dirname(os.path.join(pkg, rel)), exist_ok=True)
        shutil.copyfile(src, os.path.join(pkg, rel))
    for rel, text in STANDINS.items():
        dst = os.path.join(pkg, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "w") as f:
            f.write(text.lstrip("\n"))
    extra = []
    if importlib.util.find_spec("safetensors") is None:
        stub = os.path.join(tmp, "stubs", "safetensors")
        os.makedirs(stub, exist_ok=True)
        open(os.path.join(stub, "__init__.py"), "w").close()
        with open(os.path.join(stub, "torch.py"), "w") as f:
            f.write(SAFETENSORS_STUB.lstrip("\n"))
        extra.append(os.path.join(tmp, "stubs"))
    return [tmp], extra


def install_torchmetrics_stub():
    """PIE-Bench's matrics_calculator imports torchmetrics at module level; only LossG/VitExtractor are run here."""

    class _Unused:
        def __init__(self, *args, **kwargs):
            pass

        def to(self, *args, **kwargs):
            return self

        def __call__(self, *args, **kwargs):
            raise NotImplementedError("torchmetrics stub")

    mods = {}
    for name in ["torchmetrics", "torchmetrics.multimodal", "torchmetrics.image", "torchmetrics.image.lpip",
                 "torchmetrics.regression"]:
        mods[name] = types.ModuleType(name)
        sys.modules[name] = mods[name]
    mods["torchmetrics.multimodal"].CLIPScore = _Unused
    mods["torchmetrics.image"].PeakSignalNoiseRatio = _Unused
    mods["torchmetrics.image"].StructuralSimilarityIndexMeasure = _Unused
    mods["torchmetrics.image.lpip"].LearnedPerceptualImagePatchSimilarity = _Unused
    mods["torchmetrics.regression"].MeanSquaredError = _Unused


# ----------------------------------------------------------------------------------------------------------
# Safetensors writing, weights, tolerances
# ----------------------------------------------------------------------------------------------------------
write_st = write_safetensors  # tests/tools/safetensors_file.py


def randomize_(model, seed):
    """Seeded random weights, perturbed so that no parameter is trivially 0 or 1 and activations stay O(1)."""
    g = torch.Generator().manual_seed(seed)
    owner = {}
    for mname, module in model.named_modules():
        for pname, _ in module.named_parameters(recurse=False):
            owner[f"{mname}.{pname}" if mname else pname] = module
    with torch.no_grad():
        for name, p in model.named_parameters():
            module = owner[name]
            leaf = name.rsplit(".", 1)[-1]
            n = torch.randn(p.shape, generator=g, dtype=torch.float64)
            if isinstance(module, torch.nn.LayerNorm):
                v = 1.0 + 0.1 * n if leaf == "weight" else 0.05 * n
            elif isinstance(module, (torch.nn.Linear, torch.nn.Conv2d)):
                v = n / math.sqrt(p[0].numel()) if leaf == "weight" else 0.05 * n
            elif leaf == "lambda1":  # DINOv2 layer scale
                v = 1.0 + 0.3 * n
            elif leaf == "logit_scale":
                v = 2.6592 + 0.1 * n
            else:  # embeddings, class/cls/mask tokens, position embeddings
                v = 0.5 * n
            p.copy_(v.to(p.dtype))


def state_dict_f32(model):
    return {k: v.detach().float().contiguous() for k, v in model.state_dict().items()}


def round_up(v, digits=2):
    e = math.floor(math.log10(v)) - (digits - 1)
    return float(f"{math.ceil(v / 10 ** e - 1e-9) * 10 ** e:.{digits}g}")


def max_diff(f32, f64):
    return max(float((f32[k].double() - f64[k].double()).abs().max()) for k in f32)


def tol(f32, f64):
    """atol = max(1e-4, 20 * max|f32 - f64|) (rounded up to 2 digits); returns (atol, max diff)."""
    d = max_diff(f32, f64)
    return max(1e-4, round_up(20 * d)) if d > 0 else 1e-4, d


class CaseWriter:
    def __init__(self, root, name):
        self.dir = os.path.join(root, name)
        if os.path.isdir(self.dir):
            shutil.rmtree(self.dir)
        os.makedirs(os.path.join(self.dir, "model"))
        self.name = name
        self.checks, self.tensors = [], {}

    def add(self, name, component, inputs, outputs, atol, rtol, note):
        """inputs/outputs: dict name -> tensor (stored) or JSON literal (inputs only)."""
        ins, outs = {}, {}
        for k, v in inputs.items():
            if isinstance(v, torch.Tensor):
                key = f"{name}/in/{k}"
                self.tensors[key] = v
                ins[k] = key
            else:
                ins[k] = v
        for k, v in outputs.items():
            key = f"{name}/out/{k}"
            self.tensors[key] = v
            outs[k] = key
        self.checks.append({"name": name, "component": component, "inputs": ins, "outputs": outs,
                            "atol": atol, "rtol": rtol, "note": note})

    def finish(self):
        for k, v in self.tensors.items():
            assert v.dtype in (torch.float32, torch.int64), k
            assert torch.isfinite(v.double()).all(), k
        write_st(os.path.join(self.dir, "tensors.safetensors"), self.tensors)
        with open(os.path.join(self.dir, "checks.json"), "w") as f:
            json.dump(self.checks, f, indent=1)
            f.write("\n")
        size = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(self.dir) for fn in fns)
        print(f"[{self.name}] {len(self.checks)} checks, {size / 1e6:.2f} MB")
        for c in self.checks:
            print(f"    {c['name']:36s} {c['component']:24s} atol={c['atol']:g}")


def save_model(case, model, config, full=False):
    if full:
        # every key, nested text_config/vision_config included, as the released openai CLIP config.json files
        # have them (save_pretrained's diff would drop nested values equal to the class defaults)
        config.to_json_file(os.path.join(case.dir, "model", "config.json"), use_diff=False)
    else:
        config.save_pretrained(os.path.join(case.dir, "model"))  # upstream PretrainedConfig.save_pretrained
    write_st(os.path.join(case.dir, "model", "model.safetensors"), state_dict_f32(model))


def save_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


# ----------------------------------------------------------------------------------------------------------
# Real configs (values from the released config.json / preprocessor_config.json files)
# ----------------------------------------------------------------------------------------------------------
CLIP_L14 = dict(
    projection_dim=768, logit_scale_init_value=2.6592,
    text_config=dict(vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                     num_attention_heads=12, max_position_embeddings=77, hidden_act="quick_gelu",
                     layer_norm_eps=1e-5, projection_dim=768, bos_token_id=0, eos_token_id=2, pad_token_id=1),
    vision_config=dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16,
                       image_size=224, patch_size=14, hidden_act="quick_gelu", layer_norm_eps=1e-5,
                       projection_dim=768),
)
CLIP_B32 = dict(
    projection_dim=512, logit_scale_init_value=2.6592,
    text_config=dict(vocab_size=49408, hidden_size=512, intermediate_size=2048, num_hidden_layers=12,
                     num_attention_heads=8, max_position_embeddings=77, hidden_act="quick_gelu",
                     layer_norm_eps=1e-5, projection_dim=512, bos_token_id=0, eos_token_id=2, pad_token_id=1),
    vision_config=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                       image_size=224, patch_size=32, hidden_act="quick_gelu", layer_norm_eps=1e-5,
                       projection_dim=512),
)
DINOV2_BASE = dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, mlp_ratio=4, hidden_act="gelu",
                   layer_norm_eps=1e-6, image_size=518, patch_size=14, qkv_bias=True, layerscale_value=1.0,
                   drop_path_rate=0.0, use_swiglu_ffn=False)
# facebook/dino-vitb8 was converted with transformers' convert_dino_to_pytorch.py, which starts from ViTConfig()
# (layer_norm_eps default 1e-12) and builds ViTModel(config, add_pooling_layer=False).
DINO_VITB8 = dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
                  hidden_act="gelu", image_size=224, patch_size=8, qkv_bias=True, layer_norm_eps=1e-12)

# openai/clip-vit-large-patch14 preprocessor_config.json (old feature-extractor format, as released)
CLIP_L14_PREPROCESSOR = {
    "crop_size": 224, "do_center_crop": True, "do_normalize": True, "do_resize": True,
    "feature_extractor_type": "CLIPFeatureExtractor",
    "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
    "resample": 3, "size": 224,
}
# facebook/dinov2-base preprocessor_config.json
DINOV2_PREPROCESSOR = {
    "crop_size": {"height": 224, "width": 224}, "do_center_crop": True, "do_convert_rgb": True,
    "do_normalize": True, "do_rescale": True, "do_resize": True,
    "image_mean": [0.485, 0.456, 0.406], "image_processor_type": "BitImageProcessor",
    "image_std": [0.229, 0.224, 0.225], "resample": 3, "rescale_factor": 0.00392156862745098,
    "size": {"shortest_edge": 256},
}


def test_image(h, w, seed):
    """A smooth uint8 RGB image with some texture (so that resampling filters matter), as HWC uint8 numpy."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, h, dtype=torch.float64), torch.linspace(0, 1, w, dtype=torch.float64),
                            indexing="ij")
    chans = []
    for c in range(3):
        a, b, ph = torch.rand(3, generator=g, dtype=torch.float64) * torch.tensor([6.0, 6.0, 6.28], dtype=torch.float64)
        chans.append(0.5 + 0.35 * torch.sin(a * xx * 3.1 + b * yy * 2.3 + ph) + 0.1 * torch.cos(9 * xx * (c + 1)))
    img = torch.stack(chans, -1) + 0.08 * torch.randn(h, w, 3, generator=g, dtype=torch.float64)
    return (img.clamp(0, 1) * 255).round().to(torch.uint8).numpy()


def clip_score(image_features, text_features):
    """torchmetrics' CLIPScore (Lightning-AI/torchmetrics, src/torchmetrics/functional/multimodal/clip_score.py,
    _clip_score_update + clip_score; class src/torchmetrics/multimodal/clip_score.py compute()):
        f = f / f.norm(p=2, dim=-1, keepdim=True)  (both modalities)
        score = 100 * (img_features * txt_features).sum(axis=-1)
        result = max(score.mean(0), 0)
    PIE-Bench calls it with one image and one prompt per call, so the per-row value 100*max(cos, 0) is returned."""
    i = image_features / image_features.norm(p=2, dim=-1, keepdim=True)
    t = text_features / text_features.norm(p=2, dim=-1, keepdim=True)
    score = 100 * (i * t).sum(axis=-1)
    return torch.max(score, torch.zeros_like(score))


class float64_defaults:
    """Float64 reference passes: transformers 4.39's causal-mask helper builds its mask with
    torch.full(..., torch.finfo(dtype).min) in the DEFAULT dtype, which overflows float32 for dtype=float64."""

    def __enter__(self):
        self.old = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)

    def __exit__(self, *exc):
        torch.set_default_dtype(self.old)


def cosine(a, b):
    a = a / torch.norm(a, dim=-1, keepdim=True)
    b = b / torch.norm(b, dim=-1, keepdim=True)
    return (a * b).sum(-1)


# ----------------------------------------------------------------------------------------------------------
# Cases
# ----------------------------------------------------------------------------------------------------------
def make_tiny_clip(out_root):
    from transformers.models.clip.configuration_clip import CLIPConfig
    from transformers.models.clip.image_processing_clip import CLIPImageProcessor
    from transformers.models.clip.modeling_clip import CLIPModel

    config = CLIPConfig(
        projection_dim=16,
        text_config=dict(vocab_size=1000, hidden_size=32, intermediate_size=37, num_hidden_layers=2,
                         num_attention_heads=4, max_position_embeddings=16, hidden_act="quick_gelu",
                         layer_norm_eps=1e-5, projection_dim=16, bos_token_id=0, eos_token_id=2, pad_token_id=1),
        vision_config=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                           image_size=32, patch_size=8, hidden_act="quick_gelu", layer_norm_eps=1e-5,
                           projection_dim=16),
    )
    config.architectures = ["CLIPModel"]
    config.torch_dtype = torch.float32
    torch.manual_seed(0)
    model = CLIPModel(config).eval()
    randomize_(model, 1)
    m64 = copy.deepcopy(model).double()
    case = CaseWriter(out_root, "tiny-clip")
    save_model(case, model, config, full=True)
    save_json(os.path.join(case.dir, "model", "preprocessor_config.json"), CLIP_L14_PREPROCESSOR)

    g = torch.Generator().manual_seed(2)

    def ids_batch():
        # tiny vocabulary 0..999; "start" 998 and "end" 999 play <|startoftext|> 49406 / <|endoftext|> 49407.
        # Row 0 is padded with small ids (0) after its end token, row 1 with repeated end tokens (999), as the
        # openai tokenizer pads with <|endoftext|>: pooling must take the FIRST position of the maximal id.
        rows = []
        for length, pad in ((9, 0), (12, 999)):
            body = torch.randint(3, 998, (length - 2,), generator=g).tolist()
            row = [998] + body + [999] + [pad] * (16 - length)
            rows.append(row)
        return torch.tensor(rows, dtype=torch.int64)

    with torch.no_grad():
        # clip_vision
        px = torch.randn(2, 3, 32, 32, generator=g)
        o32 = model.vision_model(pixel_values=px)
        with float64_defaults():
            o64 = m64.vision_model(pixel_values=px.double())
            e64 = m64.get_image_features(pixel_values=px.double())
        r32 = {"last_hidden_state": o32.last_hidden_state, "pooler_output": o32.pooler_output,
               "image_embeds": model.get_image_features(pixel_values=px)}
        r64 = {"last_hidden_state": o64.last_hidden_state, "pooler_output": o64.pooler_output, "image_embeds": e64}
        assert torch.allclose(r32["image_embeds"], model.visual_projection(o32.pooler_output), atol=1e-6)
        atol, d = tol(r32, r64)
        case.add("clip_vision", "clip_vision", {"pixel_values": px}, r32, atol, 0.0,
                 "CLIPVisionTransformer: conv patch embedding (no bias) + class_embedding + learned positions, "
                 "pre_layrnorm, pre-LN encoder (quick_gelu), last_hidden_state WITHOUT post_layernorm; "
                 "pooler_output = post_layernorm(last_hidden_state[:, 0]); image_embeds = visual_projection"
                 f"(pooler_output) un-normalised (CLIPModel.get_image_features). max|f32-f64| {d:.2e}")

        # clip_text
        ids = ids_batch()
        o32 = model.text_model(input_ids=ids)
        with float64_defaults():
            o64 = m64.text_model(input_ids=ids)
            e64 = m64.get_text_features(input_ids=ids)
        r32 = {"last_hidden_state": o32.last_hidden_state, "pooler_output": o32.pooler_output,
               "text_embeds": model.get_text_features(input_ids=ids)}
        r64 = {"last_hidden_state": o64.last_hidden_state, "pooler_output": o64.pooler_output, "text_embeds": e64}
        atol, d = tol(r32, r64)
        case.add("clip_text", "clip_text", {"input_ids": ids}, r32, atol, 0.0,
                 "CLIPTextTransformer with causal mask, no padding mask; text_config.eos_token_id == 2 (as in the "
                 "openai checkpoints) so pooler_output = last_hidden_state[b, argmax(input_ids[b])] (first position of "
                 "the maximal id; row 1 is padded with repeated end ids 999); text_embeds = text_projection"
                 f"(pooler_output) un-normalised (get_text_features). max|f32-f64| {d:.2e}")

        # clip_score: pick inputs (deterministically) so that one image-text cosine is positive, one negative
        for attempt in range(100):
            pxs = torch.randn(2, 3, 32, 32, generator=g)
            pxb = (pxs + 0.7 * torch.randn(2, 3, 32, 32, generator=g))
            ids2 = ids_batch()
            cos = cosine(model.get_image_features(pixel_values=pxs), model.get_text_features(input_ids=ids2))
            if cos[0] > 0.05 and cos[1] < -0.05:
                break
        else:
            raise RuntimeError("no clip_score inputs with mixed signs")

        def score_outputs(m, p, i, pb):
            fi = m.get_image_features(pixel_values=p)
            ft = m.get_text_features(input_ids=i)
            fb = m.get_image_features(pixel_values=pb)
            return {"image_text_cosine": cosine(fi, ft), "image_image_cosine": cosine(fi, fb),
                    "clip_score": clip_score(fi, ft)}

        r32 = score_outputs(model, pxs, ids2, pxb)
        with float64_defaults():
            r64 = score_outputs(m64, pxs.double(), ids2, pxb.double())
        atol, d = tol(r32, r64)
        case.add("clip_score", "clip_score", {"pixel_values": pxs, "input_ids": ids2, "pixel_values_b": pxb},
                 {k: v.float() for k, v in r32.items()}, atol, 0.0,
                 "per row b: image_text_cosine = cos(get_image_features(pixel_values[b]), get_text_features"
                 "(input_ids[b])) (iCD calc_clip_score_images_prompts); image_image_cosine = cos(image features of "
                 "pixel_values[b], of pixel_values_b[b]) (iCD calc_clip_score_images_images); clip_score = "
                 "100*max(image_text_cosine, 0) (torchmetrics CLIPScore as PIE-Bench uses it, one pair per call; "
                 f"row 1 has a negative cosine, so its score is 0). max|f32-f64| {d:.2e}")

    # clip_preprocess: upstream CLIPImageProcessor configured by the released preprocessor_config.json
    processor = CLIPImageProcessor.from_dict(dict(CLIP_L14_PREPROCESSOR))
    for name, (h, w), seed, what in (
        ("clip_preprocess_landscape", (61, 97), 11,
         "61x97 (HxW): shortest edge 61 -> 224, size (224, int(224*97/61)=356), bicubic upscale, center crop "
         "224x224 at left=(356-224)//2=66"),
        ("clip_preprocess_portrait", (120, 75), 12,
         "120x75 (HxW): shortest edge 75 -> 224, size (int(224*120/75)=358, 224), bicubic upscale, center crop "
         "224x224 at top=(358-224)//2=67"),
    ):
        img = test_image(h, w, seed)
        pv = processor(images=img, return_tensors="pt")["pixel_values"]
        assert pv.shape == (1, 3, 224, 224) and pv.dtype == torch.float32
        case.add(name, "clip_preprocess", {"image": torch.from_numpy(img.astype(np.float32))},
                 {"pixel_values": pv}, 1e-4, 0.0,
                 "image: uint8 RGB HxWx3 stored as F32 integer values. transformers 4.39 CLIPImageProcessor with "
                 "openai/clip-vit-large-patch14's preprocessor_config.json (model/preprocessor_config.json): "
                 "PIL.Image.resize(BICUBIC) of the uint8 image (result uint8) to the size get_resize_output_image_size "
                 "gives for shortest_edge 224, center_crop 224x224, *1/255, (x-mean)/std with OPENAI_CLIP_MEAN/STD, "
                 f"to CHW. {what}. Needs Pillow-exact uint8 bicubic resampling (one uint8 step ~0.015 here).")
    case.finish()


def make_tiny_dinov2(out_root):
    from transformers.models.bit.image_processing_bit import BitImageProcessor
    from transformers.models.dinov2.configuration_dinov2 import Dinov2Config
    from transformers.models.dinov2.modeling_dinov2 import Dinov2Model

    config = Dinov2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, mlp_ratio=4, hidden_act="gelu",
                          layer_norm_eps=1e-6, image_size=20, patch_size=4, qkv_bias=True, layerscale_value=1.0,
                          drop_path_rate=0.0, use_swiglu_ffn=False)
    config.architectures = ["Dinov2Model"]
    config.torch_dtype = torch.float32
    torch.manual_seed(0)
    model = Dinov2Model(config).eval()
    randomize_(model, 3)
    m64 = copy.deepcopy(model).double()
    case = CaseWriter(out_root, "tiny-dinov2")
    save_model(case, model, config)
    save_json(os.path.join(case.dir, "model", "preprocessor_config.json"), DINOV2_PREPROCESSOR)
    g = torch.Generator().manual_seed(4)
    interp = ("interpolate_pos_encoding (transformers 4.39): if num_patches == num_positions and H == W the table is "
              "used as is; else patch table [1,D,sqrt(N),sqrt(N)] -> F.interpolate(in float32, scale_factor=((H//p+0.1)"
              "/sqrt(N), (W//p+0.1)/sqrt(N)), mode='bicubic', align_corners=False) (no antialias; output size floor("
              "sqrt(N)*scale) = H//p, W//p; source coordinate = (dst+0.5)/scale-0.5 with the GIVEN scale), CLS position "
              "prepended")
    with torch.no_grad():
        for name, (h, w), what in (("dinov2_native", (20, 20), "native 20x20 (5x5 patches): no interpolation"),
                                   ("dinov2_interpolate", (28, 36), "28x36: 5x5 table upsampled to 7x9 (non-square)"),
                                   ("dinov2_downscale", (16, 16), "16x16: 5x5 table downsampled to 4x4 (as iCD feeds "
                                                                  "224x224 = 16x16 patches to dinov2-base's 37x37 table)")):
            px = torch.randn(2, 3, h, w, generator=g)
            o32 = model(pixel_values=px)
            with float64_defaults():
                o64 = m64(pixel_values=px.double())
            r32 = {"last_hidden_state": o32.last_hidden_state, "pooler_output": o32.pooler_output}
            r64 = {"last_hidden_state": o64.last_hidden_state, "pooler_output": o64.pooler_output}
            atol, d = tol(r32, r64)
            case.add(name, "dinov2", {"pixel_values": px}, r32, atol, 0.0,
                     f"Dinov2Model, {what}. Blocks: x += layer_scale1(attn(norm1(x))); x += layer_scale2(mlp(norm2(x))) "
                     "(lambda1 perturbed), LayerNorm eps 1e-6, GELU (erf); last_hidden_state = layernorm(x), "
                     f"pooler_output = last_hidden_state[:, 0]. {interp}. max|f32-f64| {d:.2e}")

    processor = BitImageProcessor.from_dict(dict(DINOV2_PREPROCESSOR))
    img = test_image(61, 97, 21)
    pv = processor(images=img, return_tensors="pt")["pixel_values"]
    assert pv.shape == (1, 3, 224, 224) and pv.dtype == torch.float32
    case.add("dinov2_preprocess", "dinov2_preprocess", {"image": torch.from_numpy(img.astype(np.float32))},
             {"pixel_values": pv}, 1e-4, 0.0,
             "image: uint8 RGB 61x97 (HxW) stored as F32 integer values. transformers 4.39 BitImageProcessor with "
             "facebook/dinov2-base's preprocessor_config.json (model/preprocessor_config.json): PIL BICUBIC resize of "
             "the uint8 image to shortest edge 256 -> (256, int(256*97/61)=407), center crop 224x224 (top 16, left 91), "
             "*1/255, (x-mean)/std with ImageNet mean/std, to CHW. Needs Pillow-exact uint8 bicubic resampling.")
    case.finish()


def hf_vit_to_dino(sd, n_layers):
    """facebook/dino-vitb8 (HF ViTModel) names -> facebookresearch/dino VisionTransformer names."""
    out = {
        "cls_token": sd["embeddings.cls_token"],
        "pos_embed": sd["embeddings.position_embeddings"],
        "patch_embed.proj.weight": sd["embeddings.patch_embeddings.projection.weight"],
        "patch_embed.proj.bias": sd["embeddings.patch_embeddings.projection.bias"],
        "norm.weight": sd["layernorm.weight"],
        "norm.bias": sd["layernorm.bias"],
    }
    for i in range(n_layers):
        p = f"encoder.layer.{i}."
        a = p + "attention.attention."
        for t in ("weight", "bias"):
            out[f"blocks.{i}.norm1.{t}"] = sd[p + f"layernorm_before.{t}"]
            out[f"blocks.{i}.attn.qkv.{t}"] = torch.cat([sd[a + f"query.{t}"], sd[a + f"key.{t}"], sd[a + f"value.{t}"]], 0)
            out[f"blocks.{i}.attn.proj.{t}"] = sd[p + f"attention.output.dense.{t}"]
            out[f"blocks.{i}.norm2.{t}"] = sd[p + f"layernorm_after.{t}"]
            out[f"blocks.{i}.mlp.fc1.{t}"] = sd[p + f"intermediate.dense.{t}"]
            out[f"blocks.{i}.mlp.fc2.{t}"] = sd[p + f"output.dense.{t}"]
    return out


def make_tiny_dino_vit(out_root, dino_dir, pie_file):
    from functools import partial

    from transformers.models.vit.configuration_vit import ViTConfig
    from transformers.models.vit.modeling_vit import ViTModel

    config = ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                       hidden_act="gelu", image_size=16, patch_size=4, qkv_bias=True, layer_norm_eps=1e-6)
    config.architectures = ["ViTModel"]
    config.torch_dtype = torch.float32
    torch.manual_seed(0)
    model = ViTModel(config, add_pooling_layer=False).eval()
    randomize_(model, 5)
    m64 = copy.deepcopy(model).double()
    case = CaseWriter(out_root, "tiny-dino-vit")
    save_model(case, model, config)

    # facebookresearch/dino's VisionTransformer with the same weights
    sys.path.insert(0, dino_dir)
    vits = importlib.import_module("vision_transformer")
    sys.path.remove(dino_dir)

    def make_dino(dtype):
        d = vits.VisionTransformer(img_size=[16], patch_size=4, embed_dim=32, depth=2, num_heads=4, mlp_ratio=4,
                                   qkv_bias=True, norm_layer=partial(torch.nn.LayerNorm, eps=1e-6), num_classes=0)
        d.load_state_dict(hf_vit_to_dino(model.state_dict(), 2), strict=True)
        return d.eval().to(dtype)

    dino32, dino64 = make_dino(torch.float32), make_dino(torch.float64)
    g = torch.Generator().manual_seed(6)
    with torch.no_grad():
        px = torch.randn(2, 3, 16, 16, generator=g)
        hf = model(pixel_values=px).last_hidden_state
        dn = dino32.get_intermediate_layers(px, n=1)[0]
        print(f"[tiny-dino-vit] HF ViTModel vs dino VisionTransformer last_hidden_state (16x16): "
              f"max|diff| = {float((hf - dn).abs().max()):.3e}")
        assert float((hf - dn).abs().max()) < 1e-5
        px_i = torch.randn(1, 3, 24, 20, generator=g)
        hf_i = model(pixel_values=px_i, interpolate_pos_encoding=True).last_hidden_state
        dn_i = dino32.get_intermediate_layers(px_i, n=1)[0]
        print(f"[tiny-dino-vit] same at 24x20 with position interpolation: max|diff| = {float((hf_i - dn_i).abs().max()):.3e}")
        assert float((hf_i - dn_i).abs().max()) < 1e-5

        for name, x, what in (("vit_native", px, "native 16x16 (4x4 patches), no interpolation"),
                              ("vit_interpolate", px_i, "24x20: 4x4 position table interpolated to 6x5 (HF: "
                               "interpolate_pos_encoding=True; DINO's VisionTransformer always interpolates when the "
                               "size differs): scale_factor=((H//p+0.1)/sqrt(N), (W//p+0.1)/sqrt(N)), bicubic, "
                               "align_corners=False, in the model dtype")):
            r32 = {"last_hidden_state": model(pixel_values=x, interpolate_pos_encoding=True).last_hidden_state}
            with float64_defaults():
                r64 = {"last_hidden_state": m64(pixel_values=x.double(), interpolate_pos_encoding=True).last_hidden_state}
            atol, d = tol(r32, r64)
            case.add(name, "vit", {"pixel_values": x}, r32, atol, 0.0,
                     f"ViTModel(add_pooling_layer=False) as facebook/dino-vitb8: {what}; pre-LN blocks, LayerNorm "
                     "eps from config, GELU (erf), last_hidden_state = final layernorm of all tokens (CLS first). "
                     f"Equals DINO VisionTransformer.get_intermediate_layers(x, 1)[0]. max|f32-f64| {d:.2e}")

    # PIE-Bench's own code: torch.hub.load patched to return the tiny DINO model
    install_torchmetrics_stub()
    spec = importlib.util.spec_from_file_location("pie_matrics_calculator", pie_file)
    pie = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pie)
    real_hub_load = torch.hub.load

    def metrics_calculator(dino_model):
        def fake_hub_load(repo, name, *args, **kwargs):
            assert (repo, name) == ("facebookresearch/dino:main", "dino_vitb8"), (repo, name)
            return dino_model

        torch.hub.load = fake_hub_load
        try:
            mc = pie.MetricsCalculator("cpu")
        finally:
            torch.hub.load = real_hub_load
        ext = mc.structure_distance_metric_calculator.extractor
        # tiny sizes instead of the hard-coded dino_vitb8 ones (patch 8, 12 heads, 768 dims) ...
        ext.get_patch_size = lambda: 4
        ext.get_head_num = lambda: 4
        ext.get_embedding_dim = lambda: 32
        # ... and block 11 (the last of 12) -> block 1 (the last of 2)
        orig = ext.get_keys_from_input
        ext.get_keys_from_input = lambda img, layer_num: orig(img, layer_num=1 if layer_num == 11 else layer_num)
        return mc

    mc32, mc64 = metrics_calculator(dino32), metrics_calculator(dino64)
    with torch.no_grad():
        r32 = {"keys": [], "self_similarity": []}
        r64 = {"keys": [], "self_similarity": []}
        for b in range(2):
            for mc, r, x in ((mc32, r32, px[b:b + 1]), (mc64, r64, px[b:b + 1].double())):
                ext = mc.structure_distance_metric_calculator.extractor
                r["keys"].append(ext.get_keys_from_input(x, layer_num=11))
                r["self_similarity"].append(ext.get_keys_self_sim_from_input(x, layer_num=11)[0])
        r32 = {k: torch.stack(v) for k, v in r32.items()}
        r64 = {k: torch.stack(v) for k, v in r64.items()}
        # cross-check with the HF model: keys of the last layer, heads concatenated
        lay = model.encoder.layer[-1]
        hs = model(pixel_values=px, output_hidden_states=True).hidden_states[-2]
        k_hf = lay.attention.attention.key(lay.layernorm_before(hs))  # [B, T, 32]
        k_pie = r32["keys"].permute(0, 2, 1, 3).reshape(2, 17, 32)
        print(f"[tiny-dino-vit] PIE keys vs HF key projection: max|diff| = {float((k_hf - k_pie).abs().max()):.3e}")
        assert float((k_hf - k_pie).abs().max()) < 1e-5
    assert r32["keys"].shape == (2, 4, 17, 8) and r32["self_similarity"].shape == (2, 17, 17)
    atol, d = tol(r32, r64)
    case.add("dino_vit_keys", "dino_vit_keys", {"pixel_values": px}, r32, atol, 0.0,
             "PIE-Bench VitExtractor on each image separately (batch 1, as PIE calls it), keys of the LAST block "
             "(layer_num=11 of dino_vitb8's 12): forward hook on blocks[-1].attn.qkv output [1, T, 3D] -> "
             "reshape(T, 3, heads, D/heads).permute(1,2,0,3)[1] = keys [heads, T, D/heads] incl. the CLS token "
             "(T = 1 + patches), stacked over the batch: [B, heads, T, D/heads]. self_similarity: keys.transpose(0,1)"
             ".reshape(T, heads*D/heads) (heads concatenated per token = the key Linear output), then "
             "sim = (x x^T) / clamp(|x_i| |x_j|, min=1e-8): [B, T, T]. The qkv Linear is HF's query/key/value "
             f"concatenated along the output dim. max|f32-f64| {d:.2e}")

    # structure distance through MetricsCalculator.calculate_structure_distance (float32, as PIE runs it)
    for name, (h, w), seed, what in (
        ("dino_structure_distance", (40, 56), 31, "shorter side 40 -> 224, longer int(224*56/40) = 313"),
        ("dino_structure_distance_maxsize", (72, 30), 32,
         "shorter side 30 -> 224 would make the longer int(224*72/30) = 537 > 480, so max_size applies: "
         "(longer, shorter) = (480, int(480*224/537) = 200)"),
    ):
        rh, rw = mc32.structure_distance_metric_calculator.global_transform(torch.zeros(3, h, w)).shape[1:]
        what = f"{h}x{w} (HxW): {what} -> {rh}x{rw} -> {rh // 4}x{rw // 4} patches, {1 + (rh // 4) * (rw // 4)} tokens"
        print(f"[tiny-dino-vit] {name}: {what}")
        a = test_image(h, w, seed).astype(np.float32)
        gb = torch.Generator().manual_seed(seed + 100)
        b = np.clip(a + np.round(25 * torch.randn(h, w, 3, generator=gb).numpy()), 0, 255).astype(np.float32)
        with torch.no_grad():
            dist32 = mc32.calculate_structure_distance(a, b)  # img_pred=a, img_gt=b
            # float64: the same steps after PIE's float32 cast (exact here: integer pixel values)
            ta = torch.from_numpy(np.transpose(a.astype(np.float64), (2, 0, 1)))[None]
            tb = torch.from_numpy(np.transpose(b.astype(np.float64), (2, 0, 1)))[None]
            dist64 = mc64.structure_distance_metric_calculator.calculate_global_ssim_loss(tb, ta)
        r32 = {"distance": torch.tensor(np.asarray(dist32), dtype=torch.float32).reshape(())}
        r64 = {"distance": dist64.reshape(())}
        d = max_diff(r32, r64)
        # the distance is ~3e-3, so the usual 1e-4 floor would accept a 4% error: use atol 1e-6 + rtol 1e-3
        # (float32 vs float64 differ by ~1e-10 here; a float32 port should accumulate the 19M-term mean in double)
        atol, rtol = max(1e-6, round_up(20 * d)), 1e-3
        case.add(name, "dino_structure_distance",
                 {"image_a": torch.from_numpy(a), "image_b": torch.from_numpy(b)}, r32, atol, rtol,
                 "PIE-Bench MetricsCalculator.calculate_structure_distance(image_a, image_b) (symmetric): images are "
                 "HxWx3 float 0..255 (NOT divided by 255) -> CHW -> torchvision Resize(224, max_size=480) (bilinear, "
                 "tensor path, antialias off in torchvision 0.13/0.14; shorter side 224, longer int(224*long/short), "
                 "capped at 480) -> Normalize(ImageNet mean/std) applied to the 0..255 values -> DINO ViT (position "
                 "table interpolated to the patch grid) -> keys self-similarity of the last block (as dino_vit_keys, "
                 f"CLS included) for both images -> F.mse_loss (mean over T*T). {what}. max|f32-f64| {d:.2e}")
    case.finish()


def write_full_size_keys(out_root):
    from transformers.models.clip.configuration_clip import CLIPConfig
    from transformers.models.clip.modeling_clip import CLIPModel
    from transformers.models.dinov2.configuration_dinov2 import Dinov2Config
    from transformers.models.dinov2.modeling_dinov2 import Dinov2Model
    from transformers.models.vit.configuration_vit import ViTConfig
    from transformers.models.vit.modeling_vit import ViTModel

    d = os.path.join(out_root, "full-size-keys")
    os.makedirs(d, exist_ok=True)
    jobs = [
        ("clip-vit-large-patch14", "openai/clip-vit-large-patch14", lambda: CLIPModel(CLIPConfig(**copy.deepcopy(CLIP_L14))),
         CLIP_L14, ["text_model.embeddings.position_ids  [1, 77]  (int64 buffer, 0..76; older pytorch_model.bin)",
                    "vision_model.embeddings.position_ids  [1, 257]  (int64 buffer, 0..256; older pytorch_model.bin)"]),
        ("clip-vit-base-patch32", "openai/clip-vit-base-patch32", lambda: CLIPModel(CLIPConfig(**copy.deepcopy(CLIP_B32))),
         CLIP_B32, ["text_model.embeddings.position_ids  [1, 77]  (int64 buffer; older pytorch_model.bin)",
                    "vision_model.embeddings.position_ids  [1, 50]  (int64 buffer; older pytorch_model.bin)"]),
        ("dinov2-base", "facebook/dinov2-base", lambda: Dinov2Model(Dinov2Config(**DINOV2_BASE)), DINOV2_BASE,
         ["(none known; embeddings.mask_token [1, 768] is in both the checkpoint and the model, unused at inference)"]),
        ("dino-vitb8", "facebook/dino-vitb8", lambda: ViTModel(ViTConfig(**DINO_VITB8), add_pooling_layer=False),
         DINO_VITB8, ["(none known: converted as ViTModel(config, add_pooling_layer=False); no pooler.*, no mask_token)"]),
    ]
    with torch.no_grad():
        for fname, repo, build, cfg, extra in jobs:
            torch.manual_seed(0)
            m = build().float()
            n = sum(p.numel() for p in m.parameters())
            sd = m.state_dict()
            lines = [f"# parameters {n}",
                     f"# {repo}: upstream transformers {TRANSFORMERS_VERSION} ({TRANSFORMERS_COMMIT[:10]}) "
                     f"{type(m).__name__}, random init, float32",
                     f"# config: {json.dumps(cfg, sort_keys=True)}",
                     "# keys a released checkpoint may contain that the model's state_dict does not:"]
            lines += [f"#   {e}" for e in extra]
            lines += [f"{k}\t{list(v.shape)}" for k, v in sorted(sd.items())]
            with open(os.path.join(d, fname + ".txt"), "w") as f:
                f.write("\n".join(lines) + "\n")
            print(f"[full-size-keys] {repo}: {type(m).__name__}, {n} parameters, {len(sd)} state-dict entries")
            del m, sd


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transformers", required=True,
                        help=f"upstream transformers package folder (src/transformers) at {TRANSFORMERS_COMMIT}")
    parser.add_argument("--dino", required=True, help="facebookresearch/dino checkout (vision_transformer.py, utils.py)")
    parser.add_argument("--pie", required=True, help="PnPInversion evaluation/matrics_calculator.py")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
    parser.add_argument("--skip-full-size", action="store_true", help="do not build the full-size models")
    args = parser.parse_args()

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    tmp = tempfile.mkdtemp(prefix="icd-vit-ref-")
    try:
        front, back = build_transformers_tree(os.path.abspath(args.transformers), tmp)
        sys.path[:0] = front
        sys.path.extend(back)
        import transformers

        assert transformers.__file__.startswith(tmp), transformers.__file__
        out = os.path.abspath(args.out)
        os.makedirs(out, exist_ok=True)
        make_tiny_clip(out)
        make_tiny_dinov2(out)
        make_tiny_dino_vit(out, os.path.abspath(args.dino), os.path.abspath(args.pie))
        if not args.skip_full_size:
            write_full_size_keys(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
