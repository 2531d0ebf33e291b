"""Seeded, stratified train/validation/test splits (scikit-learn's train_test_split)."""

from __future__ import annotations

from collections import Counter

from ..jobs import Reporter
from .types import Dataset, Splits, TextTable, plural


def make_splits(
    dataset: Dataset, *, validation_fraction: float, test_fraction: float, seed: int, reporter: Reporter | None = None
) -> Splits:
    """Split ``dataset`` into train/validation/test.

    A test set that came with the data (a split layout or data.test_path) is kept as the test set and
    ``test_fraction`` is unused; otherwise ``test_fraction`` of the rows become the test set.
    ``validation_fraction`` is a share of the rows available for training. Splits are stratified by
    label; when a class is too small for that, the split falls back to a plain seeded random one and
    says so in ``Splits.warnings``. The row order inside each part is shuffled (seeded), which some
    trainers (fastText) need.
    """
    warnings: list[str] = []
    train = dataset.train
    indices = list(range(len(train)))
    if dataset.test is not None:
        test = dataset.test
        rest = indices
    else:
        rest, test_idx = _split(indices, train.labels, _count(test_fraction, len(indices)), seed, "test", warnings)
        test = train.subset(test_idx)
    given_validation = getattr(dataset, "validation", None)
    if given_validation is not None:
        train_idx, validation = list(rest), given_validation
    else:
        train_idx, val_idx = _split(
            rest, train.labels, _count(validation_fraction, len(indices)), seed, "validation", warnings
        )
        validation = train.subset(val_idx)
    result = Splits(
        train=train.subset(train_idx),
        validation=validation,
        test=test,
        classes=list(dataset.classes),
        warnings=warnings,
    )
    warnings += _missing_class_warnings(result)
    warnings += containment_warnings(result.train, result.validation, "validation", given=given_validation is not None)
    if reporter is not None:
        for message in warnings:
            reporter.warning(message)
    return result


def _count(fraction: float, n: int) -> int:
    return int(round(fraction * n)) if fraction > 0 else 0


def _split(
    indices: list[int], labels: list[str], n_take: int, seed: int, name: str, warnings: list[str]
) -> tuple[list[int], list[int]]:
    """(kept, taken): ``n_take`` of ``indices`` taken out, stratified when possible."""
    if n_take <= 0 or len(indices) < 2:
        return list(indices), []
    n_take = max(1, min(n_take, len(indices) - 1))
    from sklearn.model_selection import train_test_split  # heavy import, only when splitting

    y = [labels[i] for i in indices]
    try:
        kept, taken = train_test_split(indices, test_size=n_take, stratify=y, random_state=seed)
    except ValueError as exc:
        smallest = min(Counter(y).values())
        warnings.append(
            f"The {name} split could not be stratified ({exc}; the smallest class has {smallest} example"
            f"{'s' if smallest != 1 else ''}), so it is a plain random split: class shares may differ "
            "between the parts."
        )
        kept, taken = train_test_split(indices, test_size=n_take, random_state=seed)
    return list(kept), list(taken)


def _missing_class_warnings(splits: Splits) -> list[str]:
    out = []
    for name, table in (("training", splits.train), ("validation", splits.validation), ("test", splits.test)):
        if not len(table):
            continue
        missing = [c for c in splits.classes if c not in set(table.labels)]
        if missing:
            shown = ", ".join(repr(c) for c in missing[:5]) + (" ..." if len(missing) > 5 else "")
            out.append(f"The {name} set has no examples of {plural(len(missing), 'class')} ({shown}).")
    return out


CONTAINMENT_SAMPLE = 200  # validation texts checked against the training texts
CONTAINMENT_WARN_SHARE = 0.2  # warn when this share of them occur inside training texts
CONTAINMENT_SCAN_BYTES = 200_000_000  # bytes searched in all (fewer samples over a big training set) ...
CONTAINMENT_MIN_SAMPLE = 30  # ... but never fewer samples than this
_CONTAINMENT_MIN_WORDS = 2  # one-word texts occur inside something almost always


def contained_share(
    train: TextTable, other: TextTable, *, sample: int = CONTAINMENT_SAMPLE, seed: int = 0
) -> tuple[int, int]:
    """(hits, checked): how many of a sample of ``other``'s texts (of 2+ words) occur inside a training text.

    Phrase-level data (a sentence and its sub-phrases as separate rows) makes a random validation split
    look far better than the test set. One substring search per sampled text over the joined training
    texts keeps this cheap (a few ms per text on 67k phrases).
    """
    import random

    candidates = [t for t in other.texts if len(t.split()) >= _CONTAINMENT_MIN_WORDS]
    if not candidates or not len(train):
        return 0, 0
    haystack = "\x00" + "\x00".join(t.lower() for t in train.texts) + "\x00"
    # Each search scans the whole haystack: keep the total near CONTAINMENT_SCAN_BYTES (0.3 s on 20 Newsgroups).
    sample = min(sample, max(CONTAINMENT_MIN_SAMPLE, CONTAINMENT_SCAN_BYTES // max(1, len(haystack))))
    picked = random.Random(seed).sample(candidates, min(sample, len(candidates)))
    hits = sum(1 for t in picked if t.lower().strip() in haystack)
    return hits, len(picked)


def containment_warnings(train: TextTable, other: TextTable, name: str, *, given: bool = False) -> list[str]:
    hits, checked = contained_share(train, other)
    if not checked or hits < CONTAINMENT_WARN_SHARE * checked:
        return []
    advice = (
        "the given validation file overlaps the training data; check that it is a separate set."
        if given
        else "the validation scores (and early stopping) will be misled. Give a separate validation "
        "file with data.validation_path (the dataset's own dev/validation file if it has one)."
    )
    return [
        f"{hits} of {checked} sampled {name} texts occur inside training texts (phrase-level data, such as "
        f"sentences and their sub-phrases as separate rows?): {advice}"
    ]
