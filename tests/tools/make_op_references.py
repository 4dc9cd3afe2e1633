#!/usr/bin/python3
"""Writes tests/Icd.Torch.Tests/Data/ops.safetensors: op inputs and PyTorch's outputs.

Run with Debian's python3-torch (1.13.1), which is the same libtorch the project binds, so the
values are PyTorch's own. The project never needs Python; this only regenerates test data:
    /usr/bin/python3 tests/tools/make_op_references.py
Each case stores <case>/in/<k> and <case>/out/<k>; the C# test lists the same case names.
"""
import json, struct, sys, pathlib
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
cases = {}
g = torch.Generator().manual_seed(1234)

def r(*shape, lo=-2.0, hi=2.0):
    return (torch.rand(*shape, generator=g) * (hi - lo) + lo).float()

def case(name, inputs, outputs):
    cases[name] = (list(inputs), list(outputs) if isinstance(outputs, (list, tuple)) else [outputs])

pos = r(2, 3, 4, lo=0.1, hi=3.0)
a, b = r(2, 3, 4), r(3, 4)
case("add", [a, b], a + b)
case("sub_alpha", [a, b], torch.sub(a, b, alpha=2.5))
case("mul", [a, b], a * b)
case("div", [a, pos], a / pos)
case("rsub_scalar", [a], 3.0 - a)
case("neg", [a], -a)
case("exp", [a], a.exp())
case("log", [pos], pos.log())
case("sqrt", [pos], pos.sqrt())
case("rsqrt", [pos], pos.rsqrt())
case("pow_scalar", [pos], pos.pow(1.7))
e = r(2, 3, 4)
case("pow_tensor", [pos, e], pos.pow(e))
case("sin", [a], a.sin())
case("cos", [a], a.cos())
case("abs", [a], a.abs())
case("clamp", [a], a.clamp(-0.5, 0.7))
case("where", [a > 0, a, b.expand(2, 3, 4)], torch.where(a > 0, a, b))
case("silu", [a], F.silu(a))
case("gelu_exact", [a], F.gelu(a))
case("gelu_tanh", [a], F.gelu(a, approximate="tanh"))
case("quick_gelu", [a], a * torch.sigmoid(1.702 * a))
case("sigmoid", [a], a.sigmoid())
case("tanh", [a], a.tanh())
case("softmax", [a], a.softmax(-1))
case("log_softmax", [a], a.log_softmax(1))
case("sum_dim", [a], a.sum(dim=(0, 2)))
case("mean_keep", [a], a.mean(dim=1, keepdim=True))
case("var", [a], a.var(dim=[2]))
case("std_all", [a], a.std().reshape(1))
case("max_dim", [a], list(a.max(dim=1)))
case("min_all", [a], a.min().reshape(1))
case("argmax", [a], a.argmax(dim=2))
case("norm", [a], a.norm().reshape(1))
case("cumsum", [a], a.cumsum(1))
case("cumprod", [a], a.cumprod(2))
case("topk", [a], list(a.topk(2, dim=-1)))
case("sort", [a], list(a.sort(dim=1, descending=True)))
m1, m2 = r(3, 5), r(5, 4)
case("matmul", [m1, m2], m1 @ m2)
b1, b2, b0 = r(2, 3, 5), r(2, 5, 4), r(2, 3, 4)
case("bmm", [b1, b2], torch.bmm(b1, b2))
case("baddbmm", [b0, b1, b2], torch.baddbmm(b0, b1, b2, beta=0.5, alpha=0.125))
case("einsum", [b1, b2], torch.einsum("bij,bjk->bik", b1, b2))
w, bias = r(4, 6), r(4)
li = r(2, 3, 6)
case("linear", [li, w, bias], F.linear(li, w, bias))
img = r(2, 4, 9, 7)
cw, cb = r(6, 4, 3, 3), r(6)
case("conv2d_s1p1", [img, cw, cb], F.conv2d(img, cw, cb, stride=1, padding=1))
case("conv2d_s2p1", [img, cw, cb], F.conv2d(img, cw, cb, stride=2, padding=1))
gw = r(6, 2, 3, 3)
case("conv2d_groups", [img, gw], F.conv2d(img, gw, None, padding=1, groups=2))
gnw, gnb = r(4), r(4)
case("group_norm", [img, gnw, gnb], F.group_norm(img, 2, gnw, gnb, 1e-6))
lnw, lnb = r(6), r(6)
case("layer_norm", [li, lnw, lnb], F.layer_norm(li, (6,), lnw, lnb, 1e-5))
emb = r(10, 3)
idx = torch.tensor([[1, 9, 0], [4, 4, 2]])
case("embedding", [emb, idx], F.embedding(idx, emb))
case("interp_nearest", [img], F.interpolate(img, size=(12, 5), mode="nearest"))
case("interp_nearest_x2", [img], F.interpolate(img, scale_factor=2.0, mode="nearest"))
case("interp_bilinear", [img], F.interpolate(img, size=(12, 5), mode="bilinear", align_corners=False))
case("interp_bicubic", [img], F.interpolate(img, size=(12, 5), mode="bicubic", align_corners=False))
case("interp_bilinear_aa", [img], F.interpolate(img, size=(4, 3), mode="bilinear", antialias=True))
case("interp_bicubic_aa", [img], F.interpolate(img, size=(4, 3), mode="bicubic", antialias=True))
case("avg_pool2d", [img], F.avg_pool2d(img, 2, 2))
case("max_pool2d", [img], F.max_pool2d(img, 3, 1, 1))
case("unfold", [img], F.unfold(img, kernel_size=3, stride=2))
case("one_hot", [idx], F.one_hot(idx, 10))
case("pad", [img], F.pad(img, (1, 2, 0, 3), value=0.5))
case("cat", [a, a * 2], torch.cat([a, a * 2], dim=1))
case("stack", [a, a * 2], torch.stack([a, a * 2], dim=0))
case("chunk", [a], list(a.chunk(2, dim=2)))
case("permute", [a], a.permute(2, 0, 1).contiguous())
case("gather", [a, torch.tensor([[[0, 1, 2, 0]] * 3, [[2, 2, 1, 0]] * 3])], a.gather(1, torch.tensor([[[0, 1, 2, 0]] * 3, [[2, 2, 1, 0]] * 3])))
case("index_select", [a, torch.tensor([3, 0])], a.index_select(2, torch.tensor([3, 0])))
case("mse_loss", [a, e], F.mse_loss(a, e).reshape(1))
case("cosine_similarity", [a, e], F.cosine_similarity(a, e, dim=1))

# Generator equivalence: torch.manual_seed(s); torch.randn(shape) on the CPU.
for seed in (0, 42, 10500):
    torch.manual_seed(seed)
    cases[f"randn_seed{seed}"] = ([], [torch.randn(1, 4, 8, 8)])
torch.manual_seed(7)
cases["rand_seed7"] = ([], [torch.rand(3, 5)])
torch.manual_seed(7)
cases["randint_seed7"] = ([], [torch.randint(0, 50, (20,))])

# AdamW: three steps on fixed gradients, lr 0.01, wd 0.1 (torch.optim.AdamW defaults otherwise).
p = torch.nn.Parameter(r(3, 4))
p0 = p.detach().clone()
opt = torch.optim.AdamW([p], lr=0.01, weight_decay=0.1)
grads = [r(3, 4), r(3, 4), r(3, 4)]
outs = []
for gr in grads:
    p.grad = gr.clone()
    opt.step()
    outs.append(p.detach().clone())
cases["adamw"] = ([p0] + grads, outs)

def dtype_name(t):
    return {torch.float32: "F32", torch.int64: "I64", torch.bool: "BOOL", torch.float64: "F64"}[t.dtype]

tensors = {}
for name, (ins, outs) in cases.items():
    for k, t in enumerate(ins):
        tensors[f"{name}/in/{k}"] = t.contiguous()
    for k, t in enumerate(outs):
        tensors[f"{name}/out/{k}"] = t.contiguous()

header, blobs, offset = {}, [], 0
for key in sorted(tensors):
    t = tensors[key]
    data = t.numpy().tobytes()
    header[key] = {"dtype": dtype_name(t), "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
    blobs.append(data)
    offset += len(data)
h = json.dumps(header, separators=(",", ":")).encode()
h += b" " * ((8 - len(h) % 8) % 8)
out = pathlib.Path(__file__).resolve().parents[1] / "Icd.Torch.Tests" / "Data" / "ops.safetensors"
with open(out, "wb") as f:
    f.write(struct.pack("<Q", len(h)))
    f.write(h)
    for blob in blobs:
        f.write(blob)
print(f"wrote {len(tensors)} tensors to {out}")

# A torch.save'd state dict (zip + pickle), as the iCD teacher checkpoint sd15_cfg_distill.pt is.
from collections import OrderedDict
sd = OrderedDict()
sd["time_embedding.cond_proj.weight"] = torch.arange(12, dtype=torch.float32).reshape(4, 3) / 8
sd["conv_in.bias"] = torch.tensor([1.5, -2.0], dtype=torch.float16)
sd["nested.step"] = torch.tensor(7)
base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
sd["strided.transposed"] = base.t()                 # non-contiguous: stride (1, 6)
sd["strided.slice"] = base[1:3, 2:5]                # shares base's storage at an offset
sd["param"] = torch.nn.Parameter(torch.tensor([0.25, 0.5]))
torch.save({"state_dict": sd, "epoch": 3}, out.parent / "state_dict.pt")
print("wrote state_dict.pt")
