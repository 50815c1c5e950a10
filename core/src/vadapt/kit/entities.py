"""Entity spans <-> word tags, for token-classification tasks (torch-free).

An example of a token-classification task is ``{"text": str, "entities": [{"start": int,
"end": int, "label": str}, ...]}`` with character offsets (``end`` exclusive) and a
``label`` among the task's entity types (``TaskSpec.labels``). The engine tags *words* —
maximal runs of letters/digits, or one punctuation mark (:func:`words`), the same for
every tokenizer — with BIO (IOB2) or BIOES tags; the model labels the first word piece of
each word and ignores the rest; predictions become spans again with the character
offsets of their first and last word (:func:`spans`).

A word is inside an entity when its first character is (an entity inside one word
tags that word), so entities that begin or end inside a word are moved to word
boundaries, gold and predicted alike, as CoNLL scoring does.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from vadapt.kit.data import DataError

WORD_RE = re.compile(r"\w+|[^\w\s]")
SCHEMES = ("bio", "bioes")
OUTSIDE = "O"


def words(text: str) -> list[tuple[int, int]]:
    """Character (start, end) of each word of ``text``."""
    return [m.span() for m in WORD_RE.finditer(text)]


def tag_names(types: Sequence[str], scheme: str = "bio") -> tuple[str, ...]:
    """The model's classes: ``O``, then ``B-<type>``, ``I-<type>`` (BIOES: also ``E-``,
    ``S-``) for each entity type, in order."""
    if scheme not in SCHEMES:
        raise DataError(f"tagging scheme {scheme!r} is not one of {SCHEMES}")
    prefixes = ("B", "I") if scheme == "bio" else ("B", "I", "E", "S")
    return (OUTSIDE, *(f"{p}-{t}" for t in types for p in prefixes))


def entity_types(tags: Sequence[str]) -> tuple[str, ...]:
    """The entity types of a tag list made by :func:`tag_names`, in order."""
    return tuple(dict.fromkeys(t[2:] for t in tags if t != OUTSIDE))


def scheme_of(tags: Sequence[str]) -> str:
    return "bioes" if any(t.startswith(("E-", "S-")) for t in tags) else "bio"


def check_entities(
    doc: str, text: str, entities: Any, types: Sequence[str]
) -> list[dict[str, Any]]:
    """``entities`` sorted by start, each checked: integer offsets inside the text, not
    empty, not overlapping another, a declared type. ``doc`` names the document."""
    if not isinstance(entities, list):
        raise DataError(f"document {doc}: 'entities' is {type(entities).__name__}, not a list")
    known = set(types)
    out = []
    for e in entities:
        start, end, label = _fields(doc, e)
        if not 0 <= start < end <= len(text):
            raise DataError(
                f"document {doc}: entity [{start}, {end}) is outside its text of {len(text)} "
                "characters (or empty)",
                fix="give character offsets with 0 <= start < end <= len(text)",
            )
        if label not in known:
            raise DataError(
                f"document {doc}: entity type {label!r} at offset {start} is not declared; "
                f"declared: {', '.join(types)}",
                fix="map it to a declared type or drop it",
            )
        out.append({"start": start, "end": end, "label": label})
    out.sort(key=lambda e: (e["start"], e["end"]))
    for a, b in itertools.pairwise(out):
        if b["start"] < a["end"]:
            raise DataError(
                f"document {doc}: entities [{a['start']}, {a['end']}) and "
                f"[{b['start']}, {b['end']}) overlap at offset {b['start']}",
                fix="keep one of overlapping (nested) entities: flat tagging has one tag per word",
            )
    return out


def _fields(doc: str, e: Any) -> tuple[int, int, str]:
    try:
        start, end, label = e["start"], e["end"], e["label"]
    except (TypeError, KeyError):
        raise DataError(
            f"document {doc}: entity {e!r} lacks start, end or label",
            fix='write each entity as {"start": int, "end": int, "label": str}',
        ) from None
    if isinstance(start, bool) or isinstance(end, bool):
        raise DataError(f"document {doc}: entity offsets {start!r}, {end!r} are not integers")
    if not (isinstance(start, (int, np.integer)) and isinstance(end, (int, np.integer))):
        raise DataError(f"document {doc}: entity offsets {start!r}, {end!r} are not integers")
    return int(start), int(end), str(label)


def word_tags(
    offsets: Sequence[tuple[int, int]], entities: Sequence[dict[str, Any]], scheme: str = "bio"
) -> list[str]:
    """One tag per word from checked, sorted ``entities``."""
    tags = [OUTSIDE] * len(offsets)
    starts = np.array([s for s, _ in offsets], dtype=np.int64)
    for e in entities:
        lo = int(np.searchsorted(starts, e["start"], side="left"))
        hi = int(np.searchsorted(starts, e["end"], side="left"))
        if hi <= lo:  # no word starts inside: the word the entity starts in, if any
            if lo == 0 or offsets[lo - 1][1] <= e["start"]:
                continue
            lo, hi = lo - 1, lo
        mark_span(tags, lo, hi, e["label"], scheme)
    return tags


def mark_span(tags: list[str], lo: int, hi: int, label: str, scheme: str) -> None:
    """Tag words ``lo``..``hi - 1`` as one entity of type ``label``."""
    if scheme == "bioes" and hi - lo == 1:
        tags[lo] = f"S-{label}"
        return
    tags[lo] = f"B-{label}"
    for i in range(lo + 1, hi):
        tags[i] = f"I-{label}"
    if scheme == "bioes":
        tags[hi - 1] = f"E-{label}"


def tag_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """(first word, last word + 1, type) of each entity in a tag sequence, read leniently
    like seqeval's default mode: an ``I-`` after ``O`` or another type starts an entity."""
    out: list[tuple[int, int, str]] = []
    start, kind = -1, ""
    for i, tag in enumerate([*tags, OUTSIDE]):
        prefix, _, label = tag.partition("-")
        continues = prefix in ("I", "E") and label == kind and start >= 0
        if start >= 0 and not continues:
            out.append((start, i, kind))
            start, kind = -1, ""
        if prefix in ("B", "S") or (prefix in ("I", "E") and start < 0):
            start, kind = i, label
        if prefix in ("E", "S") and start >= 0:
            out.append((start, i + 1, kind))
            start, kind = -1, ""
    return out


def spans(
    text: str, offsets: Sequence[tuple[int, int]], tags: Sequence[str], scores: Any = None
) -> list[dict[str, Any]]:
    """Predicted entities with character offsets (``start``, ``end``, ``label``, ``text``
    and, given per-word ``scores``, ``score``: the mean over the entity's words)."""
    out = []
    for lo, hi, label in tag_spans(tags):
        start, end = offsets[lo][0], offsets[hi - 1][1]
        item: dict[str, Any] = {"start": start, "end": end, "label": label, "text": text[start:end]}
        if scores is not None:
            item["score"] = float(np.mean(scores[lo:hi]))
        out.append(item)
    return out


def document_tags(example: dict[str, Any], types: Sequence[str], scheme: str) -> list[str]:
    """Gold word tags of one checked example."""
    offsets = words(example["text"])
    return word_tags(offsets, example.get("entities") or [], scheme)
