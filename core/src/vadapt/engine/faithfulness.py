"""Are the explanations faithful? Erase the words they rank highest and watch the score.

Two measurements of explained classification rows (what :func:`vadapt.engine.explain.
explain` returns), each beside the same measurement for words chosen at random — the
control an attribution must beat to mean anything:

- :func:`faithfulness`: ERASER's comprehensiveness and sufficiency (DeYoung et al., ACL
  2020) averaged over removal fractions (AOPC-style).
- :func:`deletion_curve`: the probability of the explained label as the top-ranked
  fraction of words is deleted, 0 % to 100 %, and the area under it (lower: the
  attribution found the words the prediction rests on sooner).

Deleting a word removes it from the text, which is then re-tokenised and predicted by
the adapter exactly as a request would be.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from vadapt_registry.errors import InvalidConfig

ERASER_FRACTIONS = (0.1, 0.2, 0.5)
DELETION_FRACTIONS = tuple(round(0.1 * i, 1) for i in range(11))


def _keep(text: str, spans: Sequence[dict[str, Any]], keep: set[int]) -> str:
    return " ".join(text[w["start"] : w["end"]] for i, w in enumerate(spans) if i in keep)


def _check_rows(rows: Sequence[dict[str, Any]]) -> None:
    if any("label" not in row for row in rows):
        raise InvalidConfig(
            "faithfulness scores classification explanations (a label and its probability); "
            "these rows explain a regression value",
            fix="pass rows that explain() returned for a classification adapter",
        )


def _rankings(rows: Sequence[dict[str, Any]], seed: int) -> list[dict[str, list[int]]]:
    """Per row: word indices by attribution (``top``) and in a seeded random order."""
    rng = np.random.default_rng(seed)
    out = []
    for row in rows:
        spans = row["words"]
        top = sorted(range(len(spans)), key=lambda i: -spans[i]["attribution"])
        out.append({"top": top, "random": [int(i) for i in rng.permutation(len(spans))]})
    return out


def _label_probs(lm: Any, texts: list[str], rows: Sequence[dict[str, Any]], owner: list[int]):
    from vadapt.engine.load import predict

    preds = predict(lm.manifest.ref, [{"text": t or "."} for t in texts], loaded=lm)
    return np.array(
        [p["scores"][rows[r]["label"]] for r, p in zip(owner, preds, strict=True)], dtype=float
    )


def faithfulness(
    lm: Any,
    rows: Sequence[dict[str, Any]],
    *,
    fractions: Sequence[float] = ERASER_FRACTIONS,
    seed: int = 0,
) -> dict[str, float]:
    """Comprehensiveness = p(label | text) − p(label | text without the top k words),
    higher is better; sufficiency = p(label | text) − p(label | only the top k), lower is
    better; each averaged over ``fractions`` and rows, and the ``random_`` twins."""
    _check_rows(rows)
    texts: list[str] = []
    plan: list[tuple[int, str]] = []  # (row, measurement)
    for r, (row, order) in enumerate(zip(rows, _rankings(rows, seed), strict=True)):
        spans, n = row["words"], len(row["words"])
        for q in fractions:
            k = min(n, max(1, round(q * n)))
            for which in ("top", "random"):
                chosen = set(order[which][:k])
                prefix = "" if which == "top" else "random_"
                texts += [_keep(row["text"], spans, set(range(n)) - chosen),
                          _keep(row["text"], spans, chosen)]  # fmt: skip
                plan += [(r, prefix + "comprehensiveness"), (r, prefix + "sufficiency")]
    probs = _label_probs(lm, texts, rows, [r for r, _ in plan])
    sums: dict[str, list[float]] = {}
    for (r, kind), p in zip(plan, probs, strict=True):
        sums.setdefault(kind, []).append(rows[r]["score"] - p)
    return {k: float(np.mean(v)) for k, v in sums.items()}


def deletion_curve(
    lm: Any,
    rows: Sequence[dict[str, Any]],
    *,
    fractions: Sequence[float] = DELETION_FRACTIONS,
    seed: int = 0,
) -> dict[str, Any]:
    """Mean p(label) after deleting the top-ranked ``fractions`` of words (and random
    ones), and each curve's area by the trapezoid rule over the fractions."""
    _check_rows(rows)
    texts: list[str] = []
    plan: list[tuple[int, str, int]] = []  # (row, which, fraction index)
    for r, (row, order) in enumerate(zip(rows, _rankings(rows, seed), strict=True)):
        spans, n = row["words"], len(row["words"])
        for j, q in enumerate(fractions):
            for which in ("top", "random"):
                gone = set(order[which][: round(q * n)])
                texts.append(_keep(row["text"], spans, set(range(n)) - gone))
                plan.append((r, which, j))
    probs = _label_probs(lm, texts, rows, [r for r, _, _ in plan])
    curves = {w: np.zeros((len(rows), len(fractions))) for w in ("top", "random")}
    for (r, which, j), p in zip(plan, probs, strict=True):
        curves[which][r, j] = p
    return curve_summary(fractions, curves)


def curve_summary(fractions: Sequence[float], curves: dict[str, np.ndarray]) -> dict[str, Any]:
    """Deletion curves (rows x fractions per ranking) as their means over rows and each
    mean's area by the trapezoid rule: ``{"fractions", "top", "top_auc", "random", …}``."""
    xs = np.asarray(fractions, dtype=float)
    out: dict[str, Any] = {"fractions": [float(x) for x in xs]}
    for which, c in curves.items():
        mean = c.mean(0)
        out[which] = [float(v) for v in mean]
        out[f"{which}_auc"] = float(np.trapezoid(mean, xs))
    return out
