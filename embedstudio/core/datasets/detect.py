"""Which reader a path needs: layout detection for folders and archives, content sniffing for files."""

from __future__ import annotations

import json
import re
import tarfile
import zipfile
from pathlib import Path

from ..errors import DatasetError
from .encoding import decode_lines

FORMATS = ("folders", "split", "csv", "tsv", "jsonl", "fasttext", "colon_label")

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar", ".zip")
TABLE_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
# fastText and TREC files often carry the split name or no suffix at all; their content decides.
LINE_SUFFIXES = (".txt", ".train", ".test", ".valid", ".dev", ".cor", ".ft")

DATASET_SUFFIXES = tuple(TABLE_SUFFIXES) + LINE_SUFFIXES + ARCHIVE_SUFFIXES

# "train", "test", "20news-bydate-train", "imdb_test", "training" ...
_SPLIT_NAME = re.compile(r"^(?:(?P<prefix>.*?)[-_. ])?(?P<split>train|training|test|testing)$", re.IGNORECASE)
_COLON_LABEL_LINE = re.compile(r"^\w+:\S+\s+\S")
_SNIFF_BYTES = 64 * 1024
_SNIFF_LINES = 20
_ARCHIVE_SCAN_MEMBERS = 2000


def split_role(name: str) -> str | None:
    """'train' or 'test' when a folder name marks a split, else None."""
    m = _SPLIT_NAME.match(name)
    if not m:
        return None
    return "train" if m.group("split").lower().startswith("train") else "test"


def is_archive(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


def find_split_dirs(path: Path) -> tuple[Path, Path | None] | None:
    """(train_dir, test_dir) when ``path`` is a split layout, given as its parent or as one of the two folders."""
    role = split_role(path.name)
    if role is not None:
        sibling = _sibling_split(path, "test" if role == "train" else "train")
        if sibling is not None:
            return (path, sibling) if role == "train" else (sibling, path)
    subdirs = [p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")]
    trains = [p for p in subdirs if split_role(p.name) == "train"]
    tests = [p for p in subdirs if split_role(p.name) == "test"]
    if not trains:
        return None
    if len(trains) > 1 or len(tests) > 1:
        names = ", ".join(sorted(p.name for p in trains + tests))
        raise DatasetError(
            f"{path}: several train/test folders ({names}); point data.path at one train folder "
            "(its matching test folder beside it is found automatically).")
    return trains[0], (tests[0] if tests else None)


def _sibling_split(path: Path, want: str) -> Path | None:
    m = _SPLIT_NAME.match(path.name)
    prefix = m.group("prefix") if m else None
    for candidate in path.parent.iterdir():
        if candidate == path or not candidate.is_dir() or split_role(candidate.name) != want:
            continue
        cm = _SPLIT_NAME.match(candidate.name)
        if (cm.group("prefix") or None) == (prefix or None):
            return candidate
    return None


def archive_member_names(path: Path, limit: int | None = None) -> list[str]:
    """Names of regular files in an archive (the first ``limit`` of them for a quick look)."""
    names: list[str] = []
    try:
        if path.name.lower().endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                names = [i.filename for i in zf.infolist() if not i.is_dir()]
            return names[:limit] if limit else names
        with open(path, "rb") as raw, tarfile.open(fileobj=raw, mode="r|*") as tf:
            for member in tf:
                if member.isfile():
                    names.append(member.name)
                    if limit and len(names) >= limit:
                        break
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
        from .archives import damaged

        raise damaged(path, exc) from None
    return names


def archive_layout(names: list[str]) -> str:
    """'split' when a top-level (or second-level) folder is named like train/test, else 'folders'."""
    for name in names:
        parts = [p for p in name.split("/") if p]
        for depth in (0, 1):
            if len(parts) >= depth + 3 and split_role(parts[depth]) is not None:
                return "split"
    return "folders"


def detect_dataset_format(path) -> str:
    """'folders' | 'split' | 'csv' | 'tsv' | 'jsonl' | 'fasttext' | 'colon_label' for ``path``."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"Dataset not found: {path}. Check data.path.")
    if path.is_dir():
        return "split" if find_split_dirs(path) is not None else "folders"
    if is_archive(path):
        return archive_layout(archive_member_names(path, _ARCHIVE_SCAN_MEMBERS))
    by_suffix = TABLE_SUFFIXES.get(path.suffix.lower())
    if by_suffix is not None:
        return by_suffix
    return sniff_line_format(path)


def sniff_line_format(path: Path) -> str:
    """Decide from the first non-empty lines: fastText, JSONL, TREC-style colon labels, TSV or CSV."""
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if not head.strip():
        raise DatasetError(f"{path}: the file is empty. Choose a file with one example per line or row.")
    text, _ = decode_lines(head, "utf-8", str(path))
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()][:_SNIFF_LINES]
    if len(lines) > 1 and len(head) == _SNIFF_BYTES:
        lines = lines[:-1]  # the last line may be cut in the middle

    def share(pred) -> float:
        return sum(1 for ln in lines if pred(ln)) / len(lines)

    if share(lambda ln: ln.startswith("__label__")) >= 0.8:
        return "fasttext"
    if share(_is_json_object) >= 0.8:
        return "jsonl"
    if share(lambda ln: _COLON_LABEL_LINE.match(ln) is not None) >= 0.8:
        return "colon_label"
    if share(lambda ln: "\t" in ln) >= 0.8:
        return "tsv"
    return "csv"


def _is_json_object(line: str) -> bool:
    if not line.startswith("{"):
        return False
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False
