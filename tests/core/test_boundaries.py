"""The architecture's import rules, checked in fresh interpreters."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_core_imports_no_qt():
    core_modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts) for p in (ROOT / "embedstudio" / "core").rglob("*.py")
    )
    core_modules = [m.removesuffix(".__init__") for m in core_modules]
    res = _run(f"""
        import importlib, sys
        for m in {core_modules!r}:
            importlib.import_module(m)
        import embedstudio.cli
        bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6'))
        print('QT:', bad)
        assert not bad, bad
    """)
    assert res.returncode == 0, res.stderr + res.stdout


def test_no_gui_module_imports_tensorflow_at_import():
    """Every module of embedstudio.gui imports (MainWindow imports every area directly) without pulling in
    TensorFlow, Keras or gensim: those load in workers, when a job needs them."""
    gui_modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in (ROOT / "embedstudio" / "gui").rglob("*.py")
    )
    assert "embedstudio.gui.panels.model_panel" in gui_modules and "embedstudio.gui.jobs" in gui_modules
    res = _run(f"""
        import importlib, sys
        for m in {gui_modules!r}:
            importlib.import_module(m)
        heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'gensim'))
        assert not heavy, heavy[:5]
        print(len({gui_modules!r}), 'modules')
    """)
    assert res.returncode == 0, res.stderr + res.stdout
