"""Readers for one-example-per-line files: JSONL, fastText (`__label__X text`), TREC-style (`LABEL:fine text`)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from ..errors import DatasetError
from ..jobs import CancelToken, Reporter
from .columns import check_label_values, pick_columns
from .encoding import decode_lines
from .raw import PROGRESS_EVERY, RawRead, ReadOptions, RowCollector, line_progress, read_bytes
from .types import plural

FASTTEXT_PREFIX = "__label__"
_COLON_LABEL = re.compile(r"^(\w+):(\S+)\s+(.*)$", re.DOTALL)


def decoded_lines(path: Path, opts: ReadOptions) -> tuple[list[str], list[str]]:
    """The file's lines and the 'file:line' entries that needed the fallback decoding."""
    text, bad = decode_lines(read_bytes(path), opts.encoding, str(path))
    return text.split("\n"), [f"{path}:{n}" for n in bad]


def nonblank_lines(
    path: Path, opts: ReadOptions, reporter: Reporter, cancel: CancelToken
) -> tuple[Iterator[tuple[int, str]], list[str]]:
    """(1-based line number, stripped line) for every non-blank line, with progress and cancel; and the
    'file:line' entries that needed the fallback decoding."""
    lines, fallback = decoded_lines(path, opts)
    progress = line_progress(reporter, cancel, len(lines), path)

    def numbered() -> Iterator[tuple[int, str]]:
        for number, line in enumerate(lines, start=1):
            if number % PROGRESS_EVERY == 0:
                progress(number)
            line = line.strip()
            if line:
                yield number, line

    return numbered(), fallback


def read_fasttext(path: Path, opts: ReadOptions, reporter: Reporter, cancel: CancelToken) -> RawRead:
    numbered, fallback = nonblank_lines(path, opts, reporter, cancel)
    rows = RowCollector()
    multi: list[str] = []
    for number, line in numbered:
        labels, text = parse_fasttext_line(line)
        if not labels:
            raise DatasetError(
                f"{path}, line {number}: no '__label__' at the start of the line ({_clip(line)!r}). "
                "fastText lines look like '__label__sports The match ended 2-1'."
            )
        if len(labels) > 1:
            multi.append(f"{path}:{number}")
        rows.add(text, labels[0], f"{path}:{number}")
    warnings = rows.warnings("lines")
    if multi:
        warnings.append(
            f"{plural(len(multi), 'line')} {'carries' if len(multi) == 1 else 'carry'} several __label__ tags; "
            f"only the first was used (first: {multi[0]}). Multi-label classification is not supported."
        )
    return RawRead(rows.table, rows_read=rows.rows_read, encoding_fallback=fallback, warnings=warnings)


def parse_fasttext_line(line: str) -> tuple[list[str], str]:
    """('__label__a __label__b some text') -> (['a', 'b'], 'some text'); no labels -> ([], line)."""
    tokens = line.split()
    labels = []
    for token in tokens:
        if not token.startswith(FASTTEXT_PREFIX):
            break
        labels.append(token[len(FASTTEXT_PREFIX) :])
    return labels, " ".join(tokens[len(labels) :])


def parse_colon_line(line: str) -> tuple[str, str] | None:
    """'DESC:manner How did ...' -> ('DESC', 'How did ...'); None when the line is not of that shape."""
    m = _COLON_LABEL.match(line)
    return (m.group(1), m.group(3)) if m else None


def read_colon_label(path: Path, opts: ReadOptions, reporter: Reporter, cancel: CancelToken) -> RawRead:
    """TREC question classification: 'DESC:manner How did serfdom develop ?' -> label 'DESC' (the coarse class)."""
    numbered, fallback = nonblank_lines(path, opts, reporter, cancel)
    rows = RowCollector()
    for number, line in numbered:
        parsed = parse_colon_line(line)
        if parsed is None:
            raise DatasetError(
                f"{path}, line {number}: expected 'LABEL:fine text' (as in TREC: 'NUM:date When was ...'), "
                f"got {_clip(line)!r}. Fix the line, or choose another data.format."
            )
        rows.add(parsed[1], parsed[0], f"{path}:{number}")
    return RawRead(rows.table, rows_read=rows.rows_read, encoding_fallback=fallback, warnings=rows.warnings("lines"))


def _require_keys(obj: dict, keys: tuple[str, ...], path: Path, number: int) -> None:
    for key in keys:
        if key not in obj:
            present = ", ".join(repr(k) for k in obj) or "none"
            raise DatasetError(
                f"{path}, line {number}: no key {key!r}; the keys present are {present}. "
                "Add it, or choose other keys with data.text_column / data.label_column."
            )


def _several_labels_warning(listed: list[str], label_key: str) -> str:
    return (
        f"{plural(len(listed), 'line')} {'has' if len(listed) == 1 else 'have'} several labels in {label_key!r}; "
        f"only the first was used (first: {listed[0]})."
    )


def read_jsonl(path: Path, opts: ReadOptions, reporter: Reporter, cancel: CancelToken) -> RawRead:
    lines, fallback = decoded_lines(path, opts)
    objects = _parse_objects(path, lines)
    if not objects:
        raise DatasetError(
            f'{path}: no JSON objects found. Each line should be like {{"text": "...", "label": "..."}}.'
        )
    keys = list(objects[0][1])
    for _, obj in objects:
        keys += [k for k in obj if k not in keys]
    cells = [[as_text(obj.get(k, "")) for k in keys] for _, obj in objects]
    tis, li = pick_columns(
        keys, cells[:1000], opts.text_column, opts.label_column, source=f"{path}, line {objects[0][0]}", noun="key"
    )
    text_keys, label_key = [keys[t] for t in tis], keys[li]
    rows = RowCollector()
    listed: list[str] = []
    progress = line_progress(reporter, cancel, len(objects), path)
    labels_seen: list[str] = []
    for i, (number, obj) in enumerate(objects, start=1):
        if i % PROGRESS_EVERY == 0:
            progress(i)
        _require_keys(obj, (*text_keys, label_key), path, number)
        label = obj[label_key]
        if isinstance(label, list):
            if len(label) > 1:
                listed.append(f"{path}:{number}")
            label = label[0] if label else ""
        text = "\n".join(t for t in (as_text(obj[k]) for k in text_keys) if t.strip())
        rows.add(text, as_text(label), f"{path}:{number}")
        if as_text(label).strip():
            labels_seen.append(as_text(label).strip())
    rows.require_labels(str(path), label_key, noun="key")
    check_label_values(labels_seen, label_key, str(path), noun="key")
    warnings = rows.warnings("lines")
    if listed:
        warnings.append(_several_labels_warning(listed, label_key))
    return RawRead(rows.table, rows_read=rows.rows_read, encoding_fallback=fallback, warnings=warnings)


def _parse_objects(path: Path, lines: list[str]) -> list[tuple[int, dict]]:
    objects = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise DatasetError(
                f"{path}, line {number}: not valid JSON ({exc}). Each line must be one "
                "complete JSON object; fix or remove that line."
            ) from None
        except RecursionError:
            raise DatasetError(
                f"{path}, line {number}: the JSON is nested too deeply to read (hundreds of levels of [ or {{). "
                'Each line must be one flat object such as {"text": "...", "label": "..."}; fix or remove that line.'
            ) from None
        if not isinstance(obj, dict):
            raise DatasetError(
                f"{path}, line {number}: a JSON {type(obj).__name__}, not an object. "
                'Each line must look like {"text": "...", "label": "..."}.'
            )
        objects.append((number, obj))
    return objects


def as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _clip(line: str, width: int = 60) -> str:
    return line if len(line) <= width else line[:width] + "…"
