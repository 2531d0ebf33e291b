"""Which reader a path needs: layout detection for folders and archives, content sniffing for files."""

from __future__ import annotations

import json
import re
import tarfile
import zipfile
from pathlib import Path

from ..errors import DatasetError
from .encoding import decode_lines, no_text_error

FORMATS = ("folders", "split", "lines_per_class", "csv", "tsv", "excel", "parquet", "jsonl", "fasttext", "colon_label")

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar", ".zip")
TABLE_SUFFIXES = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".parquet": "parquet",
    ".pq": "parquet",
}
MARKUP_SUFFIXES = (".sgm", ".sgml", ".xml")
# Class folders with these names hold unlabelled examples (the movie-review release's train/unsup).
UNLABELLED_NAMES = frozenset({"unsup", "unlabeled", "unlabelled", "unknown", "unsupervised"})
# Top-level files a release carries beside its data (README, LICENSE ...): never a class or a document.
# Also 'rt-polaritydata.README.1.0.txt': the word may sit anywhere between separators.
_NOTE_FILE = re.compile(
    r"(^|[._ -])(readme|license|licence|copying|changes|changelog|notice|citation)([._ -]|$)", re.IGNORECASE
)
_MARKUP_START = re.compile(r"^\s*(<\?xml|<!DOCTYPE|<[A-Za-z][\w:.-]*(\s[^>]*)?>)")
LINES_PER_CLASS_MIN_LINES = 20  # a class folder's single file with this many lines is a file of examples
_LINE_COUNT_BYTES = 256 * 1024
# fastText and TREC files often carry the split name or no suffix at all; their content decides.
LINE_SUFFIXES = (".txt", ".train", ".test", ".valid", ".dev", ".cor", ".ft")

DATASET_SUFFIXES = tuple(TABLE_SUFFIXES) + LINE_SUFFIXES + ARCHIVE_SUFFIXES + MARKUP_SUFFIXES

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


def is_note_file(name: str) -> bool:
    """README, LICENSE and the like: files a release ships beside its data."""
    return _NOTE_FILE.search(name) is not None


def markup_error(source: str) -> DatasetError:
    return DatasetError(
        f"{source}: this is SGML/XML markup (for example Reuters-21578's <REUTERS> elements), which EmbedStudio "
        "does not read. Convert it to a table with one example per row and a text and a label column "
        "(CSV, TSV or JSONL), or to fastText lines ('__label__sport The match ...'); keep one label per "
        "example, since multi-label data is not supported."
    )


def _visible_dirs(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))


def descend_wrappers(path: Path) -> Path:
    """Go down through folders that only wrap the dataset: one subfolder (itself holding folders) and at
    most note files such as README beside it. ``movie_reviews/{pos,neg}`` given as its parent works."""
    while path.is_dir() and split_role(path.name) is None:
        subdirs = _visible_dirs(path)
        files = [p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")]
        if len(subdirs) != 1 or split_role(subdirs[0].name) is not None or not _visible_dirs(subdirs[0]):
            break
        if any(not is_note_file(f.name) for f in files):
            break
        path = subdirs[0]
    return path


def lines_per_class_files(root: Path) -> dict[str, Path] | None:
    """{class: file} when ``root`` holds one file of examples per class, else None.

    Either one file in each class folder (the class is the folder), or files directly in ``root``
    sharing a stem with different suffixes (``rt-polarity.pos``, ``rt-polarity.neg``: the class is the
    suffix) or with different stems (``pos.txt``, ``neg.txt``: the class is the stem).
    """
    subdirs = _visible_dirs(root)
    if subdirs:
        found = {}
        for d in subdirs:
            files = [p for p in d.rglob("*") if p.is_file() and not p.name.startswith(".")]
            if len(files) != 1:
                return None
            found[d.name] = files[0]
        return found if len(found) >= 2 else None
    files = sorted(p for p in root.iterdir() if p.is_file() and not p.name.startswith(".") and not is_note_file(p.name))
    if len(files) < 2:
        return None
    stems = {p.name.split(".")[0] for p in files}
    if len(stems) == 1 and all("." in p.name for p in files):
        return {p.name.split(".", 1)[1]: p for p in files}
    if len(stems) == len(files):
        return {p.name.split(".")[0]: p for p in files}
    return None


def looks_lines_per_class(root: Path) -> bool:
    """Auto-detection: class folders that each hold exactly one large multi-line file, or files that share
    one stem with different suffixes (rt-polarity.pos / rt-polarity.neg)."""
    found = lines_per_class_files(root)
    if found is None:
        return False
    if not _visible_dirs(root):
        if len({p.name.split(".")[0] for p in found.values()}) != 1:
            return False  # pos.txt / neg.txt: only when data.format says so
        if any(p.suffix.lower() in MARKUP_SUFFIXES for p in found.values()):
            return False
    for file in found.values():
        with open(file, "rb") as fh:
            if fh.read(_LINE_COUNT_BYTES).count(b"\n") < LINES_PER_CLASS_MIN_LINES:
                return False
    return True


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
            "(its matching test folder beside it is found automatically)."
        )
    return trains[0], (tests[0] if tests else None)


def _sibling_split(path: Path, want: str) -> Path | None:
    m = _SPLIT_NAME.match(path.name)
    prefix = m.group("prefix") if m else None
    for candidate in path.parent.iterdir():
        if candidate == path or not candidate.is_dir() or split_role(candidate.name) != want:
            continue
        cm = _SPLIT_NAME.match(candidate.name)
        if cm is not None and (cm.group("prefix") or None) == (prefix or None):
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
        path = descend_wrappers(path)
        if find_split_dirs(path) is not None:
            return "split"
        return "lines_per_class" if looks_lines_per_class(path) else "folders"
    if is_archive(path):
        return archive_layout(archive_member_names(path, _ARCHIVE_SCAN_MEMBERS))
    if path.suffix.lower() in MARKUP_SUFFIXES:
        raise markup_error(str(path))
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
    if not lines:
        raise no_text_error(str(path))

    def share(pred) -> float:
        return sum(1 for ln in lines if pred(ln)) / len(lines)

    if _MARKUP_START.match(lines[0]) and share(lambda ln: ln.startswith("<")) >= 0.3:
        raise markup_error(str(path))
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
    except (ValueError, RecursionError):
        return False
