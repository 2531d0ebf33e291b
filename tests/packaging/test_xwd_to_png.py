"""packaging/xwd_to_png.py on generated XWD dumps: the 32-bit packing and the 24-bit one Xvfb writes."""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _module():
    spec = importlib.util.spec_from_file_location("xwd_to_png", ROOT / "packaging" / "xwd_to_png.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dump(rgb: np.ndarray, bits_per_pixel: int, *, little: bool = True, pad: int = 0) -> bytes:
    """An XWD file (version 7, ZPixmap, depth 24, masks red 0xff0000 / green 0xff00 / blue 0xff) of ``rgb``."""
    height, width, _ = rgb.shape
    value = (rgb[..., 0].astype(np.uint32) << 16) | (rgb[..., 1].astype(np.uint32) << 8) | rgb[..., 2]
    if bits_per_pixel == 32:
        rows = value.astype("<u4" if little else ">u4").view(np.uint8).reshape(height, 4 * width)
    else:
        parts = [(value >> s) & 0xFF for s in ((0, 8, 16) if little else (16, 8, 0))]
        rows = np.dstack(parts).astype(np.uint8).reshape(height, 3 * width)
    rows = np.hstack([rows, np.zeros((height, pad), dtype=np.uint8)])
    stride = rows.shape[1]
    name = b"screen\0"
    header_size = 100 + len(name)
    fields = [header_size, 7, 2, 24, width, height, 0, 0 if little else 1, 32, 0 if little else 1, 32]
    fields += [bits_per_pixel, stride, 4, 0xFF0000, 0xFF00, 0xFF, 8, 256, 0, width, height, 0, 0, 0]
    return struct.pack(">25I", *fields) + name + rows.tobytes()


@pytest.mark.parametrize(("bits", "little", "pad"), [(32, True, 0), (32, False, 0), (24, True, 2), (24, False, 0)])
def test_dump_converts_to_the_same_pixels(tmp_path, qapp, bits, little, pad):
    from PySide6.QtGui import QImage

    rng = np.random.default_rng(bits + pad)
    rgb = rng.integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
    src, dest = tmp_path / "screen.xwd", tmp_path / "screen.png"
    src.write_bytes(_dump(rgb, bits, little=little, pad=pad))
    assert _module().xwd_to_png(src, dest) == (7, 5)
    image = QImage(str(dest))
    assert (image.width(), image.height()) == (7, 5)
    got = np.array([[image.pixelColor(x, y).getRgb()[:3] for x in range(7)] for y in range(5)], dtype=np.uint8)
    assert np.array_equal(got, rgb)


def test_an_unsupported_dump_is_refused_with_its_format(tmp_path):
    data = bytearray(_dump(np.zeros((2, 2, 3), dtype=np.uint8), 32))
    data[44:48] = struct.pack(">I", 16)  # 16 bits per pixel
    with pytest.raises(ValueError, match="16 bits per pixel"):
        _module().read_xwd(bytes(data))


def test_a_cut_dump_is_refused(tmp_path):
    data = _dump(np.zeros((4, 4, 3), dtype=np.uint8), 24)
    with pytest.raises(ValueError, match="cut short"):
        _module().read_xwd(data[:-5])
