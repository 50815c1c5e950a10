"""Tabular rows read as text: where each feature sits in the serialised row.

A plugin that serialises rows for a text backbone ("balance: 1,073 dollars; income:
…" or "radius mean 13.5, texture mean 20.1") says how, once, in its split info::

    Splits(..., info={FIELDS_INFO: describe([("balance", "balance"), ...], "; ")})

— every feature in serialisation order with the words that introduce it, and the
separator between features. The manifest keeps the info, so ``vadapt explain`` can
map word attributions back to feature names (:func:`feature_attributions`) for any
row serialised that way, including a user's own rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

FIELDS_INFO = "serialised_fields"


def describe(fields: Sequence[tuple[str, str]], separator: str) -> dict[str, Any]:
    """The split-info entry: ``[(feature name, its phrase in the text), ...]`` in order."""
    if not separator:
        raise ValueError("a serialised row needs a non-empty separator between features")
    return {"separator": separator, "fields": [[str(n), str(p)] for n, p in fields]}


def field_spans(text: str, schema: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """Each feature's character span in ``text``; None when ``text`` is not a row
    serialised with ``schema`` (another count of parts, or a part not starting with its
    feature's phrase)."""
    sep, fields = schema["separator"], schema["fields"]
    spans, start = [], 0
    parts = text.split(sep)
    if len(parts) != len(fields):
        return None
    for part, (name, phrase) in zip(parts, fields, strict=True):
        if not part.lstrip().lower().startswith(phrase.lower()):
            return None
        spans.append({"feature": name, "start": start, "end": start + len(part)})
        start += len(part) + len(sep)
    return spans


def feature_attributions(
    words: Sequence[Mapping[str, Any]], spans: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The summed attribution of the words inside each feature's span, in row order."""
    out = []
    for s in spans:
        inside = [w["attribution"] for w in words if s["start"] <= w["start"] < s["end"]]
        out.append({**s, "attribution": float(sum(inside))})
    return out
