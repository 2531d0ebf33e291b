"""fastText ``.bin`` files: the header checked from the first bytes (so the C++/gensim loaders never see a
field no fastText build writes), then read by fastText's own C++ loader (fasttext-wheel), which keeps the
subwords that build vectors for unknown words.

Measured (docs/field-notes.md, benchmarks/bench_fasttext_bin.py): fastText's loader is several times faster
than gensim's ``load_facebook_vectors`` and peaks at about half its memory, since gensim recomputes every
word's vector in numpy over copies of the n-gram matrix. gensim stays the reference the tests compare with
(:func:`read_fasttext_bin_gensim`): the same vectors for known and unknown words."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np

from embedstudio.core.errors import VectorFileError
from embedstudio.core.jobs import CancelToken, Reporter
from embedstudio.core.vectors.formats import (
    FASTTEXT_MAGIC,
    MAX_DIM,
    open_vector_file,
)
from embedstudio.core.vectors.gensim_native import GENSIM_READ_ERRORS, loadable_path, parsed_from_keyed_vectors
from embedstudio.core.vectors.parsed import MAX_LISTED, Parsed


def read_fasttext_bin(
    path: Path, compression: str | None, limit: int | None, reporter: Reporter, cancel: CancelToken
) -> Parsed:
    # From the first bytes, before anything is unpacked or handed to fasttext/gensim (whose loaders
    # die of SIGFPE, MemoryError or OverflowError on some damaged headers).
    with open_vector_file(path) as opened:
        head = opened.stream.read(256)
    check_fasttext_header(head, path.name)
    supervised = is_supervised_fasttext(path)
    if not head.startswith(FASTTEXT_MAGIC) and not supervised:
        # Files from fastText before 0.2 (no magic number, e.g. gensim's lee_fasttext.bin): fasttext-wheel
        # 0.9 refuses them ("wrong file format"), gensim reads them.
        return read_fasttext_bin_gensim(path, compression, limit, reporter, cancel)
    return _read_with_fasttext(path, compression, limit, reporter, cancel, supervised=supervised)


def read_fasttext_bin_gensim(
    path: Path, compression: str | None, limit: int | None, reporter: Reporter, cancel: CancelToken
) -> Parsed:
    """An unsupervised model through gensim's ``load_facebook_vectors``: the reference the fastText path is
    tested against (gensim refuses supervised models)."""
    with open_vector_file(path) as opened:
        check_fasttext_header(opened.stream.read(256), path.name)
    from gensim.models.fasttext import load_facebook_vectors

    reporter.progress(0, None, f"Reading {path.name} (fastText model; no progress is available)")
    # Not through smart_open: gensim 4.4 reads the matrices of a .bin.gz short (np.fromfile on its wrapper).
    with loadable_path(path, compression, reporter, smart_open=False) as loadable:
        _check_fasttext_layout(loadable, path.name)
        try:
            kv = load_facebook_vectors(str(loadable))
        except VectorFileError:
            raise
        except GENSIM_READ_ERRORS as err:
            raise _damaged_fasttext(path, err) from err
    cancel.raise_if_cancelled()
    return parsed_from_keyed_vectors(kv, limit)


def _damaged_fasttext(path: Path, err: BaseException) -> VectorFileError:
    return VectorFileError(
        f"{path.name}: could not read it as a fastText .bin model ({type(err).__name__}: {err}).",
        hint="The file is probably incomplete or damaged; download it again.",
    )


def is_supervised_fasttext(path: Path) -> bool:
    """fastText stores the model kind (1 cbow, 2 skipgram, 3 supervised) among its header fields."""
    with open_vector_file(path) as opened:
        head = opened.stream.read(40)
    offset = 36 if head.startswith(FASTTEXT_MAGIC) else 28  # old files lack the magic and version fields
    return len(head) >= offset + 4 and struct.unpack("<i", head[offset : offset + 4])[0] == 3


_FT_LOSSES = {1: "hs", 2: "ns", 3: "softmax", 4: "ova"}
_FT_MODELS = {1: "cbow", 2: "skipgram", 3: "supervised"}
# The header's 12 ints and 1 double after the magic/version, in file order (fastText's Args::save).
_FT_ARG_KEYS = (
    "dim",
    "ws",
    "epoch",
    "minCount",
    "neg",
    "wordNgrams",
    "loss",
    "model",
    "bucket",
    "minn",
    "maxn",
    "lrUpdateRate",
    "t",
)


def check_fasttext_header(head: bytes, name: str) -> dict[str, Any]:
    """The fastText ``.bin`` header fields from the file's first bytes; VectorFileError naming the first
    field that no fastText build would write (so the C++/gensim loaders never see it)."""
    new_format = head.startswith(FASTTEXT_MAGIC)
    offset = 8 if new_format else 0
    if len(head) < offset + 56 + 12:
        raise VectorFileError(
            f"{name} is truncated: a fastText .bin header needs {offset + 68} bytes, the file "
            f"holds {len(head)}; download it again."
        )
    if new_format:
        version = struct.unpack("<i", head[4:8])[0]
        if version not in (11, 12):
            raise _bad_fasttext_field(name, "version", version, "11 or 12")
    args: dict[str, Any] = dict(zip(_FT_ARG_KEYS, struct.unpack("<12id", head[offset : offset + 56])))
    args["size"], args["nwords"], args["nlabels"] = struct.unpack("<3i", head[offset + 56 : offset + 68])
    _check_ranges(args, name)
    _check_consistency(args, name)
    return args


def _check_ranges(args: dict[str, Any], name: str) -> None:
    """Each header field within what some fastText build writes."""
    checks = [
        ("dim", 1 <= args["dim"] <= MAX_DIM, f"1 to {MAX_DIM:,}"),
        ("ws", args["ws"] >= 1, "at least 1"),
        ("epoch", args["epoch"] >= 1, "at least 1"),
        ("minCount", args["minCount"] >= 0, "0 or more"),
        ("neg", args["neg"] >= 0, "0 or more"),
        ("wordNgrams", 1 <= args["wordNgrams"] <= 100, "1 to 100"),
        ("loss", args["loss"] in _FT_LOSSES, "1 to 4 (hs, ns, softmax, ova)"),
        ("model", args["model"] in _FT_MODELS, "1 to 3 (cbow, skipgram, supervised)"),
        ("bucket", args["bucket"] >= 0, "0 or more"),
        ("minn", 0 <= args["minn"] <= 100, "0 to 100"),
        ("maxn", 0 <= args["maxn"] <= 100, "0 to 100"),
        ("lrUpdateRate", args["lrUpdateRate"] >= 1, "at least 1"),
        ("t", 0.0 <= args["t"] < 1.0, "from 0 up to 1"),
        ("words in the vocabulary (size)", args["size"] >= 1, "at least 1"),
        ("nwords", args["nwords"] >= 0, "0 or more"),
        ("nlabels", args["nlabels"] >= 0, "0 or more"),
    ]
    for field_name, ok, expected in checks:
        if not ok:
            raise _bad_fasttext_field(
                name,
                field_name,
                args[field_name.split("(")[-1].rstrip(")")] if "(" in field_name else args[field_name],
                expected,
            )


def _check_consistency(args: dict[str, Any], name: str) -> None:
    """Header fields that contradict each other."""
    if args["maxn"] > 0 and args["minn"] > args["maxn"]:
        raise VectorFileError(
            f"{name}: the fastText header gives minn {args['minn']} > maxn {args['maxn']}: "
            "character n-grams would be impossible; the header is damaged.",
            hint="Download the model again; if you trained it, check its -minn/-maxn.",
        )
    if args["maxn"] > 0 and args["bucket"] == 0:
        raise VectorFileError(
            f"{name}: the fastText header asks for character n-grams (maxn {args['maxn']}) but "
            "gives bucket 0 (no room for them); fastText itself would crash on it, so the header "
            "is damaged.",
            hint="Download the model again.",
        )
    if args["nwords"] + args["nlabels"] != args["size"]:
        raise VectorFileError(
            f"{name}: the fastText header says the vocabulary holds {args['size']:,} entries but "
            f"{args['nwords']:,} words and {args['nlabels']:,} labels; the header is damaged.",
            hint="Download the model again.",
        )


def _bad_fasttext_field(name: str, field_name: str, value: Any, expected: str) -> VectorFileError:
    return VectorFileError(
        f"{name}: the fastText .bin header gives {field_name} = {value!r}; fastText writes "
        f"{expected}. The file is damaged or not a fastText model.",
        hint="Download the model again.",
    )


def _check_fasttext_layout(path: Path, name: str) -> None:
    """Walk the sections of a fastText ``.bin`` and raise VectorFileError if the file is cut short.

    Layout (fastText's ``FastText::saveModel``): [magic, version], 12 int32 arguments and a double,
    the dictionary (counts, then per entry the word, a NUL, an int64 count and an int8 type, then the
    pruned-index pairs), [a quantisation flag], the input matrix (int64 rows, int64 columns, float32
    data), [a flag] and the output matrix. Bracketed parts are missing in files from before 2017.
    """
    size = path.stat().st_size
    with open(path, "rb") as fh:
        reader = _SectionReader(fh, name, size)
        new_format = reader.take(4, "header") == FASTTEXT_MAGIC
        if new_format:
            reader.take(4, "header")
        else:
            fh.seek(0)
        arguments = reader.take(12 * 4 + 8, "model arguments")
        dim, bucket = struct.unpack("<i", arguments[:4])[0], struct.unpack("<i", arguments[32:36])[0]
        entries, _nwords, _nlabels = struct.unpack("<3i", reader.take(12, "vocabulary header"))
        reader.take(8, "vocabulary header")
        pruned = struct.unpack("<q", reader.take(8, "vocabulary header"))[0] if new_format else 0
        reader.skip_words(entries)
        reader.take(8 * max(pruned, 0), "pruned-index table")
        if new_format and reader.take(1, "input matrix") != b"\x00":
            return  # a quantised (.ftz) matrix has its own layout; fastText checks nothing there either
        rows, cols = struct.unpack("<2q", reader.take(16, "input matrix header"))
        _check_matrix_shape(name, "input", rows, cols, dim, _nwords + bucket)
        reader.take_skipped(rows * cols * 4, f"input matrix ({rows:,} × {cols})")
        if new_format:
            reader.take(1, "output matrix")
        rows, cols = struct.unpack("<2q", reader.take(16, "output matrix header"))
        _check_matrix_shape(name, "output", rows, cols, dim, None)
        reader.take_skipped(rows * cols * 4, f"output matrix ({rows:,} × {cols})")


def _check_matrix_shape(name: str, which: str, rows: int, cols: int, dim: int, expected_rows: int | None) -> None:
    if cols != dim or rows < 0 or (expected_rows is not None and rows != expected_rows):
        want = f"{expected_rows:,} × {dim}" if expected_rows is not None else f"rows × {dim}"
        raise VectorFileError(
            f"{name}: the fastText {which} matrix is {rows:,} × {cols:,}, but the header "
            f"implies {want}; the file is damaged.",
            hint="Download the model again.",
        )


class _SectionReader:
    """Sequential reads that name the section and byte where a fastText file ends too early."""

    def __init__(self, fh: Any, name: str, size: int) -> None:
        self.fh = fh
        self.name = name
        self.size = size

    def _truncated(self, what: str, need: int, start: int) -> VectorFileError:
        return VectorFileError(
            f"{self.name} is truncated: its {what} needs {need:,} bytes from byte {start:,}, but the file ends at "
            f"byte {self.size:,}; the file is incomplete, download it again."
        )

    def take(self, count: int, what: str) -> bytes:
        start = self.fh.tell()
        data = self.fh.read(count)
        if len(data) < count:
            raise self._truncated(what, count, start)
        return data

    def take_skipped(self, count: int, what: str) -> None:
        start = self.fh.tell()
        if start + count > self.size:
            raise self._truncated(what, count, start)
        self.fh.seek(start + count)

    def skip_words(self, entries: int) -> None:
        """Skip ``entries`` vocabulary entries: word bytes, NUL, int64 count, int8 type."""
        start = self.fh.tell()
        buffer, pos = b"", 0
        for _ in range(entries):
            end = buffer.find(b"\x00", pos)
            while end < 0 or end + 10 > len(buffer):
                block = self.fh.read(1 << 20)
                if not block:
                    raise VectorFileError(
                        f"{self.name} is truncated: its vocabulary of {entries:,} words starts at byte {start:,} "
                        f"and runs past the end of the file (byte {self.size:,}); the file is incomplete, "
                        "download it again."
                    )
                buffer, pos = buffer[pos:] + block, 0
                end = buffer.find(b"\x00")
            pos = end + 10
        self.fh.seek(self.fh.tell() - (len(buffer) - pos))


class _FastTextModelSubwords:
    """Builds vectors for unknown words through fasttext-wheel, like gensim's ``get_vector``."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self._dim = model.get_dimension()

    def get_vector(self, word: str | bytes) -> np.ndarray:
        import fasttext_pybind

        out = fasttext_pybind.Vector(self._dim)
        # Bytes, so that words that are not valid UTF-8 (read as Latin-1 here) still find their row.
        self._model.f.getWordVector(out, word if isinstance(word, bytes) else word.encode("utf-8"))
        return np.array(out, dtype=np.float32)

    def fill(self, raw_words: list[bytes], matrix: np.ndarray, reporter: Reporter, cancel: CancelToken) -> None:
        """Every word's vector into ``matrix`` (preallocated: no list of row arrays next to it), as fastText
        builds it (its row plus its character n-grams, averaged)."""
        import fasttext_pybind

        out = fasttext_pybind.Vector(self._dim)
        view = np.array(out, copy=False)  # the Vector's own buffer, refilled by every call
        get = self._model.f.getWordVector
        for start in range(0, len(raw_words), _FILL_BLOCK):
            cancel.raise_if_cancelled()
            reporter.progress(start, len(raw_words), "Building the word vectors")
            for row in range(start, min(start + _FILL_BLOCK, len(raw_words))):
                get(out, raw_words[row])
                matrix[row] = view


_FILL_BLOCK = 16384


def _decoded_words(raw_words: list[bytes]) -> tuple[list[str], list[int]]:
    """The words as text, and the (1-based) numbers of those that are not UTF-8 (read as Latin-1)."""
    words, latin1 = [], []
    for number, raw in enumerate(raw_words, start=1):
        try:
            words.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            words.append(raw.decode("latin-1"))
            latin1.append(number)
    return words, latin1


def _latin1_warning(path: Path, latin1: list[int]) -> str:
    listed = ", ".join(map(str, latin1[:MAX_LISTED])) + (
        f" and {len(latin1) - MAX_LISTED} more" if len(latin1) > MAX_LISTED else ""
    )
    return f"{path.name}: {len(latin1)} words are not valid UTF-8 and were read as Latin-1 (word {listed})."


def _read_with_fasttext(
    path: Path, compression: str | None, limit: int | None, reporter: Reporter, cancel: CancelToken, supervised: bool
) -> Parsed:
    """A fastText model's word vectors through fasttext-wheel's C++ loader (gensim refuses supervised files)."""
    from fasttext.FastText import _FastText

    kind = "supervised fastText model" if supervised else "fastText model"
    reporter.progress(0, None, f"Reading {path.name} ({kind}; no progress is available)")
    with loadable_path(path, compression, reporter, smart_open=False) as loadable:
        # fastText's C++ loader reads a truncated file without complaint, leaving garbage in the matrix.
        _check_fasttext_layout(loadable, path.name)
        try:
            # _FastText directly: fasttext.load_model() only adds a warning printed on stderr.
            model = _FastText(model_path=str(loadable))
        except (ValueError, RuntimeError, MemoryError) as err:
            raise _damaged_fasttext(path, err) from err
    cancel.raise_if_cancelled()
    raw_words = [w.encode("utf-8", "surrogateescape") for w in model.f.getVocab("surrogateescape")[0]]
    if limit is not None:
        raw_words = raw_words[:limit]
    words, latin1 = _decoded_words(raw_words)
    args = model.f.getArgs()
    builder = _FastTextModelSubwords(model)
    subwords = builder if args.maxn > 0 else None
    if subwords is None and not model.f.isQuant():
        # Without subwords a word's vector is its input row (words come before labels).
        matrix = np.array(model.get_input_matrix()[: len(words)], dtype=np.float32)
    else:
        matrix = np.empty((len(raw_words), args.dim), dtype=np.float32)
        builder.fill(raw_words, matrix, reporter, cancel)
    warnings = [_latin1_warning(path, latin1)] if latin1 else []
    if supervised:
        from ..supervised_fasttext import vectors_warning  # "a classifier with N labels", said first

        warnings.insert(0, vectors_warning(model, path))
    return Parsed(
        words=words,
        matrix=np.ascontiguousarray(matrix, dtype=np.float32),
        subword_model=subwords,
        new_warnings=warnings,
    )
