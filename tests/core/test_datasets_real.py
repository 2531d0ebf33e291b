"""Real public datasets from ../shared/data (skipped when absent)."""

from collections import Counter

import pytest

from embedstudio.core.config import DataConfig
from embedstudio.core.datasets import (
    dataset_statistics,
    detect_dataset_format,
    load_dataset,
    make_splits,
    preview_table,
)
from embedstudio.core.datasets.cleaning import has_header_block, is_empty_text
from embedstudio.core.jobs import RecordingReporter
from tests.conftest import shared_data

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def newsgroups_path():
    return shared_data("datasets/20news-bydate.tar.gz")


@pytest.fixture(scope="module")
def newsgroups_stripped(newsgroups_path):
    reporter = RecordingReporter()
    return load_dataset(DataConfig(path=str(newsgroups_path)), reporter=reporter), reporter


def sklearn_clean(text: str) -> str:
    from sklearn.datasets._twenty_newsgroups import (
        strip_newsgroup_footer,
        strip_newsgroup_header,
        strip_newsgroup_quoting,
    )

    return strip_newsgroup_quoting(strip_newsgroup_footer(strip_newsgroup_header(text)))


def load_all_rows(path, **kwargs):
    return load_dataset(DataConfig(path=str(path), drop_empty=False, drop_duplicates=False, **kwargs))


@pytest.fixture(scope="module")
def newsgroups_raw(newsgroups_path):
    return load_all_rows(newsgroups_path, strip_headers=False, strip_footers=False, strip_quotes=False)


def test_20newsgroups_raw_counts_match_the_published_split(newsgroups_path, newsgroups_raw):
    ds = newsgroups_raw
    assert detect_dataset_format(newsgroups_path) == "split"
    assert (len(ds.train), len(ds.test)) == (11314, 7532)
    assert len(ds.classes) == 20 and "sci.space" in ds.classes and "comp.graphics" in ds.classes
    assert ds.report.looks_like_mail and not ds.report.stripped_headers
    assert all(has_header_block(t) for t in ds.train.texts)
    # Headers kept: the import must warn that they leak the label. (The bydate release has no
    # Newsgroups: header; From:/Organization: are what leak.)
    assert any("start with e-mail/news headers" in w for w in ds.report.warnings)
    assert len(ds.report.encoding_fallback) > 40  # ISO-8859-1 posts and uuencoded junk, none fatal


def test_20newsgroups_stripping_removes_every_own_header_block(newsgroups_path, newsgroups_raw):
    stripped = load_all_rows(newsgroups_path)
    r = stripped.report
    assert r.looks_like_mail and r.stripped_headers and r.stripped_footers and r.stripped_quotes
    raw_texts = newsgroups_raw.train.texts + newsgroups_raw.test.texts
    texts = stripped.train.texts + stripped.test.texts
    assert newsgroups_raw.train.sources + newsgroups_raw.test.sources == stripped.train.sources + stripped.test.sources
    for raw, clean in zip(raw_texts, texts):
        assert raw.partition("\n\n")[0] not in clean  # the message's own header block is gone
        assert clean == sklearn_clean(raw)  # exactly scikit-learn's remove=(...) protocol
    # That protocol strips only the first header block: 37 reposted/forwarded messages keep a second
    # one with a 'Newsgroups:' line (0.2%). Anything more would mean the stripping broke.
    with_newsgroups_line = sum(t.startswith("Newsgroups:") or "\nNewsgroups:" in t for t in texts)
    assert with_newsgroups_line < 60
    assert sum(t.startswith("Newsgroups:") or "\nNewsgroups:" in t for t in raw_texts) > with_newsgroups_line
    # docs/field-notes.md (empty documents): 310 training and 223 test documents are empty once stripped.
    assert sum(is_empty_text(t) for t in stripped.train.texts) == 310
    assert sum(is_empty_text(t) for t in stripped.test.texts) == 223


def test_20newsgroups_default_import(newsgroups_stripped):
    ds, reporter = newsgroups_stripped
    r = ds.report
    assert r.format == "split" and r.rows_read == 18846 and r.empty_dropped == 533
    assert len(ds.train) + len(ds.test) == 18846 - 533 - r.duplicates_dropped
    assert r.duplicates_dropped < 100
    assert not any("start with e-mail/news headers" in w for w in r.warnings)
    assert reporter.progress_calls and any("stripping headers, footers, quotes" in m for m in reporter.infos)


def test_20newsgroups_splits_and_statistics(newsgroups_stripped):
    ds, _ = newsgroups_stripped
    s = make_splits(ds, validation_fraction=0.1, test_fraction=0.2, seed=1337)
    assert s.test is ds.test and s.warnings == []
    assert len(s.validation) == round(0.1 * len(ds.train))
    assert set(s.validation.labels) == set(ds.classes)
    st = dataset_statistics(s.train, ds.classes)
    assert st.n == len(s.train) and sum(st.class_counts.values()) == st.n
    assert st.empty == 0 and st.duplicates == 0
    assert 50 < st.lengths["p50"] < 400 and st.lengths["max"] > 1000
    assert 1.0 < st.imbalance_ratio < 2.0


def test_20newsgroups_preview_reads_the_first_messages(newsgroups_path):
    pv = preview_table(newsgroups_path, n=5)
    assert pv.format == "split" and len(pv.rows) == 5
    assert pv.rows[0][0] in {"talk.religion.misc", "alt.atheism"} or "." in pv.rows[0][0]


def test_sms_spam_collection():
    path = shared_data("datasets/SMSSpamCollection.tsv")
    raw = load_dataset(DataConfig(path=str(path), drop_duplicates=False, drop_empty=False))
    assert raw.report.format == "tsv" and raw.report.rows_read == 5574 and len(raw.train) == 5574
    assert Counter(raw.train.labels) == {"ham": 4827, "spam": 747}
    ds = load_dataset(DataConfig(path=str(path)))
    assert ds.classes == ["ham", "spam"]
    assert ds.report.duplicates_dropped > 300 and len(ds.train) == 5574 - ds.report.duplicates_dropped - 2
    assert any("imbalanced" in w for w in ds.report.warnings)
    assert not ds.report.looks_like_mail
    pv = preview_table(path, n=3)
    assert pv.columns == ["Label", "SMS"] and pv.has_header and pv.delimiter == "\t"
    assert (pv.suggested_text_column, pv.suggested_label_column) == ("SMS", "Label")


def test_trec_question_classification():
    train, test = shared_data("datasets/trec/TREC.train"), shared_data("datasets/trec/TREC.test")
    assert detect_dataset_format(train) == "colon_label"
    ds = load_dataset(DataConfig(path=str(train), test_path=str(test), drop_duplicates=False))
    assert (len(ds.train), len(ds.test)) == (5452, 500)
    assert ds.classes == ["ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"]
    assert ds.report.encoding_fallback == [f"{train}:66"]
    assert "a sister\xf0city" in ds.train.texts[ds.train.sources.index(f"{train}:66")]  # cp1252 0xF0
    assert ds.train.texts[0] == "How did serfdom develop in and then leave Russia ?"
    assert any("also appear word for word in the training data" in w for w in ds.report.warnings)
