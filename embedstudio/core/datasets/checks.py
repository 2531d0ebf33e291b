"""Import-time checks that do not stop an import but that the user must hear about.

Each function returns warning sentences (empty when all is well). They look for what silently
inflates or ruins results: label leakage, duplicates shared by train and test, strong imbalance.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import TypeVar

from .cleaning import count_header_lines
from .types import TextTable, plural

T = TypeVar("T")

IMBALANCE_WARN_RATIO = 5.0
SMALL_CLASS = 5
LEAK_HEADER = "Newsgroups:"
LEAK_SHARE = 0.10  # share of documents still carrying a Newsgroups: line
LABEL_IN_TEXT_SHARE = 0.5  # share of a class's documents that contain the class name
_LABEL_SAMPLE = 200  # documents per class inspected for the label-in-text check


def imbalance_warnings(table: TextTable, classes: list[str], where: str) -> list[str]:
    return imbalance_warnings_from_counts(Counter(table.labels), classes, where)


def imbalance_warnings_from_counts(counts: Mapping[str, int], classes: list[str], where: str) -> list[str]:
    """:func:`imbalance_warnings` from the examples of each class (a chunked read keeps only these)."""
    present = [(int(counts.get(c, 0)), c) for c in classes if counts.get(c, 0)]
    if len(present) < 2:
        return []
    (low, low_c), (high, high_c) = min(present), max(present)
    warnings = []
    if high / low >= IMBALANCE_WARN_RATIO:
        warnings.append(
            f"{where}: the classes are imbalanced: {high_c!r} has {high:,} examples, {low_c!r} only {low:,} "
            f"({high / low:.1f}x). Accuracy will flatter the model; consider training.class_weights = true and "
            "judge it by macro-F1."
        )
    small = [c for n, c in sorted(present) if n < SMALL_CLASS]
    if small:
        warnings.append(
            f"{where}: classes with fewer than {SMALL_CLASS} examples: {', '.join(map(repr, small))}. "
            "They cannot be split into train/validation/test reliably."
        )
    return warnings


def kept_header_warnings(looks_like_mail: bool, stripped_headers: bool) -> list[str]:
    """Mail headers (From:, Organization:, Newsgroups:) identify the class even when no line names it."""
    if not looks_like_mail or stripped_headers:
        return []
    return [
        "The documents start with e-mail/news headers (From:, Subject:, Organization: ...), which often "
        "identify the class: on 20 Newsgroups a linear model scores 0.86 with them and 0.70 without. "
        "Set data.strip_headers = true (or leave it on auto) for honest results."
    ]


def leakage_warnings(table: TextTable, classes: list[str], where: str) -> list[str]:
    warnings = []
    n = len(table)
    if n:
        with_header = count_header_lines(table.texts, LEAK_HEADER)
        if with_header >= LEAK_SHARE * n:
            warnings.append(
                f"{where}: {with_header:,} of {n:,} documents contain a '{LEAK_HEADER}' header line, which names "
                "the class (label leakage: 20 Newsgroups scores 0.86 with headers, 0.70 without). "
                "Set data.strip_headers = true for honest results."
            )
    leaking = _classes_named_in_text(table, classes)
    if leaking:
        shown = ", ".join(repr(c) for c in leaking[:5]) + (
            f" and {len(leaking) - 5:,} more" if len(leaking) > 5 else ""
        )
        warnings.append(
            f"{where}: most documents of {plural(len(leaking), 'class')} contain the class name itself ({shown}), "
            "which leaks the label into the text. Strip headers or other metadata that names the class."
        )
    return warnings


def _classes_named_in_text(table: TextTable, classes: list[str]) -> list[str]:
    """Classes whose name appears in at least half their own documents and far less often elsewhere.

    Near-linear in the sampled text: each sampled document is split into words once, and the class
    names starting at each word are looked up in one index (a word-sequence trie in a dict), instead
    of one regex pass per class over every other class's documents (10,000 one-file classes took 64 s).
    A hit is confirmed with the exact pattern (the name between non-word characters, any case).
    """
    by_class: dict[str, list[str]] = defaultdict(list)
    for text, label in zip(table.texts, table.labels):
        by_class[label].append(text)
    finder = _NameFinder([c for c in classes if len(c) >= 3])
    if not finder.names:
        return []
    # One sample of everyone's documents serves as "elsewhere" for every class (its own documents excluded).
    pool = _spread([(o, t) for o in classes for t in _spread(by_class.get(o, []), 20)], _LABEL_SAMPLE)
    pool_hits: Counter = Counter()
    pool_size: Counter = Counter()
    pool_own_hits: Counter = Counter()
    for label, text in pool:
        found = finder.names_in(text)
        pool_hits.update(found)
        pool_size[label] += 1
        if label in found:
            pool_own_hits[label] += 1
    leaking = []
    for c in classes:
        own = _spread(by_class.get(c, []), _LABEL_SAMPLE)
        if c not in finder.names or not own:
            continue
        own_rate = sum(1 for t in own if c in finder.names_in(t)) / len(own)
        others = len(pool) - pool_size[c]
        other_rate = (pool_hits[c] - pool_own_hits[c]) / others if others else 0.0
        if own_rate >= LABEL_IN_TEXT_SHARE and own_rate >= 3 * other_rate:
            leaking.append(c)
    return leaking


_WORD = re.compile(r"\w+")


class _NameFinder:
    """Which of many names occur in a text, as whole words (case-insensitive), in one pass over its words."""

    def __init__(self, names: list[str]) -> None:
        self.names: set[str] = set()
        self._by_first: dict[str, list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
        self._patterns: dict[str, re.Pattern] = {}
        for name in names:
            words = tuple(_WORD.findall(name.lower()))
            if not words:
                continue
            self.names.add(name)
            self._by_first[words[0]].append((name, words))

    def names_in(self, text: str) -> set[str]:
        words = _WORD.findall(text.lower())
        found: set[str] = set()
        firsts = self._by_first.keys() & set(words)  # most documents start no name at all: done in C
        if not firsts:
            return found
        for i in [i for i, word in enumerate(words) if word in firsts]:
            for name, seq in self._by_first[words[i]]:
                if name not in found and tuple(words[i : i + len(seq)]) == seq and self._exact(name).search(text):
                    found.add(name)
        return found

    def _exact(self, name: str) -> re.Pattern:
        pattern = self._patterns.get(name)
        if pattern is None:
            pattern = self._patterns[name] = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)
        return pattern


def _spread(items: list[T], k: int) -> list[T]:
    step = max(1, len(items) // k)
    return items[::step][:k]


def cross_split_duplicate_warnings(train: TextTable, test: TextTable | None) -> list[str]:
    if test is None or not len(test):
        return []
    seen = set(train.texts)
    shared = sum(1 for t in test.texts if t in seen)
    if not shared:
        return []
    return [
        f"{shared:,} test documents also appear word for word in the training data; test scores will be "
        "optimistic. Remove them from one side."
    ]


def conflicting_label_warnings(table: TextTable, where: str) -> list[str]:
    labels_of: dict[str, set[str]] = defaultdict(set)
    for text, label in zip(table.texts, table.labels):
        labels_of[text].add(label)
    return conflicting_label_count_warnings(sum(1 for labels in labels_of.values() if len(labels) > 1), where)


def conflicting_label_count_warnings(conflicting: int, where: str) -> list[str]:
    """:func:`conflicting_label_warnings` from the count of texts with more than one label."""
    if not conflicting:
        return []
    return [
        f"{where}: {conflicting:,} distinct texts appear with more than one label; no model can get all of them right."
    ]


def fallback_warnings(entries: list[str], encoding: str) -> list[str]:
    if not entries:
        return []
    one = len(entries) == 1
    return [
        f"{len(entries):,} {'file or line was' if one else 'files or lines were'} not valid "
        f"{encoding} and {'was' if one else 'were'} decoded as cp1252/latin-1 instead (first: {entries[0]}). "
        "Check data.encoding if the text looks wrong."
    ]
