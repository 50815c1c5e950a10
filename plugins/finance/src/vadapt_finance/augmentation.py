"""Label-preserving augmentation for finance text and serialised rows.

Text (finance/sentiment), "finance-safe" means the tone cannot change:
- numbers: ALL numbers of a sentence are scaled by ONE common factor within
  ``number_tolerance`` (default ±5%), so "rose to 13.1 from 8.7" stays a rise
  (independent noise could turn 10.0-from-9.9 into a fall). Years (1900-2099)
  are left alone, decimals and thousands separators are kept, signs never flip.
- names: a known company name or ticker is swapped for another of the same kind,
  consistently within the sentence; sentiment does not depend on which issuer.

Rows (finance/credit-default, finance/market-direction): each numeric feature is
multiplied by ``1 + N(0, noise)`` (default 2%: a sign never flips at that scale
in practice, and it is clipped so it cannot), and each feature is dropped
("unknown") with probability ``feature_dropout``; the row is then re-serialised
with the very schema (phrases, units, training quantiles) it was loaded with,
and its numeric ``features`` are rebuilt from the new fields.

Options (``augment.options``, flat or under a ``finance`` key): ``p`` (share of
examples touched, 0.5), ``number_tolerance``, ``p_swap`` (0.5), ``noise``,
``feature_dropout`` (0.1).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
from vadapt import InvalidConfig
from vadapt.kit.perturb import on_examples

from vadapt_finance.serialise import is_missing, serialise, vector

DEFAULTS = {
    "p": 0.5,
    "number_tolerance": 0.05,
    "p_swap": 0.5,
    "noise": 0.02,
    "feature_dropout": 0.1,
}

COMPANIES = (
    "Nokia", "Stora Enso", "UPM-Kymmene", "Fortum", "Kone", "Outokumpu", "Metso", "Wartsila",
    "Elisa", "Sampo", "Nordea", "TeliaSonera", "Rautaruukki", "YIT", "Tieto", "Cargotec",
    "Kesko", "Orion", "Huhtamaki", "Stockmann", "Sanoma", "Amer Sports", "Ramirent", "Aspo",
    "Apple", "Microsoft", "Amazon", "Alphabet", "Siemens", "Ericsson", "Volvo", "Unilever",
)  # fmt: skip
TICKERS = (
    "AAPL", "MSFT", "AMZN", "GOOGL", "NVDA", "JPM", "XOM", "TSLA", "NFLX", "INTC", "CSCO", "ORCL",
)  # fmt: skip
# (no ticker that is also a currency or a word: NOK is the Norwegian krone in news text)

_NAME_RE = re.compile(
    r"\b(" + "|".join(re.escape(c) for c in sorted(COMPANIES, key=len, reverse=True)) + r")\b"
)
_TICKER_RE = re.compile(r"(?<![A-Za-z])\$?(" + "|".join(TICKERS) + r")(?![A-Za-z])")
_NUMBER_RE = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\d])")


def options(config: Any) -> dict[str, float]:
    raw = getattr(config, "options", None) or {}
    if isinstance(raw, Mapping) and isinstance(raw.get("finance"), Mapping):
        raw = raw["finance"]
    opts = dict(DEFAULTS)
    for key in DEFAULTS:
        if key in raw:
            try:
                opts[key] = float(raw[key])
            except (TypeError, ValueError):
                raise InvalidConfig(
                    f"augment.options.{key}={raw[key]!r} is not a number (finance plugin)",
                    fix=f"set augment.options.{key} to a number, e.g. {DEFAULTS[key]}",
                ) from None
    for key in ("p", "p_swap", "feature_dropout"):
        if not 0 <= opts[key] <= 1:
            raise InvalidConfig(
                f"augment.options.{key}={opts[key]} is outside [0, 1] (finance plugin)",
                fix=f"use a probability, e.g. {DEFAULTS[key]}",
            )
    if not 0 <= opts["number_tolerance"] < 0.5 or not 0 <= opts["noise"] < 0.5:
        raise InvalidConfig(
            "augment.options.number_tolerance and .noise must be in [0, 0.5) (finance plugin)",
            fix="use a small relative amount such as 0.05",
        )
    return opts


def scale_numbers(text: str, factor: float) -> str:
    """Multiply every number in ``text`` by ``factor``, keeping its written form."""

    def repl(m: re.Match[str]) -> str:
        whole, frac = m.group(1), m.group(2) or ""
        value = float(whole.replace(",", "") + frac)
        if not frac and "," not in whole and 1900 <= value <= 2099:
            return m.group(0)  # a year
        new = value * factor
        decimals = len(frac) - 1 if frac else 0
        out = f"{new:,.{decimals}f}" if "," in whole else f"{new:.{decimals}f}"
        return out

    return _NUMBER_RE.sub(repl, text)


def swap_names(text: str, rng: np.random.Generator) -> str:
    mapping: dict[str, str] = {}

    def pick(pool: tuple[str, ...], found: str) -> str:
        if found not in mapping:
            others = [x for x in pool if x != found and x not in mapping.values()]
            mapping[found] = others[int(rng.integers(len(others)))]
        return mapping[found]

    text = _NAME_RE.sub(lambda m: pick(COMPANIES, m.group(1)), text)
    return _TICKER_RE.sub(lambda m: m.group(0).replace(m.group(1), pick(TICKERS, m.group(1))), text)


def text_example(
    ex: dict[str, Any], rng: np.random.Generator, opts: Mapping[str, float]
) -> dict[str, Any]:
    text = ex["text"]
    tol = opts["number_tolerance"]
    if tol > 0:
        text = scale_numbers(text, 1 + float(rng.uniform(-tol, tol)))
    if rng.random() < opts["p_swap"]:
        text = swap_names(text, rng)
    return {**ex, "text": text}


def row_example(
    ex: dict[str, Any], rng: np.random.Generator, opts: Mapping[str, float]
) -> dict[str, Any]:
    schema = ex["schema"]
    feats = {}
    for name, value in ex["fields"].items():
        if rng.random() < opts["feature_dropout"]:
            feats[name] = None
        elif (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and not is_missing(value)
        ):
            feats[name] = float(value) * float(np.clip(1 + rng.normal(0, opts["noise"]), 0.5, 1.5))
        else:
            feats[name] = value
    text = serialise(feats, schema["phrases"], schema.get("bins"), schema.get("units"))
    return {**ex, "fields": feats, "features": vector(feats, schema), "text": text}


def augment(
    examples: list[dict[str, Any]], rng: np.random.Generator, config: Any, *, rows: bool
) -> list[dict[str, Any]]:
    opts = options(config)
    out = []
    for ex in examples:
        if rng.random() >= opts["p"]:
            out.append(ex)
        elif (
            rows and isinstance(ex.get("fields"), Mapping) and isinstance(ex.get("schema"), Mapping)
        ):
            out.append(row_example(ex, rng, opts))
        elif not rows and isinstance(ex.get("text"), str):
            out.append(text_example(ex, rng, opts))
        else:
            out.append(ex)
    return out


@on_examples
def feature_noise(ex: dict[str, Any], severity: int, rng: np.random.Generator) -> dict[str, Any]:
    """Robustness: every numeric field of a row times (1 + N(0, 0.05 x severity)), clipped
    to [0.5, 1.5], and the row re-serialised exactly as at training time."""
    if not _is_row(ex):
        return ex
    return row_example(ex, rng, {"feature_dropout": 0.0, "noise": 0.05 * severity})


@on_examples
def missing_values(ex: dict[str, Any], severity: int, rng: np.random.Generator) -> dict[str, Any]:
    """Robustness: each field of a row missing ("unknown") with probability 0.1 x severity,
    the row re-serialised (the numbers the logreg baseline reads are imputed)."""
    if not _is_row(ex):
        return ex
    return row_example(ex, rng, {"feature_dropout": 0.1 * severity, "noise": 0.0})


def _is_row(ex: Mapping[str, Any]) -> bool:
    return isinstance(ex.get("fields"), Mapping) and isinstance(ex.get("schema"), Mapping)


#: The finance rows' domain perturbations (hook ``robustness_perturbations``).
ROW_PERTURBATIONS = {"feature_noise": feature_noise, "missing_values": missing_values}
