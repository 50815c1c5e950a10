"""Honest baselines on the adapter's own test split.

Classification (review-triage, intent):

- ``majority``: always the most frequent training label (its probabilities are
  the training label frequencies, so its calibration error is meaningful).
- ``tfidf-logreg``: TF-IDF word 1-2-grams + logistic regression, C chosen on
  validation macro-F1, fitted on the same training examples as the adapter.
- ``zero-shot``: the un-adapted backbone's embeddings of each message against
  embeddings of the label descriptions (``TaskSpec.label_descriptions``, else
  the label name); cosine similarities become probabilities through a softmax
  whose temperature is fitted on validation.

Intent baselines get the same validation-calibrated out-of-scope threshold as
the adapter. FAQ: ``random`` (exact expectation), ``tfidf`` cosine, and
``zero-shot`` (the un-adapted backbone as bi-encoder).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from vadapt import Splits, TaskSpec

from vadapt_customer_service.metrics import (
    calibrate_oos_threshold,
    classification_metrics,
    oos_metrics,
    ranking_metrics,
)
from vadapt_customer_service.tasks import INTENT, OOS, P_PREFIX

Encode = Callable[[Sequence[str]], np.ndarray]
C_GRID = (0.25, 1.0, 4.0, 16.0)
SCALE_GRID = tuple(float(s) for s in np.geomspace(1.0, 200.0, 40))


def _summary(metrics: dict[str, float], labels: Sequence[str]) -> dict[str, float]:
    """Drop the per-class keys: baselines are compared on summary metrics."""
    per_class = tuple(f"{P_PREFIX}{lab}." for lab in labels)
    return {k: v for k, v in metrics.items() if not k.startswith(per_class)}


def _score(
    task: TaskSpec,
    probs_val: np.ndarray,
    y_val: np.ndarray,
    probs: np.ndarray,
    y: np.ndarray,
    labels: Sequence[str],
) -> dict[str, float]:
    out = classification_metrics(probs, y, labels)
    if task.id == INTENT:
        threshold = calibrate_oos_threshold(probs_val, y_val, labels)
        oos = oos_metrics(probs, y, labels, threshold)
        out.update({k: v for k, v in oos.items() if k not in out})
    return _summary(out, labels)


def _indices(examples: Sequence[dict[str, Any]], labels: Sequence[str]) -> np.ndarray:
    index = {lab: i for i, lab in enumerate(labels)}
    return np.array([index[ex["label"]] for ex in examples], dtype=int)


def majority(train_y: np.ndarray, n_labels: int, n: int) -> np.ndarray:
    freq = np.bincount(train_y, minlength=n_labels).astype(float)
    freq /= freq.sum()
    # ties in the frequency vector would make argmax pick the first; that is the majority rule
    return np.tile(freq, (n, 1))


def tfidf_logreg(
    train: Sequence[dict[str, Any]],
    y_train: np.ndarray,
    val: Sequence[dict[str, Any]],
    y_val: np.ndarray,
    test: Sequence[dict[str, Any]],
    n_labels: int,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, float]:
    """(validation probs, test probs, chosen C)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from vadapt_customer_service.metrics import macro_f1

    vec = TfidfVectorizer(
        ngram_range=(1, 2),
        sublinear_tf=True,
        min_df=2 if len(train) >= 200 else 1,
        max_features=100_000,
    )
    x_train = vec.fit_transform([ex["text"] for ex in train])
    x_val = vec.transform([ex["text"] for ex in val])
    x_test = vec.transform([ex["text"] for ex in test])

    def full(model: Any, x: Any) -> np.ndarray:
        out = np.zeros((x.shape[0], n_labels))
        out[:, model.classes_] = model.predict_proba(x)
        return out

    best: tuple[float, float, Any] | None = None
    for c in C_GRID:
        model = LogisticRegression(C=c, max_iter=3000, random_state=seed).fit(x_train, y_train)
        score = macro_f1(full(model, x_val).argmax(1), y_val, n_labels) if len(y_val) else 0.0
        if best is None or score > best[0]:
            best = (score, c, model)
    assert best is not None
    return full(best[2], x_val), full(best[2], x_test), best[1]


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def zero_shot(
    task: TaskSpec,
    labels: Sequence[str],
    val: Sequence[dict[str, Any]],
    y_val: np.ndarray,
    test: Sequence[dict[str, Any]],
    encode: Encode,
) -> tuple[np.ndarray, np.ndarray, float]:
    """(validation probs, test probs, softmax scale); ``oos`` gets no description and no mass."""
    in_scope = [i for i, lab in enumerate(labels) if lab != OOS]
    texts = [
        task.label_descriptions.get(labels[i]) or labels[i].replace("_", " ").replace("-", " ")
        for i in in_scope
    ]
    lab_emb = np.asarray(encode(texts), dtype=float)

    def cos(examples: Sequence[dict[str, Any]]) -> np.ndarray:
        if not examples:
            return np.zeros((0, len(in_scope)))
        return np.asarray(encode([ex["text"] for ex in examples]), dtype=float) @ lab_emb.T

    c_val, c_test = cos(val), cos(test)
    usable = np.isin(y_val, in_scope)
    col = {lab_i: j for j, lab_i in enumerate(in_scope)}
    best_scale, best_nll = 20.0, np.inf
    if usable.any():
        target = np.array([col[int(y)] for y in y_val[usable]])
        for s in SCALE_GRID:
            p = _softmax(s * c_val[usable])
            nll = -np.mean(np.log(p[np.arange(len(target)), target] + 1e-12))
            if nll < best_nll:
                best_scale, best_nll = s, nll

    def full(c: np.ndarray) -> np.ndarray:
        out = np.zeros((c.shape[0], len(labels)))
        out[:, in_scope] = _softmax(best_scale * c) if len(c) else c
        return out

    return full(c_val), full(c_test), best_scale


def classification_baselines(
    task: TaskSpec, splits: Splits, labels: Sequence[str], encode: Encode | None
) -> dict[str, dict[str, float]]:
    labels = list(labels)
    y_train = _indices(splits.train, labels)
    y_val = _indices(splits.validation, labels)
    y_test = _indices(splits.test, labels)
    n = len(labels)
    out: dict[str, dict[str, float]] = {}
    maj_val, maj_test = majority(y_train, n, len(y_val)), majority(y_train, n, len(y_test))
    out["majority"] = _score(task, maj_val, y_val, maj_test, y_test, labels)
    out["majority"][f"{P_PREFIX}majority_label_share"] = float(
        Counter(y_train.tolist()).most_common(1)[0][1] / len(y_train)
    )
    lr_val, lr_test, c = tfidf_logreg(
        splits.train, y_train, splits.validation, y_val, splits.test, n
    )
    out["tfidf-logreg"] = _score(task, lr_val, y_val, lr_test, y_test, labels)
    out["tfidf-logreg"][f"{P_PREFIX}C"] = float(c)
    if encode is not None:
        zs_val, zs_test, scale = zero_shot(
            task, labels, splits.validation, y_val, splits.test, encode
        )
        out["zero-shot"] = _score(task, zs_val, y_val, zs_test, y_test, labels)
        out["zero-shot"][f"{P_PREFIX}softmax_scale"] = float(scale)
    return out


# -- faq ---------------------------------------------------------------------------------


def _with_core_names(m: dict[str, float]) -> dict[str, float]:
    """Ranking metrics also under the core's names (``mrr``, ``recall@k``), for reports."""
    return {**{k.removeprefix(P_PREFIX): v for k, v in m.items()}, **m}


def ranking_baselines(splits: Splits, encode: Encode | None) -> dict[str, dict[str, float]]:
    test = list(splits.test)
    positives = [ex["positive"] for ex in test]
    out: dict[str, dict[str, float]] = {}
    # random: rank uniform on 1..n, so recall@k = k/n and MRR = H_n / n, exactly
    sizes = np.array([len(ex["candidates"]) for ex in test], dtype=float)
    rnd = {f"{P_PREFIX}recall@{k}": float(np.mean(np.minimum(k, sizes) / sizes)) for k in (1, 5)}
    rnd[f"{P_PREFIX}mrr"] = float(np.mean([np.sum(1.0 / np.arange(1, n + 1)) / n for n in sizes]))
    out["random"] = _with_core_names(rnd)

    from sklearn.feature_extraction.text import TfidfVectorizer

    answers = sorted({c for ex in [*splits.train, *test] for c in ex["candidates"]})
    vec = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2))
    vec.fit([ex["query"] for ex in splits.train] + answers)
    ans_index = {a: i for i, a in enumerate(answers)}
    a_mat = vec.transform(answers)
    q_mat = vec.transform([ex["query"] for ex in test])
    sims = (q_mat @ a_mat.T).toarray()
    scores = [sims[i, [ans_index[c] for c in ex["candidates"]]] for i, ex in enumerate(test)]
    out["tfidf"] = _with_core_names(ranking_metrics(scores, positives))
    if encode is not None:
        a_emb = np.asarray(encode(answers), dtype=float)
        q_emb = np.asarray(encode([ex["query"] for ex in test]), dtype=float)
        sims = q_emb @ a_emb.T
        scores = [sims[i, [ans_index[c] for c in ex["candidates"]]] for i, ex in enumerate(test)]
        out["zero-shot"] = _with_core_names(ranking_metrics(scores, positives))
    return out
