"""Metrics agree with scikit-learn where it has them, and behave as documented where not."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import classification_report, f1_score
from vadapt_customer_service import metrics as m
from vadapt_customer_service.evaluation import evaluate
from vadapt_customer_service.tasks import task_specs

LABELS = ("billing", "delivery", "refund", "oos")
TASKS = {t.id: t for t in task_specs()}


def _probs(rng: np.random.Generator, refs: np.ndarray, k: int, boost: float) -> np.ndarray:
    p = rng.dirichlet(np.ones(k), len(refs))
    p[np.arange(len(refs)), refs] += boost
    return p / p.sum(1, keepdims=True)


def test_per_class_report_matches_sklearn() -> None:
    rng = np.random.default_rng(0)
    refs = rng.integers(0, 3, 200)
    probs = _probs(rng, refs, 3, 0.3)
    pred = probs.argmax(1)
    ours = m.classification_metrics(probs, refs, LABELS[:3])
    theirs = classification_report(
        refs, pred, target_names=list(LABELS[:3]), output_dict=True, zero_division=0
    )
    for name in LABELS[:3]:
        for key, sk in (
            ("precision", "precision"),
            ("recall", "recall"),
            ("f1", "f1-score"),
            ("support", "support"),
        ):
            assert ours[f"customer-service.{name}.{key}"] == pytest.approx(theirs[name][sk])
    assert ours["macro_f1"] == pytest.approx(f1_score(refs, pred, average="macro"))
    assert ours["customer-service.weighted_f1"] == pytest.approx(theirs["weighted avg"]["f1-score"])


def test_ece_zero_when_calibrated_and_large_when_overconfident() -> None:
    refs = np.array([0, 0, 0, 1] * 25)
    calibrated = np.tile([0.75, 0.25], (100, 1))  # 75% confident, 75% right
    assert m.expected_calibration_error(calibrated, refs) == pytest.approx(0.0)
    overconfident = np.tile([0.99, 0.01], (100, 1))
    assert m.expected_calibration_error(overconfident, refs) == pytest.approx(0.24)


def test_oos_threshold_calibration_separates_confident_from_unsure() -> None:
    # in-scope messages get a confident top intent; out-of-scope ones spread their mass
    refs = np.array([0, 1, 2] * 10 + [3] * 10)
    probs = np.full((40, 4), 0.05)
    probs[np.arange(30), refs[:30]] = 0.85
    probs[30:, :3] = 0.3
    probs = probs / probs.sum(1, keepdims=True)
    t = m.calibrate_oos_threshold(probs, refs, LABELS)
    out = m.oos_metrics(probs, refs, LABELS, t)
    assert out["customer-service.oos_recall"] == 1.0
    assert out["customer-service.oos_precision"] == 1.0
    assert out["customer-service.in_scope_accuracy"] == 1.0
    assert out["customer-service.top1_accuracy"] == 1.0


def test_threshold_without_oos_examples_keeps_95_percent_in_scope() -> None:
    rng = np.random.default_rng(1)
    refs = rng.integers(0, 3, 400)
    probs = np.hstack([_probs(rng, refs, 3, 1.0), np.zeros((400, 1))])
    t = m.calibrate_oos_threshold(probs, refs, LABELS)
    kept = (probs[:, :3].max(1) >= t).mean()
    assert kept == pytest.approx(0.95, abs=0.01)


def test_intent_test_split_reuses_validation_threshold() -> None:
    task = TASKS["customer-service/intent"]
    rng = np.random.default_rng(2)
    refs = rng.integers(0, 4, 120)
    probs = _probs(rng, refs, 4, 0.4)
    val = evaluate(task, probs, refs, LABELS, "validation")
    test = evaluate(task, probs, refs, LABELS, "test")
    assert test["customer-service.oos_threshold"] == val["customer-service.oos_threshold"]
    assert test["customer-service.oos_threshold_calibrated"] == 1.0
    assert "accuracy" not in test  # the core's own key is left to the core


def test_test_split_uses_the_threshold_of_the_best_validation() -> None:
    task = TASKS["customer-service/intent"]  # watches accuracy, like the engine's early stopping
    rng = np.random.default_rng(3)
    refs = rng.integers(0, 4, 200)
    good, bad = _probs(rng, refs, 4, 2.0), _probs(rng, refs, 4, 0.1)
    best = evaluate(task, good, refs, LABELS, "validation")
    worse = evaluate(task, bad, refs, LABELS, "validation")  # a worse later epoch
    assert worse["customer-service.oos_threshold"] != best["customer-service.oos_threshold"]
    test = evaluate(task, bad, refs, LABELS, "test")
    assert test["customer-service.oos_threshold"] == best["customer-service.oos_threshold"]
    # a new run (validation after test) recalibrates from scratch
    again = evaluate(task, bad, refs, LABELS, "validation")
    assert (
        evaluate(task, bad, refs, LABELS, "test")["customer-service.oos_threshold"]
        == (again["customer-service.oos_threshold"])
    )


def test_ranking_metrics_count_ties_against_the_answer() -> None:
    scores = [np.array([0.9, 0.1, 0.5]), np.array([0.2, 0.2, 0.1]), np.array([0.1, 0.3, 0.2])]
    out = m.ranking_metrics(scores, [0, 0, 0], ks=(1, 2))
    # ranks: 1, 2 (tie), 3
    assert out["customer-service.recall@1"] == pytest.approx(1 / 3)
    assert out["customer-service.recall@2"] == pytest.approx(2 / 3)
    assert out["customer-service.mrr"] == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)


def test_route_applies_the_threshold_and_lists_top_k() -> None:
    from vadapt_customer_service.routing import route

    scores = {"billing": 0.5, "delivery": 0.3, "refund": 0.1, "oos": 0.1}
    sure = route(scores, threshold=0.4, k=2)
    assert sure["intent"] == "billing" and not sure["out_of_scope"]
    assert [lab for lab, _ in sure["top_k"]] == ["billing", "delivery"]
    assert route(scores, threshold=0.6)["intent"] == "oos"
