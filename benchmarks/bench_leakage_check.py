"""The class-name leakage check on many one-file classes: the near-linear check against the old
one-regex-per-class version (the anchor, measured in the same run on the same data).

    PYTHONPATH=. python benchmarks/bench_leakage_check.py [--classes 10000] [--anchor-classes 2000]

Prints seconds for both and the ratio; the anchor runs on fewer classes (it is quadratic) and its
time is also extrapolated to the full count (x (N / n)^2).
"""

from __future__ import annotations

import argparse
import re
import time
from collections import defaultdict

from embedstudio.core.datasets import checks
from embedstudio.core.datasets.types import TextTable


def table(n: int) -> tuple[TextTable, list[str]]:
    t = TextTable()
    classes = [f"class{i:05d}" for i in range(n)]
    for i, c in enumerate(classes):
        t.append(f"document {i} about topic {c} with some ordinary words and numbers {i * 7}", c, f"{i}.txt")
    return t, classes


def old_check(table: TextTable, classes: list[str]) -> list[str]:
    """The previous implementation (one regex per class over a fresh sample of all other classes)."""
    by_class: dict[str, list[str]] = defaultdict(list)
    for text, label in zip(table.texts, table.labels):
        by_class[label].append(text)
    spread, k = checks._spread, checks._LABEL_SAMPLE
    leaking = []
    for c in classes:
        own = spread(by_class.get(c, []), k)
        if len(c) < 3 or not own:
            continue
        others = spread([t for o in classes if o != c for t in spread(by_class.get(o, []), 20)], k)
        pattern = re.compile(rf"(?<!\w){re.escape(c)}(?!\w)", re.IGNORECASE)
        own_rate = sum(1 for t in own if pattern.search(t)) / len(own)
        other_rate = sum(1 for t in others if pattern.search(t)) / len(others) if others else 0.0
        if own_rate >= checks.LABEL_IN_TEXT_SHARE and own_rate >= 3 * other_rate:
            leaking.append(c)
    return leaking


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--classes", type=int, default=10_000)
    parser.add_argument("--anchor-classes", type=int, default=2_000)
    args = parser.parse_args()
    small, small_classes = table(args.anchor_classes)
    start = time.perf_counter()
    old = old_check(small, small_classes)
    anchor = time.perf_counter() - start
    start = time.perf_counter()
    new_small = checks._classes_named_in_text(small, small_classes)
    new_small_t = time.perf_counter() - start
    assert new_small == old, "the new check disagrees with the old one"
    full, full_classes = table(args.classes)
    start = time.perf_counter()
    found = checks._classes_named_in_text(full, full_classes)
    new_full = time.perf_counter() - start
    warning = checks.leakage_warnings(full, full_classes, "bench")
    print(
        f"{args.anchor_classes:,} classes: old {anchor:.2f} s, new {new_small_t:.3f} s "
        f"(ratio new/old {new_small_t / anchor:.4f}); same result ({len(old):,} leaking)"
    )
    print(
        f"{args.classes:,} classes: new {new_full:.3f} s; old extrapolated "
        f"{anchor * (args.classes / args.anchor_classes) ** 2:.0f} s; {len(found):,} leaking; "
        f"warning is {len(warning[0]) if warning else 0} characters"
    )


if __name__ == "__main__":
    main()
