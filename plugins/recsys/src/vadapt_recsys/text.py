"""Items and users as text: what the text backbone reads.

An item is ``"The Deer Hunter (1978) | Drama, War"`` (optionally followed by a
popularity word from training counts). A user is their favourite genres over
their whole history, then their most recent items, newest first, so that a
tokenizer's truncation drops the oldest ones: ``"Likes: Drama, Comedy.
Recently watched: Ben-Hur (1959) | Action, Drama; Gandhi (1982) | Drama"``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

from vadapt_recsys.io import Item

_TRAILING_ARTICLE = re.compile(r"^(?P<body>.+), (?P<art>The|A|An|Les|La|Le|Il|Das|Die|Der|El|L')$")
QUERY_PREFIX = "Recently watched: "
PROFILE_PREFIX = "Likes: "


def display_title(title: str) -> str:
    """MovieLens files write 'Deer Hunter, The'; a language model reads 'The Deer Hunter'."""
    m = _TRAILING_ARTICLE.match(title.strip())
    if not m:
        # 'City of Lost Children, The (Cité des enfants perdus, La)' keeps its alias
        head, sep, alias = title.partition(" (")
        m2 = _TRAILING_ARTICLE.match(head.strip())
        if sep and m2:
            return f"{m2['art']} {m2['body']} ({alias}"
        return title.strip()
    art = m["art"]
    return f"{art}{'' if art.endswith(chr(39)) else ' '}{m['body']}"


def item_text(item: Item, tier: str = "") -> str:
    """``tier``: an optional popularity word from training counts (``popularity_tiers``)."""
    head = display_title(item.title)
    if item.year:
        head = f"{head} ({item.year})"
    parts = [head]
    if item.genres:
        parts.append(", ".join(item.genres))
    if tier:
        parts.append(tier)
    return " | ".join(parts)


def popularity_tiers(counts: Mapping[str, int]) -> dict[str, str]:
    """Words for the most-interacted training items (top 2%, 10%, 30% of items with any)."""
    ranked = sorted((c, i) for i, c in counts.items() if c > 0)[::-1]
    n = len(ranked)
    out = {}
    for rank, (_, item) in enumerate(ranked):
        share = (rank + 1) / n
        if share <= 0.02:
            out[item] = "a blockbuster"
        elif share <= 0.10:
            out[item] = "very popular"
        elif share <= 0.30:
            out[item] = "popular"
    return out


def top_genres(genres: Sequence[Sequence[str]], k: int) -> list[str]:
    """The ``k`` most frequent genres over a history (ties: alphabetical)."""
    counts = Counter(g for gs in genres for g in gs)
    return [g for g, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]


def query_text(history: Sequence[str], profile: Sequence[str] = ()) -> str:
    """``history``: item texts, newest first (may hold mask tokens after augmentation);
    ``profile``: the user's favourite genres over their whole history."""
    head = f"{PROFILE_PREFIX}{', '.join(profile)}. " if profile else ""
    if not history:
        return (head + QUERY_PREFIX).strip()
    return head + QUERY_PREFIX + "; ".join(history)
