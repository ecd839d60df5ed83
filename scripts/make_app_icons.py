"""Draw the web app's icons (static/icons/icon-192.png, icon-512.png): a white speech bubble
on the brand's blue rounded square. Run once; the PNGs are committed. Standard library only.

    python scripts/make_app_icons.py
"""

import struct
import zlib
from pathlib import Path

BRAND = (0x1F, 0x5F, 0xBF)
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 4  # per axis, for smooth edges
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"


def _in_rounded_rect(x: float, y: float, box: tuple[float, float, float, float], r: float) -> bool:
    left, top, right, bottom = box
    if not (left <= x <= right and top <= y <= bottom):
        return False
    cx = min(max(x, left + r), right - r)
    cy = min(max(y, top + r), bottom - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def _in_triangle(
    x: float, y: float, a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]
) -> bool:
    def side(p: tuple[float, float], q: tuple[float, float]) -> float:
        return (x - q[0]) * (p[1] - q[1]) - (p[0] - q[0]) * (y - q[1])

    d1, d2, d3 = side(a, b), side(b, c), side(c, a)
    return not ((d1 < 0 or d2 < 0 or d3 < 0) and (d1 > 0 or d2 > 0 or d3 > 0))


def _colour(x: float, y: float) -> tuple[int, int, int, int]:
    """The colour at (x, y) in the unit square, transparent outside the icon."""
    if not _in_rounded_rect(x, y, (0, 0, 1, 1), 0.18):
        return (0, 0, 0, 0)
    for dot in (0.36, 0.5, 0.64):
        if (x - dot) ** 2 + (y - 0.465) ** 2 <= 0.045**2:
            return (*BRAND, 255)
    bubble = _in_rounded_rect(x, y, (0.2, 0.25, 0.8, 0.68), 0.1)
    tail = _in_triangle(x, y, (0.32, 0.64), (0.3, 0.8), (0.47, 0.64))
    return (*(WHITE if bubble or tail else BRAND), 255)


def _png(size: int) -> bytes:
    rows = []
    for py in range(size):
        row = bytearray([0])  # filter: none
        for px in range(size):
            total = [0, 0, 0, 0]
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    x = (px + (sx + 0.5) / SAMPLES) / size
                    y = (py + (sy + 0.5) / SAMPLES) / size
                    r, g, b, a = _colour(x, y)
                    total[0] += r * a
                    total[1] += g * a
                    total[2] += b * a
                    total[3] += a
            alpha = total[3]
            n = SAMPLES * SAMPLES
            if alpha:
                row += bytes([total[0] // alpha, total[1] // alpha, total[2] // alpha, alpha // n])
            else:
                row += bytes(4)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        (OUT / f"icon-{size}.png").write_bytes(_png(size))
        print(f"wrote {OUT / f'icon-{size}.png'}")


if __name__ == "__main__":
    main()
