"""Items and users as text: what the text backbone reads.

An item is ``"The Deer Hunter (1978) | Drama, War"``. A user is their most
recent items, newest first, so that a tokenizer's truncation drops the oldest
ones: ``"Recently watched: Ben-Hur (1959) | Action, Drama; Gandhi (1982) | Drama"``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from vadapt_recsys.io import Item

_TRAILING_ARTICLE = re.compile(r"^(?P<body>.+), (?P<art>The|A|An|Les|La|Le|Il|Das|Die|Der|El|L')$")
QUERY_PREFIX = "Recently watched: "


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


def item_text(item: Item) -> str:
    head = display_title(item.title)
    if item.year:
        head = f"{head} ({item.year})"
    if item.genres:
        return f"{head} | {', '.join(item.genres)}"
    return head


def query_text(history: Sequence[str]) -> str:
    """``history``: item texts, newest first (may hold mask tokens after augmentation)."""
    if not history:
        return QUERY_PREFIX.strip()
    return QUERY_PREFIX + "; ".join(history)
