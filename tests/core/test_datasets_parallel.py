"""Import speed-ups that must not change what is imported: the fast tar reader against ``tarfile``, and
cleaning on worker processes against cleaning in this process (and against scikit-learn's functions)."""

import io
import os
import random
import tarfile

import pytest
from sklearn.datasets._twenty_newsgroups import strip_newsgroup_footer, strip_newsgroup_header, strip_newsgroup_quoting

from embedstudio.core.config import DataConfig
from embedstudio.core.datasets import load_dataset, parallel
from embedstudio.core.datasets.archives import ArchiveRead, iter_members
from embedstudio.core.datasets.cleaning import clean_batch
from embedstudio.core.errors import DatasetError
from embedstudio.core.jobs import Cancelled, CancelToken


def _message(rng: random.Random, i: int) -> str:
    words = ["orbit", "launch", "engine", "price", "goal", "vote", "chip", "disk", "mail", "news"]
    body = "\n".join(" ".join(rng.choices(words, k=rng.randint(3, 12))) for _ in range(rng.randint(1, 6)))
    quote = f"In article <{i}@example.org>, someone writes:\n> {rng.choice(words)} quoted\n|also quoted\n"
    sig = "\n--\nSig Line\n" if i % 3 else "\n\nlast paragraph\n"
    return f"From: user{i}@example.org\nSubject: Re: {rng.choice(words)}\nLines: 4\n\n{quote}{body}{sig}"


def _messages(n: int) -> list[str]:
    rng = random.Random(3)
    return [_message(rng, i) for i in range(n)]


def _sklearn(text: str) -> str:
    return strip_newsgroup_quoting(strip_newsgroup_footer(strip_newsgroup_header(text)))


MAIL = {"headers": True, "footers": True, "quotes": True}


def test_cleaning_on_worker_processes_gives_the_texts_of_one_process_and_of_scikit_learn():
    texts = _messages(parallel.MIN_TEXTS + 300)
    chunks = [texts[i : i + parallel.CHUNK] for i in range(0, len(texts), parallel.CHUNK)]
    here = [clean_batch(chunk, False, MAIL, False) for chunk in chunks]
    pooled = list(parallel.map_chunks(clean_batch, iter(chunks), False, MAIL, False, total=len(texts)))
    assert pooled == here
    assert [t for part, *_ in pooled for t in part] == [_sklearn(t) for t in texts]
    if parallel.workers() > 1:
        pool = parallel.pool()
        assert pool is not None
        pids = {pool.submit(os.getpid).result() for _ in range(8)}
        assert os.getpid() not in pids  # the work really ran elsewhere


def test_cancel_stops_the_pooled_cleaning():
    texts = _messages(parallel.MIN_TEXTS)
    chunks = [texts[i : i + parallel.CHUNK] for i in range(0, len(texts), parallel.CHUNK)]
    cancel = CancelToken()
    results = parallel.map_chunks(clean_batch, iter(chunks), False, MAIL, False, total=len(texts), cancel=cancel)
    next(results)
    cancel.cancel()
    with pytest.raises(Cancelled):
        list(results)


def _tar(path, members, fmt=tarfile.GNU_FORMAT):
    with tarfile.open(path, "w:gz", format=fmt) as tf:
        for name, data in members:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.SYMTYPE
                info.linkname = "elsewhere"
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return path


def _tarfile_members(path):
    with tarfile.open(path) as tf:
        return [(m.name, tf.extractfile(m).read()) for m in tf if m.isfile()]


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT])
def test_fast_tar_reader_returns_what_tarfile_returns(tmp_path, fmt):
    long_name = "news/" + "x" * 150 + ".txt" if fmt != tarfile.USTAR_FORMAT else "p" * 90 + "/" + "q" * 90
    members = [
        ("news-train/sci/1", b"first"),
        (long_name, b"long name"),  # GNU: a long-name header; pax: an extended header; ustar: the prefix field
        ("news-train/sci/\xfc.txt", "ü".encode() * 900),
        ("news-train/sci/link", None),
        ("news-train/rec/big", b"y" * (3 << 20)),  # spans several of the reader's blocks
        ("news-train/rec/empty", b""),
        ("news-test/rec/after", b"after the odd header"),
    ]
    path = _tar(tmp_path / "d.tar.gz", members, fmt)
    read = ArchiveRead()
    assert list(iter_members(path, read=read)) == _tarfile_members(path)
    assert read.links == ["news-train/sci/link"]


def test_fast_tar_reader_still_finds_a_cut_off_archive(tmp_path):
    path = _tar(tmp_path / "d.tar.gz", [(f"c{i % 2}/{i}", os.urandom(4000)) for i in range(40)])
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DatasetError, match="damaged or incomplete"):
        list(iter_members(cut))


def test_archive_of_mail_imports_the_texts_scikit_learn_strips(tmp_path):
    texts = _messages(600)
    members = [(f"mail-train/{'ab'[i % 2]}/{i:04d}", t.encode()) for i, t in enumerate(texts[:400])]
    members += [(f"mail-test/{'ab'[i % 2]}/{i:04d}", t.encode()) for i, t in enumerate(texts[400:])]
    ds = load_dataset(DataConfig(path=str(_tar(tmp_path / "mail.tar.gz", members)), drop_duplicates=False))
    expected = sorted(_sklearn(t) for t in texts)
    assert sorted(ds.train.texts + ds.test.texts) == sorted(t for t in expected if t.strip())


def test_cleaning_while_the_archive_is_read_gives_the_same_import(tmp_path, monkeypatch):
    texts = _messages(700)
    members = [(f"mail-train/{'ab'[i % 2]}/{i:04d}", t.encode()) for i, t in enumerate(texts[:500])]
    members += [(f"mail-test/{'ab'[i % 2]}/{i:04d}", t.encode()) for i, t in enumerate(texts[500:])]
    path = _tar(tmp_path / "mail.tar.gz", members)
    plain = load_dataset(DataConfig(path=str(path)))
    monkeypatch.setattr(parallel, "WARM_BYTES", 0)  # speculate on this small archive too
    monkeypatch.setattr(parallel, "CHUNK", 64)
    used = []
    results = parallel.Speculation.results
    monkeypatch.setattr(parallel.Speculation, "results", lambda self: used.append(1) or results(self))
    speculated = load_dataset(DataConfig(path=str(path)))
    assert speculated.train.texts == plain.train.texts and speculated.test.texts == plain.test.texts
    assert speculated.report.mail_cleaned == plain.report.mail_cleaned
    assert speculated.report.mail_emptied == plain.report.mail_emptied
    assert used or parallel.pool() is None
    # Rules other than the speculated ones: the speculation is dropped and the rules are applied as asked.
    kept_quotes = load_dataset(DataConfig(path=str(path), strip_quotes=False))
    assert any("writes:" in t for t in kept_quotes.train.texts)
