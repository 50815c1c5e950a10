"""Honest baselines on the same split, scored by the same metric code as the adapter.

- ``most-popular``: training interaction count.
- ``item-knn``: item-item cosine on training co-occurrence (users as the
  co-occurrence context), a user's score for an item being the summed
  similarity to every item in their history.
- ``genre-profile``: cosine between the user's genre distribution and the
  item's genres (content-based, no foundation model): is text worth more than
  genres alone?
- ``zero-shot``: the un-adapted backbone, cosine between user text and item text.

Each is reported over the sampled candidates (``recsys.*``) and the full
catalogue (``recsys.full.*``). ID-based methods know nothing about items
absent from training, so on ``recsys/cold-start`` they score every candidate
alike and the tie-aware metrics give them exactly the random expectation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from scipy import sparse

from vadapt_recsys.catalogue import Catalogue, find_catalogue
from vadapt_recsys.full import cosine_scorer, full_ranking
from vadapt_recsys.metrics import sampled_metrics

ItemScorer = Callable[[dict[str, Any], Sequence[str]], np.ndarray]
"""score(example, item_ids) -> one score per item id."""


def most_popular(catalogue: Catalogue) -> ItemScorer:
    pop = catalogue.popularity

    def score(ex: dict[str, Any], items: Sequence[str]) -> np.ndarray:
        return np.array([pop.get(i, 0) for i in items], dtype=np.float64)

    return score


class ItemKNN:
    """Item-item cosine over the binary user x item matrix of training interactions."""

    def __init__(self, train_sequences: Mapping[str, Sequence[str]]) -> None:
        items = sorted({i for seq in train_sequences.values() for i in seq})
        self.index = {item: j for j, item in enumerate(items)}
        rows, cols = [], []
        for u, seq in enumerate(train_sequences.values()):
            for item in set(seq):
                rows.append(u)
                cols.append(self.index[item])
        x = sparse.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(len(train_sequences), len(items))
        )
        norms = np.sqrt(np.asarray(x.sum(axis=0)).reshape(-1))
        self.xn = (x @ sparse.diags(1.0 / np.maximum(norms, 1.0))).tocsr()
        self.xnt = self.xn.T.tocsr()

    def user_scores(self, history: Sequence[str]) -> np.ndarray:
        h = np.zeros(len(self.index))
        for item in set(history):
            j = self.index.get(item)
            if j is not None:
                h[j] = 1.0
        return self.xnt @ (self.xn @ h)

    def __call__(self, ex: dict[str, Any], items: Sequence[str]) -> np.ndarray:
        s = self.user_scores(ex.get("seen") or ex.get("history_items", ()))
        return np.array([s[self.index[i]] if i in self.index else 0.0 for i in items])


def genre_profile(catalogue: Catalogue) -> ItemScorer:
    genres = catalogue.item_genres

    def score(ex: dict[str, Any], items: Sequence[str]) -> np.ndarray:
        history = ex.get("seen") or ex.get("history_items", ())
        profile = Counter(g for i in history for g in genres.get(i, ()))
        norm = np.sqrt(sum(v * v for v in profile.values())) or 1.0
        out = np.zeros(len(items))
        for n, item in enumerate(items):
            gs = genres.get(item, ())
            if gs:
                out[n] = sum(profile.get(g, 0) for g in gs) / (norm * np.sqrt(len(gs)))
        return out

    return score


def _per_item_scorer(fn: ItemScorer):
    def scorer(examples: Sequence[dict[str, Any]], catalogue: Catalogue) -> Iterator[np.ndarray]:
        for ex in examples:
            yield fn(ex, catalogue.item_ids)

    return scorer


def _sampled(fn: ItemScorer, examples: Sequence[dict[str, Any]]) -> dict[str, float]:
    preds = [fn(ex, ex["candidate_items"]) for ex in examples]
    return sampled_metrics(preds, examples)


def zero_shot_sampled(
    encode: Callable[[Sequence[str]], np.ndarray], examples: Sequence[dict[str, Any]]
) -> dict[str, float]:
    texts = sorted({t for ex in examples for t in ex["candidates"]})
    row = {t: n for n, t in enumerate(texts)}
    items = _unit(np.asarray(encode(texts), dtype=np.float32))
    queries = _unit(np.asarray(encode([ex["query"] for ex in examples]), dtype=np.float32))
    preds = [
        items[[row[t] for t in ex["candidates"]]] @ q
        for ex, q in zip(examples, queries, strict=True)
    ]
    return sampled_metrics(preds, examples)


def memoised(
    encode: Callable[[Sequence[str]], np.ndarray],
) -> Callable[[Sequence[str]], np.ndarray]:
    """``encode`` that embeds each distinct text once across calls."""
    cache: dict[str, np.ndarray] = {}

    def cached(texts: Sequence[str]) -> np.ndarray:
        todo = list(dict.fromkeys(t for t in texts if t not in cache))
        if todo:
            for t, row in zip(todo, np.asarray(encode(todo), dtype=np.float32), strict=True):
                cache[t] = row
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([cache[t] for t in texts])

    return cached


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def all_baselines(
    examples: Sequence[dict[str, Any]],
    encode: Callable[[Sequence[str]], np.ndarray] | None,
    *,
    full: bool = True,
) -> dict[str, dict[str, float]]:
    """Every baseline on ``examples`` (a test split of a recsys task)."""
    catalogue = find_catalogue(examples)
    if catalogue is None or not examples:
        return {}
    scorers: dict[str, ItemScorer] = {
        "most-popular": most_popular(catalogue),
        "item-knn": ItemKNN(catalogue.train_sequences),
        "genre-profile": genre_profile(catalogue),
    }
    out: dict[str, dict[str, float]] = {}
    for name, fn in scorers.items():
        out[name] = _sampled(fn, examples)
        if full:
            out[name].update(full_ranking(_per_item_scorer(fn), examples))
    if encode is not None:
        encode = memoised(encode)  # candidate texts and catalogue texts overlap
        out["zero-shot"] = zero_shot_sampled(encode, examples)
        if full:
            out["zero-shot"].update(full_ranking(cosine_scorer(encode), examples))
    return out
