"""Tabular rows to text for a text backbone, and back again after augmentation.

A row is kept twice in an example: ``features`` (raw values, for baselines and
for augmentation) and ``text`` (what the backbone reads). ``serialise`` is the
only way text is made from features, so augmented rows are re-serialised with
exactly the training-time format. Numeric features may carry their decile among
the TRAINING rows (``bins``: 9 inner edges per feature, fitted on train only):
a word-piece tokenizer splits "1073" into pieces that carry little magnitude,
and "decile 8 of 10" gives the model an ordinal token to learn from.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_number(value: float) -> str:
    """Compact, tokenizer-friendly: integers with thousands separators, small values 2-3 digits."""
    a = abs(value)
    if a >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    if a >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def decile(value: float, edges: Sequence[float]) -> int:
    return int(np.searchsorted(np.asarray(edges), value, side="right")) + 1


def fit_bins(rows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> dict[str, list[float]]:
    """Inner decile edges of each numeric feature over ``rows`` (the training rows only)."""
    bins: dict[str, list[float]] = {}
    for name in names:
        vals = np.asarray([r[name] for r in rows if not is_missing(r[name])], dtype=float)
        if len(vals) >= 10 and len(np.unique(vals)) > 2:
            bins[name] = [float(x) for x in np.quantile(vals, np.linspace(0.1, 0.9, 9))]
    return bins


def serialise(
    features: Mapping[str, Any],
    phrases: Mapping[str, str],
    bins: Mapping[str, Sequence[float]] | None = None,
    units: Mapping[str, str] | None = None,
) -> str:
    """``"student: no; balance: 1,073 dollars (decile 8 of 10); income: ..."``.

    ``phrases`` maps feature name -> the words used for it, in output order;
    a feature missing from ``features`` or None/NaN is written as "unknown".
    """
    parts = []
    units = units or {}
    for name, phrase in phrases.items():
        value = features.get(name)
        if is_missing(value):
            parts.append(f"{phrase}: unknown")
        elif isinstance(value, str):
            parts.append(f"{phrase}: {value}")
        else:
            text = fmt_number(float(value))
            unit = units.get(name)
            if unit:
                text = f"{text}{unit}" if unit == "%" else f"{text} {unit}"
            if bins and name in bins:
                text += f" (decile {decile(float(value), bins[name])} of 10)"
            parts.append(f"{phrase}: {text}")
    return "; ".join(parts)


def row_text(features: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    """Serialise a new row exactly as at training time, for ``vadapt predict``.

    ``schema`` is the adapter manifest's ``training.data.info.serialisation_schema``
    (phrases, units and the training deciles)::

        schema = manifest["training"]["data"]["info"]["serialisation_schema"]
        predict(ref, [{"text": row_text({"student": "no", "balance": 1800.0}, schema)}])
    """
    return serialise(features, schema["phrases"], schema.get("bins"), schema.get("units"))
