"""Noise that real customer messages carry: typos, dropped and swapped words, casing.

Options come from ``augment.options`` — either nested under
``customer-service`` (validated strictly) or as flat keys next to other
plugins' options — e.g. ``--set augment.options.typo_rate=0.05``. All draws use
the engine's seeded ``rng``, so an epoch's augmented data is reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from vadapt import InvalidConfig

from vadapt_customer_service.tasks import VERTICAL

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_ROW_OFFSET = (0.0, 0.25, 0.75)


def _keyboard_neighbours() -> dict[str, str]:
    pos = {c: (r, i + _ROW_OFFSET[r]) for r, row in enumerate(_ROWS) for i, c in enumerate(row)}
    return {
        c: "".join(
            d for d, (r2, x2) in pos.items() if d != c and abs(r2 - r) <= 1 and abs(x2 - x) <= 1.0
        )
        for c, (r, x) in pos.items()
    }


NEIGHBOURS = _keyboard_neighbours()


class NoiseOptions(BaseModel):
    """How much noise to add; every rate is a probability in [0, 1]."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    p_example: float = Field(
        0.5, ge=0, le=1, description="Chance that an example is noised at all."
    )
    typo_rate: float = Field(
        0.03, ge=0, le=1, description="Per letter: replaced by a keyboard neighbour."
    )
    drop_rate: float = Field(
        0.05, ge=0, le=1, description="Per word: dropped (one word always stays)."
    )
    swap_rate: float = Field(0.05, ge=0, le=1, description="Per adjacent word pair: swapped.")
    case_prob: float = Field(
        0.2, ge=0, le=1, description="Per message: re-cased (lower/UPPER/no caps)."
    )


def options_from(config: Any) -> NoiseOptions:
    raw: Mapping[str, Any] = getattr(config, "options", None) or {}
    nested = raw.get(VERTICAL)
    where = f"augment.options.{VERTICAL}" if isinstance(nested, Mapping) else "augment.options"
    values = (
        dict(nested)
        if isinstance(nested, Mapping)
        else {k: v for k, v in raw.items() if k in NoiseOptions.model_fields}
    )
    try:
        return NoiseOptions(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise InvalidConfig(
            f"{where}.{field}: {err['msg']}",
            fix="rates are probabilities in [0, 1]; known options: "
            + ", ".join(NoiseOptions.model_fields),
        ) from None


def _typo(word: str, rate: float, rng: Any) -> str:
    chars = list(word)
    for i, c in enumerate(chars):
        low = c.lower()
        if low in NEIGHBOURS and rng.random() < rate:
            n = NEIGHBOURS[low]
            r = n[int(rng.integers(len(n)))]
            chars[i] = r.upper() if c.isupper() else r
    return "".join(chars)


def _recase(text: str, rng: Any) -> str:
    style = int(rng.integers(3))
    if style == 0:
        return text.lower()
    if style == 1:
        return text.upper()
    return " ".join(w[:1].lower() + w[1:] for w in text.split(" "))


def noisy(text: str, opts: NoiseOptions, rng: Any) -> str:
    """One noised copy of ``text``; the same rng state gives the same copy."""
    words = text.split()
    if len(words) > 1 and opts.drop_rate > 0:
        kept = [w for w in words if rng.random() >= opts.drop_rate]
        words = kept or [words[int(rng.integers(len(words)))]]
    if opts.swap_rate > 0:
        i = 0
        while i < len(words) - 1:
            if rng.random() < opts.swap_rate:
                words[i], words[i + 1] = words[i + 1], words[i]
                i += 2
            else:
                i += 1
    if opts.typo_rate > 0:
        words = [_typo(w, opts.typo_rate, rng) for w in words]
    out = " ".join(words)
    if opts.case_prob > 0 and rng.random() < opts.case_prob:
        out = _recase(out, rng)
    return out


def augment_examples(
    task_modality: str, examples: list[dict[str, Any]], rng: Any, config: Any
) -> list[dict[str, Any]]:
    opts = options_from(config)
    key = "query" if task_modality == "pairs" else "text"
    out = []
    for ex in examples:
        if isinstance(ex.get(key), str) and rng.random() < opts.p_example:
            ex = {**ex, key: noisy(ex[key], opts, rng)}
        out.append(ex)
    return out
