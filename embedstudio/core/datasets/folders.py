"""One folder per class (`root/<class>/<files>`) and the train/test split layout, on disk or in an archive.

Archives (.tar.gz, .tgz, .zip, ...) are streamed member by member with tarfile/zipfile, never unpacked
to disk: 20 Newsgroups' 18,846 files read in about half a second this way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import DatasetError
from ..fileio import is_inside, walk_files
from ..jobs import CancelToken, Reporter, ThrottledProgress
from .archives import ArchiveRead, iter_members
from .detect import find_split_dirs, is_archive, split_role
from .encoding import decode_document, normalise_newlines
from .model import TextTable
from .raw import RawRead, ReadOptions

LAYOUT_HINT = ("Expected one folder per class (root/<class>/<files>), or 'name-train' and 'name-test' "
               "folders that each hold one folder per class.")


@dataclass
class _Document:
    parts: list[str]   # path inside the dataset root, split on '/'
    text: str
    source: str
    fallback: bool


def read_folder_dataset(path: Path, fmt: str, opts: ReadOptions, reporter: Reporter, cancel: CancelToken,
                        *, role: str = "train") -> RawRead:
    """Read the 'folders' or 'split' layout from a directory or an archive.

    ``role`` is 'test' when ``path`` is a separate test set, which may hold a single class.
    """
    if not path.exists():
        raise DatasetError(f"Dataset not found: {path}. Check data.path.")
    if is_archive(path):
        documents, skipped = _archive_documents(path, opts, reporter, cancel)
        result = _from_documents(documents, fmt, str(path), role)
        result.warnings = skipped + result.warnings
        return result
    if not path.is_dir():
        raise DatasetError(f"{path} is a file, but data.format {fmt!r} reads a folder or an archive. "
                           "Choose the dataset folder, or set data.format to 'auto'.")
    if fmt == "split":
        dirs = find_split_dirs(path)
        if dirs is None:
            raise DatasetError(f"{path}: no train/test folders found (names like 'news-train' and 'news-test'). "
                               "Set data.format to 'folders' if this folder holds one folder per class.")
        roots = {"train": dirs[0], "test": dirs[1]}
    else:
        roots = {"train": path, "test": None}
    listing = {part: class_files(root) for part, root in roots.items() if root is not None}
    warnings: list[str] = []
    links = [link for root in roots.values() if root is not None for link in outside_links(root)]
    if links:
        shown = ", ".join(str(p) for p in links[:3]) + (", ..." if len(links) > 3 else "")
        warnings.append(f"{path}: {len(links)} symbolic links that point outside the dataset folder were "
                        f"skipped ({shown}); copy the files into the folder to use them.")
    for part, (classes, loose) in listing.items():
        _check_classes(roots[part], classes, part if fmt == "split" else role)
        warnings += _drop_empty_classes(roots[part], classes, loose)
    total = sum(len(files) for classes, _ in listing.values() for files in classes.values())
    progress = ThrottledProgress(reporter, total, f"Reading {path.name}", cancel=cancel)
    result = RawRead(TextTable(), warnings=warnings)
    done = 0
    for part, (classes, _) in listing.items():
        table = TextTable()
        for label, files in classes.items():
            for file in files:
                text, fallback = decode_document(file.read_bytes(), opts.encoding)
                table.append(normalise_newlines(text), label, str(file))
                if fallback:
                    result.encoding_fallback.append(str(file))
                done += 1
                progress(done)
        if part == "train":
            result.train = table
        else:
            result.test = table
    result.rows_read = done
    return result


def class_files(root: Path) -> tuple[dict[str, list[Path]], list[Path]]:
    """({class: files}, loose files directly in root). Hidden files and folders are skipped, and so are
    symbolic links that lead out of ``root`` (as archives skip link members): a link to ``/etc/passwd``
    never becomes a document. :func:`outside_links` lists them."""
    classes: dict[str, list[Path]] = {}
    loose: list[Path] = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or (entry.is_symlink() and not is_inside(entry, root)):
            continue
        if entry.is_dir():
            files, _ = walk_files(entry, root)
            classes[entry.name] = [p for p in files if not any(part.startswith(".") for part in p.relative_to(entry).parts)]
        elif entry.is_file():
            loose.append(entry)
    return classes, loose


def outside_links(root: Path) -> list[Path]:
    """The symbolic links under ``root`` (not hidden) that lead out of it, which :func:`class_files` skips."""
    links = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_symlink() and not is_inside(entry, root):
            links.append(entry)
        elif entry.is_dir():
            links += [p for p in walk_files(entry, root)[1]
                      if not any(part.startswith(".") for part in p.relative_to(entry).parts)]
    return links


def _check_classes(root: Path | str, classes: dict[str, list], role: str) -> None:
    non_empty = [c for c, files in classes.items() if files]
    what = "test folder" if role == "test" else "folder"
    if not non_empty:
        found = "no class subfolders" if not classes else "class subfolders, but no files in them"
        raise DatasetError(f"{root}: this {what} has {found}. {LAYOUT_HINT}")
    if len(non_empty) < 2 and role == "train":
        raise DatasetError(
            f"{root}: only one class folder ({non_empty[0]!r}); a classifier needs at least 2 classes. "
            f"{LAYOUT_HINT}")


def _drop_empty_classes(root: Path | str, classes: dict[str, list], loose: list) -> list[str]:
    """Remove class folders without files; returns the warnings that say so (and about loose files)."""
    warnings = []
    empty = [c for c, files in classes.items() if not files]
    if empty:
        warnings.append(f"{root}: class folders without files were skipped: {', '.join(empty)}.")
    if loose:
        warnings.append(f"{root}: {len(loose)} files directly in the folder (not in a class folder) were ignored.")
    for c in empty:
        del classes[c]
    return warnings


# ---- archives -----------------------------------------------------------------------------
def _archive_documents(path: Path, opts: ReadOptions, reporter: Reporter, cancel: CancelToken
                       ) -> tuple[list[_Document], list[str]]:
    """The archive's documents and the warnings about what was skipped (see ``archives.py``)."""
    read = ArchiveRead()
    size = path.stat().st_size
    progress = ThrottledProgress(reporter, size, f"Reading {path.name}", cancel=cancel)
    documents = []
    for name, data in iter_members(path, read=read, progress=progress):
        parts = [p for p in name.split("/") if p]
        if not parts or any(p.startswith(".") or p == "__MACOSX" for p in parts):
            continue
        text, fallback = decode_document(data, opts.encoding)
        documents.append(_Document(parts, normalise_newlines(text), f"{path}!/{name}", fallback))
    progress(size)
    return documents, read.warnings(path)


def _from_documents(documents: list[_Document], fmt: str, archive: str, role: str) -> RawRead:
    """Sort archive documents into class tables, after dropping folders that wrap the whole dataset."""
    documents = _strip_common_root(documents)
    is_split = any(len(d.parts) >= 3 and split_role(d.parts[0]) for d in documents)
    if fmt == "split" and not is_split:
        raise DatasetError(f"{archive}: no train/test folders in the archive (names like 'news-train' and "
                           "'news-test'). Set data.format to 'folders' if it holds one folder per class.")
    split_mode = is_split and fmt != "folders"
    by_role = _group_split(documents, archive) if split_mode else {"train": documents}
    result = RawRead(TextTable())
    outside = len(documents) - sum(len(docs) for docs in by_role.values())
    if outside:
        result.warnings.append(f"{archive}: {outside} files outside the train/test folders were ignored.")
    for part, docs in by_role.items():
        depth = 1 if split_mode else 0  # skip the 'name-train' / 'name-test' folder
        classes: dict[str, list[_Document]] = {}
        loose = 0
        for d in docs:
            rel = d.parts[depth:]
            if len(rel) < 2:
                loose += 1
                continue
            classes.setdefault(rel[0], []).append(d)
        root = f"{archive}!/{docs[0].parts[0]}" if depth and docs else archive
        _check_classes(root, classes, part if split_mode else role)
        if loose:
            result.warnings.append(f"{root}: {loose} files not inside a class folder were ignored.")
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
    return result


def _strip_common_root(documents: list[_Document]) -> list[_Document]:
    while documents and all(len(d.parts) >= 3 for d in documents):
        first = documents[0].parts[0]
        if split_role(first) or any(d.parts[0] != first for d in documents):
            break
        for d in documents:
            d.parts = d.parts[1:]
    return documents


def _group_split(documents: list[_Document], archive: str) -> dict[str, list[_Document]]:
    groups: dict[str, dict[str, list[_Document]]] = {"train": {}, "test": {}}
    for d in documents:
        role = split_role(d.parts[0]) if len(d.parts) >= 3 else None
        if role:
            groups[role].setdefault(d.parts[0], []).append(d)
    for role, folders in groups.items():
        if len(folders) > 1:
            raise DatasetError(f"{archive}: several {role} folders ({', '.join(sorted(folders))}). "
                               "Keep one train/test pair per archive.")
    if not groups["train"]:
        raise DatasetError(f"{archive}: a test folder but no train folder. {LAYOUT_HINT}")
    result = {"train": next(iter(groups["train"].values()))}
    if groups["test"]:
        result["test"] = next(iter(groups["test"].values()))
    return result
