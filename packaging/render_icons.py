"""Render resources/icons/embedstudio.svg to the PNG sizes desktops ask for, plus a Windows .ico.

Run with any Python that has PySide6 (the project's .venv does); it renders offscreen:

    .venv/bin/python packaging/render_icons.py [--out DIR] [--sizes 16 32 ...]

Sizes of 32 px and below use embedstudio-small.svg when it exists: the full drawing's thin arrows
and dots blur into mush at that size, so the small variant keeps only the shapes that stay legible.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # 256 is the largest size an .ico entry can declare
SMALL_ICON_MAX = 32


def png_name(size: int) -> str:
    return f"embedstudio-{size}.png"


def source_svg(size: int, icons_dir: Path = ICONS) -> Path:
    small = icons_dir / "embedstudio-small.svg"
    if size <= SMALL_ICON_MAX and small.exists():
        return small
    return icons_dir / "embedstudio.svg"


def render_png_bytes(svg: Path, size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: {svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format_ARGB32_Premultiplied)
    image.fill(Qt.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setRenderHint(QPainter.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data)


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico whose entries are PNG streams (valid since Windows Vista; Inno Setup accepts it)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    directory, payload = b"", b""
    for size in sizes:
        data = pngs[size]
        dim = 0 if size >= 256 else size  # 0 means 256 in the ICO directory
        directory += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset + len(payload))
        payload += data
    return header + directory + payload


def render_all(out_dir: Path, sizes: tuple[int, ...] = PNG_SIZES, icons_dir: Path = ICONS) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written, pngs = [], {}
    for size in sizes:
        pngs[size] = render_png_bytes(source_svg(size, icons_dir), size)
        path = out_dir / png_name(size)
        path.write_bytes(pngs[size])
        written.append(path)
    ico_sizes = [s for s in ICO_SIZES if s in pngs]
    if ico_sizes:
        ico = out_dir / "embedstudio.ico"
        ico.write_bytes(ico_bytes({s: pngs[s] for s in ico_sizes}))
        written.append(ico)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ICONS, help="where the PNGs and .ico go (default: resources/icons)")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(PNG_SIZES))
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # QSvgRenderer needs a GUI application
    for path in render_all(args.out, tuple(args.sizes)):
        print(path)
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
