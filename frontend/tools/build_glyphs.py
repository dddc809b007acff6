"""Render the map's SDF glyph ranges (MapLibre glyph PBFs) from the system's Noto fonts.

Usage: python frontend/tools/build_glyphs.py [OUTDIR]   (default: frontend/public/glyphs)

Writes OUTDIR/<fontstack>/<start>-<end>.pbf for every 256-codepoint range in which one of the
fonts has a glyph. Each fontstack merges Noto Sans (Latin, Greek, Cyrillic...) with Noto Sans
Arabic, so one stack labels both French and Arabic names; Arabic presentation forms
(U+FB50-U+FDFF, U+FE70-U+FEFF) are included because MapLibre shapes Arabic into them.

The output is generated, never committed: the default OUTDIR is git-ignored and Vite copies
it into dist/ (served at /static/app/glyphs/) on `npm run build`.

The SDF matches fontnik / tiny-sdf: glyphs rendered at 24 px, 3 px buffer, radius 8,
cutoff 0.25, `top` relative to the font's ascender. Distances come from a Euclidean distance
transform of a 4x supersampled FreeType rendering, averaged back down to 24 px.
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import freetype
import numpy as np
from scipy.ndimage import distance_transform_edt

FONT_DIR = Path(os.environ.get("EU_NOTO_DIR", "/usr/share/fonts/truetype/noto"))

# fontstack name -> fonts in priority order (first font with the codepoint wins)
FONTSTACKS: dict[str, list[str]] = {
    "Noto Sans Regular": ["NotoSans-Regular.ttf", "NotoSansArabic-Regular.ttf"],
    "Noto Sans Bold": ["NotoSans-Bold.ttf", "NotoSansArabic-Bold.ttf"],
}

SIZE = 24  # px, the size MapLibre expects glyph PBFs at
BUFFER = 3  # px of SDF border around each glyph (MapLibre hard-codes 3)
RADIUS = 8.0
CUTOFF = 0.25
SUPERSAMPLE = 4
MAX_DIM = 256

DEFAULT_OUTDIR = Path(__file__).resolve().parent.parent / "public" / "glyphs"


# --- protobuf encoding (the glyph format is tiny enough to hand-encode) ---------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 31)


def _field_varint(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _field_bytes(field: int, payload: bytes) -> bytes:
    return _varint((field << 3) | 2) + _varint(len(payload)) + payload


def encode_glyph(
    gid: int, bitmap: bytes, width: int, height: int, left: int, top: int, advance: int
) -> bytes:
    """Encode one `glyph` message."""
    msg = _field_varint(1, gid)
    if width > 0 and height > 0:
        msg += _field_bytes(2, bitmap)
    msg += _field_varint(3, width) + _field_varint(4, height)
    msg += _field_varint(5, _zigzag(left)) + _field_varint(6, _zigzag(top))
    msg += _field_varint(7, advance)
    return msg


def encode_range(name: str, start: int, end: int, glyphs: list[bytes]) -> bytes:
    """Encode a `glyphs` message holding one fontstack range."""
    stack = _field_bytes(1, name.encode()) + _field_bytes(2, f"{start}-{end}".encode())
    stack += b"".join(_field_bytes(3, g) for g in glyphs)
    return _field_bytes(1, stack)


# --- rendering ------------------------------------------------------------------------------


class Font:
    """A FreeType face set up at 24 px (metrics) and at the supersampled size (bitmaps)."""

    def __init__(self, path: Path):
        self.path = path
        self.face = freetype.Face(str(path))
        self.face.set_char_size(SIZE * SUPERSAMPLE * 64)
        # fontnik takes FreeType's scaled ascender (rounded up to whole pixels) at 24 px.
        self.ascender_24 = -((-self.face.ascender * SIZE) // self.face.units_per_EM)
        self.chars = {cp for cp, _ in self.face.get_chars()}

    def render(self, cp: int, ascender: int) -> bytes | None:
        """Return the encoded glyph for codepoint `cp`, or None when the font lacks it."""
        index = self.face.get_char_index(cp)
        if not index:
            return None
        self.face.load_glyph(index, freetype.FT_LOAD_NO_HINTING)
        slot = self.face.glyph
        advance = int(round(slot.metrics.horiAdvance / 64 / SUPERSAMPLE))
        empty = encode_glyph(cp, b"", 0, 0, 0, 0, advance)
        if slot.format != freetype.FT_GLYPH_FORMAT_OUTLINE or slot.outline.n_points == 0:
            return empty
        bbox = slot.outline.get_bbox()
        slot.render(freetype.FT_RENDER_MODE_NORMAL)
        bmp = slot.bitmap
        if bmp.width == 0 or bmp.rows == 0:
            return empty
        scale = 64.0 * SUPERSAMPLE
        xmin, xmax = round(bbox.xMin / scale), round(bbox.xMax / scale)
        ymin, ymax = round(bbox.yMin / scale), round(bbox.yMax / scale)
        width, height = xmax - xmin, ymax - ymin
        if width <= 0 or height <= 0 or width > MAX_DIM or height > MAX_DIM:
            return empty

        gray = np.frombuffer(bytes(bmp.buffer), dtype=np.uint8).reshape(bmp.rows, bmp.pitch)
        gray = gray[:, : bmp.width]
        s = SUPERSAMPLE
        canvas_w, canvas_h = (width + 2 * BUFFER) * s, (height + 2 * BUFFER) * s
        ink = np.zeros((canvas_h, canvas_w), dtype=bool)
        # Position of the FreeType bitmap inside the canvas, whose top-left corner sits at
        # (xmin - BUFFER, ymax + BUFFER) in 24 px glyph space (y up).
        col0 = slot.bitmap_left - (xmin - BUFFER) * s
        row0 = (ymax + BUFFER) * s - slot.bitmap_top
        r_a, r_b = max(row0, 0), min(row0 + bmp.rows, canvas_h)
        c_a, c_b = max(col0, 0), min(col0 + bmp.width, canvas_w)
        if r_a >= r_b or c_a >= c_b:
            return empty
        ink[r_a:r_b, c_a:c_b] = gray[r_a - row0 : r_b - row0, c_a - col0 : c_b - col0] >= 128
        if not ink.any():
            return empty

        outside = distance_transform_edt(~ink)  # distance to the nearest ink pixel
        inside = distance_transform_edt(ink)  # distance to the nearest blank pixel
        signed = np.where(ink, 0.5 - inside, outside - 0.5)
        # Average each s x s block: the mean of a locally linear field is its value at the
        # block centre, i.e. at the 24 px pixel centre.
        signed = signed.reshape(canvas_h // s, s, canvas_w // s, s).mean(axis=(1, 3)) / s
        value = np.round(255.0 - 255.0 * (signed / RADIUS + CUTOFF))
        value = np.clip(value, 0, 255).astype(np.uint8)
        return encode_glyph(cp, value.tobytes(), width, height, xmin, ymax - ascender, advance)


_FONTS: dict[str, list[Font]] = {}


def _fonts(stack: str) -> list[Font]:
    if stack not in _FONTS:
        _FONTS[stack] = [Font(FONT_DIR / name) for name in FONTSTACKS[stack]]
    return _FONTS[stack]


def build_range(stack: str, start: int, outdir: str) -> int:
    """Render one 256-codepoint range of one fontstack to OUTDIR; return its glyph count."""
    fonts = _fonts(stack)
    # One baseline for the whole stack: the primary (Latin) font's ascender.
    ascender = fonts[0].ascender_24
    glyphs = []
    for cp in range(start, start + 256):
        for font in fonts:
            if cp in font.chars:
                encoded = font.render(cp, ascender)
                if encoded is not None:
                    glyphs.append(encoded)
                    break
    end = start + 255
    target = Path(outdir) / stack / f"{start}-{end}.pbf"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(encode_range(stack, start, end, glyphs))
    return len(glyphs)


def needed_ranges(stack: str) -> list[int]:
    """Every 256-codepoint range (below U+10000) in which a font of the stack has a glyph."""
    starts: set[int] = set()
    for name in FONTSTACKS[stack]:
        face = freetype.Face(str(FONT_DIR / name))
        starts.update((cp // 256) * 256 for cp, _ in face.get_chars() if cp < 0x10000)
    return sorted(starts)


def main(argv: list[str]) -> int:
    """Build every range of every fontstack into the output directory."""
    outdir = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUTDIR
    for names in FONTSTACKS.values():
        for name in names:
            if not (FONT_DIR / name).is_file():
                print(
                    f"missing font {FONT_DIR / name} (apt-get install fonts-noto-core)",
                    file=sys.stderr,
                )
                return 1
    t0 = time.monotonic()
    jobs = [(stack, start) for stack in FONTSTACKS for start in needed_ranges(stack)]
    stacks = [stack for stack, _ in jobs]
    starts = [start for _, start in jobs]
    outdir.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        counts = list(pool.map(build_range, stacks, starts, [str(outdir)] * len(jobs), chunksize=4))
    print(
        f"glyphs: {sum(counts)} glyphs in {len(jobs)} ranges of {len(FONTSTACKS)} fontstacks "
        f"-> {outdir} ({time.monotonic() - t0:.1f}s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
