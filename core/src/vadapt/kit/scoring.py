"""One scoring definition per head kind, on scikit-learn.

The engine scores every adapter with :func:`score`, and every baseline is scored
by the same call on the same split, so a number printed beside an adapter is
always comparable with it. Plugins' ``evaluate`` hooks add only what is truly
domain-specific. The definitions (docs/plugin-authoring.md repeats them):

classification  ``accuracy``; ``macro_f1``, ``macro_precision``, ``macro_recall`` and
                ``weighted_f1`` over the task's *declared* labels (a label never
                predicted nor present scores 0, sklearn ``zero_division=0``);
                ``class.<label>.precision|recall|f1|support``; ``auroc`` and ``auprc``
                (binary: of the positive label, ``TaskSpec.positive_label`` or the second
                label; more classes: macro one-vs-rest over labels present in the
                references with both outcomes); ``ece`` (top-label confidence,
                :data:`ECE_BINS` equal-width bins); ``brier`` (binary: mean squared
                error of p(positive); more classes: mean over rows of the squared
                distance to the one-hot truth).
multilabel      ``accuracy`` (exact set), ``micro_f1``, ``macro_f1`` (threshold 0.5),
                ``auroc`` (macro over labels with both outcomes), ``auroc_micro``,
                ``ece`` and ``brier`` over every label decision, ``label.<label>.f1|support``.
regression      ``mae``, ``rmse``, ``mse``, ``r2``.
token-classification
                entity level, seqeval (CoNLL definitions) over word tags
                (:mod:`vadapt.kit.entities`): ``precision``, ``recall``, ``f1`` (micro:
                an entity counts when its type and both boundaries match), ``macro_f1``
                (over entity types), ``strict_precision|recall|f1`` (seqeval's strict
                mode for the tagging scheme: ill-formed tag runs are no entity),
                ``token_accuracy`` (of word tags) and
                ``class.<type>.precision|recall|f1|support`` (support: gold entities).
ranking         one relevant candidate per list: ``mrr``, ``hr@k``, ``ndcg@k`` for
                k in :data:`RANK_KS`. Ties are broken uniformly at random *in
                expectation*: a positive tied with t others sits at each of the t+1
                positions with equal probability, so a constant scorer scores exactly
                the random baseline (never better, never worse).

A metric that is undefined on a split (AUROC when the split holds one class) is
left out rather than reported as a number it is not. Nothing here imports torch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from vadapt.types import DEFAULT_HEADLINE, LOWER_IS_BETTER, Example, HeadKind, TaskSpec

ECE_BINS = 15
RANK_KS: tuple[int, ...] = (1, 5, 10)


def headline(task: TaskSpec) -> tuple[str, ...]:
    """The metrics reports put first: the task's own, else its head kind's default."""
    return task.headline or DEFAULT_HEADLINE.get(task.head, (task.metric,))


def higher_is_better(task: TaskSpec, metric: str) -> bool:
    """Direction of ``metric``: the task's ``metric_mode`` for its watched metric."""
    if metric == task.metric:
        return task.metric_mode == "max"
    return metric.rsplit(".", 1)[-1] not in LOWER_IS_BETTER


def key(label: str) -> str:
    """A label as a metric-key segment: lowercase, [a-z0-9-] only."""
    return re.sub(r"[^a-z0-9]+", "-", str(label).lower()).strip("-") or "label"


def references(task: TaskSpec, examples: Sequence[Example], labels: Sequence[str]) -> np.ndarray:
    """The references ``score`` and the ``evaluate`` hook receive, from examples."""
    if task.head == HeadKind.CLASSIFICATION:
        index = {lab: i for i, lab in enumerate(labels)}
        return np.array([index[str(ex["label"])] for ex in examples], dtype=np.int64)
    if task.head == HeadKind.MULTILABEL:
        index = {lab: i for i, lab in enumerate(labels)}
        out = np.zeros((len(examples), len(labels)), dtype=np.float32)
        for r, ex in enumerate(examples):
            for x in ex["label"]:
                out[r, index[str(x)]] = 1.0
        return out
    if task.head == HeadKind.REGRESSION:
        return np.array([float(ex["label"]) for ex in examples], dtype=np.float32)
    if task.head == HeadKind.RANKING:
        return np.array([int(ex["positive"]) for ex in examples], dtype=np.int64)
    if task.head == HeadKind.TOKEN_CLASSIFICATION:
        from vadapt.kit.entities import document_tags, entity_types, scheme_of

        types, scheme = entity_types(labels), scheme_of(labels)
        return [document_tags(ex, types, scheme) for ex in examples]  # type: ignore[return-value]
    from vadapt_registry.errors import InvalidConfig

    raise InvalidConfig(f"head kind {task.head.value!r} has no scoring definition yet")


def score(
    task: TaskSpec,
    predictions: Any,
    references: Any,
    labels: Sequence[str],
    examples: Sequence[Example] | None = None,
) -> dict[str, float]:
    """Every standard metric of ``task``'s head kind (see the module docstring).

    ``predictions`` and ``references`` have the ``evaluate`` hook's shapes:
    probabilities ``(N, len(labels))`` and label indices for classification,
    probabilities and 0/1 for multilabel, floats for regression, one score array
    per candidate list and the positive's index for ranking. ``examples`` is
    accepted for symmetry with the hook; no kit metric reads it.
    """
    if len(references) == 0:
        return {}
    kind = HeadKind(task.head)
    if kind == HeadKind.CLASSIFICATION:
        return classification(predictions, references, labels, positive_index(task, labels))
    if kind == HeadKind.MULTILABEL:
        return multilabel(predictions, references, labels)
    if kind == HeadKind.REGRESSION:
        return regression(predictions, references)
    if kind == HeadKind.RANKING:
        return ranking(predictions, references)
    if kind == HeadKind.TOKEN_CLASSIFICATION:
        return token_classification(predictions, references, labels)
    from vadapt_registry.errors import InvalidConfig

    raise InvalidConfig(f"head kind {kind.value!r} has no scoring definition yet")


def positive_index(task: TaskSpec, labels: Sequence[str]) -> int:
    """Index of the class binary AUROC/AUPRC score."""
    if task.positive_label is not None and task.positive_label in labels:
        return list(labels).index(task.positive_label)
    return 1


def _finite(out: dict[str, float], name: str, value: float | None) -> None:
    if value is not None and np.isfinite(value):
        out[name] = float(value)


def calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error: |accuracy - confidence| per equal-width bin, weighted."""
    conf = np.clip(np.asarray(confidence, dtype=float), 0.0, 1.0)
    hit = np.asarray(correct, dtype=float)
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in np.unique(idx):
        m = idx == b
        total += m.mean() * abs(conf[m].mean() - hit[m].mean())
    return float(total)


def _auc_pair(y: np.ndarray, s: np.ndarray) -> tuple[float, float] | None:
    from sklearn.metrics import average_precision_score, roc_auc_score

    if y.min() == y.max():
        return None
    return float(roc_auc_score(y, s)), float(average_precision_score(y, s))


def _one_vs_rest(refs: np.ndarray, probs: np.ndarray, positive: int) -> dict[str, float]:
    """AUROC/AUPRC: binary of ``positive``; else macro over classes with both outcomes."""
    k = probs.shape[1]
    if k == 2:
        pair = _auc_pair((refs == positive).astype(int), probs[:, positive])
        return {} if pair is None else {"auroc": pair[0], "auprc": pair[1]}
    pairs = [_auc_pair((refs == c).astype(int), probs[:, c]) for c in range(k)]
    pairs = [p for p in pairs if p is not None]
    if not pairs:
        return {}
    return {
        "auroc": float(np.mean([p[0] for p in pairs])),
        "auprc": float(np.mean([p[1] for p in pairs])),
    }


def classification(
    probs: Any, refs: Any, labels: Sequence[str], positive: int = 1
) -> dict[str, float]:
    from sklearn.metrics import precision_recall_fscore_support

    probs = np.asarray(probs, dtype=float)
    refs = np.asarray(refs).astype(int).reshape(-1)
    pred = probs.argmax(1)
    ids = list(range(len(labels)))
    p, r, f, support = precision_recall_fscore_support(refs, pred, labels=ids, zero_division=0)
    out = {
        "accuracy": float((pred == refs).mean()),
        "macro_f1": float(f.mean()),
        "macro_precision": float(p.mean()),
        "macro_recall": float(r.mean()),
        "weighted_f1": float(np.dot(f, support) / max(support.sum(), 1)),
    }
    out.update(_one_vs_rest(refs, probs, positive))
    out["ece"] = calibration_error(probs.max(1), pred == refs)
    onehot = np.eye(probs.shape[1])[refs]
    if probs.shape[1] == 2:
        out["brier"] = float(((probs[:, positive] - onehot[:, positive]) ** 2).mean())
    else:
        out["brier"] = float(((probs - onehot) ** 2).sum(1).mean())
    for i, name in enumerate(labels):
        base = f"class.{key(name)}."
        out[base + "precision"], out[base + "recall"] = float(p[i]), float(r[i])
        out[base + "f1"], out[base + "support"] = float(f[i]), float(support[i])
    return out


def multilabel(probs: Any, refs: Any, labels: Sequence[str]) -> dict[str, float]:
    from sklearn.metrics import f1_score, roc_auc_score

    probs = np.asarray(probs, dtype=float)
    refs = np.asarray(refs).astype(int)
    pred = (probs >= 0.5).astype(int)
    out = {
        "accuracy": float((pred == refs).all(1).mean()),
        "micro_f1": float(f1_score(refs, pred, average="micro", zero_division=0)),
        "macro_f1": float(f1_score(refs, pred, average="macro", zero_division=0)),
    }
    aucs = []
    for j, name in enumerate(labels):
        y = refs[:, j]
        out[f"label.{key(name)}.f1"] = float(f1_score(y, pred[:, j], zero_division=0))
        out[f"label.{key(name)}.support"] = float(y.sum())
        if y.min() != y.max():
            aucs.append(float(roc_auc_score(y, probs[:, j])))
    _finite(out, "auroc", float(np.mean(aucs)) if aucs else None)
    flat_y, flat_p = refs.ravel(), probs.ravel()
    if flat_y.min() != flat_y.max():
        out["auroc_micro"] = float(roc_auc_score(flat_y, flat_p))
    out["ece"] = calibration_error(np.maximum(flat_p, 1 - flat_p), (flat_p >= 0.5) == flat_y)
    out["brier"] = float(((flat_p - flat_y) ** 2).mean())
    return out


def regression(preds: Any, refs: Any) -> dict[str, float]:
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    pred = np.asarray(preds, dtype=float).reshape(-1)
    ref = np.asarray(refs, dtype=float).reshape(-1)
    mse = float(mean_squared_error(ref, pred))
    out = {"mae": float(mean_absolute_error(ref, pred)), "mse": mse, "rmse": mse**0.5}
    if len(ref) > 1 and ref.min() != ref.max():
        out["r2"] = float(r2_score(ref, pred))
    return out


def token_classification(
    probs: Sequence[Any], refs: Sequence[Sequence[str]], labels: Sequence[str]
) -> dict[str, float]:
    """``probs``: one (words, tags) array per document; ``refs``: its gold word tags."""
    from seqeval.metrics import (
        accuracy_score,
        classification_report,
        f1_score,
        precision_score,
        recall_score,
    )
    from seqeval.scheme import IOB2, IOBES

    from vadapt.kit.entities import entity_types, scheme_of

    tags = np.asarray(labels)
    pred = [list(tags[np.asarray(p).argmax(1)]) if len(p) else [] for p in probs]
    gold = [list(r) for r in refs]
    report = classification_report(gold, pred, output_dict=True, zero_division=0)
    scheme = IOBES if scheme_of(labels) == "bioes" else IOB2
    strict = {"mode": "strict", "scheme": scheme, "zero_division": 0}
    micro = report.get("micro avg", {})
    out = {
        "precision": float(micro.get("precision", 0.0)),
        "recall": float(micro.get("recall", 0.0)),
        "f1": float(micro.get("f1-score", 0.0)),
        "macro_f1": float(report.get("macro avg", {}).get("f1-score", 0.0)),
        "strict_precision": float(precision_score(gold, pred, **strict)),
        "strict_recall": float(recall_score(gold, pred, **strict)),
        "strict_f1": float(f1_score(gold, pred, **strict)),
        "token_accuracy": float(accuracy_score(gold, pred)),
    }
    for t in entity_types(labels):
        row = report.get(t, {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0})
        base = f"class.{key(t)}."
        for name, field in (
            ("precision",) * 2,
            ("recall",) * 2,
            ("f1", "f1-score"),
            ("support",) * 2,
        ):
            out[base + name] = float(row[field])
    return out


def expected_rank_metrics(greater: int, ties: int, ks: Sequence[int] = RANK_KS) -> dict[str, float]:
    """MRR, HR@k and NDCG@k of one positive with ``greater`` candidates scored above it
    and ``ties`` others scored equal, in expectation over random tie-breaking."""
    ranks = np.arange(greater + 1, greater + ties + 2, dtype=float)
    out = {"mrr": float((1.0 / ranks).mean())}
    for k in ks:
        hit = ranks <= k
        out[f"hr@{k}"] = float(hit.mean())
        out[f"ndcg@{k}"] = float((hit / np.log2(ranks + 1)).mean())
    return out


def ranking(scores: Sequence[Any], positives: Any, ks: Sequence[int] = RANK_KS) -> dict[str, float]:
    rows = []
    for s, pos in zip(scores, np.asarray(positives).reshape(-1), strict=True):
        s = np.asarray(s, dtype=float)
        target = s[int(pos)]
        greater = int((s > target).sum())
        rows.append(expected_rank_metrics(greater, int((s == target).sum()) - 1, ks))
    return {name: float(np.mean([r[name] for r in rows])) for name in rows[0]}


__all__ = [
    "DEFAULT_HEADLINE",
    "ECE_BINS",
    "RANK_KS",
    "calibration_error",
    "expected_rank_metrics",
    "headline",
    "higher_is_better",
    "key",
    "references",
    "score",
]
