"""Convert an `xwd -root` dump (TrueColor ZPixmap, 24 or 32 bits per pixel) to PNG, so the bundle test can keep a
screenshot of the real X server without ImageMagick.

    python packaging/xwd_to_png.py screen.xwd screen.png
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

HEADER_FIELDS = 25  # 32-bit big-endian fields, X11's XWDFileHeader
ZPIXMAP = 2


def read_xwd(data: bytes):
    """(width, height, bytes_per_line, rgb_masks, little_endian_pixels, pixel bytes) of an XWD dump."""
    fields = struct.unpack(">25I", data[: HEADER_FIELDS * 4])
    header_size, version, pixmap_format, depth, width, height = fields[:6]
    byte_order, bits_per_pixel, bytes_per_line = fields[7], fields[11], fields[12]
    masks = fields[14:17]
    ncolors = fields[19]
    if version != 7 or pixmap_format != ZPIXMAP or bits_per_pixel not in (24, 32) or depth not in (24, 32):
        raise ValueError(
            f"unsupported XWD dump (version {version}, format {pixmap_format}, depth {depth}, "
            f"{bits_per_pixel} bits per pixel); only TrueColor ZPixmap of depth 24/32 at 24 or 32 bits per pixel "
            "is handled"
        )
    start = header_size + 12 * ncolors
    pixels = data[start : start + bytes_per_line * height]
    if len(pixels) < bytes_per_line * height:
        raise ValueError(f"the XWD dump is cut short: {len(pixels)} of {bytes_per_line * height} pixel bytes")
    return width, height, bytes_per_line, masks, byte_order == 0, bits_per_pixel, pixels


def pixel_words(pixels: bytes, width: int, height: int, stride: int, bits_per_pixel: int, little: bool):
    """Each pixel as one integer (height × width, uint32), whatever its packing: 4 bytes, or 3 bytes as Xvfb
    writes a 24-bit screen."""
    import numpy as np

    if bits_per_pixel == 32:
        return np.frombuffer(pixels, dtype="<u4" if little else ">u4").reshape(height, stride // 4)[:, :width]
    rows = np.frombuffer(pixels, dtype=np.uint8).reshape(height, stride)[:, : 3 * width].reshape(height, width, 3)
    b = rows.astype(np.uint32)
    low, mid, high = (b[..., 0], b[..., 1], b[..., 2]) if little else (b[..., 2], b[..., 1], b[..., 0])
    return low | (mid << 8) | (high << 16)


def xwd_to_png(src: Path, dest: Path) -> tuple[int, int]:
    import numpy as np
    from PySide6.QtGui import QImage

    width, height, stride, (red, green, blue), little, bits_per_pixel, pixels = read_xwd(src.read_bytes())
    words = pixel_words(pixels, width, height, stride, bits_per_pixel, little)

    def channel(mask: int):
        shift = (mask & -mask).bit_length() - 1
        return ((words & mask) >> shift).astype(np.uint8)

    rgb = np.ascontiguousarray(np.dstack([channel(red), channel(green), channel(blue)]))
    image = QImage(rgb.data, width, height, 3 * width, QImage.Format_RGB888)
    if not image.save(str(dest), "PNG"):
        raise OSError(f"could not write {dest}")
    return width, height


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    width, height = xwd_to_png(Path(args[0]), Path(args[1]))
    print(f"{args[1]}: {width}x{height}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
