#!/usr/bin/python3
"""Writes the image fixtures of tests/Icd.Imaging.Tests/Data and the pixels they must decode to.

    apt-get install -y python3-pil      # Debian 12: Pillow 9.4 and numpy
    /usr/bin/python3 tests/tools/make_image_fixtures.py

Encoders: Pillow writes every PNG it can (gray 1/8/16, RGB 8, palette 1/2/4/8, gray+alpha 8, RGBA 8, tRNS,
eXIf) and all JPEGs. Pillow cannot write gray 2/4, RGB/RGBA/gray+alpha 16 or Adam7, so those come from the
small PNG writer below, which also cycles through all five filter types row by row and splits IDAT in three.

Expected pixels: every fixture is decoded again by Pillow (never by the C# code under test), EXIF
orientation applied with ImageOps.exif_transpose, then reduced to 8-bit RGB by the rules the C# reader
documents: alpha composited over white as (a*c + (255-a)*255 + 127) // 255, 16-bit samples keep the high
byte. Each X gets X.rgb (raw R,G,B rows) and an entry in manifest.json with its size and tolerance.
"""
import io, json, pathlib, struct, zlib
import numpy as np
from PIL import Image, ImageOps

out = pathlib.Path(__file__).resolve().parents[1] / "Icd.Imaging.Tests" / "Data"
out.mkdir(parents=True, exist_ok=True)
rng = np.random.RandomState(20240611)
W, H = 13, 7  # odd sizes: sub-byte rows end mid-byte, Adam7 passes are uneven
manifest = []

# ---------- a minimal independent PNG writer ----------

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

def pack_row(samples, bit_depth):
    """samples: 1-D array of sample values for one row -> packed bytes (big-endian, MSB first)."""
    if bit_depth == 16:
        return samples.astype(">u2").tobytes()
    if bit_depth == 8:
        return samples.astype(np.uint8).tobytes()
    per_byte = 8 // bit_depth
    padded = np.zeros(-(-len(samples) // per_byte) * per_byte, dtype=np.uint32)
    padded[:len(samples)] = samples
    groups = padded.reshape(-1, per_byte)
    shifts = np.array([8 - bit_depth * (k + 1) for k in range(per_byte)], dtype=np.uint32)
    return (groups << shifts).sum(axis=1).astype(np.uint8).tobytes()

def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)

def filter_row(kind, row, prev, bpp):
    outb = bytearray(len(row))
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i] if prev is not None else 0
        c = prev[i - bpp] if prev is not None and i >= bpp else 0
        pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        outb[i] = (x - pred) & 0xFF
    return bytes([kind]) + bytes(outb)

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]

def write_png(name, pixels, bit_depth, color_type, palette=None, trns=None, interlace=False):
    """pixels: H x W x channels array of raw sample values."""
    h, w, channels = pixels.shape
    bpp = max(1, channels * bit_depth // 8)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    raw, row_number = bytearray(), 0
    for x0, y0, dx, dy in passes:
        sub = pixels[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        prev = None
        for r in sub:
            packed = pack_row(r.reshape(-1), bit_depth)
            raw += filter_row(row_number % 5, packed, prev, bpp)
            prev, row_number = packed, row_number + 1
    data = zlib.compress(bytes(raw), 9)
    parts = [data[: len(data) // 3], data[len(data) // 3: 2 * len(data) // 3], data[2 * len(data) // 3:]]
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, int(interlace)))
    if palette is not None:
        png += chunk(b"PLTE", bytes(palette))
    if trns is not None:
        png += chunk(b"tRNS", trns)
    png += b"".join(chunk(b"IDAT", p) for p in parts) + chunk(b"IEND", b"")
    (out / name).write_bytes(png)

# ---------- expected pixels, from Pillow's decoder ----------

def over_white(rgb, alpha):
    rgb, alpha = rgb.astype(np.uint32), alpha.astype(np.uint32)[..., None]
    return ((rgb * alpha + (255 - alpha) * 255 + 127) // 255).astype(np.uint8)

def decode_with_pillow(path):
    with Image.open(path) as opened:
        opened.load()
        im = ImageOps.exif_transpose(opened)
    if im.mode.startswith("I"):  # 16-bit gray stays 16-bit in Pillow: keep the high byte
        gray = (np.asarray(im).astype(np.uint32) >> 8).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    if im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info:
        rgba = np.asarray(im.convert("RGBA"))
        return over_white(rgba[..., :3], rgba[..., 3])
    return np.asarray(im.convert("RGB"))

def record(name, tolerance=0, intended=None):
    pixels = decode_with_pillow(out / name)
    if intended is not None:  # guards the writer above: Pillow must see what we meant to store
        assert np.array_equal(pixels, intended), name
    (out / (name + ".rgb")).write_bytes(np.ascontiguousarray(pixels, dtype=np.uint8).tobytes())
    manifest.append({"file": name, "width": int(pixels.shape[1]), "height": int(pixels.shape[0]), "tolerance": tolerance})

def gray_to_rgb(gray):
    return np.repeat(gray.astype(np.uint8)[..., None], 3, axis=2)

# ---------- PNG fixtures written by Pillow ----------

bits = rng.randint(0, 2, (H, W)).astype(np.uint8) * 255
Image.fromarray(bits, "L").convert("1").save(out / "gray_1.png"); record("gray_1.png", intended=gray_to_rgb(bits))
gray8 = rng.randint(0, 256, (H, W)).astype(np.uint8)
gray8[0, :4] = 77
Image.fromarray(gray8, "L").save(out / "gray_8.png"); record("gray_8.png", intended=gray_to_rgb(gray8))
Image.fromarray(gray8, "L").save(out / "gray_8_trns.png", transparency=77); record("gray_8_trns.png")
gray16 = rng.randint(0, 65536, (H, W)).astype(np.uint16)
Image.fromarray(gray16, "I;16").save(out / "gray_16.png"); record("gray_16.png", intended=gray_to_rgb(gray16 >> 8))

rgb8 = rng.randint(0, 256, (H, W, 3)).astype(np.uint8)
rgb8[1, 2:6] = (10, 200, 30)
Image.fromarray(rgb8, "RGB").save(out / "rgb_8.png"); record("rgb_8.png", intended=rgb8)
Image.fromarray(rgb8, "RGB").save(out / "rgb_8_trns.png", transparency=(10, 200, 30)); record("rgb_8_trns.png")

for depth, colors in ((1, 2), (2, 4), (4, 16), (8, 200)):
    index = rng.randint(0, colors, (H, W)).astype(np.uint8)
    palette = rng.randint(0, 256, colors * 3).astype(np.uint8)
    im = Image.fromarray(index, "P")
    im.putpalette(palette.tolist())
    intended = palette.reshape(-1, 3)[index]
    im.save(out / f"palette_{depth}.png", bits=depth); record(f"palette_{depth}.png", intended=intended)
    alphas = rng.randint(0, 256, max(1, colors - 1)).astype(np.uint8)  # shorter than the palette: the rest stay opaque
    im.save(out / f"palette_{depth}_trns.png", bits=depth, transparency=alphas.tobytes())
    full = np.concatenate([alphas, [255]]).astype(np.uint8)
    record(f"palette_{depth}_trns.png", intended=over_white(intended, full[index]))

gray_alpha = rng.randint(0, 256, (H, W, 2)).astype(np.uint8)
Image.fromarray(gray_alpha, "LA").save(out / "gray_alpha_8.png")
record("gray_alpha_8.png", intended=over_white(gray_to_rgb(gray_alpha[..., 0]), gray_alpha[..., 1]))
rgba8 = rng.randint(0, 256, (H, W, 4)).astype(np.uint8)
rgba8[0, 0, 3], rgba8[0, 1, 3] = 0, 255
Image.fromarray(rgba8, "RGBA").save(out / "rgba_8.png"); record("rgba_8.png", intended=over_white(rgba8[..., :3], rgba8[..., 3]))

# eXIf chunk, orientation 6 (stored rotated 90° counter-clockwise).
exif = Image.Exif(); exif[0x0112] = 6
Image.fromarray(rgb8, "RGB").save(out / "exif_orientation_6.png", exif=exif.tobytes())
record("exif_orientation_6.png", intended=np.rot90(rgb8, k=-1))

# ---------- PNG fixtures from the writer above ----------

gray2 = rng.randint(0, 4, (H, W, 1)); write_png("gray_2.png", gray2, 2, 0); record("gray_2.png", intended=gray_to_rgb(gray2[..., 0] * 85))
gray4 = rng.randint(0, 16, (H, W, 1)); write_png("gray_4.png", gray4, 4, 0); record("gray_4.png", intended=gray_to_rgb(gray4[..., 0] * 17))
rgb16 = rng.randint(0, 65536, (H, W, 3)); write_png("rgb_16.png", rgb16, 16, 2); record("rgb_16.png", intended=(rgb16 >> 8).astype(np.uint8))
rgba16 = rng.randint(0, 65536, (H, W, 4)); write_png("rgba_16.png", rgba16, 16, 6)
record("rgba_16.png", intended=over_white(rgba16[..., :3] >> 8, rgba16[..., 3] >> 8))
gray_alpha16 = rng.randint(0, 65536, (H, W, 2)); write_png("gray_alpha_16.png", gray_alpha16, 16, 4)
record("gray_alpha_16.png", intended=over_white(gray_to_rgb(gray_alpha16[..., 0] >> 8), gray_alpha16[..., 1] >> 8))

rgb_big = rng.randint(0, 256, (11, 19, 3)); write_png("interlaced_rgb_8.png", rgb_big, 8, 2, interlace=True)
record("interlaced_rgb_8.png", intended=rgb_big.astype(np.uint8))
gray1_big = rng.randint(0, 2, (11, 19, 1)); write_png("interlaced_gray_1.png", gray1_big, 1, 0, interlace=True)
record("interlaced_gray_1.png", intended=gray_to_rgb(gray1_big[..., 0] * 255))
tiny = rng.randint(0, 256, (2, 3, 4)); write_png("interlaced_rgba_8_tiny.png", tiny, 8, 6, interlace=True)  # passes 2, 3, 5 are empty
record("interlaced_rgba_8_tiny.png", intended=over_white(tiny[..., :3], tiny[..., 3]))
index4 = rng.randint(0, 16, (11, 19, 1)); palette16 = rng.randint(0, 256, 48)
write_png("interlaced_palette_4.png", index4, 4, 3, palette=palette16, trns=bytes([0, 128, 255, 7]), interlace=True)
record("interlaced_palette_4.png")

# ---------- JPEG fixtures (Pillow's libjpeg-turbo) ----------

# An asymmetric pattern of 5×5 solid blocks, so every flip and rotation looks different.
pattern = np.zeros((20, 30, 3), dtype=np.uint8)
for by in range(4):
    for bx in range(6):
        pattern[by * 5:(by + 1) * 5, bx * 5:(bx + 1) * 5] = ((bx * 40) % 256, (by * 70) % 256, 255 - bx * by * 10)
pattern[0:5, 0:5] = (255, 0, 0)
JPEG_TOLERANCE = 2  # TurboJPEG vs Pillow: same library family, but IDCT/upsampling code may differ by a level or two
Image.fromarray(pattern, "RGB").save(out / "rgb.jpg", quality=92); record("rgb.jpg", JPEG_TOLERANCE)
Image.fromarray(pattern, "RGB").save(out / "progressive.jpg", quality=92, progressive=True); record("progressive.jpg", JPEG_TOLERANCE)
Image.fromarray(pattern[..., 1], "L").save(out / "gray.jpg", quality=92); record("gray.jpg", JPEG_TOLERANCE)
def exif_block(orientation, byte_order):
    """APP1 payload by hand (Pillow 9.4 always writes big-endian): IFD0 holds a Make string stored out of
    line, then the orientation SHORT, so the reader has to walk past an entry to find it."""
    e = byte_order
    make = b"icd test\0"
    entries = struct.pack(e + "HHII", 0x010F, 2, len(make), 8 + 2 + 2 * 12 + 4)  # ASCII, data after the IFD
    entries += struct.pack(e + "HHIHH", 0x0112, 3, 1, orientation, 0)
    header = (b"II*\0" if e == "<" else b"MM\0*") + struct.pack(e + "I", 8)
    return b"Exif\0\0" + header + struct.pack(e + "H", 2) + entries + struct.pack(e + "I", 0) + make

for orientation in range(2, 9):
    name = f"orientation_{orientation}.jpg"
    Image.fromarray(pattern, "RGB").save(out / name, quality=92, exif=exif_block(orientation, "<"))  # II, little-endian
    record(name, JPEG_TOLERANCE)
Image.fromarray(pattern, "RGB").save(out / "orientation_8_motorola.jpg", quality=92, exif=exif_block(8, ">"))
record("orientation_8_motorola.jpg", JPEG_TOLERANCE)

# ---------- files that must be rejected ----------

ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
(out / "huge_dimensions.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))
ihdr = struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)
(out / "corrupt_zlib.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"\x78\x9c" + bytes(range(7, 60))) + chunk(b"IEND", b""))
(out / "not_an_image.png").write_bytes(b"GIF89a: definitely not a PNG\n")

(out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
print(f"wrote {len(manifest)} fixtures to {out}")
