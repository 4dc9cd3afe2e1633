#!/usr/bin/python3
"""Reference case tests/reference/tiny-imagereward: ImageReward-v1.0 topology, from upstream ImageReward code.

    /usr/bin/python3 tests/tools/make_imagereward_reference.py --imagereward /path/to/ImageReward-checkout \\
        [--out tests/reference] [--skip-full-size]

`--imagereward` is a checkout (or `git archive`) of github:THUDM/ImageReward; the folder that holds the
`ImageReward/` package. Needs only Debian's python3-torch 1.13 / python3-torchvision 0.14 / PIL.

What runs upstream, unmodified (imported from --imagereward):
  ImageReward/ImageReward.py           ImageReward (its __init__: BLIP_Pretrain, MLP, mean/std constants),
                                       MLP, _transform, score_gard (the batched twin of score)
  ImageReward/models/BLIP/blip_pretrain.py  BLIP_Pretrain (visual_encoder, tokenizer, text_encoder,
                                       vision_proj, text_proj)
  ImageReward/models/BLIP/blip.py      init_tokenizer ([DEC] bos token, [ENC] additional special token)
  ImageReward/models/BLIP/vit.py       VisionTransformer, Block, Attention, Mlp
  ImageReward/models/BLIP/med.py       BertEmbeddings, BertSelfAttention (+ cross-attention), BertLayer,
                                       BertEncoder, BertModel (get_extended_attention_mask, forward)
The ImageReward and ImageReward.models packages are registered as bare namespace modules so that their
__init__.py files (which import clip, huggingface_hub, diffusers, ReFL training code) do not run; the
modules above are then imported normally.

Stand-ins (written to a temporary folder put first on sys.path; infrastructure only, no model math):
  timm:        PatchEmbed (timm 0.6 layers/patch_embed.py), DropPath/drop_path (layers/drop.py),
               trunc_normal_ (layers/weight_init.py), to_2tuple, named_apply, register_model, _cfg;
               download_cached_file / adapt_input_conv raise (never called).
  fairscale:   checkpoint_wrapper (identity; gradient checkpointing is off).
  transformers: BertConfig/PretrainedConfig (4.27 defaults), ACT2FN['gelu'] = exact erf GELU, ModelOutput
               and the modeling_outputs dataclasses, PreTrainedModel (dtype, init_weights, get_head_mask,
               invert_attention_mask as in 4.27: (1 - mask) * finfo(dtype).min), apply_chunking_to_forward,
               find_pruneable_heads_and_indices, prune_linear_layer (pytorch_utils.py), logging; and the
               slow BertTokenizer: BasicTokenizer + WordpieceTokenizer copied from tokenization_bert.py,
               _is_whitespace/_is_control/_is_punctuation from tokenization_utils.py, and the
               PreTrainedTokenizer steps ImageReward uses (special tokens never split, added tokens get ids
               len(vocab), len(vocab)+1, ..., [CLS] x [SEP], truncation from the right to max_length,
               right padding with [PAD], attention_mask 1/0). BertTokenizer.from_pretrained(any name) loads
               the toy vocab written to model/vocab.txt.

Tiny model: the real ImageReward class is constructed with two module globals swapped during __init__:
blip_pretrain.create_vit -> upstream VisionTransformer(img_size=32, patch_size=8, embed_dim=32, depth=2,
num_heads=4, mlp_ratio=4, qkv_bias=True, drop_path_rate=0.1 as create_vit('large') passes; LayerNorm
eps 1e-6 from vit.py's default), and ImageReward.MLP(768) -> upstream MLP(32). The med config is
ImageReward's med_config.json with hidden_size 32, num_hidden_layers 2, num_attention_heads 4,
intermediate_size 37, vocab_size 100, max_position_embeddings 40 (encoder_width is overwritten with the
vision width 32 by BLIP_Pretrain, as upstream overwrites 768 with 1024).

Weights: generator torch.Generator().manual_seed(20260611); modules in named_modules() order, each
module's own parameters in registration order: Linear/Conv2d weight = randn / sqrt(fan_in), bias =
0.05 randn; LayerNorm weight = 1 + 0.1 randn, bias = 0.05 randn; Embedding weight = randn;
VisionTransformer.cls_token and pos_embed = 0.5 randn. Stored float32 in model/model.safetensors under the
state_dict names of ImageReward (released ImageReward.pt names), without the int64 buffer
blip.text_encoder.embeddings.position_ids (= arange(max_position_embeddings)).

Inputs (re-creation):
  text prompts: P0 = "a red car in the city at night",
                P1 = "two cute cats running on the green grass, highly detailed painting!"
  input_ids / attention_mask [2,35] int64: row i = ImageReward's call
      tokenizer(P_i, padding='max_length', truncation=True, max_length=35, return_tensors='pt')
      with the toy vocab (model/vocab.txt + [DEC]=len, [ENC]=len+1).
  pixel_values [2,3,32,32] float32: g = torch.Generator().manual_seed(77); u = torch.rand(2,3,32,32,
      generator=g); pixel_values = (u - mean[c]) / std[c] with CLIP's mean (0.48145466, 0.4578275,
      0.40821073) and std (0.26862954, 0.26130258, 0.27577711) (float32 ops, mean/std as [1,3,1,1]
      float32 tensors).
  preprocess image [1,3,40,52]: g = torch.Generator().manual_seed(78); torch.randint(0, 256, (40,52,3),
      generator=g, dtype=uint8) as an RGB PIL image (H=40, W=52); stored as float32 0..255 in CHW.
  image_embeds for the text check: the float32 output of the vision check.

Checks (checks.json): bert_tokenizer (+ _long, _accents), imagereward_preprocess, imagereward_vision,
imagereward_text, imagereward_score. Network outputs are computed in float32 and in float64
(model.double(), inputs cast) and atol = max(1e-4, 20 * max|f32 - f64|), rtol = 0.

Also writes tests/reference/full-size-keys/imagereward-v1.0.txt: the full ImageReward-v1.0 model
(ViT-L/16 at 224, real med_config.json with vocab 30524) built on CPU with upstream init, its parameter
count and sorted state_dict names with shapes ("key<TAB>[d0,d1,...]"). Skip with --skip-full-size.
"""
import argparse
import copy
import json
import math
import os
import struct
import sys
import tempfile
import types

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_file import write_safetensors  # noqa: E402

# --------------------------------------------------------------------------------------------------------
# Stand-ins for the infrastructure imports of ImageReward's BLIP code (see the docstring).
# --------------------------------------------------------------------------------------------------------
STANDINS = {}

STANDINS["timm/__init__.py"] = ""
STANDINS["timm/models/__init__.py"] = ""
STANDINS["timm/models/hub.py"] = '''
def download_cached_file(*args, **kwargs):
    raise RuntimeError("stand-in: no downloads")
'''
STANDINS["timm/models/registry.py"] = '''
def register_model(fn):
    return fn
'''
STANDINS["timm/models/helpers.py"] = '''
def named_apply(fn, module, name="", depth_first=True, include_root=False):
    if not depth_first and include_root:
        fn(module=module, name=name)
    for child_name, child_module in module.named_children():
        child_name = ".".join((name, child_name)) if name else child_name
        named_apply(fn=fn, module=child_module, name=child_name, depth_first=depth_first, include_root=True)
    if depth_first and include_root:
        fn(module=module, name=name)
    return module


def adapt_input_conv(in_chans, conv_weight):
    raise NotImplementedError("stand-in: only used when loading .npz ViT checkpoints")
'''
STANDINS["timm/models/vision_transformer.py"] = '''
from .layers import PatchEmbed


def _cfg(url="", **kwargs):
    return {"url": url, **kwargs}
'''
STANDINS["timm/models/layers/__init__.py"] = '''
from .helpers import to_2tuple
from .patch_embed import PatchEmbed
from .drop import DropPath, drop_path
from .weight_init import trunc_normal_
'''
STANDINS["timm/models/layers/helpers.py"] = '''
import collections.abc
from itertools import repeat


def _ntuple(n):
    def parse(x):
        if isinstance(x, collections.abc.Iterable) and not isinstance(x, str):
            return x
        return tuple(repeat(x, n))
    return parse


to_2tuple = _ntuple(2)
'''
# timm 0.6 timm/models/layers/patch_embed.py
STANDINS["timm/models/layers/patch_embed.py"] = '''
import torch
from torch import nn as nn

from .helpers import to_2tuple


class PatchEmbed(nn.Module):
    """ 2D Image to Patch Embedding
    """
    def __init__(self, img_size=224, patch_size=16, in_chans=3, embed_dim=768, norm_layer=None, flatten=True):
        super().__init__()
        img_size = to_2tuple(img_size)
        patch_size = to_2tuple(patch_size)
        self.img_size = img_size
        self.patch_size = patch_size
        self.grid_size = (img_size[0] // patch_size[0], img_size[1] // patch_size[1])
        self.num_patches = self.grid_size[0] * self.grid_size[1]
        self.flatten = flatten

        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)
        self.norm = norm_layer(embed_dim) if norm_layer else nn.Identity()

    def forward(self, x):
        B, C, H, W = x.shape
        torch._assert(H == self.img_size[0], f"Input image height ({H}) doesn't match model {self.img_size[0]}.")
        torch._assert(W == self.img_size[1], f"Input image width ({W}) doesn't match model ({self.img_size[1]}.")
        x = self.proj(x)
        if self.flatten:
            x = x.flatten(2).transpose(1, 2)  # BCHW -> BNC
        x = self.norm(x)
        return x
'''
# timm 0.6 timm/models/layers/drop.py (DropPath part)
STANDINS["timm/models/layers/drop.py"] = '''
import torch.nn as nn


def drop_path(x, drop_prob: float = 0., training: bool = False, scale_by_keep: bool = True):
    if drop_prob == 0. or not training:
        return x
    keep_prob = 1 - drop_prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)  # work with diff dim tensors, not just 2D ConvNets
    random_tensor = x.new_empty(shape).bernoulli_(keep_prob)
    if keep_prob > 0.0 and scale_by_keep:
        random_tensor.div_(keep_prob)
    return x * random_tensor


class DropPath(nn.Module):
    """Drop paths (Stochastic Depth) per sample  (when applied in main path of residual blocks).
    """
    def __init__(self, drop_prob=None, scale_by_keep=True):
        super(DropPath, self).__init__()
        self.drop_prob = drop_prob
        self.scale_by_keep = scale_by_keep

    def forward(self, x):
        return drop_path(x, self.drop_prob, self.training, self.scale_by_keep)
'''
# timm 0.6 timm/models/layers/weight_init.py (trunc_normal_ part)
STANDINS["timm/models/layers/weight_init.py"] = '''
import math
import warnings

import torch


def _no_grad_trunc_normal_(tensor, mean, std, a, b):
    def norm_cdf(x):
        return (1. + math.erf(x / math.sqrt(2.))) / 2.

    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.",
                      stacklevel=2)

    with torch.no_grad():
        l = norm_cdf((a - mean) / std)
        u = norm_cdf((b - mean) / std)
        tensor.uniform_(2 * l - 1, 2 * u - 1)
        tensor.erfinv_()
        tensor.mul_(std * math.sqrt(2.))
        tensor.add_(mean)
        tensor.clamp_(min=a, max=b)
        return tensor


def trunc_normal_(tensor, mean=0., std=1., a=-2., b=2.):
    return _no_grad_trunc_normal_(tensor, mean, std, a, b)
'''

STANDINS["fairscale/__init__.py"] = ""
STANDINS["fairscale/nn/__init__.py"] = ""
STANDINS["fairscale/nn/checkpoint/__init__.py"] = ""
STANDINS["fairscale/nn/checkpoint/checkpoint_activations.py"] = '''
def checkpoint_wrapper(module, *args, **kwargs):
    return module  # stand-in: gradient checkpointing only changes memory use in training
'''

STANDINS["transformers/__init__.py"] = '''
from .utils import logging
from .models.bert.configuration_bert import BertConfig
from .models.bert.tokenization_bert import BertTokenizer
'''
STANDINS["transformers/utils/__init__.py"] = '''
from . import logging
'''
STANDINS["transformers/utils/logging.py"] = '''
import logging as _logging


def get_logger(name=None):
    return _logging.getLogger(name)


def set_verbosity_error():
    _logging.getLogger("transformers").setLevel(_logging.ERROR)
'''
# transformers/activations.py: "gelu" -> GELUActivation -> nn.functional.gelu (exact, erf form)
STANDINS["transformers/activations.py"] = '''
import torch.nn as nn
from torch.nn import functional as F


class GELUActivation(nn.Module):
    def __init__(self):
        super().__init__()
        self.act = F.gelu

    def forward(self, input):
        return self.act(input)


ACT2FN = {"gelu": GELUActivation(), "relu": nn.ReLU(), "tanh": nn.Tanh()}
'''
# transformers/utils/generic.py ModelOutput (4.27), reduced to what dataclass outputs need
STANDINS["transformers/file_utils.py"] = '''
from collections import OrderedDict
from dataclasses import fields


class ModelOutput(OrderedDict):
    def __post_init__(self):
        for field in fields(self):
            v = getattr(self, field.name)
            if v is not None:
                self[field.name] = v

    def __getitem__(self, k):
        if isinstance(k, str):
            inner_dict = dict(self.items())
            return inner_dict[k]
        else:
            return self.to_tuple()[k]

    def __setattr__(self, name, value):
        if name in self.keys() and value is not None:
            super().__setitem__(name, value)
        super().__setattr__(name, value)

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        super().__setattr__(key, value)

    def to_tuple(self):
        return tuple(self[k] for k in self.keys())
'''
STANDINS["transformers/modeling_outputs.py"] = '''
from dataclasses import dataclass
from typing import Optional, Tuple

import torch

from .file_utils import ModelOutput


@dataclass
class BaseModelOutputWithPastAndCrossAttentions(ModelOutput):
    last_hidden_state: torch.FloatTensor = None
    past_key_values: Optional[Tuple] = None
    hidden_states: Optional[Tuple] = None
    attentions: Optional[Tuple] = None
    cross_attentions: Optional[Tuple] = None


@dataclass
class BaseModelOutputWithPoolingAndCrossAttentions(ModelOutput):
    last_hidden_state: torch.FloatTensor = None
    pooler_output: torch.FloatTensor = None
    hidden_states: Optional[Tuple] = None
    past_key_values: Optional[Tuple] = None
    attentions: Optional[Tuple] = None
    cross_attentions: Optional[Tuple] = None


@dataclass
class CausalLMOutputWithCrossAttentions(ModelOutput):
    loss: Optional[torch.FloatTensor] = None
    logits: torch.FloatTensor = None
    past_key_values: Optional[Tuple] = None
    hidden_states: Optional[Tuple] = None
    attentions: Optional[Tuple] = None
    cross_attentions: Optional[Tuple] = None


@dataclass
class _SimpleOutput(ModelOutput):
    loss: Optional[torch.FloatTensor] = None
    logits: torch.FloatTensor = None
    hidden_states: Optional[Tuple] = None
    attentions: Optional[Tuple] = None


MaskedLMOutput = MultipleChoiceModelOutput = NextSentencePredictorOutput = _SimpleOutput
QuestionAnsweringModelOutput = SequenceClassifierOutput = TokenClassifierOutput = _SimpleOutput
'''
# transformers/modeling_utils.py (PreTrainedModel/ModuleUtilsMixin parts med.py uses) + pytorch_utils.py
STANDINS["transformers/modeling_utils.py"] = '''
import inspect

import torch
from torch import nn


class PreTrainedModel(nn.Module):
    config_class = None
    base_model_prefix = ""

    def __init__(self, config, *inputs, **kwargs):
        super().__init__()
        self.config = config

    @property
    def dtype(self):
        for p in self.parameters():
            if p.is_floating_point():
                return p.dtype

    def init_weights(self):
        self.apply(self._init_weights)

    def get_head_mask(self, head_mask, num_hidden_layers, is_attention_chunked=False):
        if head_mask is not None:
            raise NotImplementedError("stand-in: head masks are not used by ImageReward")
        return [None] * num_hidden_layers

    def invert_attention_mask(self, encoder_attention_mask):
        if encoder_attention_mask.dim() == 3:
            encoder_extended_attention_mask = encoder_attention_mask[:, None, :, :]
        if encoder_attention_mask.dim() == 2:
            encoder_extended_attention_mask = encoder_attention_mask[:, None, None, :]
        encoder_extended_attention_mask = encoder_extended_attention_mask.to(dtype=self.dtype)  # fp16 compatibility
        encoder_extended_attention_mask = (1.0 - encoder_extended_attention_mask) * torch.finfo(self.dtype).min
        return encoder_extended_attention_mask


def prune_linear_layer(layer, index, dim=0):
    raise NotImplementedError("stand-in: head pruning is not used by ImageReward")


def find_pruneable_heads_and_indices(heads, n_heads, head_size, already_pruned_heads):
    raise NotImplementedError("stand-in: head pruning is not used by ImageReward")


def apply_chunking_to_forward(forward_fn, chunk_size, chunk_dim, *input_tensors):
    assert len(input_tensors) > 0, f"{input_tensors} has to be a tuple/list of tensors"
    num_args_in_forward_chunk_fn = len(inspect.signature(forward_fn).parameters)
    if num_args_in_forward_chunk_fn != len(input_tensors):
        raise ValueError("forward_chunk_fn argument count mismatch")
    if chunk_size > 0:
        tensor_shape = input_tensors[0].shape[chunk_dim]
        if input_tensors[0].shape[chunk_dim] % chunk_size != 0:
            raise ValueError("The dimension to be chunked has to be a multiple of the chunk size")
        num_chunks = input_tensors[0].shape[chunk_dim] // chunk_size
        input_tensors_chunks = tuple(input_tensor.chunk(num_chunks, dim=chunk_dim) for input_tensor in input_tensors)
        output_chunks = tuple(forward_fn(*input_tensors_chunk) for input_tensors_chunk in zip(*input_tensors_chunks))
        return torch.cat(output_chunks, dim=chunk_dim)
    return forward_fn(*input_tensors)
'''
STANDINS["transformers/configuration_utils.py"] = '''
import json


class PretrainedConfig:
    model_type = ""

    def __init__(self, **kwargs):
        self.return_dict = kwargs.pop("return_dict", True)
        self.output_hidden_states = kwargs.pop("output_hidden_states", False)
        self.output_attentions = kwargs.pop("output_attentions", False)
        self.torchscript = kwargs.pop("torchscript", False)
        self.pruned_heads = kwargs.pop("pruned_heads", {})
        self.is_decoder = kwargs.pop("is_decoder", False)
        self.add_cross_attention = kwargs.pop("add_cross_attention", False)
        self.chunk_size_feed_forward = kwargs.pop("chunk_size_feed_forward", 0)
        self.architectures = kwargs.pop("architectures", None)
        self.pad_token_id = kwargs.pop("pad_token_id", None)
        for key, value in kwargs.items():
            setattr(self, key, value)

    @property
    def use_return_dict(self):
        return self.return_dict and not self.torchscript

    @classmethod
    def from_json_file(cls, json_file):
        with open(json_file, "r", encoding="utf-8") as reader:
            return cls(**json.loads(reader.read()))
'''
STANDINS["transformers/models/__init__.py"] = ""
STANDINS["transformers/models/bert/__init__.py"] = ""
STANDINS["transformers/models/bert/configuration_bert.py"] = '''
from ...configuration_utils import PretrainedConfig


class BertConfig(PretrainedConfig):
    model_type = "bert"

    def __init__(
        self,
        vocab_size=30522,
        hidden_size=768,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=3072,
        hidden_act="gelu",
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
        max_position_embeddings=512,
        type_vocab_size=2,
        initializer_range=0.02,
        layer_norm_eps=1e-12,
        pad_token_id=0,
        position_embedding_type="absolute",
        use_cache=True,
        classifier_dropout=None,
        **kwargs,
    ):
        super().__init__(pad_token_id=pad_token_id, **kwargs)
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.hidden_act = hidden_act
        self.intermediate_size = intermediate_size
        self.hidden_dropout_prob = hidden_dropout_prob
        self.attention_probs_dropout_prob = attention_probs_dropout_prob
        self.max_position_embeddings = max_position_embeddings
        self.type_vocab_size = type_vocab_size
        self.initializer_range = initializer_range
        self.layer_norm_eps = layer_norm_eps
        self.position_embedding_type = position_embedding_type
        self.use_cache = use_cache
        self.classifier_dropout = classifier_dropout
'''
# transformers/tokenization_utils.py: character classes (verbatim) and the PreTrainedTokenizer steps used
STANDINS["transformers/tokenization_utils.py"] = '''
import unicodedata

import torch


def _is_whitespace(char):
    """Checks whether `char` is a whitespace character."""
    if char == " " or char == "\\t" or char == "\\n" or char == "\\r":
        return True
    cat = unicodedata.category(char)
    if cat == "Zs":
        return True
    return False


def _is_control(char):
    """Checks whether `char` is a control character."""
    if char == "\\t" or char == "\\n" or char == "\\r":
        return False
    cat = unicodedata.category(char)
    if cat.startswith("C"):
        return True
    return False


def _is_punctuation(char):
    """Checks whether `char` is a punctuation character."""
    cp = ord(char)
    if (cp >= 33 and cp <= 47) or (cp >= 58 and cp <= 64) or (cp >= 91 and cp <= 96) or (cp >= 123 and cp <= 126):
        return True
    cat = unicodedata.category(char)
    if cat.startswith("P"):
        return True
    return False


class BatchEncoding(dict):
    def __getattr__(self, item):
        try:
            return self[item]
        except KeyError:
            raise AttributeError(item)

    def to(self, device):
        return BatchEncoding({k: v.to(device) for k, v in self.items()})


class PreTrainedTokenizer:
    SPECIAL = ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token", "bos_token")

    def __init__(self, **kwargs):
        self.bos_token = None
        self.additional_special_tokens = []
        self.added_tokens_encoder = {}
        for k in self.SPECIAL:
            if k in kwargs:
                setattr(self, k, kwargs[k])

    @property
    def all_special_tokens(self):
        toks = [getattr(self, k) for k in self.SPECIAL if getattr(self, k, None) is not None]
        return toks + [t for t in self.additional_special_tokens if t not in toks]

    def __len__(self):
        return len(self.vocab) + len(self.added_tokens_encoder)

    def add_special_tokens(self, special_tokens_dict):
        # transformers: set the attribute, then add_tokens(..., special_tokens=True): a token that is not in the
        # vocabulary gets the next id, len(tokenizer); special tokens are never split.
        for key, value in special_tokens_dict.items():
            setattr(self, key, value)
            for tok in (value if isinstance(value, (list, tuple)) else [value]):
                if tok not in self.vocab and tok not in self.added_tokens_encoder:
                    self.added_tokens_encoder[tok] = len(self)
        return len(self.added_tokens_encoder)

    def convert_tokens_to_ids(self, tokens):
        if isinstance(tokens, str):
            if tokens in self.added_tokens_encoder:
                return self.added_tokens_encoder[tokens]
            return self._convert_token_to_id(tokens)
        return [self.convert_tokens_to_ids(t) for t in tokens]

    @property
    def additional_special_tokens_ids(self):
        return self.convert_tokens_to_ids(self.additional_special_tokens)

    def __getattr__(self, item):
        if item.endswith("_token_id") and item[:-3] in self.SPECIAL:
            return self.convert_tokens_to_ids(getattr(self, item[:-3]))
        raise AttributeError(item)

    def tokenize(self, text):
        # PreTrainedTokenizer.tokenize: special tokens are cut out first (whitespace next to them stripped),
        # the pieces in between go through _tokenize (lower-casing happens in BasicTokenizer).
        specials = sorted(set(self.all_special_tokens) | set(self.added_tokens_encoder), key=len, reverse=True)
        pieces, i, start = [], 0, 0
        while i < len(text):
            hit = next((s for s in specials if text.startswith(s, i)), None)
            if hit is None:
                i += 1
                continue
            pieces.append(text[start:i].rstrip())
            pieces.append(hit)
            i += len(hit)
            while i < len(text) and text[i].isspace():
                i += 1
            start = i
        pieces.append(text[start:])
        out = []
        for p in pieces:
            if not p:
                continue
            if p in specials:
                out.append(p)
            else:
                out.extend(self._tokenize(p))
        return out

    def __call__(self, text, padding=False, truncation=False, max_length=None, return_tensors=None):
        texts = [text] if isinstance(text, str) else list(text)
        all_ids, all_masks = [], []
        for t in texts:
            ids = self.convert_tokens_to_ids(self.tokenize(t))
            if truncation and max_length is not None and len(ids) + 2 > max_length:
                ids = ids[: max_length - 2]  # 'longest_first' on one sequence: drop from the right
            ids = self.build_inputs_with_special_tokens(ids)
            mask = [1] * len(ids)
            if padding == "max_length":
                n = max_length - len(ids)
                ids = ids + [self.pad_token_id] * n
                mask = mask + [0] * n
            all_ids.append(ids)
            all_masks.append(mask)
        assert return_tensors == "pt"
        return BatchEncoding(input_ids=torch.tensor(all_ids, dtype=torch.long),
                             attention_mask=torch.tensor(all_masks, dtype=torch.long))
'''
# transformers/models/bert/tokenization_bert.py: BertTokenizer (slow), BasicTokenizer, WordpieceTokenizer.
STANDINS["transformers/models/bert/tokenization_bert.py"] = '''
import collections
import os
import unicodedata

from ...tokenization_utils import PreTrainedTokenizer, _is_control, _is_punctuation, _is_whitespace

VOCAB_FILE = os.environ.get("STANDIN_BERT_VOCAB")


def load_vocab(vocab_file):
    """Loads a vocabulary file into a dictionary."""
    vocab = collections.OrderedDict()
    with open(vocab_file, "r", encoding="utf-8") as reader:
        tokens = reader.readlines()
    for index, token in enumerate(tokens):
        token = token.rstrip("\\n")
        vocab[token] = index
    return vocab


def whitespace_tokenize(text):
    """Runs basic whitespace cleaning and splitting on a piece of text."""
    text = text.strip()
    if not text:
        return []
    tokens = text.split()
    return tokens


class BertTokenizer(PreTrainedTokenizer):
    def __init__(self, vocab_file, do_lower_case=True, do_basic_tokenize=True, never_split=None, unk_token="[UNK]",
                 sep_token="[SEP]", pad_token="[PAD]", cls_token="[CLS]", mask_token="[MASK]",
                 tokenize_chinese_chars=True, strip_accents=None, **kwargs):
        super().__init__(unk_token=unk_token, sep_token=sep_token, pad_token=pad_token, cls_token=cls_token,
                         mask_token=mask_token, **kwargs)
        self.vocab = load_vocab(vocab_file)
        self.ids_to_tokens = collections.OrderedDict([(ids, tok) for tok, ids in self.vocab.items()])
        self.do_basic_tokenize = do_basic_tokenize
        if do_basic_tokenize:
            self.basic_tokenizer = BasicTokenizer(do_lower_case=do_lower_case, never_split=never_split,
                                                  tokenize_chinese_chars=tokenize_chinese_chars,
                                                  strip_accents=strip_accents)
        self.wordpiece_tokenizer = WordpieceTokenizer(vocab=self.vocab, unk_token=self.unk_token)

    @classmethod
    def from_pretrained(cls, name, **kwargs):
        # stand-in: 'bert-base-uncased' (do_lower_case=True) -> the toy vocabulary of the reference case
        return cls(VOCAB_FILE, do_lower_case=True)

    def _tokenize(self, text):
        split_tokens = []
        if self.do_basic_tokenize:
            for token in self.basic_tokenizer.tokenize(text, never_split=self.all_special_tokens):
                if token in self.basic_tokenizer.never_split:
                    split_tokens.append(token)
                else:
                    split_tokens += self.wordpiece_tokenizer.tokenize(token)
        else:
            split_tokens = self.wordpiece_tokenizer.tokenize(text)
        return split_tokens

    def _convert_token_to_id(self, token):
        return self.vocab.get(token, self.vocab.get(self.unk_token))

    def build_inputs_with_special_tokens(self, token_ids_0, token_ids_1=None):
        if token_ids_1 is None:
            return [self.cls_token_id] + token_ids_0 + [self.sep_token_id]
        cls = [self.cls_token_id]
        sep = [self.sep_token_id]
        return cls + token_ids_0 + sep + token_ids_1 + sep


class BasicTokenizer(object):
    def __init__(self, do_lower_case=True, never_split=None, tokenize_chinese_chars=True, strip_accents=None):
        if never_split is None:
            never_split = []
        self.do_lower_case = do_lower_case
        self.never_split = set(never_split)
        self.tokenize_chinese_chars = tokenize_chinese_chars
        self.strip_accents = strip_accents

    def tokenize(self, text, never_split=None):
        never_split = self.never_split.union(set(never_split)) if never_split else self.never_split
        text = self._clean_text(text)
        if self.tokenize_chinese_chars:
            text = self._tokenize_chinese_chars(text)
        orig_tokens = whitespace_tokenize(text)
        split_tokens = []
        for token in orig_tokens:
            if token not in never_split:
                if self.do_lower_case:
                    token = token.lower()
                    if self.strip_accents is not False:
                        token = self._run_strip_accents(token)
                elif self.strip_accents:
                    token = self._run_strip_accents(token)
            split_tokens.extend(self._run_split_on_punc(token, never_split))
        output_tokens = whitespace_tokenize(" ".join(split_tokens))
        return output_tokens

    def _run_strip_accents(self, text):
        text = unicodedata.normalize("NFD", text)
        output = []
        for char in text:
            cat = unicodedata.category(char)
            if cat == "Mn":
                continue
            output.append(char)
        return "".join(output)

    def _run_split_on_punc(self, text, never_split=None):
        if never_split is not None and text in never_split:
            return [text]
        chars = list(text)
        i = 0
        start_new_word = True
        output = []
        while i < len(chars):
            char = chars[i]
            if _is_punctuation(char):
                output.append([char])
                start_new_word = True
            else:
                if start_new_word:
                    output.append([])
                start_new_word = False
                output[-1].append(char)
            i += 1
        return ["".join(x) for x in output]

    def _tokenize_chinese_chars(self, text):
        output = []
        for char in text:
            cp = ord(char)
            if self._is_chinese_char(cp):
                output.append(" ")
                output.append(char)
                output.append(" ")
            else:
                output.append(char)
        return "".join(output)

    def _is_chinese_char(self, cp):
        if (
            (cp >= 0x4E00 and cp <= 0x9FFF)
            or (cp >= 0x3400 and cp <= 0x4DBF)  #
            or (cp >= 0x20000 and cp <= 0x2A6DF)  #
            or (cp >= 0x2A700 and cp <= 0x2B73F)  #
            or (cp >= 0x2B740 and cp <= 0x2B81F)  #
            or (cp >= 0x2B820 and cp <= 0x2CEAF)  #
            or (cp >= 0xF900 and cp <= 0xFAFF)
            or (cp >= 0x2F800 and cp <= 0x2FA1F)  #
        ):  #
            return True
        return False

    def _clean_text(self, text):
        output = []
        for char in text:
            cp = ord(char)
            if cp == 0 or cp == 0xFFFD or _is_control(char):
                continue
            if _is_whitespace(char):
                output.append(" ")
            else:
                output.append(char)
        return "".join(output)


class WordpieceTokenizer(object):
    def __init__(self, vocab, unk_token, max_input_chars_per_word=100):
        self.vocab = vocab
        self.unk_token = unk_token
        self.max_input_chars_per_word = max_input_chars_per_word

    def tokenize(self, text):
        output_tokens = []
        for token in whitespace_tokenize(text):
            chars = list(token)
            if len(chars) > self.max_input_chars_per_word:
                output_tokens.append(self.unk_token)
                continue

            is_bad = False
            start = 0
            sub_tokens = []
            while start < len(chars):
                end = len(chars)
                cur_substr = None
                while start < end:
                    substr = "".join(chars[start:end])
                    if start > 0:
                        substr = "##" + substr
                    if substr in self.vocab:
                        cur_substr = substr
                        break
                    end -= 1
                if cur_substr is None:
                    is_bad = True
                    break
                sub_tokens.append(cur_substr)
                start = end

            if is_bad:
                output_tokens.append(self.unk_token)
            else:
                output_tokens.extend(sub_tokens)
        return output_tokens
'''

# Toy WordPiece vocabulary (model/vocab.txt); [DEC] and [ENC] are added by ImageReward's init_tokenizer as
# ids len(vocab) and len(vocab) + 1, exactly as bert-base-uncased's 30522 lines give [DEC]=30522, [ENC]=30523.
VOCAB = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
    "!", ",", ".", "-", "'",
    "a", "an", "the", "of", "in", "on", "at", "and", "with", "two", "one",
    "photo", "cat", "dog", "car", "city", "night", "red", "green", "blue", "grass", "sky",
    "cute", "run", "high", "detail", "paint", "cafe", "au", "lait", "old", "man", "sun",
    "house", "tree", "big",
    "##s", "##ning", "##ly", "##ed", "##ing", "##er", "##y", "##set", "##e", "##t", "##a", "##n",
]

TOKENIZER_TEXTS = {
    "bert_tokenizer": ("A Photo of two cats, running!!",
                       "the prompt of the brief: lower-casing, punctuation split (',' '!' '!'), WordPiece "
                       "continuations (cat ##s, run ##ning)"),
    "bert_tokenizer_long": ("a big red car and a big blue car and a big green car with two old men at night in "
                            "the city, highly detailed painting of the sky and the sun and the grass and a tree "
                            "and a house",
                            "more than 33 content tokens: truncated from the right to 33 so that [CLS] ... [SEP] "
                            "fills all 35 positions (no padding, mask all 1)"),
    "bert_tokenizer_accents": ("  Café\tAU-lait\u00a0at  NIGHT\u2014東京 dogsy ",
                               "accent stripping (NFD, drop Mn: Café -> cafe), tab and no-break space as "
                               "whitespace, hyphen and em dash split as punctuation (em dash is [UNK]), CJK "
                               "characters split one by one ([UNK] each), WordPiece dog ##s ##y, leading/trailing "
                               "spaces"),
}
PROMPTS = ["a red car in the city at night",
           "two cute cats running on the green grass, highly detailed painting!"]


# --------------------------------------------------------------------------------------------------------


def install_standins(tmp, vocab_file):
    for rel, src in STANDINS.items():
        p = os.path.join(tmp, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(src)
    os.environ["STANDIN_BERT_VOCAB"] = vocab_file
    sys.path.insert(0, tmp)


def import_upstream(root):
    pkg_dir = os.path.join(root, "ImageReward")
    if not os.path.isfile(os.path.join(pkg_dir, "ImageReward.py")):
        sys.exit(f"{pkg_dir}/ImageReward.py not found; --imagereward must hold the ImageReward/ package")
    for name, path in (("ImageReward", pkg_dir), ("ImageReward.models", os.path.join(pkg_dir, "models"))):
        m = types.ModuleType(name)
        m.__path__ = [path]
        sys.modules[name] = m
    import ImageReward.ImageReward as irm
    import ImageReward.models.BLIP.blip_pretrain as bp
    import ImageReward.models.BLIP.vit as vit
    import ImageReward.models.BLIP.med as med
    return irm, bp, vit, med


def build_imagereward(irm, bp, vit, med_config_path, vision):
    """ImageReward(med_config) with create_vit / MLP swapped for the tiny sizes (None: the real ones)."""
    if vision is None:
        return irm.ImageReward(med_config=med_config_path, device="cpu")
    orig_create_vit, orig_mlp = bp.create_vit, irm.MLP

    def create_vit(vit_name, image_size, use_grad_checkpointing=False, ckpt_layer=0, drop_path_rate=0):
        assert vit_name == "large" and image_size == 224
        enc = vit.VisionTransformer(img_size=vision["img_size"], patch_size=vision["patch_size"],
                                    embed_dim=vision["embed_dim"], depth=vision["depth"],
                                    num_heads=vision["num_heads"], mlp_ratio=vision["mlp_ratio"],
                                    qkv_bias=vision["qkv_bias"], use_grad_checkpointing=use_grad_checkpointing,
                                    ckpt_layer=ckpt_layer, drop_path_rate=0.1 or drop_path_rate)
        return enc, vision["embed_dim"]

    def mlp(input_size):
        assert input_size == 768
        return orig_mlp(vision["text_hidden"])

    bp.create_vit, irm.MLP = create_vit, mlp
    try:
        return irm.ImageReward(med_config=med_config_path, device="cpu")
    finally:
        bp.create_vit, irm.MLP = orig_create_vit, orig_mlp


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    nn = torch.nn
    done = set()
    with torch.no_grad():
        for mname, mod in model.named_modules():
            for pname, p in mod.named_parameters(recurse=False):
                full = f"{mname}.{pname}" if mname else pname
                r = torch.randn(p.shape, generator=g, dtype=torch.float32)
                if isinstance(mod, (nn.Linear, nn.Conv2d)) and pname == "weight":
                    v = r / math.sqrt(int(np.prod(p.shape[1:])))
                elif isinstance(mod, (nn.Linear, nn.Conv2d)) and pname == "bias":
                    v = 0.05 * r
                elif isinstance(mod, nn.LayerNorm):
                    v = 1 + 0.1 * r if pname == "weight" else 0.05 * r
                elif isinstance(mod, nn.Embedding):
                    v = r
                elif pname in ("cls_token", "pos_embed"):
                    v = 0.5 * r
                else:
                    raise ValueError(f"no rule for {full} ({type(mod).__name__})")
                p.copy_(v)
                done.add(full)
    assert done == {k for k, _ in model.named_parameters()}


def max_diff(a, b):
    return float((a.double() - b.double()).abs().max())


def tol(d):
    return max(1e-4, 20 * d)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--imagereward", required=True, help="checkout of THUDM/ImageReward (holds ImageReward/)")
    parser.add_argument("--out", default=os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference")))
    parser.add_argument("--skip-full-size", action="store_true", help="skip the full-size key listing")
    args = parser.parse_args()
    torch.set_num_threads(2)

    case = os.path.join(args.out, "tiny-imagereward")
    os.makedirs(os.path.join(case, "model"), exist_ok=True)
    vocab_file = os.path.join(case, "model", "vocab.txt")
    with open(vocab_file, "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in VOCAB))

    tmp = tempfile.mkdtemp(prefix="ir-standins-")
    install_standins(tmp, vocab_file)
    irm, bp, vit, med = import_upstream(args.imagereward)

    # The med config: ImageReward's med_config.json (the repository copy, train/src/config/med_config.json, is
    # the one ImageReward.load downloads from the hub) with tiny sizes.
    real_med_path = os.path.join(args.imagereward, "train", "src", "config", "med_config.json")
    with open(real_med_path) as f:
        real_med = json.load(f)
    tiny_med = dict(real_med, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
                    vocab_size=100, max_position_embeddings=40, encoder_width=32)
    tiny_med_path = os.path.join(tmp, "med_config_tiny.json")
    with open(tiny_med_path, "w") as f:
        json.dump(tiny_med, f)
    vision = {"img_size": 32, "patch_size": 8, "in_chans": 3, "embed_dim": 32, "depth": 2, "num_heads": 4,
              "mlp_ratio": 4.0, "qkv_bias": True, "layer_norm_eps": 1e-6, "text_hidden": 32}

    model = build_imagereward(irm, bp, vit, tiny_med_path, vision)
    model.eval()
    randomize(model, 20260611)
    tok = model.blip.tokenizer
    assert tok.convert_tokens_to_ids("[DEC]") == len(VOCAB) and tok.enc_token_id == len(VOCAB) + 1

    sd = model.state_dict()
    weights = {k: v.clone() for k, v in sd.items() if k != "blip.text_encoder.embeddings.position_ids"}
    assert torch.equal(sd["blip.text_encoder.embeddings.position_ids"], torch.arange(40).expand(1, -1))
    assert all(v.dtype == torch.float32 for v in weights.values())
    write_safetensors(os.path.join(case, "model", "model.safetensors"), weights)

    mlp_sizes = [model.mlp.layers[i].out_features for i in (0, 2, 4, 6, 7)]
    config = {
        "_note": "tiny ImageReward-v1.0 topology (see tests/tools/make_imagereward_reference.py). vision: BLIP "
                 "VisionTransformer(img_size, patch_size, embed_dim, depth, num_heads, mlp_ratio, qkv_bias), "
                 "LayerNorm eps layer_norm_eps, tokens = 1 + (img_size/patch_size)^2. med_config: the BertConfig "
                 "fields of med.py's BertModel (add_cross_attention true; encoder_width = vision.embed_dim). "
                 "mlp: ImageReward.MLP(input_size) = Linear layers input_size->1024->128->64->16->1 at state_dict "
                 "indices mlp.layers.0/2/4/6/7 (1/3/5 are Dropout), no activations. score: reward = (raw - "
                 "mean) / std. tokenizer: BertTokenizer (uncased) with vocab.txt plus added tokens [DEC] "
                 "(bos_token) and [ENC] (additional special token).",
        "vision": {k: v for k, v in vision.items() if k != "text_hidden"},
        "med_config": tiny_med,
        "mlp": {"input_size": vision["text_hidden"], "layer_sizes": mlp_sizes,
                "state_dict_indices": [0, 2, 4, 6, 7], "activation": None},
        "score": {"mean": model.mean, "std": model.std, "feature": "text_encoder last_hidden_state[:, 0, :]"},
        "tokenizer": {"vocab_file": "vocab.txt", "do_lower_case": True, "strip_accents": None,
                      "tokenize_chinese_chars": True, "max_length": 35, "padding": "max_length",
                      "truncation": True, "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]",
                      "unk_token": "[UNK]", "mask_token": "[MASK]",
                      "added_tokens": {"[DEC]": len(VOCAB), "[ENC]": len(VOCAB) + 1},
                      "first_id_replaced_by_enc_token": False},
        "preprocess": {"resize_shorter_side": 224, "interpolation": "PIL BICUBIC", "center_crop": 224,
                       "convert": "RGB", "mean": [0.48145466, 0.4578275, 0.40821073],
                       "std": [0.26862954, 0.26130258, 0.27577711]},
        "weights": "model.safetensors (F32); state_dict names of ImageReward.pt; the int64 buffer "
                   "blip.text_encoder.embeddings.position_ids (arange) is not stored; blip.vision_proj and "
                   "blip.text_proj are stored but unused by scoring (the released ImageReward.pt has them: its "
                   "reported size, 1786880927 bytes, is 446665953 float32 parameters of this layout incl. the two "
                   "projections + the 512-entry int64 position_ids + ~0.2 MB of pickle framing; no text_decoder, "
                   "no momentum encoders, no itm_head)",
    }
    with open(os.path.join(case, "model", "config.json"), "w") as f:
        json.dump(config, f, indent=2)

    tensors, checks = {}, []

    # ---- tokenizer checks (the exact call of ImageReward.score / inference_rank) ----
    for name, (text, note) in TOKENIZER_TEXTS.items():
        enc = tok(text, padding="max_length", truncation=True, max_length=35, return_tensors="pt")
        tensors[f"{name}/out/input_ids"] = enc.input_ids
        tensors[f"{name}/out/attention_mask"] = enc.attention_mask
        toks = tok.tokenize(text)
        checks.append({"name": name, "component": "bert_tokenizer", "inputs": {"text": text},
                       "outputs": {"input_ids": f"{name}/out/input_ids",
                                   "attention_mask": f"{name}/out/attention_mask"},
                       "atol": 0.0, "rtol": 0.0,
                       "note": note + f"; ImageReward's call tokenizer(prompt, padding='max_length', truncation=True, "
                               f"max_length=35, return_tensors='pt') with model/vocab.txt (do_lower_case): "
                               f"[CLS]=2 + WordPiece ids + [SEP]=3, right-padded with [PAD]=0, attention_mask 1 on "
                               f"[CLS]..[SEP], 0 on padding; ImageReward does NOT replace input_ids[:,0] by "
                               f"enc_token_id ([ENC]) — [CLS] stays. tokens: {' '.join(toks[:40])}"})

    # ---- preprocess check ----
    from PIL import Image
    g = torch.Generator().manual_seed(78)
    img = torch.randint(0, 256, (40, 52, 3), generator=g, dtype=torch.uint8)
    pil = Image.fromarray(img.numpy(), "RGB")
    pre = irm._transform(vision["img_size"])(pil).unsqueeze(0)
    tensors["imagereward_preprocess/in/image"] = img.permute(2, 0, 1).unsqueeze(0).float().contiguous()
    tensors["imagereward_preprocess/out/pixel_values"] = pre
    checks.append({"name": "imagereward_preprocess", "component": "imagereward_preprocess",
                   "inputs": {"image": "imagereward_preprocess/in/image", "size": vision["img_size"]},
                   "outputs": {"pixel_values": "imagereward_preprocess/out/pixel_values"},
                   "atol": 1.5 / 255 / 0.26130258, "rtol": 0.0,
                   "note": "ImageReward's _transform(n_px) with n_px = size (ImageReward uses 224; here 32): image is "
                           "an RGB uint8 picture stored as float32 0..255, [1,3,H=40,W=52]. torchvision Resize(n_px, "
                           "BICUBIC) on the PIL image: shorter side -> n_px, longer side int(n_px * long / short) "
                           "(40x52 -> 32x41), PIL's bicubic (a = -0.5, antialiased support when shrinking, uint8 "
                           "rounding + clamping); CenterCrop(n_px): top = int(round((h - n_px) / 2)), left = "
                           "int(round((w - n_px) / 2)) (Python round, half to even: 4.5 -> 4); convert RGB; "
                           "ToTensor (/255); Normalize with CLIP mean (0.48145466, 0.4578275, 0.40821073), std "
                           "(0.26862954, 0.26130258, 0.27577711). atol allows one uint8 step of the resampler "
                           "(1.5/255/min std); an exact PIL-compatible resampler matches to ~1e-7. Optional "
                           "component (not a network)."})

    # ---- network checks ----
    g = torch.Generator().manual_seed(77)
    u = torch.rand(2, 3, 32, 32, generator=g)
    mean = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
    std = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)
    pixel_values = (u - mean) / std
    enc = tok(PROMPTS, padding="max_length", truncation=True, max_length=35, return_tensors="pt")
    for i, p in enumerate(PROMPTS):  # batch call == per-prompt calls
        e1 = tok(p, padding="max_length", truncation=True, max_length=35, return_tensors="pt")
        assert torch.equal(e1.input_ids[0], enc.input_ids[i]) and torch.equal(e1.attention_mask[0], enc.attention_mask[i])
    input_ids, attention_mask = enc.input_ids, enc.attention_mask

    model64 = copy.deepcopy(model).double().eval()

    def vision_fwd(m, px):
        return m.blip.visual_encoder(px)

    def text_fwd(m, ids, am, emb):
        image_atts = torch.ones(emb.size()[:-1], dtype=torch.long)
        return m.blip.text_encoder(ids, attention_mask=am, encoder_hidden_states=emb,
                                   encoder_attention_mask=image_atts, return_dict=True).last_hidden_state

    def score_fwd(m, px, ids, am):
        # ImageReward.score's body, batched: visual_encoder -> text_encoder (cross-attention on all image
        # tokens, image_atts = ones) -> last_hidden_state[:, 0, :] -> mlp -> (r - mean) / std
        emb = m.blip.visual_encoder(px)
        feat = text_fwd(m, ids, am, emb)[:, 0, :]
        raw = m.mlp(feat)
        reward = m.score_gard(ids, am, px)  # upstream batched path (same math, returns normalised [B,1])
        assert torch.allclose(reward, (raw - m.mean) / m.std, atol=1e-12 if raw.dtype == torch.float64 else 1e-6)
        return reward.squeeze(-1), raw.squeeze(-1)

    with torch.no_grad():
        emb32 = vision_fwd(model, pixel_values)
        emb64 = vision_fwd(model64, pixel_values.double())
        d_vis = max_diff(emb32, emb64)
        hid32 = text_fwd(model, input_ids, attention_mask, emb32)
        hid64 = text_fwd(model64, input_ids, attention_mask, emb32.double())
        d_txt = max_diff(hid32, hid64)
        rew32, raw32 = score_fwd(model, pixel_values, input_ids, attention_mask)
        rew64, raw64 = score_fwd(model64, pixel_values.double(), input_ids, attention_mask)
        d_rew, d_raw = max_diff(rew32, rew64), max_diff(raw32, raw64)

        # Cross-check against the unbatched public API: model.score(prompt, PIL image) with preprocess for
        # the tiny image size reproduces the batched numbers for a PIL image.
        model.preprocess = irm._transform(vision["img_size"])
        px_pil = model.preprocess(pil).unsqueeze(0)
        r_api = model.score(PROMPTS[1], pil)
        r_b, _ = score_fwd(model, px_pil, input_ids[1:2], attention_mask[1:2])
        assert abs(r_api - float(r_b[0])) < 1e-5, (r_api, float(r_b[0]))
        _, rank_rewards = model.inference_rank(PROMPTS[0], [pil, pil])

    tokens = emb32.shape[1]
    tensors["imagereward_vision/in/pixel_values"] = pixel_values
    tensors["imagereward_vision/out/image_embeds"] = emb32
    checks.append({"name": "imagereward_vision", "component": "imagereward_vision",
                   "inputs": {"pixel_values": "imagereward_vision/in/pixel_values"},
                   "outputs": {"image_embeds": "imagereward_vision/out/image_embeds"},
                   "atol": tol(d_vis), "rtol": 0.0,
                   "note": f"blip.visual_encoder (BLIP VisionTransformer): patch conv (stride = patch) -> flatten "
                           f"to [B, N, C] row-major over (h, w) -> prepend cls_token -> + pos_embed -> {vision['depth']} "
                           f"pre-LN blocks (x + attn(norm1(x)); x + mlp(norm2(x)); fused qkv split as "
                           f"(3, heads, head_dim); softmax(q k^T * head_dim^-0.5); exact GELU) -> final norm over all "
                           f"tokens; LayerNorm eps 1e-6. Output [2, {tokens}, {vision['embed_dim']}] = all tokens "
                           f"(cls first). float32 vs float64 max diff {d_vis:.2e}."})

    tensors["imagereward_text/in/input_ids"] = input_ids
    tensors["imagereward_text/in/attention_mask"] = attention_mask
    tensors["imagereward_text/in/image_embeds"] = emb32
    tensors["imagereward_text/out/last_hidden_state"] = hid32
    checks.append({"name": "imagereward_text", "component": "imagereward_text",
                   "inputs": {"input_ids": "imagereward_text/in/input_ids",
                              "attention_mask": "imagereward_text/in/attention_mask",
                              "image_embeds": "imagereward_text/in/image_embeds"},
                   "outputs": {"last_hidden_state": "imagereward_text/out/last_hidden_state"},
                   "atol": tol(d_txt), "rtol": 0.0,
                   "note": "blip.text_encoder (med.py BertModel, add_pooling_layer=False, mode='multimodal') with "
                           "encoder_hidden_states = image_embeds and encoder_attention_mask = ones: embeddings = "
                           "LayerNorm(word_emb[ids] + pos_emb[0..L-1]) (no token_type embeddings); each layer: "
                           "post-LN self-attention (scores / sqrt(head_dim) + (1 - mask) * -10000), then post-LN "
                           "cross-attention (query from text, key/value Linear(encoder_width -> hidden) of "
                           "image_embeds, additive mask (1 - 1) * finfo.min = 0), then post-LN FFN with exact GELU; "
                           "LayerNorm eps 1e-12. The two prompts of the score check (padding rows differ). Output "
                           f"[2, 35, 32], padding positions included. float32 vs float64 max diff {d_txt:.2e}."})

    tensors["imagereward_score/in/pixel_values"] = pixel_values
    tensors["imagereward_score/in/input_ids"] = input_ids
    tensors["imagereward_score/in/attention_mask"] = attention_mask
    tensors["imagereward_score/out/reward"] = rew32
    tensors["imagereward_score/out/raw"] = raw32
    checks.append({"name": "imagereward_score", "component": "imagereward_score",
                   "inputs": {"pixel_values": "imagereward_score/in/pixel_values",
                              "input_ids": "imagereward_score/in/input_ids",
                              "attention_mask": "imagereward_score/in/attention_mask"},
                   "outputs": {"reward": "imagereward_score/out/reward", "raw": "imagereward_score/out/raw"},
                   "atol": tol(max(d_rew, d_raw)), "rtol": 0.0,
                   "note": f"ImageReward.score per row: image_embeds = visual_encoder(pixel_values); text_encoder(ids, "
                           f"attention_mask, encoder_hidden_states=image_embeds, encoder_attention_mask=ones) -> "
                           f"last_hidden_state[:, 0, :] (the [CLS] position) -> mlp (Linear 32->1024->128->64->16->1, "
                           f"no activations, dropouts inert) = raw; reward = (raw - {model.mean!r}) / {model.std!r}. "
                           f"Prompts: {PROMPTS!r}. Rows are independent (score() handles one image; inference_rank "
                           f"loops over images with one prompt). float32 vs float64 max diff reward {d_rew:.2e}, "
                           f"raw {d_raw:.2e}."})

    write_safetensors(os.path.join(case, "tensors.safetensors"), tensors)
    with open(os.path.join(case, "checks.json"), "w") as f:
        json.dump(checks, f, indent=1, ensure_ascii=False)
    size = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(case) for fn in fns)
    print(f"wrote {case}: {len(checks)} checks, {size} bytes")
    for c in checks:
        print(f"  {c['name']}: atol {c['atol']:.3g}")
    print("  rewards of inference_rank(P0, [img, img]):", rank_rewards)
    print("  rewards:", rew32.tolist(), "raw:", raw32.tolist())

    if not args.skip_full_size:
        full = build_imagereward(irm, bp, vit, real_med_path, None)
        n = sum(p.numel() for p in full.parameters())
        keys_dir = os.path.join(args.out, "full-size-keys")
        os.makedirs(keys_dir, exist_ok=True)
        with open(os.path.join(keys_dir, "imagereward-v1.0.txt"), "w") as f:
            f.write(f"# parameters {n}\n")
            for k, v in sorted(full.state_dict().items()):
                f.write(f"{k}\t[{','.join(str(s) for s in v.shape)}]\n")
        scoring = sum(p.numel() for k, p in full.named_parameters() if "_proj." not in k)
        print(f"full-size ImageReward-v1.0: {n} parameters ({scoring} without vision_proj/text_proj), "
              f"{len(full.state_dict())} state_dict entries")


if __name__ == "__main__":
    main()
