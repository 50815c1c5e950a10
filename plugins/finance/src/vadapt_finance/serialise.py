"""Tabular rows to text for a text backbone, and back again after augmentation.

A row is kept three times in an example: ``fields`` (the raw values by name, for
augmentation and the textbook baselines), ``text`` (what the backbone reads) and
``features`` (the numbers the kit's ``logreg`` baseline reads: :func:`vector`).
``serialise`` is the only way text is made from fields, so augmented rows are
re-serialised with exactly the training-time format. Numeric features may carry
their quantile among the TRAINING rows (``bins``: inner edges per feature, fitted
on train only): a word-piece tokenizer splits "1,073" into '1' ',' '07' '##3',
pieces that carry little magnitude, while "percentile 87" is one ordinal token.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from vadapt.kit.fields import describe

SEPARATOR = "; "


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


def quantile_bin(value: float, edges: Sequence[float]) -> int:
    """1-based bin of ``value`` among ``len(edges) + 1`` quantile bins."""
    return int(np.searchsorted(np.asarray(edges), value, side="right")) + 1


def quantile_words(value: float, edges: Sequence[float]) -> str:
    """'decile 8 of 10', 'percentile 87' or 'quantile 5 of 20'."""
    k, n = quantile_bin(value, edges), len(edges) + 1
    if n == 100:
        return f"percentile {k}"
    return f"decile {k} of 10" if n == 10 else f"quantile {k} of {n}"


def fit_bins(
    rows: Sequence[Mapping[str, Any]], names: Sequence[str], quantiles: int = 10
) -> dict[str, list[float]]:
    """Inner quantile edges of each numeric feature over ``rows`` (the training rows only)."""
    bins: dict[str, list[float]] = {}
    for name in names:
        vals = np.asarray([r[name] for r in rows if not is_missing(r[name])], dtype=float)
        if len(vals) >= quantiles and len(np.unique(vals)) > 2:
            qs = np.linspace(1 / quantiles, 1 - 1 / quantiles, quantiles - 1)
            bins[name] = [float(x) for x in np.quantile(vals, qs)]
    return bins


def fit_levels(rows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> dict[str, list[str]]:
    """Levels of each categorical feature among ``rows`` (the training rows only)."""
    return {name: sorted({_level(r.get(name)) for r in rows}) for name in names}


def _level(value: Any) -> str:
    return "unknown" if is_missing(value) else str(value)


def vector(fields: Mapping[str, Any], schema: Mapping[str, Any]) -> list[float | None]:
    """The row as numbers: ``schema["numeric"]`` values (None = missing, imputed by the
    kit's ``logreg``), then a one-hot of each categorical over its training levels
    (``schema["levels"]``; a missing value is the level "unknown", an unseen one all 0)."""
    out: list[float | None] = [
        None if is_missing(fields.get(n)) else float(fields[n]) for n in schema["numeric"]
    ]
    for name, levels in schema.get("levels", {}).items():
        value = _level(fields.get(name))
        out += [1.0 if value == lev else 0.0 for lev in levels]
    return out


def serialise(
    features: Mapping[str, Any],
    phrases: Mapping[str, str],
    bins: Mapping[str, Sequence[float]] | None = None,
    units: Mapping[str, str] | None = None,
) -> str:
    """``"student: no; balance: 1,073 dollars (percentile 87); income: ..."``.

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
                text += f" ({quantile_words(float(value), bins[name])})"
            parts.append(f"{phrase}: {text}")
    return SEPARATOR.join(parts)


def fields_info(schema: Mapping[str, Any]) -> dict[str, Any]:
    """How :func:`serialise` lays a row out, for ``vadapt explain`` to name each feature's
    attribution (``Splits.info[vadapt.kit.fields.FIELDS_INFO]``)."""
    return describe(list(schema["phrases"].items()), SEPARATOR)


def row_text(features: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    """Serialise a new row exactly as at training time, for ``vadapt predict``.

    ``schema`` is the adapter manifest's ``training.data.info.serialisation_schema``
    (phrases, units and the training quantiles)::

        schema = manifest["training"]["data"]["info"]["serialisation_schema"]
        predict(ref, [{"text": row_text({"student": "no", "balance": 1800.0}, schema)}])
    """
    return serialise(features, schema["phrases"], schema.get("bins"), schema.get("units"))
