"""Honest reference results on the SAME test split the adapter is scored on.

Every baseline is fitted on training data only (market direction: on all data
before the test period, as in the textbook) and scored with the same metric
code as the adapter (``metrics.for_task``), so a report can put them side by side.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from vadapt import Splits, TaskSpec

from vadapt_finance import metrics
from vadapt_finance.tasks import CREDIT, MARKET, SENTIMENT

Encode = Callable[[Sequence[str]], np.ndarray]


def _refs(examples: Sequence[dict[str, Any]], labels: Sequence[str]) -> np.ndarray:
    index = {lab: i for i, lab in enumerate(labels)}
    return np.asarray([index[ex["label"]] for ex in examples])


def _score(
    task: TaskSpec, probs: np.ndarray, test: Sequence[dict[str, Any]], labels: Sequence[str]
) -> dict[str, float]:
    refs = _refs(test, labels)
    out = metrics.core_like(probs, refs, len(labels))
    out.update(metrics.for_task(task.id, probs, refs, test, labels) or {})
    return out


def _constant(n: int, labels: Sequence[str], probs_row: Sequence[float]) -> np.ndarray:
    return np.tile(np.asarray(probs_row, dtype=float), (n, 1))


def _majority(
    task: TaskSpec,
    train: Sequence[dict[str, Any]],
    test: Sequence[dict[str, Any]],
    labels: Sequence[str],
) -> dict[str, float]:
    """Predict the training majority class, with the training class frequencies as probabilities.

    The probabilities are constant, so ranking metrics (AUROC) are exactly 0.5.
    """
    counts = Counter(ex["label"] for ex in train)
    freq = np.asarray([counts.get(lab, 0) for lab in labels], dtype=float)
    freq = freq / freq.sum()
    probs = _constant(len(test), labels, freq)
    # argmax must be the majority class even when frequencies tie
    return _score(task, probs, test, labels)


def _design(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> Any:
    import pandas as pd

    frame = pd.DataFrame([ex["features"] for ex in rows])
    return frame if columns is None else frame.reindex(columns=list(columns))


def _logreg(columns_frame: Any, y: np.ndarray) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    num = [c for c in columns_frame.columns if columns_frame[c].dtype.kind in "fiub"]
    cat = [c for c in columns_frame.columns if c not in num]
    pre = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="unknown"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                cat,
            ),
        ]
    )
    model = make_pipeline(pre, LogisticRegression(max_iter=2000))
    return model.fit(columns_frame, y)


def _logreg_probs(
    train: Sequence[dict[str, Any]],
    test: Sequence[dict[str, Any]],
    labels: Sequence[str],
    columns: Sequence[str] | None = None,
) -> np.ndarray:
    xtr = _design(train, columns)
    xte = _design(test, list(xtr.columns))
    for c in xtr.columns:  # str columns must stay object for the one-hot branch
        if xtr[c].dtype == object:
            xtr[c] = xtr[c].astype(object).where(xtr[c].notna(), None)
            xte[c] = xte[c].astype(object).where(xte[c].notna(), None)
    ytr = _refs(train, labels)
    model = _logreg(xtr, ytr)
    probs = np.zeros((len(test), len(labels)))
    probs[:, model.classes_] = model.predict_proba(xte)
    return probs


def credit(task: TaskSpec, splits: Splits, labels: Sequence[str]) -> dict[str, dict[str, float]]:
    # oversampled duplicates are the adapter's training device, not data: fit on the real rows
    train = [ex for ex in splits.train if not ex.get("oversampled")]
    test = list(splits.test)
    return {
        "majority": _majority(task, train, test, labels),
        "logistic-regression": _score(task, _logreg_probs(train, test, labels), test, labels),
    }


def market(task: TaskSpec, splits: Splits, labels: Sequence[str]) -> dict[str, dict[str, float]]:
    # the textbook fits on every day before the test period (train + validation);
    # both come strictly before the first test day (see market.py)
    past = list(splits.train) + list(splits.validation)
    test = list(splits.test)
    up = list(labels).index("up")
    always_up = np.zeros((len(test), len(labels)))
    always_up[:, up] = 1.0
    lags = [c for c in ("lag1", "lag2") if c in past[0]["features"]]
    return {
        "always-up": _score(task, always_up, test, labels),
        "majority": _majority(task, past, test, labels),
        "logreg-lag1-lag2": _score(task, _logreg_probs(past, test, labels, lags), test, labels),
        "logreg-all-features": _score(task, _logreg_probs(past, test, labels), test, labels),
    }


def sentiment(
    task: TaskSpec,
    splits: Splits,
    labels: Sequence[str],
    encode: Encode | None,
    max_probe: int = 2000,
) -> dict[str, dict[str, float]]:
    from vadapt_finance import lexicon

    test = list(splits.test)
    human = [ex for ex in splits.train if not ex.get("weak")]
    out = {"majority": _majority(task, human or list(splits.train), test, labels)}
    if lexicon.available():
        pred = lexicon.labels([ex["text"] for ex in test])
        probs = np.zeros((len(test), len(labels)))
        probs[np.arange(len(test)), [list(labels).index(p) for p in pred]] = 1.0
        out["loughran-mcdonald"] = _score(task, probs, test, labels)
    train = list(splits.train)[:max_probe]
    if encode is not None and len({ex["label"] for ex in train}) > 1:
        from sklearn.linear_model import LogisticRegression

        xtr = np.asarray(encode([ex["text"] for ex in train]))
        xte = np.asarray(encode([ex["text"] for ex in test]))
        model = LogisticRegression(max_iter=2000).fit(xtr, _refs(train, labels))
        probs = np.zeros((len(test), len(labels)))
        probs[:, model.classes_] = model.predict_proba(xte)
        out["frozen-encoder-logreg"] = _score(task, probs, test, labels)
    return out


def for_task(
    task: TaskSpec, splits: Splits, labels: Sequence[str], encode: Encode | None
) -> dict[str, dict[str, float]] | None:
    if not splits.test:
        return None
    if task.id == CREDIT:
        return credit(task, splits, labels)
    if task.id == MARKET:
        return market(task, splits, labels)
    if task.id == SENTIMENT:
        return sentiment(task, splits, labels, encode)
    return None
