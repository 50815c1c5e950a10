"""Seeded text perturbations at five severities: what a robustness report feeds a model.

Each perturbation is ``fn(text, severity, rng) -> text`` with ``severity`` 1 (mild) to 5
(harsh) and a ``numpy.random.Generator``; the same text, severity and generator state
give the same output. :func:`perturbed` applies one to a split with a generator seeded
per example, so every adapter of a task sees exactly the same perturbed inputs.

- ``typos``: a share of 2% x severity of the letters gets a keyboard typo (a
  neighbouring key, a dropped, doubled or swapped letter);
- ``casing``: 10% x severity of the words change case (upper, lower or title); at 5
  half of them;
- ``whitespace``: 10% x severity of the gaps between words doubled, turned into a tab or
  newline, or removed (words glued);
- ``word_dropout``: 5% x severity of the words removed (never all of them);
- :func:`substitutions`: a plugin's domain replacements (``{"acct": ["account"]}``-style
  maps, whole words, case-insensitive) applied to 20% x severity of the matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

Perturbation = Callable[[str, int, np.random.Generator], str]
SEVERITIES = (1, 2, 3, 4, 5)

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _keyboard() -> dict[str, str]:
    """Each letter's neighbours on a QWERTY keyboard (same row, and the rows around)."""
    out: dict[str, str] = {}
    for r, row in enumerate(_ROWS):
        for c, ch in enumerate(row):
            near = [row[j] for j in (c - 1, c + 1) if 0 <= j < len(row)]
            for other in (_ROWS[k] for k in (r - 1, r + 1) if 0 <= k < len(_ROWS)):
                near += [other[j] for j in (c - 1, c, c + 1) if 0 <= j < len(other)]
            out[ch] = "".join(near)
    return out


_NEIGHBOURS = _keyboard()
_WORD = re.compile(r"\S+")


def _check(severity: int) -> None:
    if severity not in SEVERITIES:
        raise ValueError(f"severity {severity!r}: expected one of {SEVERITIES}")


def _typo(ch: str, rng: np.random.Generator) -> str:
    kind = int(rng.integers(4))
    low = ch.lower()
    if kind == 0 and low in _NEIGHBOURS:  # a neighbouring key, case kept
        new = _NEIGHBOURS[low][int(rng.integers(len(_NEIGHBOURS[low])))]
        return new.upper() if ch.isupper() else new
    if kind == 1:
        return ""  # dropped
    if kind == 2:
        return ch + ch  # doubled
    return ch  # swapped with the next letter (done by the caller)


def typos(text: str, severity: int, rng: np.random.Generator) -> str:
    _check(severity)
    chars = list(text)
    letters = [i for i, c in enumerate(chars) if c.isalpha()]
    n = max(1, round(len(letters) * 0.02 * severity)) if letters else 0  # at least one typo
    picked = sorted(rng.choice(letters, size=n, replace=False).tolist()) if n else []
    for i in reversed(picked):
        new = _typo(chars[i], rng)
        if new == chars[i] and i + 1 < len(chars) and chars[i + 1].isalpha():
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            chars[i] = new
    return "".join(chars)


def casing(text: str, severity: int, rng: np.random.Generator) -> str:
    _check(severity)
    share = 0.5 if severity == 5 else 0.1 * severity

    def change(m: re.Match[str]) -> str:
        w = m.group(0)
        if rng.random() >= share:
            return w
        return (str.upper, str.lower, str.title)[int(rng.integers(3))](w)

    return _WORD.sub(change, text)


def whitespace(text: str, severity: int, rng: np.random.Generator) -> str:
    _check(severity)
    words = text.split()
    if len(words) < 2:
        return text
    out = [words[0]]
    for w in words[1:]:
        if rng.random() < 0.1 * severity:
            out.append(("  ", "\t", "\n", "")[int(rng.integers(4))])
        else:
            out.append(" ")
        out.append(w)
    return "".join(out)


def word_dropout(text: str, severity: int, rng: np.random.Generator) -> str:
    _check(severity)
    words = text.split()
    if len(words) < 2:
        return text
    keep = [w for w in words if rng.random() >= 0.05 * severity]
    return " ".join(keep or [words[int(rng.integers(len(words)))]])


def substitutions(table: Mapping[str, Sequence[str]]) -> Perturbation:
    """A perturbation replacing whole words of ``table`` (case-insensitive) by one of their
    listed alternatives, each match with probability 0.2 x severity."""
    if not table:
        raise ValueError("substitutions: the table is empty")
    lowered = {k.lower(): list(v) for k, v in table.items()}
    if any(not v for v in lowered.values()):
        raise ValueError("substitutions: every word needs at least one replacement")
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, lowered)) + r")\b", re.IGNORECASE)

    def substitute(text: str, severity: int, rng: np.random.Generator) -> str:
        _check(severity)

        def one(m: re.Match[str]) -> str:
            if rng.random() >= 0.2 * severity:
                return m.group(0)
            options = lowered[m.group(0).lower()]
            return options[int(rng.integers(len(options)))]

        return pattern.sub(one, text)

    return substitute


TEXT_PERTURBATIONS: dict[str, Perturbation] = {
    "typos": typos,
    "casing": casing,
    "whitespace": whitespace,
    "word_dropout": word_dropout,
}


def stable_seed(*parts: Any) -> int:
    """A seed from names and numbers that does not depend on Python's hash randomisation
    (FNV-1a over ``"|".join(parts)``)."""
    acc = 1469598103934665603
    for ch in "|".join(map(str, parts)).encode():
        acc = ((acc ^ ch) * 1099511628211) % (1 << 63)
    return acc


def on_examples(fn: Callable[[dict[str, Any], int, np.random.Generator], dict[str, Any]]) -> Any:
    """Mark a perturbation that takes and returns a whole example (``fn(example,
    severity, rng)``): a tabular row whose fields change and whose text is re-serialised."""
    fn.whole_example = True  # type: ignore[attr-defined]
    return fn


def perturbed(
    examples: Sequence[dict[str, Any]],
    name: str,
    fn: Perturbation,
    severity: int,
    *,
    seed: int = 0,
    field: str = "text",
) -> list[dict[str, Any]]:
    """Copies of ``examples`` with ``field`` perturbed; example i's generator is seeded by
    (seed, name, severity, i), so the outputs do not depend on the model or the order of
    the other perturbations."""
    out = []
    for i, ex in enumerate(examples):
        rng = np.random.default_rng(stable_seed(seed, name, severity, i))
        if getattr(fn, "whole_example", False):
            out.append(fn(dict(ex), severity, rng))
        else:
            out.append({**ex, field: fn(ex[field], severity, rng)})
    return out
