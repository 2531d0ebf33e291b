"""Pure text-cleaning functions for e-mail and Usenet documents.

The three stripping rules follow scikit-learn's ``fetch_20newsgroups(remove=('headers', 'footers',
'quotes'))`` (sklearn/datasets/_twenty_newsgroups.py), applied in the same order, so that 20 Newsgroups
results here are comparable with published ones that use that protocol. Headers name the newsgroup
(``Newsgroups:``, ``Path:``), so keeping them leaks the label: a linear model jumps from 0.70 to 0.86.

The one deliberate difference: :func:`strip_headers` only removes the block before the first blank
line when that block looks like RFC 822 header lines (``Key: value``, at least one of them a known mail
or news field such as ``From:`` or ``Subject:``), so a plain document is never emptied. On 20 Newsgroups
every message starts with headers and the output is identical to scikit-learn's.

Whether the rules are on by default is decided once for the dataset (:func:`looks_like_mail`), and
only from documents that really are messages: a known header field in a header block that a blank
line ends. Dialogues (``Customer: ... / Agent: ...``) or notes (``Note: ...``) are ``Key: value`` lines
too, but name no mail field and have no header block, so they are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# "Key: value" (RFC 822 field names are letters, digits and hyphens).
_HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,60}:(?:\s|$)")
# Field names of RFC 822/5322 mail and RFC 1036/5536 Usenet headers (lower case). A header block must
# hold at least one: "Customer:" or "Q:" lines are not mail headers.
MAIL_HEADER_NAMES = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "sender",
        "reply-to",
        "message-id",
        "in-reply-to",
        "references",
        "keywords",
        "comments",
        "received",
        "return-path",
        "resent-from",
        "resent-to",
        "resent-date",
        "resent-message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "content-disposition",
        "newsgroups",
        "path",
        "lines",
        "organization",
        "followup-to",
        "distribution",
        "expires",
        "approved",
        "summary",
        "nntp-posting-host",
        "nntp-posting-date",
        "xref",
        "x-newsreader",
        "x-mailer",
        "x-sender",
        "x-originating-ip",
        "originator",
    }
)
# Folded header continuation lines start with whitespace; 20NG has messages whose first line is one.
_CONTINUATION_LINE = re.compile(r"^[ \t]+\S")

# scikit-learn's _QUOTE_RE, verbatim: quote-introducing phrases anywhere, quote marks at line start.
_QUOTE_RE = re.compile(r"(writes in|writes:|wrote:|says:|said:|^In article|^Quoted from|^\||^>)")
_ALNUM = re.compile(r"[^\W_]")
_QUOTE_PHRASES = ("writes in", "writes:", "wrote:", "says:", "said:")  # anywhere in a line
_QUOTE_PREFIXES = ("In article", "Quoted from", "|", ">")  # at a line's start

# How many leading lines we inspect when deciding whether a document starts with a header block.
_HEADER_SCAN_LINES = 40


def has_header_block(text: str) -> bool:
    """True when the lines before the first blank line are mostly RFC 822 ``Key: value`` headers.

    Needs at least one header line with a known mail/news field name (:data:`MAIL_HEADER_NAMES`) and at
    least half of the block (continuations count) to look like headers, so prose that merely contains
    "Note: ..." in its first line, or a dialogue of "Customer: ..." lines, does not qualify.
    """
    block = text.partition("\n\n")[0].split("\n")[:_HEADER_SCAN_LINES]
    headers = [line for line in block if _HEADER_LINE.match(line)]
    continuations = sum(1 for line in block if _CONTINUATION_LINE.match(line))
    known = any(line.partition(":")[0].lower() in MAIL_HEADER_NAMES for line in headers)
    return known and len(block) >= 2 and (len(headers) + continuations) * 2 >= len(block)


def is_mail_message(text: str) -> bool:
    """True when ``text`` looks like an RFC 822 message: a header block (:func:`has_header_block`) that a
    blank line ends, with the body after it."""
    return "\n\n" in text and has_header_block(text)


def looks_like_mail(texts: Sequence[str], *, sample: int = 500, threshold: float = 0.5) -> bool:
    """True when at least ``threshold`` of (an evenly spread sample of) the documents are mail/news
    messages (:func:`is_mail_message`)."""
    if not texts:
        return False
    step = max(1, len(texts) // sample)
    picked = texts[::step]
    hits = sum(1 for t in picked if is_mail_message(t))
    return hits >= threshold * len(picked)


def strip_headers(text: str) -> str:
    """Remove everything up to the first blank line, if the document starts with a header block.

    Like scikit-learn, a message that is all headers (no blank line) becomes empty.
    """
    if not has_header_block(text):
        return text
    return text.partition("\n\n")[2]


def strip_footers(text: str) -> str:
    """Remove a signature block: the last blank or all-hyphen line (ignoring trailing blank lines) and after.

    This is scikit-learn's rough heuristic, kept as-is for comparability: it cuts at the last blank
    line too, so the final paragraph of a message without a signature is removed as well. A document
    without any such line (other than its first line) is returned unchanged.
    """
    lines = text.strip().split("\n")
    line_num = 0
    for line_num in range(len(lines) - 1, -1, -1):
        if lines[line_num].strip().strip("-") == "":
            break
    if line_num > 0:
        return "\n".join(lines[:line_num])
    return text


def strip_quotes(text: str) -> str:
    """Remove quoted lines (starting with ``>`` or ``|``) and lines that introduce a quote.

    Introducing lines are those starting with "In article" or "Quoted from", or containing
    "writes:", "writes in", "wrote:", "says:" or "said:" (scikit-learn's rule).
    """
    # The same lines as _QUOTE_RE.search on every line, found with str.find over the whole text (a C scan
    # per phrase instead of the regular expression's engine at every character of every line).
    hits: list[int] = []
    for phrase in _QUOTE_PHRASES:
        at = text.find(phrase)
        while at >= 0:
            hits.append(at)
            at = text.find(phrase, at + 1)
    for prefix in _QUOTE_PREFIXES:
        if text.startswith(prefix):
            hits.append(0)
        at = text.find("\n" + prefix)
        while at >= 0:
            hits.append(at + 1)
            at = text.find("\n" + prefix, at + 1)
    if not hits:
        return text
    hits.sort()
    runs: list[str] = []
    start = 0  # first character of the lines not yet kept or dropped
    dropped_to = -1
    for at in hits:
        if at <= dropped_to:
            continue  # its line is already dropped
        line_start = text.rfind("\n", 0, at) + 1
        line_end = text.find("\n", at)
        line_end = len(text) if line_end < 0 else line_end
        if line_start > start:
            runs.append(text[start : line_start - 1])
        start, dropped_to = line_end + 1, line_end
    if dropped_to < len(text):
        runs.append(text[start:])
    return "\n".join(runs)


def clean_text(
    text: str, *, headers: bool = False, footers: bool = False, quotes: bool = False, lowercase: bool = False
) -> str:
    """Apply the chosen rules in scikit-learn's order: headers, footers, quotes; then lowercase."""
    if headers:
        text = strip_headers(text)
    if footers:
        text = strip_footers(text)
    if quotes:
        text = strip_quotes(text)
    if lowercase:
        text = text.lower()
    return text


def is_empty_text(text: str) -> bool:
    """True when nothing word-like is left: empty, whitespace or punctuation only.

    Such rows become all-padding token sequences, and with a masked average pooling they turn the
    loss into NaN from the first batch (see FIELD-NOTES), so they are dropped by default.
    """
    return _ALNUM.search(text) is None  # [^\W_] is exactly str.isalnum, searched in C


def count_header_lines(texts: Sequence[str], key: str) -> int:
    """How many documents have a line starting with ``key`` (e.g. 'Newsgroups:'): a leakage signal."""
    needle = "\n" + key
    return sum(1 for t in texts if t.startswith(key) or needle in t)


# ---- HTML --------------------------------------------------------------------------------
# A tag: '<br />', '<p class="x">', '</i>': only HTML's own element names, so that e-mail addresses and
# Usenet's '<URL:...>' or '<name@host>' (20 Newsgroups is full of them) and "a < b > c" are never tags.
HTML_ELEMENTS = [
    "a",
    "abbr",
    "address",
    "area",
    "article",
    "aside",
    "audio",
    "b",
    "base",
    "bdi",
    "bdo",
    "big",
    "blink",
    "blockquote",
    "body",
    "br",
    "button",
    "canvas",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "data",
    "dd",
    "del",
    "details",
    "dfn",
    "dialog",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "fieldset",
    "figcaption",
    "figure",
    "font",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "i",
    "iframe",
    "img",
    "input",
    "ins",
    "kbd",
    "label",
    "legend",
    "li",
    "link",
    "main",
    "map",
    "mark",
    "meta",
    "nav",
    "noscript",
    "object",
    "ol",
    "optgroup",
    "option",
    "output",
    "p",
    "param",
    "picture",
    "pre",
    "q",
    "s",
    "samp",
    "script",
    "section",
    "select",
    "small",
    "source",
    "span",
    "strike",
    "strong",
    "style",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "template",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "time",
    "title",
    "tr",
    "track",
    "tt",
    "u",
    "ul",
    "var",
    "video",
    "wbr",
]
_HTML_TAG = re.compile(
    r"</?(?:" + "|".join(sorted(HTML_ELEMENTS, key=len, reverse=True)) + r")(?:\s[^<>@]*)?\s*/?>", re.IGNORECASE
)
# An entity: '&amp;', '&#39;', '&#x27;'; and entities whose '&' was lost in an earlier export
# (' #39;s', ' quot;'), as in the AG News CSV.
_HTML_ENTITY = re.compile(r"&(?:[A-Za-z]{2,8}|#\d{1,6}|#[xX][0-9A-Fa-f]{1,6});")
_BARE_ENTITY = re.compile(r"(?<![&\w])(#\d{2,6}|quot|amp|lt|gt|nbsp|apos);")
HTML_AUTO_SHARE = 0.03  # strip_html on auto turns on when this share of documents holds tags or entities
_HTML_SAMPLE = 2000


def has_html(text: str) -> bool:
    return bool(_HTML_TAG.search(text) or _HTML_ENTITY.search(text) or _BARE_ENTITY.search(text))


def looks_like_html(texts: Sequence[str], *, sample: int = _HTML_SAMPLE, share: float = HTML_AUTO_SHARE) -> bool:
    """True when more than ``share`` of (an evenly spread sample of) the documents hold tags or entities."""
    if not texts:
        return False
    step = max(1, len(texts) // sample)
    picked = texts[::step]
    return sum(1 for t in picked if has_html(t)) > share * len(picked)


def strip_html(text: str) -> str:
    """Tags become a space (so '<br />' separates the words around it); entities are unescaped with
    ``html.unescape``, including those that lost their '&' (' #39;s' -> "'s")."""
    import html

    if "<" in text:
        text = _HTML_TAG.sub(" ", text)
    if ";" in text:
        text = _BARE_ENTITY.sub(lambda m: "&" + m.group(1) + ";", text)
        text = html.unescape(text)
    return text


def clean_batch(
    texts: Sequence[str], html: bool, mail: dict[str, bool], lowercase: bool
) -> tuple[list[str], int, int, int]:
    """The import's cleaning of ``texts`` (HTML if ``html``, then :func:`clean_text` with ``mail``, then
    lowercase): the cleaned texts and how many had HTML cleaned, were changed by the mail rules, and were
    emptied by them. Module level, so that worker processes can run it (``parallel.map_chunks``)."""
    out: list[str] = []
    html_cleaned = mail_cleaned = mail_emptied = 0
    for text in texts:
        if html and has_html(text):
            text = strip_html(text)
            html_cleaned += 1
        stripped = clean_text(text, **mail)
        if stripped != text:
            mail_cleaned += 1
            if is_empty_text(stripped) and not is_empty_text(text):
                mail_emptied += 1
        out.append(stripped.lower() if lowercase else stripped)
    return out, html_cleaned, mail_cleaned, mail_emptied
