"""The safetensors layout the reference scripts write (shared/reference/README.md section 2):
an 8-byte little-endian header length, the JSON header padded to 8 bytes, the raw tensors in key
order. F32 and I64 only, as the reference cases hold. Debian has no python3-safetensors."""
import json
import struct

import torch

DTYPES = {torch.float32: "F32", torch.int64: "I64"}


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for key in sorted(tensors):
        t = tensors[key].detach().cpu().contiguous()
        if t.dtype not in DTYPES:
            raise TypeError(f"{key}: {t.dtype} (the reference files hold float32 and int64)")
        raw = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[key] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for blob in blobs:
            f.write(blob)
