"""What a report card measures about a stored adapter, as plain JSON.

Everything is measured on the adapter's own test split (reloaded from its stored
``data:`` section, as ``vadapt evaluate`` does): the predictions (confusion matrix,
per-class precision/recall/F1, reliability bins raw and tempered), the robustness
table (:func:`vadapt.engine.robustness.evaluate_robustness` on a fixed number of
test examples) and the accuracy under FGM/FGSM attacks on the same examples
(:func:`vadapt.engine.attack.evaluate_adversarial`), and explanations (text:
integrated gradients, images: Grad-CAM) of a seeded sample of test inputs — the most
attributed words (features) per predicted class and their faithfulness beside a random
control. A section that does not apply to the
adapter says why instead of being left out silently. The training curves, metrics,
baselines, data and lineage come from the manifest and are read when the page is
drawn.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from vadapt_registry.errors import InvalidConfig

from vadapt.types import HeadKind

ROBUSTNESS_EXAMPLES = 300
ROBUSTNESS_SEVERITIES = (1, 3, 5)
EXPLAIN_EXAMPLES = 24
TOP_WORDS = 8
SHOWN_EXAMPLES = 6  # explained texts kept in the report (highlighted on the page)
RELIABILITY_BINS = 10


def measure(
    ref: str,
    *,
    registry: Any = None,
    hooks: Any = None,
    robustness_examples: int = ROBUSTNESS_EXAMPLES,
    explain_examples: int = EXPLAIN_EXAMPLES,
    steps: int = 32,
    seed: int = 0,
) -> dict[str, Any]:
    """The report card's measurements of ``ref`` (see the module docstring)."""
    from vadapt.engine.load import load_adapter, split_examples
    from vadapt.hooks import hooks as default_hooks

    for option, n in (("--robustness-examples", robustness_examples),
                      ("--explain-examples", explain_examples)):  # fmt: skip
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InvalidConfig(f"{option} {n!r}: expected a count >= 0", fix="0 skips it")
    t0 = time.perf_counter()
    h = hooks or default_hooks()
    lm = load_adapter(ref, registry=registry, hooks=h)
    examples = split_examples(lm, h, "test")
    out: dict[str, Any] = {
        "ref": lm.manifest.ref,
        "task": lm.task.id,
        "head": HeadKind(lm.task.head).value,
        "metric": lm.task.metric,
        "labels": list(lm.labels),
        "test_examples": len(examples),
        "predictions": predictions_section(lm, examples),
        "robustness": robustness_section(lm, h, robustness_examples, seed),
        "adversarial": adversarial_section(lm, h, robustness_examples),
        "explanations": explanations_section(lm, examples, explain_examples, steps, seed),
        "settings": {
            "robustness_examples": robustness_examples,
            "robustness_severities": list(ROBUSTNESS_SEVERITIES),
            "explain_examples": explain_examples,
            "steps": steps,
            "seed": seed,
        },
    }
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def _skipped(reason: str) -> dict[str, Any]:
    return {"skipped": reason}


def predictions_section(lm: Any, examples: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Classification: confusion matrix, per-class table, reliability; regression:
    predicted against true values; other heads: why not."""
    from vadapt.engine.evaluate import infer
    from vadapt.kit import references

    head = HeadKind(lm.task.head)
    if head not in (HeadKind.CLASSIFICATION, HeadKind.REGRESSION) or not examples:
        return _skipped(
            f"confusion matrices and reliability diagrams cover classification and "
            f"regression heads; this adapter's head is {head.value} (its per-label "
            "metrics are in the metrics table)"
        )
    refs = references(lm.task, examples, lm.labels)
    preds, _ = infer(lm.model, lm.ctx, examples, refs)
    if head == HeadKind.REGRESSION:
        return regression_points(np.asarray(preds, float), np.asarray(refs, float))
    return classification_section(lm, np.asarray(preds, float), np.asarray(refs, int))


def classification_section(lm: Any, probs: np.ndarray, refs: np.ndarray) -> dict[str, Any]:
    from sklearn.metrics import classification_report, confusion_matrix

    from vadapt.engine.load import stored_context
    from vadapt.kit.calibration import reliability, temper

    n = len(lm.labels)
    pred = probs.argmax(1)
    report = classification_report(
        refs, pred, labels=list(range(n)), target_names=list(lm.labels),
        output_dict=True, zero_division=0,
    )  # fmt: skip
    out: dict[str, Any] = {
        "kind": "classification",
        "confusion": confusion_matrix(refs, pred, labels=list(range(n))).tolist(),
        "per_class": {
            label: {k: float(v) for k, v in report[label].items()} for label in lm.labels
        },
        "accuracy": float((pred == refs).mean()),
        "reliability": {"raw": reliability(probs.max(1), pred == refs, RELIABILITY_BINS)},
    }
    t = stored_context(lm.manifest).temperature()
    if t is not None:
        q = temper(probs, t)
        out["temperature"] = t
        out["reliability"][f"T = {t:.2f}"] = reliability(
            q.max(1), q.argmax(1) == refs, RELIABILITY_BINS
        )
    return out


def regression_points(pred: np.ndarray, true: np.ndarray, keep: int = 500) -> dict[str, Any]:
    """Up to ``keep`` (true, predicted) pairs, evenly spaced over the split, and errors."""
    idx = np.linspace(0, len(pred) - 1, min(keep, len(pred))).round().astype(int)
    err = pred - true
    return {
        "kind": "regression",
        "true": true[idx].tolist(),
        "predicted": pred[idx].tolist(),
        "mae": float(np.abs(err).mean()),
        "bias": float(err.mean()),
    }


def robustness_section(lm: Any, h: Any, n: int, seed: int) -> dict[str, Any]:
    from vadapt.engine.robustness import evaluate_robustness

    if n == 0:
        return _skipped("not measured (--robustness-examples 0)")
    try:
        report = evaluate_robustness(
            lm.manifest.ref,
            severities=ROBUSTNESS_SEVERITIES,
            max_examples=n,
            seed=seed,
            hooks=h,
            loaded=lm,
        )
    except InvalidConfig as exc:
        return _skipped(exc.message)
    return report.as_dict()


def _sample(examples: Sequence[dict[str, Any]], n: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    return [examples[i] for i in sorted(rng.permutation(len(examples))[:n].tolist())]


def image_explanations(
    lm: Any, examples: Sequence[dict[str, Any]], n: int, seed: int
) -> dict[str, Any]:
    """Grad-CAM of a seeded sample of test images: overlays of the first few (as
    ``heatmap-NN.png`` figures, under ``pngs``) and the pixel-deletion curve."""
    from vadapt.engine.gradcam import explain_images, pixel_deletion

    images = [ex["image"] for ex in _sample(examples, n, seed)]
    rows = explain_images(lm.manifest.ref, images, loaded=lm)
    shown = rows[:SHOWN_EXAMPLES]
    return {
        "kind": "image",
        "examples": len(rows),
        "layer": rows[0]["layer"] if rows else None,
        "deletion": pixel_deletion(lm, images, rows, seed=seed),
        "shown": [
            {"label": r["label"], "score": r["score"], "file": f"heatmap-{i:02d}.png"}
            for i, r in enumerate(shown)
        ],
        "pngs": {f"heatmap-{i:02d}.png": r["overlay"] for i, r in enumerate(shown)},
    }


def adversarial_section(lm: Any, h: Any, n: int) -> dict[str, Any]:
    """FGM (text) / FGSM (images) accuracy at the default radii, on the same examples."""
    from vadapt.engine.attack import evaluate_adversarial

    if n == 0:
        return _skipped("not measured (--robustness-examples 0)")
    try:
        return evaluate_adversarial(lm.manifest.ref, max_examples=n, hooks=h, loaded=lm).as_dict()
    except InvalidConfig as exc:
        return _skipped(exc.message)


def explanations_section(
    lm: Any, examples: Sequence[dict[str, Any]], n: int, steps: int, seed: int
) -> dict[str, Any]:
    from vadapt.engine.explain import check_explainable, explain
    from vadapt.engine.faithfulness import deletion_curve, faithfulness
    from vadapt.types import Modality

    if n == 0:
        return _skipped("not measured (--explain-examples 0)")
    if lm.task.modality == Modality.IMAGE and HeadKind(lm.task.head) == HeadKind.CLASSIFICATION:
        return image_explanations(lm, examples, n, seed)
    try:
        check_explainable(lm)
    except InvalidConfig as exc:
        return _skipped(exc.message)
    if HeadKind(lm.task.head) != HeadKind.CLASSIFICATION:
        return _skipped("top words per class and faithfulness need a classification head")
    texts = [ex["text"] for ex in _sample(examples, n, seed)]
    rows = explain(lm.manifest.ref, texts, steps=steps, loaded=lm)
    out = {
        "kind": "text",
        "examples": len(rows),
        "steps": steps,
        "top_words": top_words(rows, lm.labels),
        "faithfulness": faithfulness(lm, rows, seed=seed),
        "deletion": deletion_curve(lm, rows, seed=seed),
        "shown": rows[:SHOWN_EXAMPLES],
    }
    if all("features" in r for r in rows):  # tabular rows serialised as text
        out["top_features"] = top_features(rows, lm.labels)
    return out


def top_features(
    rows: Sequence[dict[str, Any]], labels: Sequence[str], k: int = TOP_WORDS
) -> dict[str, list[dict[str, Any]]]:
    """Per predicted label: the features (by name) with the highest summed attribution."""
    sums: dict[str, dict[str, list[float]]] = {label: defaultdict(list) for label in labels}
    for row in rows:
        for f in row["features"]:
            sums[row["label"]][f["feature"]].append(f["attribution"])
    return {
        label: [
            {"word": name, "attribution": float(sum(v)), "count": len(v)}
            for name, v in sorted(feats.items(), key=lambda kv: -sum(kv[1]))[:k]
            if sum(v) > 0
        ]
        for label, feats in sums.items()
    }


def top_words(
    rows: Sequence[dict[str, Any]], labels: Sequence[str], k: int = TOP_WORDS
) -> dict[str, list[dict[str, Any]]]:
    """Per predicted label: the words with the highest summed attribution toward it
    (lower-cased, punctuation-only words left out), with their count."""
    sums: dict[str, dict[str, list[float]]] = {label: defaultdict(list) for label in labels}
    for row in rows:
        for w in row["words"]:
            word = w["word"].lower()
            if any(c.isalnum() for c in word):
                sums[row["label"]][word].append(w["attribution"])
    out = {}
    for label, words in sums.items():
        ranked = sorted(words.items(), key=lambda kv: -sum(kv[1]))[:k]
        out[label] = [
            {"word": word, "attribution": float(sum(v)), "count": len(v)}
            for word, v in ranked
            if sum(v) > 0
        ]
    return out
