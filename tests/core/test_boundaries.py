"""The architecture's import rules, checked in fresh interpreters."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_core_imports_no_qt():
    core_modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in (ROOT / "embedstudio" / "core").rglob("*.py")
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


def test_gui_does_not_import_tensorflow_at_start():
    if not (ROOT / "embedstudio" / "gui" / "main_window.py").exists():
        pytest.skip("the GUI package has no main_window yet")
    res = _run("""
        import sys
        import embedstudio.gui.main_window
        heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'gensim'))
        assert not heavy, heavy[:5]
    """)
    assert res.returncode == 0, res.stderr + res.stdout
