#!/usr/bin/python3
"""Writes LoRA fixtures for the tiny-sd UNet (../shared/reference/tiny-sd) in the two real formats.

    /usr/bin/python3 tests/tools/make_lora_fixtures.py

- lora_peft.safetensors:  unet.base_model.model.<module>.lora_A.weight / lora_B.weight (iCD's released format,
  no alpha: the loader's alpha 8 applies, scale 8/rank)
- lora_kohya.safetensors: lora_unet_<module with _>.lora_down.weight / lora_up.weight / alpha
- lora_expected.safetensors: the merged weights W + scale·B·A for each module, computed here with PyTorch.
"""
import json, struct, pathlib
import torch

root = pathlib.Path(__file__).resolve().parents[1]
unet_file = root.parent.parent / "shared" / "reference" / "tiny-sd" / "model" / "unet" / "diffusion_pytorch_model.safetensors"

def read_st(path):
    data = path.read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        b, e = v["data_offsets"]
        assert v["dtype"] == "F32"
        out[k] = torch.frombuffer(bytearray(data[8 + n + b:8 + n + e]), dtype=torch.float32).reshape(v["shape"])
    return out

def write_st(path, tensors):
    header, blobs, off = {}, [], 0
    for k in sorted(tensors):
        t = tensors[k].contiguous()
        raw = t.numpy().tobytes()
        header[k] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)

w = read_st(unet_file)
modules = [
    "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q",  # linear
    "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_out.0",
    "down_blocks.0.attentions.0.proj_in",                           # 1x1 conv
    "down_blocks.0.resnets.0.conv1",                                # 3x3 conv
    "up_blocks.1.resnets.0.conv_shortcut",                          # 1x1 conv with channel change
    "mid_block.resnets.0.time_emb_proj",                            # linear
    "down_blocks.0.downsamplers.0.conv",                            # stride-2 conv
]
g = torch.Generator().manual_seed(5)
rank = 4
peft, kohya, expected = {}, {}, {}
for m in modules:
    W = w[m + ".weight"]
    out_f, in_f = W.shape[0], W.shape[1]
    if W.dim() == 4:
        A = torch.randn(rank, in_f, W.shape[2], W.shape[3], generator=g) * 0.1
        B = torch.randn(out_f, rank, 1, 1, generator=g) * 0.1
        delta = (B.flatten(1) @ A.flatten(1)).reshape(W.shape)
    else:
        A = torch.randn(rank, in_f, generator=g) * 0.1
        B = torch.randn(out_f, rank, generator=g) * 0.1
        delta = B @ A
    peft[f"unet.base_model.model.{m}.lora_A.weight"] = A
    peft[f"unet.base_model.model.{m}.lora_B.weight"] = B
    k = "lora_unet_" + m.replace(".", "_")
    kohya[k + ".lora_down.weight"] = A
    kohya[k + ".lora_up.weight"] = B
    kohya[k + ".alpha"] = torch.tensor(16.0)
    expected[m + "/peft"] = W + (8.0 / rank) * delta
    expected[m + "/kohya"] = W + (16.0 / rank) * delta
out = root / "Icd.Core.Tests" / "Data"
write_st(out / "lora_peft.safetensors", peft)
write_st(out / "lora_kohya.safetensors", kohya)
write_st(out / "lora_expected.safetensors", expected)
print("wrote LoRA fixtures for", len(modules), "modules")
