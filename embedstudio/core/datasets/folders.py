"""One folder per class (`root/<class>/<files>`) and the train/test split layout, on disk or in an archive.

Archives (.tar.gz, .tgz, .zip, ...) are streamed member by member with tarfile/zipfile, never unpacked
to disk: 20 Newsgroups' 18,846 files read in about half a second this way.
"""

from __future__ import annotations

import fnmatch
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DatasetError
from ..fileio import is_inside, walk_file_names
from ..jobs import CancelToken, Reporter, ThrottledProgress
from . import parallel
from .archives import ArchiveRead, iter_members
from .detect import (
    LINES_PER_CLASS_MIN_LINES,
    MARKUP_SUFFIXES,
    UNLABELLED_NAMES,
    descend_wrappers,
    find_split_dirs,
    is_archive,
    is_note_file,
    lines_per_class_files,
    markup_error,
    split_role,
)
from .encoding import decode_document, decode_lines, normalise_newlines
from .raw import PROGRESS_EVERY, RawRead, ReadOptions, RowCollector, read_bytes
from .types import TextTable, plural

LAYOUT_HINT = (
    "Expected one folder per class (root/<class>/<files>), or 'name-train' and 'name-test' "
    "folders that each hold one folder per class."
)


@dataclass
class _Document:
    parts: list[str]  # path inside the dataset root, split on '/'
    text: str
    source: str
    fallback: bool


def read_folder_dataset(
    path: Path, fmt: str, opts: ReadOptions, reporter: Reporter, cancel: CancelToken, *, role: str = "train"
) -> RawRead:
    """Read the 'folders' or 'split' layout from a directory or an archive.

    ``role`` is 'test' when ``path`` is a separate test set, which may hold a single class.
    """
    if not path.exists():
        raise DatasetError(f"Dataset not found: {path}. Check data.path.")
    if is_archive(path):
        documents, skipped, speculation = _archive_documents(path, opts, reporter, cancel, speculate=True)
        result = _from_documents(documents, fmt, str(path), role, opts.exclude)
        result.warnings = skipped + result.warnings
        result.precleaned = speculation
        return result
    if not path.is_dir():
        raise DatasetError(
            f"{path} is a file, but data.format {fmt!r} reads a folder or an archive. "
            "Choose the dataset folder, or set data.format to 'auto'."
        )
    given = path
    path = descend_wrappers(path)
    notices = (
        [f"{given}: read the dataset inside the wrapper folder {path.relative_to(given)}/."] if path != given else []
    )
    roots = _layout_roots(path, fmt)
    present = {part: root for part, root in roots.items() if root is not None}
    walked = {part: class_listing(root) for part, root in present.items()}
    listing = {part: (classes, loose) for part, (classes, loose, _links) in walked.items()}
    warnings = _outside_link_warnings(path, [link for _c, _l, part_links in walked.values() for link in part_links])
    excluded, ex_notices, ex_warnings = apply_exclusions(
        {p: c for p, (c, _) in listing.items()}, opts.exclude, str(path)
    )
    notices += ex_notices
    warnings += ex_warnings
    for part, (classes, loose) in listing.items():
        warnings += _checked_part(present[part], classes, loose, part if fmt == "split" else role)
    test_root = roots["test"]
    if test_root is not None:
        notices.append(_test_folder_notice(path, test_root))
    result = RawRead(
        TextTable(), warnings=warnings, notices=notices, excluded=excluded, test_source=str(test_root or "")
    )
    _read_class_files(result, {part: classes for part, (classes, _) in listing.items()}, path, opts, reporter, cancel)
    return result


def _checked_part(root: Path, classes: dict[str, list[str]], loose: list[Path], role: str) -> list[str]:
    """Refuse a folder of web pages or without classes; drop empty class folders (the warnings say so)."""
    if not classes and any(f.suffix.lower() in MARKUP_SUFFIXES for f in loose):
        raise markup_error(str(root))
    _check_classes(root, classes, role)
    return _drop_empty_classes(root, classes, loose)


def _layout_roots(path: Path, fmt: str) -> dict[str, Path | None]:
    """The train and test folders: ``path`` itself for 'folders', the two folders of a 'split' layout."""
    if fmt != "split":
        return {"train": path, "test": None}
    dirs = find_split_dirs(path)
    if dirs is None:
        raise DatasetError(
            f"{path}: no train/test folders found (names like 'news-train' and 'news-test'). "
            "Set data.format to 'folders' if this folder holds one folder per class."
        )
    return {"train": dirs[0], "test": dirs[1]}


def _outside_link_warnings(path: Path, links: list[Path]) -> list[str]:
    if not links:
        return []
    shown = ", ".join(str(p) for p in links[:3]) + (", ..." if len(links) > 3 else "")
    return [
        f"{path}: {len(links)} symbolic links that point outside the dataset folder were "
        f"skipped ({shown}); copy the files into the folder to use them."
    ]


def _test_folder_notice(path: Path, test_root: Path) -> str:
    if split_role(path.name) == "train":
        return (
            f"Test set: {test_root}, the folder beside {path.name} (found automatically). Set "
            f"data.test_path to use another one, or data.format = 'folders' to split {path.name} itself."
        )
    return f"Test set: {test_root} (the test folder of this train/test layout)."


def _read_class_files(
    result: RawRead,
    parts: dict[str, dict[str, list[str]]],
    path: Path,
    opts: ReadOptions,
    reporter: Reporter,
    cancel: CancelToken,
) -> None:
    """Read every class file of each part ('train', 'test') into ``result``'s tables, with progress."""
    total = sum(len(files) for classes in parts.values() for files in classes.values())
    progress = ThrottledProgress(reporter, total, f"Reading {path.name}", cancel=cancel)
    done = 0
    for part, classes in parts.items():
        table = TextTable()
        labelled = [(label, file) for label, files in classes.items() for file in files]
        texts = read_documents([file for _label, file in labelled], opts.encoding)
        for (label, file), (text, fallback) in zip(labelled, texts):
            table.append(text, label, file)
            if fallback:
                result.encoding_fallback.append(file)
            done += 1
            progress(done)
        if part == "train":
            result.train = table
        else:
            result.test = table
    result.rows_read = done


READ_THREADS = 8  # reading many small files waits on the disk far more than on the interpreter
_READ_BATCH = 64


def read_documents(files: list[str], encoding: str) -> Iterator[tuple[str, bool]]:
    """(text with normalised newlines, needed a fallback encoding) of every file, in order.

    Batches of files are read and decoded on READ_THREADS threads (file reads release the GIL, so a cold
    disk cache is read in parallel); at most two batches per thread are in flight, so memory stays bounded
    and a caller that stops iterating (cancel) stops the reading after those."""
    from concurrent.futures import ThreadPoolExecutor

    def read(batch: list[str]) -> list[tuple[str, bool]]:
        out = []
        for file in batch:
            with open(file, "rb") as fh:
                data = fh.read()
            text, fallback = decode_document(data, encoding)
            out.append((normalise_newlines(text), fallback))
        return out

    batches = [files[i : i + _READ_BATCH] for i in range(0, len(files), _READ_BATCH)]
    if len(batches) <= 1:
        yield from (doc for batch in batches for doc in read(batch))
        return
    pending: deque = deque()
    with ThreadPoolExecutor(READ_THREADS, thread_name_prefix="dataset-read") as pool:
        try:
            for batch in batches:
                pending.append(pool.submit(read, batch))
                if len(pending) >= 2 * READ_THREADS:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def class_files(root: Path) -> tuple[dict[str, list[Path]], list[Path]]:
    """({class: files}, loose files directly in root). Hidden files and folders are skipped, and so are
    symbolic links that lead out of ``root`` (as archives skip link members): a link to ``/etc/passwd``
    never becomes a document. :func:`class_listing` also lists those links."""
    classes, loose, _links = class_listing(root)
    return {label: [Path(f) for f in files] for label, files in classes.items()}, loose


def outside_links(root: Path) -> list[Path]:
    """The symbolic links under ``root`` (not hidden) that lead out of it, which :func:`class_files` skips."""
    return class_listing(root)[2]


def class_listing(root: Path) -> tuple[dict[str, list[str]], list[Path], list[Path]]:
    """:func:`class_files` (the class files as path strings) and :func:`outside_links`, from one walk."""
    classes: dict[str, list[str]] = {}
    loose: list[Path] = []
    links: list[Path] = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_symlink() and not is_inside(entry, root):
            links.append(entry)
            continue
        if entry.is_dir():
            classes[entry.name], outside = walk_file_names(entry, root, skip_hidden=True)
            links += [Path(link) for link in outside]
        elif entry.is_file():
            loose.append(entry)
    return classes, loose, links


def _check_classes(root: Path | str, classes: dict[str, list], role: str) -> None:
    non_empty = [c for c, files in classes.items() if files]
    what = "test folder" if role == "test" else "folder"
    if not non_empty:
        found = "no class subfolders" if not classes else "class subfolders, but no files in them"
        raise DatasetError(f"{root}: this {what} has {found}. {LAYOUT_HINT}")
    if len(non_empty) < 2 and role == "train":
        raise DatasetError(
            f"{root}: only one class folder ({non_empty[0]!r}); a classifier needs at least 2 classes. "
            f"{LAYOUT_HINT} If each file holds one example per line and is a class of its own, "
            "set data.format = 'lines_per_class'."
        )


def _drop_empty_classes(root: Path | str, classes: dict[str, list], loose: list) -> list[str]:
    """Remove class folders without files; returns the warnings that say so (and about loose files)."""
    warnings = []
    empty = [c for c, files in classes.items() if not files]
    if empty:
        warnings.append(f"{root}: class folders without files were skipped: {', '.join(empty)}.")
    loose = [f for f in loose if not is_note_file(getattr(f, "name", str(f)))]
    if loose:
        warnings.append(
            f"{root}: {_files(len(loose))} directly in the folder (not in a class folder) "
            f"{'was' if len(loose) == 1 else 'were'} ignored."
        )
    for c in empty:
        del classes[c]
    return warnings


def _files(n: int) -> str:
    return plural(n, "file")


def _default_exclusions(parts: dict[str, dict[str, list]], where: str) -> tuple[dict[str, int], list[str], list[str]]:
    """Without data.exclude: leave out a training-only class folder named like unlabelled examples when there
    is a test part; without a test part, only warn about such folders."""
    removed: dict[str, int] = {}
    notices: list[str] = []
    train = parts.get("train", {})
    test = parts.get("test")
    unlabelled = [c for c in train if c.lower() in UNLABELLED_NAMES]
    if test is None:
        warnings = [
            f"{where}: the class folder {c!r} looks like unlabelled examples; if so, leave it out "
            f"with data.exclude = [{c!r}]."
            for c in unlabelled
        ]
        return removed, notices, warnings
    for c in [c for c in unlabelled if c not in test]:
        removed[c] = len(train.pop(c))
        notices.append(
            f"Left out the class folder {c!r} ({_files(removed[c])}): it exists only in the training "
            "data and its name means unlabelled. Set data.exclude = [] to keep it "
            "as a class; its texts can still serve as a corpus to train your own vectors."
        )
    return removed, notices, []


def apply_exclusions(
    parts: dict[str, dict[str, list]], exclude: list[str] | None, where: str
) -> tuple[dict[str, int], list[str], list[str]]:
    """Remove excluded classes from each part's {class: items} (in place).

    ``exclude`` None means the default: a class folder that exists only in the training part while a
    test part exists, and whose name means unlabelled (unsup, unlabeled, unknown ...). Returns
    ({class: items removed}, notices for the summary, warnings).
    """
    if exclude is None:
        return _default_exclusions(parts, where)
    removed: dict[str, int] = {}
    notices: list[str] = []
    warnings: list[str] = []
    for pattern in exclude:
        hits = 0
        for classes in parts.values():
            if classes is None:
                continue
            for c in [c for c in classes if fnmatch.fnmatchcase(c.lower(), pattern.lower())]:
                removed[c] = removed.get(c, 0) + len(classes.pop(c))
                hits += 1
        if not hits:
            warnings.append(f"{where}: data.exclude pattern {pattern!r} matches no class folder.")
    if removed:
        notices.append(
            "Left out by data.exclude: " + ", ".join(f"{c!r} ({_files(n)})" for c, n in removed.items()) + "."
        )
    return removed, notices, warnings


def read_lines_per_class(
    path: Path, opts: ReadOptions, reporter: Reporter, cancel: CancelToken, *, role: str = "train"
) -> RawRead:
    """A folder of files where each file is a class and each line one example (rt-polarity.pos/.neg).

    Lines are split on '\\n' only: these files hold 0x85 bytes (cp1252 '…', NEL in Latin-1) that
    ``str.splitlines()`` would also break on.
    """
    if is_archive(path):
        documents, skipped, _ = _archive_documents(path, opts, reporter, cancel)
        result = _from_documents(documents, "lines_per_class", str(path), role, opts.exclude)
        result.warnings = skipped + result.warnings
        return result
    if not path.is_dir():
        raise DatasetError(
            f"{path} is a file, but data.format 'lines_per_class' reads a folder of files, one "
            "file per class. Choose the folder, or set data.format to 'auto'."
        )
    given = path
    path = descend_wrappers(path)
    found = lines_per_class_files(path)
    if found is None:
        raise DatasetError(
            f"{path}: data.format is 'lines_per_class', but this folder holds neither one file per class folder "
            "nor class files side by side (rt-polarity.pos and rt-polarity.neg, or pos.txt and neg.txt). "
            "Set data.format to 'auto' or 'folders' for one document per file."
        )
    parts = {"train": {c: [f] for c, f in found.items()}}
    excluded, notices, warnings = apply_exclusions(parts, opts.exclude, str(path))
    if path != given:
        notices.insert(0, f"{given}: read the dataset inside the wrapper folder {path.relative_to(given)}/.")
    found = {c: files[0] for c, files in parts["train"].items()}
    _require_two_class_files(found, str(path), role)
    fallback: list[str] = []

    def decoded() -> Iterator[tuple[str, str, str]]:
        for label, file in found.items():
            text, bad = decode_lines(read_bytes(file), opts.encoding, str(file))
            fallback.extend(f"{file}:{n}" for n in bad)
            yield label, text, str(file)

    rows = _class_file_rows(decoded(), cancel)
    names = {c: f.name for c, f in found.items()}
    return _lines_per_class_read(rows, path, names, fallback, warnings, notices, excluded)


def _require_two_class_files(found: dict, where: str, role: str) -> None:
    if len(found) < 2 and role == "train":
        raise DatasetError(
            f"{where}: only one class file ({', '.join(map(repr, found)) or 'none'}); a classifier "
            "needs at least 2 classes."
        )


def _class_file_rows(files: Iterable[tuple[str, str, str]], cancel: CancelToken | None) -> RowCollector:
    """Rows from ``(label, text, source)`` class files, one example per non-blank line.

    Lines are split on '\\n' only: these files hold 0x85 bytes (cp1252 '…', NEL in Latin-1) that
    ``str.splitlines()`` would also break on.
    """
    rows = RowCollector()
    done = 0
    for label, text, source in files:
        for number, line in enumerate(text.split("\n"), start=1):
            done += 1
            if cancel is not None and done % PROGRESS_EVERY == 0:
                cancel.raise_if_cancelled()
            line = line.strip("\r")
            if line.strip():
                rows.add(line, label, f"{source}:{number}")
    return rows


def list_class_folders(path, *, exclude: list[str] | None = None) -> list[dict]:
    """For the GUI's checkable class list: each class folder with its file counts and whether it is left out
    by default (or by ``exclude``). Rows: {name, train_files, test_files, excluded, reason}."""
    path = descend_wrappers(Path(path))
    if is_archive(path):
        raise DatasetError(
            f"{path}: class folders of an archive are listed after importing it "
            "(ImportReport.excluded names those left out)."
        )
    dirs = find_split_dirs(path)
    roots = {"train": dirs[0], "test": dirs[1]} if dirs else {"train": path, "test": None}
    listing = {part: class_files(root)[0] for part, root in roots.items() if root is not None}
    counts = {part: {c: len(f) for c, f in classes.items()} for part, classes in listing.items()}
    excluded, _, _ = apply_exclusions({p: dict(c) for p, c in listing.items()}, exclude, str(path))
    names = list(dict.fromkeys([*counts["train"], *counts.get("test", {})]))
    return [
        {
            "name": c,
            "train_files": counts["train"].get(c, 0),
            "test_files": counts.get("test", {}).get(c, 0),
            "excluded": c in excluded,
            "reason": ("unlabelled, only in train" if exclude is None else "data.exclude") if c in excluded else "",
        }
        for c in names
    ]


# ---- archives -----------------------------------------------------------------------------
def _archive_documents(
    path: Path, opts: ReadOptions, reporter: Reporter, cancel: CancelToken, *, speculate: bool = False
) -> tuple[list[_Document], list[str], parallel.Speculation | None]:
    """The archive's documents, the warnings about what was skipped (see ``archives.py``) and, with
    ``speculate``, the documents cleaned on the pool meanwhile (``parallel.Speculation``)."""
    read = ArchiveRead()
    size = path.stat().st_size
    progress = ThrottledProgress(reporter, size, f"Reading {path.name}", cancel=cancel, unit="B")
    documents = []
    speculation = parallel.Speculation() if speculate and size >= parallel.WARM_BYTES else None
    try:
        for name, data in iter_members(path, read=read, progress=progress, max_total_bytes=opts.max_bytes):
            parts = [p for p in name.split("/") if p]
            if not parts or any(p.startswith(".") or p == "__MACOSX" for p in parts):
                continue
            text, fallback = decode_document(data, opts.encoding)
            document = _Document(parts, normalise_newlines(text), f"{path}!/{name}", fallback)
            documents.append(document)
            if speculation is not None:
                speculation.add(document.source, document.text)
    except BaseException:
        if speculation is not None:
            speculation.cancel()
        raise
    progress(size)
    return documents, read.warnings(path), speculation


def _from_documents(
    documents: list[_Document], fmt: str, archive: str, role: str, exclude: list[str] | None = None
) -> RawRead:
    """Sort archive documents into class tables, after dropping folders that wrap the whole dataset."""
    documents, dropped_notes, wrappers = _strip_common_root(documents)
    is_split = any(len(d.parts) >= 3 and split_role(d.parts[0]) for d in documents)
    if not is_split and fmt in ("folders", "lines_per_class"):
        per_class = _archive_class_files(documents, explicit=fmt == "lines_per_class")
        if per_class is not None:
            return _archive_lines(per_class, archive, role, exclude, wrappers)
    _check_archive_layout(fmt, is_split, archive)
    split_mode = is_split and fmt != "folders"
    by_role = _group_split(documents, archive) if split_mode else {"train": documents}
    result = RawRead(TextTable())
    outside = len(documents) - sum(len(docs) for docs in by_role.values())
    if outside:
        result.warnings.append(
            f"{archive}: {_files(outside)} outside the train/test folders {'was' if outside == 1 else 'were'} ignored."
        )
    grouped, loose_of, roots = _archive_classes(by_role, archive, depth=1 if split_mode else 0)
    excluded, notices, warnings = apply_exclusions(grouped, exclude, archive)
    result.excluded, result.notices, result.warnings = excluded, notices, result.warnings + warnings
    if "test" in roots:
        result.test_source = roots["test"]
        result.notices.append(f"Test set: {roots['test']} (the test folder of this train/test archive).")
    for part, classes in grouped.items():
        _add_archive_part(result, part, classes, loose_of[part], roots[part], archive, part if split_mode else role)
    if wrappers:
        beside = f"; ignored {_files(dropped_notes)} beside it" if dropped_notes else ""
        result.notices.insert(
            0, f"{archive}: read the dataset inside the wrapper folder {'/'.join(wrappers)}/{beside}."
        )
    return result


def _check_archive_layout(fmt: str, is_split: bool, archive: str) -> None:
    """The layouts that ``fmt`` asks for and the archive does not hold."""
    if fmt == "lines_per_class" and not is_split:
        raise DatasetError(
            f"{archive}: data.format is 'lines_per_class', but the archive holds neither one file per class "
            "folder nor class files side by side (rt-polarity.pos and rt-polarity.neg)."
        )
    if fmt == "split" and not is_split:
        raise DatasetError(
            f"{archive}: no train/test folders in the archive (names like 'news-train' and "
            "'news-test'). Set data.format to 'folders' if it holds one folder per class."
        )


def _archive_classes(
    by_role: dict[str, list[_Document]], archive: str, depth: int
) -> tuple[dict[str, dict[str, list[_Document]]], dict[str, list[_Document]], dict[str, str]]:
    """Per part: {class folder: documents}, the documents outside any class folder, and the part's root
    (``depth`` 1 skips the 'name-train' / 'name-test' folder)."""
    grouped: dict[str, dict[str, list[_Document]]] = {}
    loose_of: dict[str, list[_Document]] = {}
    roots: dict[str, str] = {}
    for part, docs in by_role.items():
        classes: dict[str, list[_Document]] = {}
        loose: list[_Document] = []
        for d in docs:
            rel = d.parts[depth:]
            if len(rel) < 2:
                loose.append(d)
                continue
            classes.setdefault(rel[0], []).append(d)
        grouped[part], loose_of[part] = classes, loose
        roots[part] = f"{archive}!/{docs[0].parts[0]}" if depth and docs else archive
    return grouped, loose_of, roots


def _add_archive_part(
    result: RawRead,
    part: str,
    classes: dict[str, list[_Document]],
    loose_docs: list[_Document],
    root: str,
    archive: str,
    role: str,
) -> None:
    """Check one part's class folders and put its table (sorted by class, then path) into ``result``."""
    if not classes and any(d.parts[-1].lower().endswith(MARKUP_SUFFIXES) for d in loose_docs):
        raise markup_error(archive)
    _check_classes(root, classes, role)
    loose = [d for d in loose_docs if not is_note_file(d.parts[-1])]
    if loose:
        result.warnings.append(
            f"{root}: {_files(len(loose))} not inside a class folder {'was' if len(loose) == 1 else 'were'} ignored."
        )
    table = TextTable()
    for label in sorted(classes):
        for d in sorted(classes[label], key=lambda d: d.parts):
            table.append(d.text, label, d.source)
            if d.fallback:
                result.encoding_fallback.append(d.source)
    result.rows_read += len(table)
    if part == "train":
        result.train = table
    else:
        result.test = table


def _archive_class_files(documents: list[_Document], *, explicit: bool) -> dict[str, _Document] | None:
    """{class: document} when an archive holds one file of examples per class (see lines_per_class_files)."""
    docs = [(d.parts, d) for d in documents if not is_note_file(d.parts[-1])]
    nested = [(parts, d) for parts, d in docs if len(parts) >= 2]
    if nested and all(len(parts) == 2 and parts[0] == nested[0][0][0] for parts, _ in nested):
        docs = [(parts[1:], d) for parts, d in nested]  # 'rt-polaritydata/rt-polarity.pos': one wrapper folder
    if len(docs) < 2:
        return None
    if all(len(parts) == 1 for parts, _ in docs):
        names = [parts[0] for parts, _ in docs]
        stems = {n.split(".")[0] for n in names}
        if len(stems) == 1 and all("." in n for n in names):
            found = {n.split(".", 1)[1]: d for n, (_, d) in zip(names, docs)}
        elif explicit and len(stems) == len(names):
            found = {n.split(".")[0]: d for n, (_, d) in zip(names, docs)}
        else:
            return None
        if any(n.lower().endswith(MARKUP_SUFFIXES) for n in names):
            return None
    else:
        groups: dict[str, list[_Document]] = {}
        for parts, d in docs:
            if len(parts) < 2:
                return None
            groups.setdefault(parts[0], []).append(d)
        if len(groups) < 2 or any(len(g) != 1 for g in groups.values()):
            return None
        found = {c: g[0] for c, g in groups.items()}
    if not explicit and any(d.text.count("\n") < LINES_PER_CLASS_MIN_LINES for d in found.values()):
        return None
    return found


def _archive_lines(
    found: dict[str, _Document], archive: str, role: str, exclude: list[str] | None, wrappers: list[str]
) -> RawRead:
    parts = {"train": {c: [d] for c, d in found.items()}}
    excluded, notices, warnings = apply_exclusions(parts, exclude, archive)
    found = {c: docs[0] for c, docs in parts["train"].items()}
    _require_two_class_files(found, archive, role)
    fallback = [d.source for d in found.values() if d.fallback]
    rows = _class_file_rows(((label, d.text, d.source) for label, d in found.items()), None)
    if wrappers:
        notices.insert(0, f"{archive}: read the dataset inside the wrapper folder {'/'.join(wrappers)}/.")
    names = {c: "/".join(d.parts) for c, d in found.items()}
    # Read by the folder reader, so the layout found is said for the loader.
    return _lines_per_class_read(rows, archive, names, fallback, warnings, notices, excluded, layout="lines_per_class")


def _lines_per_class_read(
    rows: RowCollector,
    where: Any,
    names: dict[str, str],
    fallback: list[str],
    warnings: list[str],
    notices: list[str],
    excluded: dict[str, int],
    layout: str = "",
) -> RawRead:
    """The RawRead of a one-file-per-class dataset (folder or archive), with the notice naming each file."""
    notices.append(
        f"{where}: one class per file, one example per line: "
        + ", ".join(f"{c!r} = {n}" for c, n in names.items())
        + "."
    )
    return RawRead(
        rows.table,
        rows_read=rows.rows_read,
        encoding_fallback=fallback,
        warnings=warnings,
        notices=notices,
        excluded=excluded,
        layout=layout,
    )


def _strip_common_root(documents: list[_Document]) -> tuple[list[_Document], int, list[str]]:
    """Drop folders that wrap the whole dataset (``movie_reviews/{pos,neg}/...``), with the top-level files
    (README ...) beside them; returns the documents, how many such top-level files were dropped and the
    wrapper folders' names."""
    dropped = 0
    wrappers: list[str] = []
    while documents:
        nested = [d for d in documents if len(d.parts) >= 2]
        top_files = [d for d in documents if len(d.parts) < 2]
        if not nested or not any(len(d.parts) >= 3 for d in nested):
            break
        first = nested[0].parts[0]
        if split_role(first) or any(d.parts[0] != first for d in nested):
            break
        dropped += len(top_files)
        wrappers.append(first)
        documents = nested
        for d in documents:
            d.parts = d.parts[1:]
    return documents, dropped, wrappers


def _group_split(documents: list[_Document], archive: str) -> dict[str, list[_Document]]:
    groups: dict[str, dict[str, list[_Document]]] = {"train": {}, "test": {}}
    for d in documents:
        role = split_role(d.parts[0]) if len(d.parts) >= 3 else None
        if role:
            groups[role].setdefault(d.parts[0], []).append(d)
    for role, folders in groups.items():
        if len(folders) > 1:
            raise DatasetError(
                f"{archive}: several {role} folders ({', '.join(sorted(folders))}). "
                "Keep one train/test pair per archive."
            )
    if not groups["train"]:
        raise DatasetError(f"{archive}: a test folder but no train folder. {LAYOUT_HINT}")
    result = {"train": next(iter(groups["train"].values()))}
    if groups["test"]:
        result["test"] = next(iter(groups["test"].values()))
    return result
