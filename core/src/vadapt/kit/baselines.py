"""Standard baselines a task lists by name (``TaskSpec.baselines``).

Each returns :class:`~vadapt.kit.Predictions` on the task's own validation and test
splits (or ``None`` where it does not apply, e.g. TF-IDF on images); the core scores
them with :func:`vadapt.kit.score` plus the task's ``evaluate`` hook, exactly as it
scores the adapter. Fitting uses the training split only; hyper-parameters are
chosen on validation.

=================  ================================================================
``majority``       classification: the training label frequencies as every row's
                   probabilities (argmax = the most frequent label); multilabel: each
                   label's training prevalence; regression: the training mean;
                   ranking: one constant score (the random ranking, in expectation)
``tfidf-logreg``   word 1-2-gram TF-IDF + logistic regression (C chosen on validation
                   macro-F1); ranking: TF-IDF cosine of query and candidate
``logreg``         logistic regression (ridge for regression) on the standardised,
                   mean-imputed numeric ``features`` of each example
``frozen-probe``   logistic regression (ridge) on the un-adapted backbone's pooled
                   features: did adapting beat reading frozen features?
``dictionary``     token classification: the training mentions as a gazetteer
                   (:mod:`vadapt.kit.entity_baselines`); token tasks' ``majority`` tags
                   every word ``O``; the other baselines do not apply to token tasks
``zero-shot``      cosine of the un-adapted embedding of the input and of each label's
                   description (``TaskSpec.label_descriptions``, else its name; a label
                   described as ``""`` gets no probability), softmax temperature fitted
                   on validation; ranking: cosine of query and candidate
=================  ================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from vadapt.kit.predictions import Predictions
from vadapt.kit.scoring import references
from vadapt.types import HeadKind, Modality, Splits, TaskSpec

Encode = Callable[[Sequence[Any]], np.ndarray]
Baseline = Callable[[TaskSpec, Splits, Sequence[str], Encode | None], Predictions | None]

C_GRID = (0.25, 1.0, 4.0, 16.0)
ALPHA_GRID = (0.1, 1.0, 10.0, 100.0)
SCALE_GRID = tuple(float(s) for s in np.geomspace(1.0, 200.0, 40))
PROBE_MAX_TRAIN = 2000
SEED = 0


def dictionary(
    task: TaskSpec, splits: Splits, labels: Sequence[str], encode: Encode | None = None
) -> Predictions | None:
    """Token classification: training mentions as a gazetteer (``entity_baselines``)."""
    if task.head != HeadKind.TOKEN_CLASSIFICATION:
        return None
    from vadapt.kit import entity_baselines

    return entity_baselines.dictionary(task, splits, labels)


def _pooled(task: TaskSpec) -> bool:
    """One label per example (not ranking lists, not per-word tags)."""
    return task.head not in (HeadKind.RANKING, HeadKind.TOKEN_CLASSIFICATION)


def _labelled(task: TaskSpec) -> bool:
    return task.head in (HeadKind.CLASSIFICATION, HeadKind.MULTILABEL)


def _full_probs(model: Any, x: Any, n_labels: int) -> np.ndarray:
    """predict_proba with a column for every label (a label absent from training gets 0)."""
    out = np.zeros((x.shape[0], n_labels))
    if x.shape[0]:
        out[:, model.classes_] = model.predict_proba(x)
    return out


def _probs_fit(
    task: TaskSpec,
    xs: tuple[Any, Any, Any],
    ys: tuple[np.ndarray, np.ndarray],
    labels: Sequence[str],
    grid: Sequence[float],
) -> Predictions | None:
    """Fit a linear model on train, choose its regularisation on validation."""
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.metrics import f1_score, mean_absolute_error

    x_tr, x_va, x_te = xs
    y_tr, y_va = ys
    n = len(labels)
    if task.head == HeadKind.REGRESSION:
        fits = [(Ridge(alpha=a).fit(x_tr, y_tr), a) for a in ALPHA_GRID]
        quality = [
            -mean_absolute_error(y_va, m.predict(x_va)) if len(y_va) else 0.0 for m, _ in fits
        ]
        model, chosen = fits[int(np.argmax(quality))]
        val = model.predict(x_va) if x_va.shape[0] else np.zeros(0)
        return Predictions(test=model.predict(x_te), validation=val, note=f"alpha={chosen}")
    if task.head == HeadKind.MULTILABEL:
        return _per_label(x_tr, x_va, x_te, y_tr, n)
    if len(set(y_tr.tolist())) < 2:
        return None
    best: tuple[float, float, Any] | None = None
    for c in grid:
        model = LogisticRegression(C=c, max_iter=3000, random_state=SEED).fit(x_tr, y_tr)
        q = (
            f1_score(
                y_va, model.predict(x_va), average="macro", labels=list(range(n)), zero_division=0
            )
            if len(y_va)
            else 0.0
        )
        if best is None or q > best[0]:
            best = (q, c, model)
        if len(y_va) == 0:
            break
    assert best is not None
    _, c, model = best
    return Predictions(
        test=_full_probs(model, x_te, n), validation=_full_probs(model, x_va, n), note=f"C={c}"
    )


def fit_linear(
    task: TaskSpec,
    features: tuple[Any, Any, Any],
    splits: Splits,
    labels: Sequence[str],
    *,
    grid: Sequence[float] = C_GRID,
    standardise: bool = False,
) -> Predictions | None:
    """A plugin's own feature baseline: a linear model on ``features`` (train, validation,
    test rows, aligned with ``splits``) fitted as the standard baselines are — logistic
    regression (one per label for multilabel; ridge for regression), C chosen on
    validation macro-F1 from ``grid`` — returning predictions the core scores."""
    x_tr, x_va, x_te = features
    if standardise:
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(x_tr)
        x_tr, x_te = scaler.transform(x_tr), scaler.transform(x_te)
        x_va = scaler.transform(x_va) if len(x_va) else x_va
    return _probs_fit(task, (x_tr, x_va, x_te), _targets(task, splits, labels), labels, grid)


def _per_label(x_tr: Any, x_va: Any, x_te: Any, y_tr: np.ndarray, n: int) -> Predictions:
    from sklearn.linear_model import LogisticRegression

    prevalence = y_tr.mean(0)
    test = np.tile(prevalence, (x_te.shape[0], 1)).astype(float)
    val = np.tile(prevalence, (x_va.shape[0], 1)).astype(float)
    for j in range(n):
        if 0 < y_tr[:, j].sum() < len(y_tr):
            m = LogisticRegression(max_iter=3000, random_state=SEED).fit(x_tr, y_tr[:, j])
            test[:, j] = m.predict_proba(x_te)[:, 1]
            if x_va.shape[0]:
                val[:, j] = m.predict_proba(x_va)[:, 1]
    return Predictions(test=test, validation=val)


def _targets(
    task: TaskSpec, splits: Splits, labels: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    return references(task, splits.train, labels), references(task, splits.validation, labels)


def majority(
    task: TaskSpec, splits: Splits, labels: Sequence[str], encode: Encode | None = None
) -> Predictions | None:
    if task.head == HeadKind.TOKEN_CLASSIFICATION:
        from vadapt.kit.entity_baselines import all_outside

        return all_outside(task, splits, labels)
    y_tr = references(task, splits.train, labels)
    if task.head == HeadKind.RANKING:
        const = [np.zeros(len(ex["candidates"])) for ex in splits.test]
        return Predictions(
            test=const, validation=[np.zeros(len(ex["candidates"])) for ex in splits.validation]
        )
    if task.head == HeadKind.REGRESSION:
        mean = float(np.mean(y_tr))
        return Predictions(
            test=np.full(len(splits.test), mean), validation=np.full(len(splits.validation), mean)
        )
    if task.head == HeadKind.MULTILABEL:
        row = y_tr.mean(0)
    else:
        row = np.bincount(y_tr, minlength=len(labels)).astype(float)
        row /= row.sum()
    return Predictions(
        test=np.tile(row, (len(splits.test), 1)),
        validation=np.tile(row, (len(splits.validation), 1)),
    )


def _texts(examples: Sequence[dict[str, Any]]) -> list[str] | None:
    if not examples or not all(isinstance(ex.get("text"), str) for ex in examples):
        return None
    return [ex["text"] for ex in examples]


def tfidf_logreg(
    task: TaskSpec, splits: Splits, labels: Sequence[str], encode: Encode | None = None
) -> Predictions | None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    if task.head == HeadKind.RANKING:
        return _ranking_tfidf(splits)
    if task.head == HeadKind.TOKEN_CLASSIFICATION:
        return None
    texts = [_texts(s) for s in (splits.train, splits.validation or [], splits.test)]
    if texts[0] is None or texts[2] is None:
        return None
    vec = TfidfVectorizer(
        ngram_range=(1, 2),
        sublinear_tf=True,
        min_df=2 if len(texts[0]) >= 200 else 1,
        max_features=100_000,
    )
    x_tr = vec.fit_transform(texts[0])
    xs = (x_tr, vec.transform(texts[1] or []), vec.transform(texts[2]))
    return _probs_fit(task, xs, _targets(task, splits, labels), labels, C_GRID)


def _ranking_tfidf(splits: Splits) -> Predictions:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2))
    answers = sorted(
        {c for ex in [*splits.train, *splits.validation, *splits.test] for c in ex["candidates"]}
    )
    vec.fit([ex["query"] for ex in splits.train] + answers)
    return _ranking_by(splits, lambda xs: vec.transform(xs).toarray())


def _ranking_by(splits: Splits, embed: Callable[[list[str]], np.ndarray]) -> Predictions:
    """Cosine (dot of the given rows) of each query with its candidates."""

    def scores(examples: Sequence[dict[str, Any]]) -> list[np.ndarray]:
        if not examples:
            return []
        answers = sorted({c for ex in examples for c in ex["candidates"]})
        index = {a: i for i, a in enumerate(answers)}
        sims = embed([ex["query"] for ex in examples]) @ embed(answers).T
        return [sims[i, [index[c] for c in ex["candidates"]]] for i, ex in enumerate(examples)]

    return Predictions(test=scores(splits.test), validation=scores(splits.validation))


def logreg(
    task: TaskSpec, splits: Splits, labels: Sequence[str], encode: Encode | None = None
) -> Predictions | None:
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if not splits.train or "features" not in splits.train[0] or not _pooled(task):
        return None
    prep = make_pipeline(SimpleImputer(), StandardScaler())

    def feats(examples: Sequence[dict[str, Any]]) -> np.ndarray:
        return np.array([ex["features"] for ex in examples], dtype=float).reshape(len(examples), -1)

    x_tr = prep.fit_transform(feats(splits.train))
    x_va = (
        prep.transform(feats(splits.validation))
        if splits.validation
        else np.zeros((0, x_tr.shape[1]))
    )
    xs = (x_tr, x_va, prep.transform(feats(splits.test)))
    return _probs_fit(task, xs, _targets(task, splits, labels), labels, (1.0,))


def _inputs(task: TaskSpec, examples: Sequence[dict[str, Any]]) -> list[Any]:
    return [ex["image" if task.modality == Modality.IMAGE else "text"] for ex in examples]


def frozen_probe(
    task: TaskSpec, splits: Splits, labels: Sequence[str], encode: Encode | None = None
) -> Predictions | None:
    if encode is None or not _pooled(task):
        return None
    train = list(splits.train[:PROBE_MAX_TRAIN])
    x_tr = np.asarray(encode(_inputs(task, train)), dtype=float)
    x_va = (
        np.asarray(encode(_inputs(task, splits.validation)), dtype=float)
        if splits.validation
        else np.zeros((0, x_tr.shape[1]))
    )
    x_te = np.asarray(encode(_inputs(task, splits.test)), dtype=float)
    probe_splits = Splits(train=train, validation=splits.validation, test=splits.test)
    out = _probs_fit(task, (x_tr, x_va, x_te), _targets(task, probe_splits, labels), labels, (1.0,))
    return (
        None
        if out is None
        else Predictions(out.test, out.validation, note=f"train_examples={len(train)}")
    )


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def zero_shot(
    task: TaskSpec, splits: Splits, labels: Sequence[str], encode: Encode | None = None
) -> Predictions | None:
    if encode is None or task.modality == Modality.IMAGE:
        return None
    if task.head == HeadKind.RANKING:
        return _ranking_by(splits, lambda xs: np.asarray(encode(xs), dtype=float))
    if task.head != HeadKind.CLASSIFICATION:
        return None
    described = [i for i, lab in enumerate(labels) if task.describe(lab) != ""]
    texts = [task.describe(labels[i]) for i in described]
    lab = np.asarray(encode(texts), dtype=float)

    def cos(examples: Sequence[dict[str, Any]]) -> np.ndarray:
        if not examples:
            return np.zeros((0, len(described)))
        return np.asarray(encode([ex["text"] for ex in examples]), dtype=float) @ lab.T

    c_val, c_test = cos(splits.validation), cos(splits.test)
    scale = fit_scale(c_val, references(task, splits.validation, labels), described)

    def full(c: np.ndarray) -> np.ndarray:
        out = np.zeros((c.shape[0], len(labels)))
        out[:, described] = softmax(scale * c) if len(c) else c
        return out

    return Predictions(test=full(c_test), validation=full(c_val), note=f"softmax_scale={scale:.3g}")


def fit_scale(c_val: np.ndarray, y_val: np.ndarray, described: Sequence[int]) -> float:
    """The softmax scale with the least validation negative log-likelihood (20 without one)."""
    col = {lab_i: j for j, lab_i in enumerate(described)}
    usable = np.isin(y_val, described)
    if not usable.any():
        return 20.0
    target = np.array([col[int(y)] for y in y_val[usable]])
    nll = [
        -np.mean(np.log(softmax(s * c_val[usable])[np.arange(len(target)), target] + 1e-12))
        for s in SCALE_GRID
    ]
    return SCALE_GRID[int(np.argmin(nll))]


STANDARD: dict[str, Baseline] = {
    "majority": majority,
    "tfidf-logreg": tfidf_logreg,
    "logreg": logreg,
    "frozen-probe": frozen_probe,
    "zero-shot": zero_shot,
    "dictionary": dictionary,
}
"""Standard baselines by name; ``TaskSpec.baselines`` lists which a task gets."""
