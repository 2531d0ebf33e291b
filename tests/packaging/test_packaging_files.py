"""Fast checks of the packaging inputs: desktop entry, icons, launcher, spec and trim rules, .deb control,
installer recipes and licence collection. The full build and bundle test is packaging/test_bundle.sh."""

from __future__ import annotations

import ast
import importlib.util
import os
import shutil
import stat
import struct
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import embedstudio

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
ICONS = ROOT / "resources" / "icons"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
MAIN_CATEGORIES = {
    "AudioVideo",
    "Audio",
    "Video",
    "Development",
    "Education",
    "Game",
    "Graphics",
    "Network",
    "Office",
    "Science",
    "Settings",
    "System",
    "Utility",
}


def load_module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bundle_trim():
    return load_module("bundle_trim", PACKAGING / "bundle_trim.py")


# ---- desktop entry -----------------------------------------------------------------------------
def parse_desktop_entry(path: Path) -> dict[str, str]:
    """The [Desktop Entry] group; fails on duplicate keys, stray lines or a missing group header."""
    entries: dict[str, str] = {}
    group = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            group = line.strip()
            continue
        assert group == "[Desktop Entry]", f"line {number} is outside the [Desktop Entry] group"
        key, sep, value = line.partition("=")
        assert sep and key == key.strip() and key, f"line {number} is not key=value: {line!r}"
        assert key not in entries, f"duplicate key {key} on line {number}"
        entries[key] = value
    return entries


def test_desktop_entry_has_menu_category_command_and_icon():
    entry = parse_desktop_entry(ROOT / "resources" / "embedstudio.desktop")
    assert entry["Type"] == "Application"
    assert entry["Name"] == "EmbedStudio"
    assert entry["Exec"].split()[0] == "embedstudio"
    assert entry["Exec"].split()[1] == "gui", "file arguments must go to the gui subcommand"
    assert entry["Terminal"] == "false"
    assert (ICONS / f"{entry['Icon']}.svg").is_file(), "Icon= must name the icon the .deb installs"
    categories = entry["Categories"].split(";")
    assert entry["Categories"].endswith(";") and categories[-1] == ""
    assert MAIN_CATEGORIES & set(categories), "a registered main category puts the entry in a menu"
    if "ArtificialIntelligence" in categories:  # the spec lets it appear only with Education or Science
        assert {"Education", "Science"} & set(categories)
    assert entry["Keywords"].endswith(";") and entry["MimeType"].endswith(";")


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_desktop_entry_passes_desktop_file_validate():
    out = subprocess.run(
        ["desktop-file-validate", str(ROOT / "resources" / "embedstudio.desktop")], capture_output=True, text=True
    )
    assert out.returncode == 0 and "error" not in out.stdout.lower(), out.stdout + out.stderr


# ---- icons ---------------------------------------------------------------------------------------
def png_header(path: Path) -> tuple[int, int, int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    return width, height, depth, colour


@pytest.mark.parametrize("svg", ["embedstudio.svg", "embedstudio-small.svg"])
def test_icon_svgs_are_square_svg_documents(svg):
    root = ET.parse(ICONS / svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    _x, _y, width, height = (float(v) for v in root.attrib["viewBox"].split())
    assert width == height > 0


@pytest.mark.parametrize("size", PNG_SIZES)
def test_icon_png_has_its_size_and_alpha(size):
    width, height, depth, colour = png_header(ICONS / f"embedstudio-{size}.png")
    assert (width, height) == (size, size)
    assert (depth, colour) == (8, 6), "8-bit RGBA, so the rounded corners stay transparent"


def test_windows_icon_holds_the_small_sizes():
    data = (ICONS / "embedstudio.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1) and count >= 5
    sizes = set()
    for i in range(count):
        w, _h, _c, _r, _planes, _bpp, length, offset = struct.unpack("<BBBBHHII", data[6 + 16 * i : 22 + 16 * i])
        assert data[offset : offset + 8] == b"\x89PNG\r\n\x1a\n" and offset + length <= len(data)
        sizes.add(w or 256)
    assert {16, 32, 48, 256} <= sizes


def test_rendered_pngs_match_the_svg(tmp_path, qapp):
    """The committed PNGs are what packaging/render_icons.py makes from the SVGs today."""
    from PySide6.QtGui import QImage

    render_icons = load_module("render_icons", PACKAGING / "render_icons.py")
    render_icons.render_all(tmp_path, (16, 64, 256))
    for size in (16, 64, 256):
        fresh = QImage(str(tmp_path / f"embedstudio-{size}.png")).convertToFormat(QImage.Format_RGBA8888)
        committed = QImage(str(ICONS / f"embedstudio-{size}.png")).convertToFormat(QImage.Format_RGBA8888)
        a, b = bytes(fresh.constBits()), bytes(committed.constBits())
        assert len(a) == len(b)
        mean_difference = sum(abs(x - y) for x, y in zip(a, b)) / len(a)
        assert mean_difference < 1.0, f"{size} px PNG is stale: run packaging/render_icons.py"


# ---- launcher ------------------------------------------------------------------------------------
@pytest.fixture
def fake_bundle(tmp_path):
    """The real launcher beside a stand-in embedstudio-bin that prints its locale and arguments, reached
    through a symlink as /usr/bin/embedstudio is in the .deb."""
    bundle = tmp_path / "opt" / "embedstudio"
    bundle.mkdir(parents=True)
    launcher = bundle / "embedstudio"
    shutil.copy(PACKAGING / "linux" / "embedstudio-launcher.sh", launcher)
    fake = bundle / "embedstudio-bin"
    fake.write_text(
        '#!/bin/sh\nprintf "LANG=%s\\nLC_ALL=%s\\nPYTHONUTF8=%s\\n" "$LANG" "$LC_ALL" "$PYTHONUTF8"\n'
        'for a in "$@"; do printf "ARG=%s\\n" "$a"; done\n'
    )
    for path in (launcher, fake):
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    link = tmp_path / "bin" / "embedstudio"
    link.parent.mkdir()
    link.symlink_to(launcher)
    return link


def run_launcher(link: Path, env: dict[str, str], *args: str) -> dict[str, list[str]]:
    out = subprocess.run(
        [str(link), *args], env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True, check=True
    )
    values: dict[str, list[str]] = {}
    for line in out.stdout.splitlines():
        key, _, value = line.partition("=")
        values.setdefault(key, []).append(value)
    return values


@pytest.mark.skipif(os.name != "posix", reason="the Linux launcher is a POSIX shell script")
def test_launcher_sets_utf8_locale_in_a_clean_environment(fake_bundle):
    seen = run_launcher(fake_bundle, {}, "gui", "a file with spaces.txt")
    assert seen["LC_ALL"] == ["C.UTF-8"] and seen["LANG"] == ["C.UTF-8"]
    assert seen["PYTHONUTF8"] == ["1"]
    assert seen["ARG"] == ["gui", "a file with spaces.txt"]


@pytest.mark.skipif(os.name != "posix", reason="the Linux launcher is a POSIX shell script")
def test_launcher_keeps_a_utf8_locale_and_replaces_a_c_locale(fake_bundle):
    kept = run_launcher(fake_bundle, {"LANG": "de_DE.UTF-8"})
    assert kept["LANG"] == ["de_DE.UTF-8"] and kept["LC_ALL"] == [""]
    replaced = run_launcher(fake_bundle, {"LANG": "de_DE.UTF-8", "LC_ALL": "C"})
    assert replaced["LC_ALL"] == ["C.UTF-8"]


# ---- spec, trim rules, entry point ---------------------------------------------------------------
def test_spec_is_valid_python_naming_files_that_exist():
    source = (PACKAGING / "embedstudio.spec").read_text(encoding="utf-8")
    ast.parse(source)
    assert "embedstudio_entry.py" in source and (PACKAGING / "embedstudio_entry.py").is_file()
    assert '("X utf8", None, "OPTION")' in source, "the frozen interpreter runs in UTF-8 mode"
    assert 'name="embedstudio-bin"' in source, "the launcher execs embedstudio-bin"
    assert "hiddenimports=[]" in source, "imports are plain, so the analysis sees them all"
    assert "embedstudio-bin" in (PACKAGING / "linux" / "embedstudio-launcher.sh").read_text()


def test_no_module_imports_by_name_so_the_spec_needs_no_hidden_imports():
    """PyInstaller follows import statements (function-level ones too) but not importlib by name."""
    import re

    offenders = []
    for path in (ROOT / "embedstudio").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"import_module\(|__import__\(", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_warm_up_imports_by_statement_exactly_the_training_modules_it_lists():
    """gui/heavy_imports.py names the training modules twice: TRAINING_MODULES (what "all imported" checks)
    and _import_training_modules's import statements (what PyInstaller follows). They must agree."""
    tree = ast.parse((ROOT / "embedstudio" / "gui" / "heavy_imports.py").read_text(encoding="utf-8"))
    listed = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["TRAINING_MODULES"]
    )
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "_import_training_modules")
    body = function.body[1:] if ast.get_docstring(function) else function.body
    assert all(isinstance(statement, ast.Import) for statement in body), "the function only imports"
    imported = [alias.name for statement in body for alias in statement.names]  # type: ignore[attr-defined]
    assert len(set(listed)) == len(listed) and len(set(imported)) == len(imported), "no module named twice"
    assert sorted(imported) == sorted(listed)


def imported_modules(tree: ast.AST) -> set[str]:
    """Every absolute module an import statement in ``tree`` names (``from a.b import c`` gives a.b and a.b.c)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def excluded_by(name: str, excluded: list[str]) -> str | None:
    """The EXCLUDED_MODULES entry that keeps module ``name`` out of the bundle (itself or a parent package)."""
    parts = name.split(".")
    return next((entry for entry in excluded if entry.split(".") == parts[: len(entry.split("."))]), None)


# Modules the app imports lazily (inside functions) for shipped features: Parquet word lists (the demo's
# GloVe) and tables, Excel sheets, fastText and gensim vectors. The scan below finds them all; this list makes
# sure the scan keeps seeing them.
SHIPPED_LAZY_IMPORTS = ("pyarrow.parquet", "openpyxl", "fasttext_pybind", "fasttext.FastText", "gensim.models")


def test_excluded_modules_hold_nothing_the_app_imports(bundle_trim):
    """The frozen app failed its demo when pyarrow was excluded: every module embedstudio imports, at module
    level or lazily inside a function, must be collectable."""
    imports: dict[str, str] = {}
    for path in sorted((ROOT / "embedstudio").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name in imported_modules(tree):
            imports.setdefault(name, str(path.relative_to(ROOT)))
    for name in SHIPPED_LAZY_IMPORTS:
        assert name in imports, f"{name} is no longer imported; update SHIPPED_LAZY_IMPORTS"
    blocked = {
        name: (where, entry)
        for name, where in imports.items()
        if (entry := excluded_by(name, bundle_trim.EXCLUDED_MODULES)) is not None
    }
    assert blocked == {}, f"imported but excluded from the bundle (module: (file, EXCLUDED_MODULES entry)): {blocked}"


def test_excluded_by_matches_packages_not_prefixes():
    assert excluded_by("pyarrow.parquet", ["pyarrow"]) == "pyarrow"
    assert excluded_by("pyarrow.parquet", ["pyarrow.flight", "pyarrow._s3fs"]) is None
    assert excluded_by("pyarrow", ["pyarrow.flight"]) is None
    assert excluded_by("grpcio_tools", ["grpc"]) is None


def test_bundle_carries_every_package_file_the_demo_names(bundle_trim):
    demo = tomllib.loads((ROOT / "resources" / "demo" / "demo.toml").read_text(encoding="utf-8"))
    paths = [demo["data"]["path"]] + [v["path"] for v in demo["embedding"]["vectors"]]
    named = [p.split(":", 1)[1] for p in paths if p.startswith("python-package:")]
    assert named, "the demo names its data and vectors as python-package: paths"
    for rel in named:
        folder = next((d for d in bundle_trim.DEMO_PACKAGE_DATA if rel == d or rel.startswith(d + "/")), None)
        assert folder is not None, f"{rel} is not bundled (packaging/bundle_trim.py DEMO_PACKAGE_DATA)"
        assert bundle_trim.matching_rule(rel if rel != folder else f"{rel}/001.txt") is None
    source = (PACKAGING / "embedstudio.spec").read_text(encoding="utf-8")
    assert "_package_demo_datas()" in source


@pytest.mark.parametrize(
    "dest",
    [
        "resources/demo/demo.toml",
        "resources/icons/embedstudio-256.png",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
        "PySide6/Qt/lib/libQt6XcbQpa.so.6",
        "tensorflow/libtensorflow_cc.so.2",
        "tensorflow/lite/python/libpywrap_tflite_common.so",  # `import tensorflow` loads it
        "tensorflow/python/profiler/internal/_pywrap_profiler_plugin.so",  # likewise
        "keras-3.15.1.dist-info/METADATA",
        # what pyarrow.parquet.read_table links (ELF NEEDED) or imports
        "pyarrow/libarrow.so.2600",
        "pyarrow/libarrow_compute.so.2600",
        "pyarrow/libparquet.so.2600",
        "pyarrow/libarrow_substrait.so.2600",
        "pyarrow/libarrow_dataset.so.2600",
        "pyarrow/libarrow_acero.so.2600",
        "pyarrow/libarrow_python.so.2600",
        "pyarrow/libarrow_python_parquet_encryption.so.2600",
        "pyarrow/_parquet.cpython-311-x86_64-linux-gnu.so",
    ],
)
def test_trim_keeps_what_the_app_loads(bundle_trim, dest):
    assert bundle_trim.matching_rule(dest) is None


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/translations/qtbase_de.qm",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "sklearn/datasets/tests/data/openml/id_1/data.json.gz",
        "scipy/io/tests/data/test.mat",
        "gensim/test/test_data/questions-words.txt",
        "numpy/_core/include/numpy/ndarraytypes.h",
        "tensorflow/compiler/mlir/stablehlo/stablehlo_extension.so",
        "pyarrow/libarrow_flight.so.2600",
        "pyarrow/libarrow_python_flight.so.2600",
        "pyarrow/libarrow_s3.so.2600",
        "pyarrow/libarrow_python.so",
        "pyarrow/libarrow_python.so.2600.1.0",
        "pyarrow/include/arrow/api.h",
        "pyarrow/lib.pyx",
        "pyarrow/src/arrow/python/common.cc",
    ],
)
def test_trim_drops_what_the_app_never_loads(bundle_trim, dest):
    assert bundle_trim.matching_rule(dest) is not None


def test_trim_drops_test_modules_but_keeps_gensim_test_utils(bundle_trim):
    report: dict = {}
    toc = [
        (name, None, "PYMODULE")
        for name in (
            "gensim.test.utils",
            "gensim.test",
            "gensim.test.test_word2vec",
            "scipy.linalg.tests.test_basic",
            "numpy.testing",
            "keras.src.layers",
        )
    ]
    kept = [name for name, _src, _kind in bundle_trim.trim_modules(toc, report)]
    assert kept == ["gensim.test.utils", "gensim.test", "numpy.testing", "keras.src.layers"]
    assert report["test-suite Python modules"]["files"] == 2


def test_trim_report_counts_files_and_bytes(bundle_trim, tmp_path):
    qm = tmp_path / "qtbase_de.qm"
    qm.write_bytes(b"x" * 1234)
    report: dict = {}
    kept = bundle_trim.trim_files(
        [("PySide6/Qt/translations/qtbase_de.qm", str(qm), "DATA"), ("resources/demo/demo.toml", str(qm), "DATA")],
        "data",
        report,
    )
    assert [dest for dest, _src, _kind in kept] == ["resources/demo/demo.toml"]
    ((rule, stats),) = report.items()
    assert "translations" in rule and stats["files"] == 1 and stats["bytes"] == 1234


def test_gensim_test_utils_import_reads_only_bundled_files(bundle_trim):
    """`import gensim.test.utils` (how config.data_path resolves demo names) reads lee_background.cor at
    module level, so the bundle must carry it too."""
    import gensim.test.utils as gensim_test_utils

    source = Path(gensim_test_utils.__file__).read_text(encoding="utf-8")
    module_level_reads = {
        line.split("datapath('", 1)[1].split("'", 1)[0]
        for line in source.splitlines()
        if "open(datapath('" in line and "#" not in line
    }
    assert module_level_reads <= set(bundle_trim.GENSIM_DEMO_FILES)


def test_elf_needed_reads_the_libraries_an_extension_links(bundle_trim):
    import PySide6.QtCore

    extension = Path(PySide6.QtCore.__file__)
    names = bundle_trim.elf_needed(extension)
    assert "libQt6Core.so.6" in names and any(n.startswith("libshiboken6") for n in names)
    if shutil.which("readelf"):
        out = subprocess.run(["readelf", "-d", str(extension)], capture_output=True, text=True).stdout
        assert names == [line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line]
    assert bundle_trim.elf_needed(ROOT / "resources" / "demo" / "demo.toml") == []


def test_trim_bundle_drops_libraries_only_a_dropped_plugin_used_and_dangling_links(bundle_trim):
    links = {
        "gtk3": ["libpango.so", "libc.so.6"],
        "libpango.so": ["libcairo.so"],
        "libcairo.so": [],
        "qxcb": ["libxcb.so", "libfreetype.so"],
        "libxcb.so": [],
        "libfreetype.so": [],
        "libpango_used_by_qt.so": [],
    }
    binaries = [
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "gtk3", "BINARY"),
        ("libpango.so", "libpango.so", "BINARY"),
        ("libcairo.so", "libcairo.so", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "qxcb", "BINARY"),
        ("libxcb.so", "libxcb.so", "BINARY"),
        ("libfreetype.so", "libfreetype.so", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqeglfs.so", "eglfs", "BINARY"),
        ("libqeglfs-link.so", "PySide6/Qt/plugins/platforms/libqeglfs.so", "SYMLINK"),
        ("libqxcb-link.so", "PySide6/Qt/plugins/platforms/libqxcb.so", "SYMLINK"),
    ]
    report: dict = {}
    _datas, kept = bundle_trim.trim_bundle([], binaries, report, needed=lambda src: links.get(src, []))
    assert [dest for dest, _s, _k in kept] == [
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "libxcb.so",
        "libfreetype.so",
        "libqxcb-link.so",
    ]
    assert report["system libraries that only dropped binaries link to"]["files"] == 2


def test_frozen_resources_lookup_uses_meipass(tmp_path, monkeypatch):
    from embedstudio import resources

    (tmp_path / "resources" / "demo").mkdir(parents=True)
    (tmp_path / "resources" / "demo" / "demo.toml").write_text("schema_version = 1\n")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resources_dir() == tmp_path / "resources"
    assert resources.demo_config_path() == tmp_path / "resources" / "demo" / "demo.toml"


# ---- .deb control, scripts, recipes ---------------------------------------------------------------
def test_deb_control_template_has_the_required_fields():
    text = (PACKAGING / "linux" / "deb-control.in").read_text(encoding="utf-8")
    fields = {}
    for line in text.splitlines():
        if line[:1] not in (" ", "\t"):
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    for key in (
        "Package",
        "Version",
        "Architecture",
        "Maintainer",
        "Installed-Size",
        "Section",
        "Depends",
        "Description",
    ):
        assert key in fields, f"control field {key} missing"
    assert fields["Package"] == "embedstudio"
    depends = [d.strip() for d in " ".join(text.split("Depends:", 1)[1].split("\nDescription")[0].split()).split(",")]
    assert {"libegl1", "libgl1", "libxkbcommon-x11-0", "libxcb-cursor0"} <= set(depends)


@pytest.mark.parametrize(
    "script",
    [
        "build_linux.sh",
        "test_bundle.sh",
        "macos/build_macos.sh",
        "linux/embedstudio-launcher.sh",
        "linux/install-desktop-entry.sh",
    ],
)
def test_shell_scripts_are_executable_and_parse(script):
    path = PACKAGING / script
    assert os.access(path, os.X_OK), f"{script} is not executable"
    shell = "bash" if path.read_text().startswith("#!/usr/bin/env bash") else "sh"
    subprocess.run([shell, "-n", str(path)], check=True)


def test_inno_setup_script_matches_the_app():
    text = (PACKAGING / "windows" / "embedstudio.iss").read_text(encoding="utf-8")
    assert f'#define AppVersion "{embedstudio.__version__}"' in text
    for section in ("[Setup]", "[Files]", "[Icons]", "[Tasks]"):
        assert section in text
    icon = text.split("SetupIconFile=", 1)[1].splitlines()[0].strip()
    assert (PACKAGING / "windows" / Path(icon.replace("\\", "/"))).resolve() == ICONS / "embedstudio.ico"
    assert "EmbedStudio.exe" in text and "PrivilegesRequired=lowest" in text


# ---- licence notices -----------------------------------------------------------------------------
def test_collect_licenses_writes_an_index_whose_files_exist(tmp_path):
    collect_licenses = load_module("collect_licenses", PACKAGING / "collect_licenses.py")
    notices = collect_licenses.collect(tmp_path)
    by_name = {n.name.lower().replace("_", "-"): n for n in notices}
    for name in ("python", "numpy", "keras", "gensim", "pyside6-essentials", "tensorflow-cpu"):
        assert name in by_name, f"{name} missing from the notices"
        assert by_name[name].files, f"no licence text for {name}"
    for notice in notices:
        for rel in notice.files:
            assert (tmp_path / rel).is_file(), rel
    index = (tmp_path / "THIRD-PARTY-NOTICES.txt").read_text(encoding="utf-8")
    assert "PySide6" in index and "LGPL" in index and (tmp_path / "licenses" / "index.json").is_file()
