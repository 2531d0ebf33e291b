"""Realistic synthetic vector files for the benchmarks, generated once and reused.

Words look like a real crawl vocabulary: mostly lowercase words of mixed length, capitalised names,
numbers, punctuation tokens, quotes and apostrophes, hyphens, accented and non-Latin words, emoji,
URLs and hashtags. Numbers look like the real formats: GloVe prints 5 decimals without a trailing
space; word2vec's C tool and fastText print 6 decimals each followed by a space; the binary format is
raw little-endian float32 after "word ". Every file stays readable by gensim, which is the reference.

Files go to $EMBEDSTUDIO_BENCH_DIR or /tmp/embedstudio-bench, never into the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

BENCH_DIR = Path(os.environ.get("EMBEDSTUDIO_BENCH_DIR", "/tmp/embedstudio-bench"))
VERSION = 1  # bump when the generator changes, so stale files are not reused
NUMBER_POOL = 1 << 20  # distinct formatted numbers; parsing cost depends on the text, not on reuse

_PUNCTUATION = [
    ",",
    ".",
    '"',
    "'",
    "(",
    ")",
    "-",
    "--",
    "...",
    ":",
    ";",
    "!",
    "?",
    "'s",
    "n't",
    "''",
    "``",
    "&",
    "$",
    "%",
    "#",
    "@",
    "/",
    "\\",
    "*",
    "[",
    "]",
    "{",
    "}",
    "<",
    ">",
    "|",
    "~",
    "^",
    "+",
    "=",
    "_",
    "`",
    "!!",
    "?!",
    "…",
    "—",
    "–",
    "«",
    "»",
    "“",
    "”",
    "‘",
    "’",
    "·",
    "•",
    "€",
    "£",
]
_SYLLABLES = [
    "ba",
    "ka",
    "ti",
    "ro",
    "men",
    "str",
    "ing",
    "ed",
    "tion",
    "al",
    "er",
    "an",
    "the",
    "qu",
    "ph",
    "th",
    "sh",
    "ou",
    "ea",
    "is",
    "ly",
    "ness",
    "pre",
    "con",
    "de",
    "un",
    "re",
    "o",
    "a",
    "i",
]
_ACCENTED = list("éèêëàâäîïôöûüçñøåæœßáíóúãõ")
_SCRIPTS = ["日本語", "中文", "한국어", "русский", "ελληνικά", "עברית", "العربية", "हिन्दी", "ไทย"]
_EMOJI = ["😀", "🙂", "❤", "👍", "🔥", "🎉", "🇫🇷"]


def bench_path(name: str) -> Path:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    return BENCH_DIR / name


def synthetic_words(count: int, seed: int = 1) -> list[str]:
    """``count`` distinct, realistic-looking tokens (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    words: list[str] = []
    seen: set[str] = set()
    for token in _PUNCTUATION:  # frequent tokens come first, as in real files
        _add_unique(token, words, seen)
    kinds = rng.choice(10, size=count * 2, p=[0.55, 0.12, 0.08, 0.05, 0.05, 0.05, 0.04, 0.03, 0.02, 0.01])
    for kind in kinds:
        if len(words) >= count:
            break
        _add_unique(_make_token(int(kind), rng), words, seen)
    serial = 0
    while len(words) < count:  # only for very large counts: plain numbered words
        serial += 1
        _add_unique(f"w{serial}", words, seen)
    return words[:count]


def _add_unique(token: str, words: list[str], seen: set[str]) -> None:
    if token not in seen:
        seen.add(token)
        words.append(token)


def _make_token(kind: int, rng: np.random.Generator) -> str:
    stem = "".join(rng.choice(_SYLLABLES, size=int(rng.integers(1, 6))))
    if kind == 0:
        return stem
    if kind == 1:
        return stem.capitalize()
    if kind == 2:
        return str(int(rng.integers(0, 10 ** int(rng.integers(1, 8))))) + rng.choice(["", "s", ".5", ",000", "%"])
    if kind == 3:
        return stem + rng.choice(["'s", "'", "-" + stem[:3], "n't", "'ll", '"', "."])
    if kind == 4:
        chars = list(stem)
        chars[int(rng.integers(0, len(chars)))] = str(rng.choice(_ACCENTED))
        return "".join(chars)
    if kind == 5:
        return str(rng.choice(_SCRIPTS))[: int(rng.integers(1, 6))] + stem[:2]
    if kind == 6:
        return stem.upper()
    if kind == 7:
        return rng.choice(["#", "@", "http://", "www.", "$"]) + stem + rng.choice(["", ".com", ".org", "_"])
    if kind == 8:
        return '"' + stem + rng.choice(['"', "", "'"])
    return str(rng.choice(_EMOJI)) + rng.choice(["", stem[:3]])


def _number_pool(decimals: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(formatted bytes as an object array, the float values they spell)."""
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(NUMBER_POOL) * 0.4
    values[rng.integers(0, NUMBER_POOL, NUMBER_POOL // 100)] *= 8
    texts = [b"%.*f" % (decimals, v) for v in values]
    return np.array(texts, dtype=object), np.array([float(t) for t in texts])


def write_text_file(
    path: Path, words: list[str], dim: int, *, header: bool, decimals: int, trailing_space: bool, seed: int = 3
) -> None:
    pool, _ = _number_pool(decimals, seed)
    rng = np.random.default_rng(seed + 1)
    tmp = path.with_name(path.name + ".part")
    end = b" \n" if trailing_space else b"\n"
    with open(tmp, "wb", buffering=1 << 22) as fh:
        if header:
            fh.write(b"%d %d\n" % (len(words), dim))
        for start in range(0, len(words), 10000):
            block = words[start : start + 10000]
            picks = rng.integers(0, NUMBER_POOL, size=(len(block), dim))
            lines = [
                word.encode("utf-8") + b" " + b" ".join(pool[row].tolist()) + end for word, row in zip(block, picks)
            ]
            fh.write(b"".join(lines))
    os.replace(tmp, path)


def write_binary_file(path: Path, words: list[str], dim: int, seed: int = 4) -> None:
    """word2vec C-tool binary: header line, then per word ``word<space><dim float32>\\n``."""
    rng = np.random.default_rng(seed)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb", buffering=1 << 22) as fh:
        fh.write(b"%d %d\n" % (len(words), dim))
        for start in range(0, len(words), 10000):
            block = words[start : start + 10000]
            values = (rng.standard_normal((len(block), dim)) * 0.4).astype("<f4")
            fh.write(b"".join(word.encode("utf-8") + b" " + row.tobytes() + b"\n" for word, row in zip(block, values)))
    os.replace(tmp, path)


SPECS = {
    # name: (rows, dim, kind)
    "glove-400k-100d.txt": (400_000, 100, "glove"),
    "word2vec-400k-300d.txt": (400_000, 300, "word2vec-text"),
    "word2vec-400k-300d.bin": (400_000, 300, "word2vec-binary"),
    "word2vec-400k-100d.bin": (400_000, 100, "word2vec-binary"),  # issue 13's query goal: 400k × 100
    "crawl-2M-300d.bin": (2_000_000, 300, "word2vec-binary"),
    # the scaling table of bench_first_open.py: GloVe text with the real glove.6B.50d's dimension
    "glove-100k-50d.txt": (100_000, 50, "glove"),
    "glove-400k-50d.txt": (400_000, 50, "glove"),
    "glove-2M-50d.txt": (2_000_000, 50, "glove"),
    # bench_vector_scaling.py: GloVe text and word2vec binary, dim 100, 100k / 400k / 2M words
    "glove-100k-100d.txt": (100_000, 100, "glove"),
    "glove-2M-100d.txt": (2_000_000, 100, "glove"),
    "word2vec-100k-100d.bin": (100_000, 100, "word2vec-binary"),
    "word2vec-2M-100d.bin": (2_000_000, 100, "word2vec-binary"),
}


def ensure_file(name: str, *, rows: int | None = None) -> Path:
    """The synthetic file ``name`` (see SPECS), generating it on first use.

    ``rows`` overrides the row count (the file name then says so), for quick trial runs.
    """
    spec_rows, dim, kind = SPECS[name]
    rows = rows or spec_rows
    stem, dot, ext = name.partition(".")
    path = bench_path(f"{stem}-v{VERSION}" + (f"-{rows}rows" if rows != spec_rows else "") + dot + ext)
    if path.exists():
        return path
    print(f"generating {path} ({rows:,} × {dim}, {kind}) once; later runs reuse it ...", flush=True)
    words = synthetic_words(rows)
    if kind == "glove":
        write_text_file(path, words, dim, header=False, decimals=5, trailing_space=False)
    elif kind == "word2vec-text":
        write_text_file(path, words, dim, header=True, decimals=6, trailing_space=True)
    else:
        write_binary_file(path, words, dim)
    return path


if __name__ == "__main__":
    import sys

    for file_name in sys.argv[1:] or list(SPECS):
        print(ensure_file(file_name))
