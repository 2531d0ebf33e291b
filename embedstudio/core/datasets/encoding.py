"""Decoding bytes with a fallback, so one stray latin-1 byte never stops an import.

Real corpora mix encodings: 20 Newsgroups has ISO-8859-1 posts among ASCII ones, TREC.train has a
few cp1252 bytes. We try the configured encoding first, then cp1252 (what Windows-made "latin-1" files
usually are), then latin-1, which decodes any byte sequence and so can never fail.
"""

from __future__ import annotations

import codecs

from ..errors import DatasetError

FALLBACK_ENCODINGS = ("cp1252", "latin-1")


def check_encoding(encoding: str) -> str:
    """The codec's canonical name, or a DatasetError naming the config field."""
    try:
        return codecs.lookup(encoding or "utf-8").name
    except LookupError:
        raise DatasetError(
            f"data.encoding is {encoding!r}, which Python does not know. "
            "Use a codec name such as utf-8, cp1252 or latin-1."
        ) from None


def decode_document(data: bytes, encoding: str) -> tuple[str, bool]:
    """Decode one whole document; returns (text, needed_fallback)."""
    try:
        return _drop_bom(data.decode(encoding)), False
    except UnicodeDecodeError:
        return _decode_fallback(data), True


def decode_lines(data: bytes, encoding: str, source: str) -> tuple[str, list[int]]:
    """Decode a line-oriented file; falls back line by line.

    Returns the text and the 1-based numbers of the lines that needed the fallback, so the report can
    name them instead of blaming the whole file.
    """
    try:
        return _drop_bom(data.decode(encoding)), []
    except UnicodeDecodeError as exc:
        if not _is_ascii_compatible(encoding):
            # utf-16/32 cannot be split on b"\n", and a cp1252 reading would be garbage.
            raise DatasetError(
                f"{source}: not valid {encoding} ({exc.reason} at byte {exc.start}). "
                "Set data.encoding to the file's real encoding (for example utf-8)."
            ) from None
    parts: list[str] = []
    bad_lines: list[int] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            parts.append(raw.decode(encoding))
        except UnicodeDecodeError:
            parts.append(_decode_fallback(raw))
            bad_lines.append(number)
    return _drop_bom("\n".join(parts)), bad_lines


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _decode_fallback(data: bytes) -> str:
    for enc in FALLBACK_ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _drop_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def _is_ascii_compatible(encoding: str) -> bool:
    name = codecs.lookup(encoding).name
    return not name.startswith(("utf-16", "utf-32"))
