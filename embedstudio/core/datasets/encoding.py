"""Decoding bytes with a fallback, so one stray latin-1 byte never stops an import.

Real corpora mix encodings: 20 Newsgroups has ISO-8859-1 posts among ASCII ones, TREC.train has a
few cp1252 bytes. We try the configured encoding first, then cp1252 (what Windows-made "latin-1" files
usually are), then latin-1, which decodes any byte sequence and so can never fail.
"""

from __future__ import annotations

import codecs

from ..errors import DatasetError

FALLBACK_ENCODINGS = ("cp1252", "latin-1")

# Bytes that text never holds in quantity: C0 controls other than tab, newlines, vertical tab, form feed
# and carriage return, plus DEL. Random or compressed bytes hold them at about 28/256 = 11 %; real text
# (all the shared corpora) at well under 0.1 %, so 5 % of the first 64 KiB separates the two.
_CONTROL_BYTES = bytes([*range(0, 9), *range(14, 32), 127])
_CONTROL_CHARS = dict.fromkeys(_CONTROL_BYTES)  # str.translate: delete them
_BINARY_SAMPLE = 64 * 1024
_BINARY_SHARE = 0.05


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
    name them instead of blaming the whole file. A file that is not text at all (binary, or UTF-16 read
    as an 8-bit encoding) is refused here, before a reader mistakes its bytes for rows.
    """
    check_text_bytes(data, encoding, source)
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


def check_text_bytes(data: bytes, encoding: str, source: str) -> None:
    """Raise a DatasetError when ``data`` does not look like text in an 8-bit or UTF-8 encoding."""
    if not _is_ascii_compatible(encoding):
        return
    sample = data[:_BINARY_SAMPLE]
    if not sample:
        return
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls / len(sample) < _BINARY_SHARE:
        return
    if len(data) <= _BINARY_SAMPLE and not data.decode(encoding, "replace").translate(_CONTROL_CHARS).strip():
        raise no_text_error(source)
    nuls = sample.count(0)
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
        nuls > 0 and nuls >= len(sample) // 4 and max(sample[0::2].count(0), sample[1::2].count(0)) >= 0.9 * nuls
    ):
        raise DatasetError(
            f'{source}: this looks like UTF-16 text, not {encoding}. Set data.encoding = "utf-16" '
            "(--encoding utf-16), or save the file as UTF-8."
        )
    raise DatasetError(
        f"{source}: this is a binary file, not text ({controls} of its first {len(sample)} bytes are control "
        f"characters, for example {_first_control(sample)}). Choose a text file (CSV, TSV, JSONL or fastText "
        "lines), or export the data to one."
    )


def _first_control(sample: bytes) -> str:
    for byte in sample:
        if byte in _CONTROL_BYTES:
            return "NUL" if byte == 0 else f"\\x{byte:02x}"
    return "NUL"  # pragma: no cover - only called when the sample holds control bytes


def no_text_error(source: str) -> DatasetError:
    """The file has bytes but no text: only blank space or separator controls (FS/GS/RS/US, NBSP)."""
    return DatasetError(
        f"{source}: the file holds no text, only blank space or control characters (such as \\x1c/\\x1d). "
        "Choose a file with one example per line or row."
    )


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
