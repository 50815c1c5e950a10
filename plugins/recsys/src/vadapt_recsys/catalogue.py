"""The ranking universe of an evaluation split, shared by reference by its examples.

Validation and test examples carry ``example["catalogue"]``: one immutable
object per split (never copied: ``copy``/``deepcopy`` return it unchanged), so
the ``evaluate`` and ``baselines`` hooks and :func:`vadapt_recsys.full_ranking`
can reach every item's text, the training popularity and the training
interactions without the manifest or the examples growing with the catalogue.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np


@dataclass(frozen=True, eq=False)
class Catalogue:
    """Items a split ranks over, plus what training saw.

    ``item_ids``/``texts``: the ranking universe, in a fixed order.
    ``popularity``: training interaction count of every item known to training
    (items outside it count 0). ``train_sequences``: each user's training
    interactions, oldest first (what ID-based baselines may fit on).
    ``item_texts``/``item_genres``: every known item (also outside the universe,
    e.g. warm items in a user's history on the cold-start task).
    """

    name: str
    item_ids: tuple[str, ...]
    texts: tuple[str, ...]
    popularity: Mapping[str, int] = field(repr=False)
    train_sequences: Mapping[str, tuple[str, ...]] = field(repr=False)
    item_texts: Mapping[str, str] = field(repr=False, default_factory=dict)
    item_genres: Mapping[str, tuple[str, ...]] = field(repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.item_ids) != len(self.texts):
            raise ValueError("Catalogue: item_ids and texts differ in length")

    def __copy__(self) -> Catalogue:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Catalogue:
        return self

    def __len__(self) -> int:
        return len(self.item_ids)

    def __repr__(self) -> str:  # stable: may end up in logs or data fingerprints
        return f"Catalogue({self.name!r}, items={len(self)}, sha256={self.fingerprint[:16]})"

    __str__ = __repr__

    @cached_property
    def fingerprint(self) -> str:
        h = hashlib.sha256()
        for i, t in zip(self.item_ids, self.texts, strict=True):
            h.update(f"{i}\t{t}\n".encode())
        return h.hexdigest()

    @cached_property
    def index(self) -> dict[str, int]:
        return {item: i for i, item in enumerate(self.item_ids)}

    @cached_property
    def counts(self) -> np.ndarray:
        """Training popularity of each catalogue item, in catalogue order."""
        return np.array([self.popularity.get(i, 0) for i in self.item_ids], dtype=np.float64)

    @cached_property
    def percentile(self) -> dict[str, float]:
        """Popularity percentile in [0, 1] within the catalogue (ties share the mean rank)."""
        from scipy.stats import rankdata

        if len(self) == 1:
            return {self.item_ids[0]: 1.0}
        ranks = (rankdata(self.counts, method="average") - 1) / (len(self) - 1)
        return dict(zip(self.item_ids, ranks.tolist(), strict=True))

    def text_of(self, item: str) -> str:
        if item in self.item_texts:
            return self.item_texts[item]
        return self.texts[self.index[item]]

    def mask(self, items: Sequence[str]) -> np.ndarray:
        """Boolean mask over the catalogue, True at ``items`` that are in it."""
        m = np.zeros(len(self), dtype=bool)
        idx = [self.index[i] for i in items if i in self.index]
        m[idx] = True
        return m


def find_catalogue(examples: Sequence[dict[str, Any]]) -> Catalogue | None:
    for ex in examples:
        cat = ex.get("catalogue")
        if isinstance(cat, Catalogue):
            return cat
    return None
