"""Baselines of token-classification tasks, scored like the adapter (torch-free).

``majority``    every word ``O`` (no entity): entity F1 0, the gate's reference.
``dictionary``  the training split's mentions as a gazetteer: a word sequence seen as an
                entity in training is tagged with its most frequent type wherever it
                occurs, longest match first, case-insensitive. A mention is kept only
                when it was an entity in at least a share ``t`` of its occurrences in the
                training text (``t`` chosen on validation entity F1 from
                :data:`PRECISION_GRID`), so words like "study" that are sometimes
                annotated and mostly not do not flood the output.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from vadapt.kit.entities import (
    OUTSIDE,
    document_tags,
    entity_types,
    mark_span,
    scheme_of,
    tag_spans,
    words,
)
from vadapt.kit.predictions import Predictions
from vadapt.types import Splits, TaskSpec

PRECISION_GRID = (0.0, 0.25, 0.5, 0.75)
MAX_WORDS = 8
"""Longest mention (in words) the gazetteer keeps."""

Key = tuple[str, ...]


def all_outside(task: TaskSpec, splits: Splits, labels: Sequence[str]) -> Predictions:
    o = list(labels).index(OUTSIDE)

    def rows(examples: Sequence[dict[str, Any]]) -> list[np.ndarray]:
        out = []
        for ex in examples:
            p = np.zeros((len(words(ex["text"])), len(labels)))
            p[:, o] = 1.0
            out.append(p)
        return out

    return Predictions(test=rows(splits.test), validation=rows(splits.validation))


def dictionary(task: TaskSpec, splits: Splits, labels: Sequence[str]) -> Predictions | None:
    """See the module docstring."""
    from vadapt.kit.scoring import token_classification

    types, scheme = entity_types(labels), scheme_of(labels)
    mentions = _mentions(splits.train, types, scheme)
    if not mentions:
        return None
    share = _entity_share(splits.train, mentions, types, scheme)
    best: tuple[float, float] | None = None
    for t in PRECISION_GRID:
        if not splits.validation:
            best = (0.0, 0.5)
            break
        kept = {k: v for k, v in mentions.items() if share.get(k, 0.0) >= t}
        val = _tag(splits.validation, kept, labels, scheme)
        refs = [document_tags(ex, types, scheme) for ex in splits.validation]
        f1 = token_classification(val, refs, labels)["f1"]
        if best is None or f1 > best[0]:
            best = (f1, t)
    assert best is not None
    kept = {k: v for k, v in mentions.items() if share.get(k, 0.0) >= best[1]}
    return Predictions(
        test=_tag(splits.test, kept, labels, scheme),
        validation=_tag(splits.validation, kept, labels, scheme),
        note=f"{len(kept)} of {len(mentions)} training mentions (entity share >= {best[1]})",
    )


def _key(text: str, offsets: Sequence[tuple[int, int]], lo: int, hi: int) -> Key:
    return tuple(text[s:e].lower() for s, e in offsets[lo:hi])


def _mentions(train: Sequence[dict[str, Any]], types: Sequence[str], scheme: str) -> dict[Key, str]:
    """Each training mention (lowercased words) -> its most frequent type."""
    counts: dict[Key, Counter[str]] = defaultdict(Counter)
    for ex in train:
        offsets = words(ex["text"])
        for lo, hi, label in tag_spans(document_tags(ex, types, scheme)):
            if hi - lo <= MAX_WORDS:
                counts[_key(ex["text"], offsets, lo, hi)][label] += 1
    return {k: c.most_common(1)[0][0] for k, c in counts.items()}


def _entity_share(
    train: Sequence[dict[str, Any]], mentions: dict[Key, str], types: Sequence[str], scheme: str
) -> dict[Key, float]:
    """Per mention: entity occurrences / all occurrences of its words in the training text."""
    longest = max(len(k) for k in mentions)
    seen: Counter[Key] = Counter()
    tagged: Counter[Key] = Counter()
    for ex in train:
        offsets = words(ex["text"])
        low = [ex["text"][s:e].lower() for s, e in offsets]
        for i in range(len(low)):
            for n in range(1, min(longest, len(low) - i) + 1):
                k = tuple(low[i : i + n])
                if k in mentions:
                    seen[k] += 1
        for lo, hi, _ in tag_spans(document_tags(ex, types, scheme)):
            tagged[_key(ex["text"], offsets, lo, hi)] += 1
    return {k: tagged[k] / n for k, n in seen.items() if n}


def _tag(
    examples: Sequence[dict[str, Any]], kept: dict[Key, str], labels: Sequence[str], scheme: str
) -> list[np.ndarray]:
    """Longest-match tagging of each document, as one-hot (words, tags) arrays."""
    index = {t: i for i, t in enumerate(labels)}
    longest = max((len(k) for k in kept), default=0)
    out = []
    for ex in examples:
        offsets = words(ex["text"])
        low = [ex["text"][s:e].lower() for s, e in offsets]
        tags = [OUTSIDE] * len(low)
        i = 0
        while i < len(low):
            sizes = range(min(longest, len(low) - i), 0, -1)
            n = next((n for n in sizes if tuple(low[i : i + n]) in kept), 0)
            if n:
                label = kept[tuple(low[i : i + n])]
                mark_span(tags, i, i + n, label, scheme)
                i += n
            else:
                i += 1
        p = np.zeros((len(low), len(labels)))
        p[np.arange(len(low)), [index[t] for t in tags]] = 1.0
        out.append(p)
    return out
