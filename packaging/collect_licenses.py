"""Collect third-party licence notices for a bundle: every installed distribution, Python, system libraries.

Run it with the build environment's Python, so that importlib.metadata sees exactly what was bundled:

    packaging/build/venv/bin/python packaging/collect_licenses.py OUT_DIR [--bundle BUNDLE_DIR]

Writes OUT_DIR/licenses/<name>-<version>/... (the LICENSE/COPYING/NOTICE files each distribution ships),
OUT_DIR/licenses/index.json, and OUT_DIR/THIRD-PARTY-NOTICES.txt, a readable index. With --bundle, shared
libraries PyInstaller copied from the build system into the bundle are traced to their Debian packages, and
those packages' copyright files are added too.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

NOTICE_PATTERNS = ("LICEN[CS]E*", "COPYING*", "NOTICE*", "THIRD_PARTY_NOTICES*", "AUTHORS*", "COPYRIGHT*")
# Build tools in the build environment whose code does not end up in the bundle (PyInstaller's does: its
# bootloader starts the app, so it stays listed).
BUILD_ONLY = {"pip", "setuptools", "wheel", "altgraph", "pyinstaller-hooks-contrib"}
COMMON_LICENSES = Path("/usr/share/common-licenses")
# When a wheel ships no licence file, its declared licence's full text is taken from Debian's common-licenses.
SPDX_TEXTS = {
    "apache 2.0": ["Apache-2.0"],
    "apache-2.0": ["Apache-2.0"],
    "apache software license": ["Apache-2.0"],
    "lgpl-3.0-only": ["LGPL-3", "GPL-3"],
    "gpl-2.0-only": ["GPL-2"],
    "gpl-3.0-only": ["GPL-3"],
    "mpl-2.0": ["MPL-2.0"],
}
SOURCE_OFFERS = {
    "pyside6-essentials": "Qt for Python and Qt sources: https://download.qt.io/official_releases/QtForPython/ "
    "and https://download.qt.io/official_releases/qt/ . Qt's libraries are separate "
    "shared objects in the bundle (_internal/PySide6/Qt/lib), so they can be replaced.",
    "shiboken6": "Sources: https://download.qt.io/official_releases/QtForPython/",
}


@dataclass
class Notice:
    name: str
    version: str
    license: str
    homepage: str
    files: list[str] = field(default_factory=list)
    note: str = ""


def is_notice_file(relative: str) -> bool:
    parts = relative.replace("\\", "/").split("/")
    if any(p in ("tests", "test", "testing") for p in parts[:-1]):
        return False
    return any(fnmatch.fnmatch(parts[-1].upper(), pattern.upper()) for pattern in NOTICE_PATTERNS)


def declared_license(meta) -> str:
    for key in ("License-Expression", "License"):
        value = (meta.get(key) or "").strip()
        if value and len(value) < 120 and "\n" not in value:
            return value
    classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    if classifiers:
        return "; ".join(classifiers)
    value = (meta.get("License") or "").strip()
    return value.splitlines()[0][:120] if value else "not declared"


def homepage(meta) -> str:
    if meta.get("Home-page"):
        return meta["Home-page"]
    for url in meta.get_all("Project-URL") or []:
        label, _, link = url.partition(",")
        if label.strip().lower() in ("homepage", "home", "source", "repository", "source code"):
            return link.strip()
    return ""


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", text)


def copy_distribution_notices(dist, dest_root: Path) -> Notice:
    meta = dist.metadata
    name = meta["Name"]
    notice = Notice(name=name, version=dist.version, license=declared_license(meta), homepage=homepage(meta))
    folder = dest_root / f"{slug(name)}-{slug(dist.version)}"
    for entry in dist.files or []:
        rel = str(entry)
        if not is_notice_file(rel):
            continue
        src = Path(dist.locate_file(entry))
        if not src.is_file():
            continue
        # Keep the path below dist-info/licenses or the package, so vendored libraries' notices stay apart.
        inner = rel.split(".dist-info/", 1)[-1]
        inner = inner[len("licenses/") :] if inner.startswith("licenses/") else inner
        target = folder / inner
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        notice.files.append(str(target.relative_to(dest_root.parent)))
    if not notice.files:
        notice.note = add_common_license_texts(notice, folder, dest_root)
    offer = SOURCE_OFFERS.get(name.lower())
    if offer:
        notice.note = (notice.note + " " if notice.note else "") + offer
    if name.lower() in BUILD_ONLY:
        notice.note = (notice.note + " " if notice.note else "") + "Build tool only; its code is not in the bundle."
    return notice


def add_common_license_texts(notice: Notice, folder: Path, dest_root: Path) -> str:
    """Full licence texts for a distribution that ships none, from its declared SPDX identifiers."""
    texts = []
    for token in re.split(r"\s+OR\s+|\s+AND\s+|;\s*", notice.license):
        texts += SPDX_TEXTS.get(token.strip().lower(), [])
    copied = []
    for text in dict.fromkeys(texts):
        src = COMMON_LICENSES / text
        if src.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, folder / f"{text}.txt")
            notice.files.append(str((folder / f"{text}.txt").relative_to(dest_root.parent)))
            copied.append(text)
    if copied:
        return (
            f"The wheel ships no licence file; the full text of its declared licence ({', '.join(copied)}) is included."
        )
    return "The wheel ships no licence file; see its declared licence and home page."


def python_notice(dest_root: Path) -> Notice:
    version = platform.python_version()
    notice = Notice(name="Python", version=version, license="PSF-2.0", homepage="https://www.python.org/")
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for candidate in (stdlib / "LICENSE.txt", Path(sys.base_prefix) / "LICENSE.txt"):
        if candidate.is_file():
            target = dest_root / f"Python-{version}" / "LICENSE.txt"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(candidate, target)
            notice.files.append(str(target.relative_to(dest_root.parent)))
            break
    return notice


def same_content(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            chunk_a, chunk_b = fa.read(1 << 20), fb.read(1 << 20)
            if chunk_a != chunk_b:
                return False
            if not chunk_a:
                return True


def system_library_notices(bundle: Path, dest_root: Path) -> list[Notice]:
    """Debian copyright files for shared libraries PyInstaller took from the build system."""
    if not shutil.which("dpkg"):
        return []
    owners: dict[str, list[str]] = {}
    libs = {p.name: p.resolve() for p in sorted(bundle.rglob("*.so*")) if p.is_file()}
    for lib, bundled in sorted(libs.items()):
        for folder in ("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"):
            candidate = Path(folder) / lib
            # Same name is not enough: the bundled libpython comes from the build interpreter, not Debian's.
            if not candidate.exists() or not same_content(candidate.resolve(), bundled):
                continue
            out = subprocess.run(["dpkg", "-S", str(candidate.resolve())], capture_output=True, text=True)
            if out.returncode == 0 and ":" in out.stdout:
                package = out.stdout.split(":", 1)[0].strip()
                owners.setdefault(package, []).append(lib)
            break
    notices = []
    for package, package_libs in sorted(owners.items()):
        version = (
            subprocess.run(
                ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True
            ).stdout.strip()
            or "unknown"
        )
        notice = Notice(
            name=f"{package} (Debian)",
            version=version,
            license="see copyright file",
            homepage=f"https://packages.debian.org/{package.split(':')[0]}",
            note="System library copied into the bundle: " + ", ".join(package_libs),
        )
        copyright_file = Path("/usr/share/doc") / package.split(":")[0] / "copyright"
        if copyright_file.is_file():
            target = dest_root / "system" / slug(package) / "copyright"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(copyright_file, target)
            notice.files.append(str(target.relative_to(dest_root.parent)))
        notices.append(notice)
    return notices


def render_index(notices: list[Notice], app_version: str) -> str:
    lines = [
        f"EmbedStudio {app_version}: third-party notices",
        "",
        "This bundle contains a Python interpreter and the open-source components listed below.",
        "Each entry names its licence and the files under licenses/ that hold the full notices.",
        "EmbedStudio itself is MIT-licensed.",
        "",
    ]
    for n in notices:
        lines.append("=" * 78)
        lines.append(f"{n.name} {n.version}")
        lines.append(f"  Licence: {n.license}")
        if n.homepage:
            lines.append(f"  Home:    {n.homepage}")
        for f in n.files:
            lines.append(f"  File:    {f}")
        if n.note:
            lines.append(f"  Note:    {n.note}")
    lines.append("")
    return "\n".join(lines)


def collect(out_dir: Path, bundle: Path | None = None) -> list[Notice]:
    dest_root = out_dir / "licenses"
    if dest_root.exists():
        shutil.rmtree(dest_root)
    dest_root.mkdir(parents=True)
    seen, notices = set(), [python_notice(dest_root)]
    for dist in sorted(metadata.distributions(), key=lambda d: (d.metadata["Name"] or "").lower()):
        key = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if not key or key in seen or key == "embedstudio":
            continue
        seen.add(key)
        notices.append(copy_distribution_notices(dist, dest_root))
    if bundle is not None:
        notices += system_library_notices(bundle, dest_root)
    try:
        app_version = metadata.version("embedstudio")
    except metadata.PackageNotFoundError:
        app_version = "(development)"
    (dest_root / "index.json").write_text(json.dumps([asdict(n) for n in notices], indent=2), encoding="utf-8")
    (out_dir / "THIRD-PARTY-NOTICES.txt").write_text(render_index(notices, app_version), encoding="utf-8")
    return notices


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Collect third-party licence notices into a bundle.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--bundle", type=Path, help="a built bundle whose system libraries need notices too")
    args = parser.parse_args(argv)
    notices = collect(args.out_dir, args.bundle)
    missing = [n.name for n in notices if not n.files]
    print(
        f"collect_licenses: {len(notices)} components, {sum(len(n.files) for n in notices)} files"
        + (f"; no licence file for: {', '.join(missing)}" if missing else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
