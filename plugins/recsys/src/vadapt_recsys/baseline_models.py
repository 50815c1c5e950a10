"""The recommender baselines of this plugin, on the same split as the adapter.

- ``most-popular``: training interaction count.
- ``item-knn``: item-item cosine on training co-occurrence (users as the
  co-occurrence context), a user's score for an item being the summed
  similarity to every item in their history.
- ``genre-profile``: cosine between the user's genre distribution and the
  item's genres (content-based, no foundation model): is text worth more than
  genres alone?

Over the sampled candidates each is a :class:`vadapt.kit.Predictions` (one score
array per candidate list) that the core scores like the adapter (``vadapt.kit.score``
+ this plugin's ``evaluate``). The un-adapted backbone over the sampled candidates is
the kit's ``zero-shot`` (cosine of user and item text; listed in ``TaskSpec.baselines``),
and a constant score is the kit's ``majority`` (the random ranking). The
full-catalogue protocol, which ``score`` cannot express, is a finished metrics dict
per baseline under ``<name>.full`` (keys ``recsys.full.*``), ``zero-shot.full``
included. ID-based methods know nothing about items absent from training, so on
``recsys/cold-start`` they score every candidate alike and the tie-aware metrics
give them exactly the random expectation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from scipy import sparse
from vadapt import Splits
from vadapt.kit import Predictions

from vadapt_recsys.catalogue import Catalogue, find_catalogue
from vadapt_recsys.full import cosine_scorer, full_ranking

FULL = ".full"
"""Suffix of a baseline's full-catalogue entry (``most-popular.full``)."""

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


def scorers(catalogue: Catalogue) -> dict[str, ItemScorer]:
    """Each baseline, fitted on what training saw (popularity, interactions, genres)."""
    return {
        "most-popular": most_popular(catalogue),
        "item-knn": ItemKNN(catalogue.train_sequences),
        "genre-profile": genre_profile(catalogue),
    }


def _candidate_scores(fn: ItemScorer, examples: Sequence[dict[str, Any]]) -> list[np.ndarray]:
    return [fn(ex, ex["candidate_items"]) for ex in examples]


def sampled_baselines(splits: Splits, fitted: Mapping[str, ItemScorer]) -> dict[str, Predictions]:
    """Each baseline's scores of every test and validation candidate list.

    ``fitted`` comes from the test split's catalogue: the validation catalogue (the
    same object on next-item, another held-out set on cold-start) carries the same
    training popularity, interactions and genres, and candidates are scored by item id.
    """
    return {
        name: Predictions(
            test=_candidate_scores(fn, splits.test),
            validation=_candidate_scores(fn, splits.validation),
        )
        for name, fn in fitted.items()
    }


def full_baselines(
    examples: Sequence[dict[str, Any]],
    fitted: Mapping[str, ItemScorer],
    encode: Callable[[Sequence[str]], np.ndarray] | None,
) -> dict[str, dict[str, float]]:
    """``recsys.full.*`` of each baseline (and the un-adapted backbone) on ``examples``."""
    out = {name + FULL: full_ranking(_per_item_scorer(fn), examples) for name, fn in fitted.items()}
    if encode is not None:
        out["zero-shot" + FULL] = full_ranking(cosine_scorer(encode), examples)
    return out


def all_baselines(
    splits: Splits, encode: Callable[[Sequence[str]], np.ndarray] | None
) -> dict[str, Predictions | dict[str, float]]:
    """What the ``baselines`` hook returns for a recsys task (nothing without a catalogue)."""
    test = list(splits.test)
    catalogue = find_catalogue(test)
    if catalogue is None or not test:
        return {}
    fitted = scorers(catalogue)
    return {**sampled_baselines(splits, fitted), **full_baselines(test, fitted, encode)}
