"""Honest baselines on the adapter's own test split, scored with the same metrics.

- every task: ``majority`` (always the most frequent training class; multi-label:
  each label's training prevalence as its probability, which scores AUROC 0.5);
- tumor-diagnosis: ``logreg`` — logistic regression on the standardised raw
  features (mean-imputed), fit on the training split: the classical reference;
- clinical-text: ``tfidf-logreg`` — word 1-2-gram TF-IDF + logistic regression;
- every task: ``frozen-backbone-logreg`` — a linear probe: logistic regression on the
  un-adapted backbone's pooled features (the ``encode`` the engine passes), fit on at
  most ``PROBE_MAX_TRAIN`` training examples. It answers "did adapting the backbone
  beat reading its frozen features?".
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from vadapt import Splits, TaskSpec

from vadapt_medical import metrics
from vadapt_medical.tasks import CLINICAL_TEXT, IMAGING_ML, TUMOR


def _indices(examples: Sequence[dict[str, Any]], labels: Sequence[str]) -> np.ndarray:
    pos = {lab: i for i, lab in enumerate(labels)}
    return np.array([pos[ex["label"]] for ex in examples], dtype=int)


def _multi_hot(examples: Sequence[dict[str, Any]], labels: Sequence[str]) -> np.ndarray:
    pos = {lab: i for i, lab in enumerate(labels)}
    out = np.zeros((len(examples), len(labels)), dtype=int)
    for r, ex in enumerate(examples):
        for lab in ex["label"]:
            out[r, pos[lab]] = 1
    return out


def score(probs: np.ndarray, refs: np.ndarray, labels: Sequence[str]) -> dict[str, float]:
    """accuracy and macro_f1 (named as the engine names them) plus the medical metrics."""
    from sklearn.metrics import f1_score

    pred = probs.argmax(1)
    out = {
        "accuracy": float((pred == refs).mean()),
        "macro_f1": float(
            f1_score(refs, pred, average="macro", labels=list(range(len(labels))), zero_division=0)
        ),
    }
    out.update(metrics.classification_metrics(probs, refs, labels))
    return out


def _majority(train: np.ndarray, test: np.ndarray, labels: Sequence[str]) -> dict[str, float]:
    top = Counter(train.tolist()).most_common(1)[0][0]
    probs = np.zeros((len(test), len(labels)))
    probs[:, top] = 1.0
    return score(probs, test, labels)


def _logreg_features(splits: Splits, labels: Sequence[str]) -> dict[str, float]:
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    xtr = np.array([ex["features"] for ex in splits.train], dtype=float)
    xte = np.array([ex["features"] for ex in splits.test], dtype=float)
    ytr, yte = _indices(splits.train, labels), _indices(splits.test, labels)
    model = make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=5000))
    model.fit(xtr, ytr)
    probs = np.zeros((len(xte), len(labels)))
    probs[:, model.classes_] = model.predict_proba(xte)
    return score(probs, yte, labels)


def _tfidf_logreg(splits: Splits, labels: Sequence[str]) -> dict[str, float]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    ytr, yte = _indices(splits.train, labels), _indices(splits.test, labels)
    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
        LogisticRegression(max_iter=2000),
    )
    model.fit([ex["text"] for ex in splits.train], ytr)
    probs = np.zeros((len(yte), len(labels)))
    probs[:, model.classes_] = model.predict_proba([ex["text"] for ex in splits.test])
    return score(probs, yte, labels)


PROBE_MAX_TRAIN = 2000


def _probe(
    task: TaskSpec, splits: Splits, labels: Sequence[str], encode: Callable[..., Any]
) -> dict[str, float] | None:
    """Logistic regression on frozen backbone features; None when encode cannot run."""
    from sklearn.linear_model import LogisticRegression

    key = "image" if str(task.modality) == "image" else "text"
    train = list(splits.train[:PROBE_MAX_TRAIN])
    try:
        xtr = np.asarray(encode([ex[key] for ex in train]), dtype=float)
        xte = np.asarray(encode([ex[key] for ex in splits.test]), dtype=float)
    except Exception as exc:  # an optional reference must not sink a finished run
        warnings.warn(
            f"vadapt-medical: frozen-backbone-logreg baseline skipped for {task.id}: "
            f"encode failed ({type(exc).__name__}: {exc})",
            stacklevel=2,
        )
        return None
    if task.id == IMAGING_ML:
        ytr, yte = _multi_hot(train, labels), _multi_hot(splits.test, labels)
        probs = np.tile(ytr.mean(0), (len(yte), 1)).astype(float)
        for j in range(len(labels)):
            if 0 < ytr[:, j].sum() < len(ytr):
                lr = LogisticRegression(C=1.0, max_iter=3000).fit(xtr, ytr[:, j])
                probs[:, j] = lr.predict_proba(xte)[:, 1]
        out = metrics.multilabel_metrics(probs, yte, labels)
    else:
        ytr, yte = _indices(train, labels), _indices(splits.test, labels)
        if len(set(ytr.tolist())) < 2:
            return None
        lr = LogisticRegression(C=1.0, max_iter=3000).fit(xtr, ytr)
        probs = np.zeros((len(yte), len(labels)))
        probs[:, lr.classes_] = lr.predict_proba(xte)
        out = score(probs, yte, labels)
    out["train_examples"] = float(len(train))
    return out


def compute(
    task: TaskSpec,
    splits: Splits,
    labels: Sequence[str],
    encode: Callable[..., Any] | None = None,
) -> dict[str, dict[str, float]]:
    if not splits.test or not splits.train:
        return {}
    probe = _probe(task, splits, labels, encode) if encode is not None else None
    extra = {"frozen-backbone-logreg": probe} if probe is not None else {}
    if task.id == IMAGING_ML:
        ytr, yte = _multi_hot(splits.train, labels), _multi_hot(splits.test, labels)
        probs = np.tile(ytr.mean(0), (len(yte), 1))
        return {"majority": metrics.multilabel_metrics(probs, yte, labels), **extra}
    ytr, yte = _indices(splits.train, labels), _indices(splits.test, labels)
    out = {"majority": _majority(ytr, yte, labels), **extra}
    if task.id == TUMOR and "features" in splits.train[0]:
        out["logreg"] = _logreg_features(splits, labels)
    if task.id == CLINICAL_TEXT and len(set(ytr.tolist())) > 1:
        out["tfidf-logreg"] = _tfidf_logreg(splits, labels)
    return out
