"""Mail/news cleaning rules: the same output as scikit-learn's fetch_20newsgroups(remove=...) helpers."""

from sklearn.datasets._twenty_newsgroups import strip_newsgroup_footer, strip_newsgroup_header, strip_newsgroup_quoting

from embedstudio.core.config import DataConfig
from embedstudio.core.datasets import load_dataset
from embedstudio.core.datasets.cleaning import (
    clean_text,
    count_header_lines,
    has_header_block,
    is_empty_text,
    is_mail_message,
    looks_like_mail,
    strip_footers,
    strip_headers,
    strip_quotes,
)

POST = """From: alice@example.org (Alice)
Subject: Re: Orbit insertion burn
Organization: Example University
Lines: 12
Newsgroups: sci.space

In article <1993Apr5.1234@example.com>, bob@example.com (Bob) writes:
> How long was the burn?
> I could not find it.
|Another quote style.

The burn lasted 214 seconds, according to the press kit.
It was the second attempt after the abort in March.

Regards, Alice
--
Alice Example | Example University | "Ad astra"
"""

FOLDED_HEADERS = """ relay.example.net!news.example.org!alice
Subject: Continuation line first, as in some 20 Newsgroups posts
From: alice@example.org

Body text that stays.
"""


def sklearn_clean(text: str) -> str:
    return strip_newsgroup_quoting(strip_newsgroup_footer(strip_newsgroup_header(text)))


def test_full_cleaning_matches_scikit_learn():
    ours = clean_text(POST, headers=True, footers=True, quotes=True)
    assert ours == sklearn_clean(POST)
    assert "Newsgroups:" not in ours and "Subject:" not in ours
    assert "214 seconds" in ours
    assert "writes:" not in ours and "> How long" not in ours and "|Another" not in ours
    assert "Ad astra" not in ours


def test_each_rule_matches_its_scikit_learn_counterpart():
    assert strip_headers(POST) == strip_newsgroup_header(POST)
    assert strip_footers(POST) == strip_newsgroup_footer(POST)
    assert strip_quotes(POST) == strip_newsgroup_quoting(POST)
    assert strip_headers(FOLDED_HEADERS) == strip_newsgroup_header(FOLDED_HEADERS) == "Body text that stays.\n"


def test_footer_rule_cuts_at_the_last_separator_like_scikit_learn():
    text = "First paragraph.\n\nSecond paragraph.\n-- \nsig line\n\n\n"
    assert strip_footers(text) == "First paragraph.\n\nSecond paragraph."
    # No separator after the first line: unchanged (scikit-learn returns the input as-is).
    assert strip_footers("one line only") == "one line only"
    assert strip_footers("a\nb\nc") == strip_newsgroup_footer("a\nb\nc") == "a\nb\nc"


def test_header_stripping_leaves_plain_documents_alone():
    plain = "Note: this is prose, not a header block.\n\nSecond paragraph."
    assert not has_header_block(plain)
    assert strip_headers(plain) == plain
    # scikit-learn would cut the first paragraph; we only strip real header blocks.
    assert strip_newsgroup_header(plain) == "Second paragraph."


def test_all_header_message_becomes_empty_and_is_detected_as_empty():
    only_headers = "From: a@b.c\nSubject: nothing else\n"
    assert strip_headers(only_headers) == ""
    assert is_empty_text(clean_text(only_headers, headers=True))


def test_quote_intro_phrases_anywhere_in_a_line_are_removed():
    text = "Bob said: hello\nkeep me\nQuoted from the FAQ\nShe wrote: more\nok"
    assert strip_quotes(text) == "keep me\nok"


def test_lowercase_is_applied_after_cleaning():
    assert clean_text("Hello World", lowercase=True) == "hello world"
    assert clean_text("Hello World") == "Hello World"


def test_is_empty_text_counts_punctuation_and_whitespace_as_empty():
    for text in ("", "   \n\t", "... !!! ---", ":-) :-)"):
        assert is_empty_text(text), text
    for text in ("a", " 7 ", "été", "¿Qué?"):
        assert not is_empty_text(text), text


def test_looks_like_mail_needs_most_documents_to_start_with_headers():
    prose = ["Just a sentence.", "Another one: with a colon.", "Third line."]
    assert looks_like_mail([POST, POST, FOLDED_HEADERS])
    assert not looks_like_mail(prose)
    assert looks_like_mail([POST, POST, prose[0]])
    assert not looks_like_mail([POST] + prose)
    assert not looks_like_mail([])


def test_count_header_lines_finds_leaking_newsgroups_lines():
    assert count_header_lines([POST, "Newsgroups: x\n\nbody", "no header"], "Newsgroups:") == 2


DIALOGUE = "Customer: my bill is wrong this month\nAgent: let me check the bill for you\n"


def test_key_value_dialogues_are_not_mail():
    assert not has_header_block(DIALOGUE) and not is_mail_message(DIALOGUE)
    assert not looks_like_mail([DIALOGUE] * 10)
    assert strip_headers(DIALOGUE) == DIALOGUE
    assert not looks_like_mail(["Note: read this\nQ: why\n\nbody"] * 4)  # no known mail field
    # Known fields but no blank line closing the block: not a message for the dataset-wide decision.
    assert not is_mail_message("From: a@b.org\nSubject: hi")
    assert is_mail_message(POST) and is_mail_message(FOLDED_HEADERS)


def _folder(root, texts):
    for label in ("billing", "tech"):
        for i, text in enumerate(texts):
            (root / label).mkdir(parents=True, exist_ok=True)
            (root / label / f"{i}.txt").write_text(text.replace("LABEL", label).replace("N", str(i)))
    return root


def test_dialogue_dataset_is_read_unchanged(tmp_path):
    root = _folder(tmp_path / "d", ["Customer: my LABEL issue N\nAgent: let me help with LABEL\n"] * 8)
    ds = load_dataset(DataConfig(path=str(root)))
    r = ds.report
    assert not r.looks_like_mail and not r.stripped_headers and r.mail_cleaned == 0 and r.empty_dropped == 0
    assert all(t.startswith("Customer: ") and "\nAgent: " in t for t in ds.train.texts)


def test_mail_stripping_counts_changed_and_emptied_documents(tmp_path):
    message = "From: x@y.org\nSubject: LABEL N\nLines: 2\n\nbody of LABEL message N\n> quoted\n"
    root = _folder(tmp_path / "m", [message] * 5 + ["From: a@b.org\nSubject: only headers N\n"])
    ds = load_dataset(DataConfig(path=str(root)))
    r = ds.report
    assert r.looks_like_mail and r.stripped_headers and r.mail_cleaned == 12 and r.mail_emptied == 2
    assert r.empty_after_cleaning == 2 and r.empty_dropped == 2
    notice = next(n for n in r.notices if n.startswith("Mail/news stripping"))
    assert "changed 12 of 12 documents; 2 of them have no text left and were dropped" in notice


def test_strip_quotes_drops_exactly_the_lines_scikit_learn_drops():
    """strip_quotes finds the lines with str.find over the whole text; scikit-learn searches line by line."""
    import random

    from sklearn.datasets._twenty_newsgroups import strip_newsgroup_quoting

    from embedstudio.core.datasets.cleaning import strip_quotes

    pieces = ["a", ">", "|", "In article", " wrote:", "says:", "\n", "\n\n", "said:", " ", "Quoted from"]
    pieces += ["writes in", "writes:", "\r", "writes", "s:", "In ", "é", ""]
    rng = random.Random(7)
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        assert strip_quotes(text) == strip_newsgroup_quoting(text), repr(text)


def test_is_empty_text_agrees_with_str_isalnum_on_every_character():
    from embedstudio.core.datasets.cleaning import is_empty_text

    for code in range(0, 0x110000, 7):
        char = chr(code)
        assert is_empty_text(f" {char}_ ") is not char.isalnum(), hex(code)
