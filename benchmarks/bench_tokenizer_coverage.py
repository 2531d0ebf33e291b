"""GloVe 6B 50d coverage of each shared dataset's training texts, before and after the matched tokenizer.

"Before" is Keras' default standardization (lower case, punctuation deleted: ``old-fashioned`` ->
``oldfashioned``, ``n't`` -> ``nt``), the project's old default; "after" is what ``text.standardize = "auto"``
chooses. For every candidate ``auto`` weighs it prints vocabulary coverage (distinct tokens, the text.max_tokens = 20,000 most
frequent) and token coverage (running tokens) on the same training split ``train`` uses.

    .venv/bin/python benchmarks/bench_tokenizer_coverage.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONFIGS = {"20ng": "examples/20ng-auto.toml", "trec": "examples/trec-auto.toml", "sms": "examples/sms-auto.toml",
           "bbc": "examples/bbc-auto.toml"}
BEFORE = "lower_and_strip_punctuation"


def main() -> int:
    from embedstudio.core.config import load_config
    from embedstudio.core.datasets import load_dataset
    from embedstudio.core.model_inputs import load_vector_source, make_run_splits
    from embedstudio.core.text import candidate_coverage, resolve_standardize

    vectors = None
    print(f"{'data':<6} {'option':<40} {'vocab cov.':>10} {'token cov.':>10}")
    for name, config in CONFIGS.items():
        cfg = load_config(ROOT / config)
        if not Path(cfg.data.path).exists() and "python-package:" not in cfg.data.path:
            print(f"{name}: skipped ({cfg.data.path} is absent)")
            continue
        started = time.monotonic()
        splits = make_run_splits(cfg, load_dataset(cfg.data))
        if vectors is None:
            vectors = load_vector_source(cfg.embedding.vectors[0], None)
        texts = list(splits.train.texts)
        choice = resolve_standardize(cfg.text, texts, [vectors])
        before = candidate_coverage(texts, vectors, BEFORE, max_tokens=cfg.text.max_tokens)
        rows = [("before: " + BEFORE, before)] + [
            (("after:  " if c.standardize == choice.chosen else "        ") + c.standardize, c)
            for c in choice.candidates if c.standardize != BEFORE]
        for label, c in rows:
            print(f"{name:<6} {label:<40} {c.vocab_coverage:>10.3f} {c.token_coverage:>10.3f}")
        print(f"{name:<6} chosen: {choice.chosen} ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
