"""What the EmbedStudio bundle leaves out, shared by embedstudio.spec and tests/packaging.

PyInstaller's hooks collect whole packages (TensorFlow and Keras collect every submodule, PySide6 every
translation and the plugins of each Qt module used). The rules here drop what the app never loads; the
spec measures each rule's saving into a trim report.
"""

from __future__ import annotations

import fnmatch
import os

# The demo workspace names these files as "gensim-test-data:NAME"; gensim.test.utils.datapath() and
# embedstudio.gui.state.local_path() both resolve them next to the frozen gensim package.
GENSIM_DEMO_FILES = ("pang_lee_polarity.cor", "lee_fasttext.bin")

# Python packages the app never imports, but that optional imports in our dependencies would pull in.
EXCLUDED_MODULES = [
    "tkinter", "_tkinter", "matplotlib", "IPython", "jupyter_client", "ipykernel", "pytest", "_pytest",
    "PyQt5", "PyQt6", "PySide2",
    # Not tensorflow.lite or the profiler plugin: `import tensorflow` 2.21 loads both eagerly.
    "tensorboard", "tensorflow.compiler.mlir.stablehlo",
    "torch", "jax", "jaxlib", "pandas", "polars", "pyarrow", "dask", "cupy",
    "clang",  # libclang: a TensorFlow build-time dependency
    "pip", "setuptools", "wheel", "pkg_resources",
]

# Data files and binaries hooks collect that the app does not use: fnmatch patterns on the destination
# path inside the bundle, grouped so the trim report can say what each group saved.
TRIM_RULES: dict[str, list[str]] = {
    "test suites and test data": [
        "*/tests/*", "*/test/*", "*/testing/*", "*/test_data/*", "*/testdata/*",
    ],
    "Qt translations (the app is English-only; half-translated dialogs would be worse)": [
        "PySide6/Qt/translations/*",
    ],
    "Qt platform plugins for kiosk, embedded and remote displays": [
        "PySide6/Qt/plugins/platforms/libqeglfs.so", "PySide6/Qt/plugins/platforms/libqlinuxfb.so",
        "PySide6/Qt/plugins/platforms/libqminimal*.so", "PySide6/Qt/plugins/platforms/libqvnc.so",
        "PySide6/Qt/plugins/platforms/libqvkkhrdisplay.so", "PySide6/Qt/plugins/egldeviceintegrations/*",
        "PySide6/Qt/plugins/generic/*", "PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so*",
        "PySide6/Qt/lib/libQt6EglFsKmsSupport.so*", "PySide6/Qt/lib/libQt6EglFsKmsGbmSupport.so*",
    ],
    "Qt image formats the app never reads or writes": [
        "PySide6/Qt/plugins/imageformats/libqtiff.so", "PySide6/Qt/plugins/imageformats/libqwebp.so",
        "PySide6/Qt/plugins/imageformats/libqicns.so", "PySide6/Qt/plugins/imageformats/libqtga.so",
        "PySide6/Qt/plugins/imageformats/libqwbmp.so", "PySide6/Qt/plugins/imageformats/libqpdf.so",
    ],
    "C/C++ headers, static libraries and type stubs": [
        "*/include/*", "*.a", "*.lib", "*.pyi", "*.pxd", "*.h", "*.hpp",
    ],
    "TensorFlow's StableHLO bindings (only tf.mlir's experimental API loads them)": [
        "tensorflow/compiler/mlir/stablehlo/*",
    ],
}

# Things the trim patterns would catch but the app needs.
KEEP = [f"gensim/test/test_data/{name}" for name in GENSIM_DEMO_FILES]


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
