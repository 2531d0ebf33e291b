#!/usr/bin/env python
"""Regenerate docs/screenshots/dataset-*.png: the Dataset area at 1366×768 on generated data — a folder
release with an unlabelled folder and a sibling test folder, a news CSV with two text columns, the
Documents tab with a search, and a failed import.

    .venv/bin/python scripts/screenshots_dataset.py [--out docs/screenshots]

Offscreen unless QT_QPA_PLATFORM says otherwise; temporary config/cache/data folders and data.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZE = (1366, 768)
POS = ["good", "great", "fine", "lovely", "superb", "moving", "funny"]
NEG = ["bad", "awful", "poor", "dull", "boring", "weak", "silly"]


def write_release(root: Path) -> Path:
    import random

    rnd = random.Random(0)
    for part in ("train", "test"):
        for label in ("pos", "neg", "unsup") if part == "train" else ("pos", "neg"):
            folder = root / "aclImdb" / part / label
            folder.mkdir(parents=True)
            words = {"pos": POS, "neg": NEG}.get(label, POS + NEG)
            for i in range(rnd.randint(18, 30) if label != "unsup" else 60):
                body = " ".join(
                    rnd.choice(words + ["the", "film", "plot", "was", "and"]) for _ in range(rnd.randint(8, 60))
                )
                (folder / f"{i}_{rnd.randint(1, 10)}.txt").write_text(
                    f"{body.capitalize()}.<br /><br />Seen it twice &amp; more.", encoding="utf-8"
                )
    return root / "aclImdb" / "train"


def write_news(path: Path) -> Path:
    import random

    rnd = random.Random(1)
    topics = {
        "World": "minister election talks border",
        "Sports": "match season coach goal",
        "Business": "shares profit market deal",
    }
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["label", "title", "description"])
        for i in range(90):
            label = list(topics)[i % 3]
            words = topics[label].split()
            title = " ".join(rnd.choice(words) for _ in range(3)).title()
            desc = " ".join(rnd.choice(words + ["the", "on", "a", "after", "new"]) for _ in range(rnd.randint(12, 30)))
            w.writerow([label, title, f"{desc} &#39;quoted&#39; #{i}"])
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="embedstudio-dataset-shots-") as tmp:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
            os.environ[var] = str(Path(tmp) / var.lower())
        return _shoot(args.out, Path(tmp))


def _shoot(out: Path, tmp: Path) -> int:
    sys.path.insert(0, str(ROOT))
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QMessageBox

    from embedstudio.gui.app import make_application, set_up_gui_thread
    from embedstudio.gui.main_window import MainWindow
    from embedstudio.gui.preferences import Preferences
    from scripts.screenshots import wait_until

    app = make_application()
    set_up_gui_thread(app)
    window = MainWindow(prefs=Preferences(demo_offered=True), save_prefs=False, warm_up=False)
    window.state.set_runs_dir(tmp / "runs")
    window.resize(*SIZE)
    window.show()
    window.show_area("Dataset")
    panel = window.dataset_panel

    def idle() -> bool:
        return not panel.runner.is_running() and not panel.preview_runner.is_running()

    def grab(name: str) -> None:
        wait_until(idle, 120, "the dataset jobs")
        start = time.monotonic()
        wait_until(lambda: time.monotonic() - start > 0.4, 5, "repaint")
        path = out / f"{name}.png"
        window.grab().save(str(path))
        print(f"wrote {path}")

    def close_errors() -> None:
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QMessageBox) and w.isVisible():
                w.close()

    panel.open_path(write_release(tmp))
    wait_until(lambda: panel.result is not None and idle(), 120, "the folder import")
    grab("dataset-folders")
    bar = panel.scroll.verticalScrollBar()
    bar.setValue(bar.maximum())  # the cleaning and split settings below the class list
    grab("dataset-splits")
    bar.setValue(0)

    previous = panel.result
    panel.open_path(write_news(tmp / "news.csv"))
    wait_until(lambda: panel.result is not previous and idle(), 120, "the CSV import")
    panel.options.text_column.item_for("title").setCheckState(Qt.Checked)
    panel.import_dataset()
    grab("dataset-columns")

    panel.view.tabs.setCurrentIndex(1)
    panel.view.search.setText("market")
    grab("dataset-documents")
    panel.view.search.clear()
    panel.view.tabs.setCurrentIndex(0)

    broken = tmp / "broken.csv"
    broken.write_text("text\nonly one column\nand another row\n", encoding="utf-8")
    panel.open_path(broken)
    wait_until(idle, 60, "the failed import")
    close_errors()
    grab("dataset-failed")
    window.request_quit(confirm=False)
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
