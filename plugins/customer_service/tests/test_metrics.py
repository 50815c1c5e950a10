"""Out-of-scope metrics: calibration on validation, the run context, the core's rule."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from vadapt.kit import RunContext
from vadapt_customer_service import metrics as m
from vadapt_customer_service.evaluation import evaluate
from vadapt_customer_service.tasks import task_specs

LABELS = ("billing", "delivery", "refund", "oos")
TASKS = {t.id: t for t in task_specs()}
INTENT = TASKS["customer-service/intent"]
P = "customer-service."


def _probs(rng: np.random.Generator, refs: np.ndarray, k: int, boost: float) -> np.ndarray:
    p = rng.dirichlet(np.ones(k), len(refs))
    p[np.arange(len(refs)), refs] += boost
    return p / p.sum(1, keepdims=True)


def _ours(context: RunContext) -> RunContext:
    return context.scoped("customer-service")


def test_oos_threshold_calibration_separates_confident_from_unsure() -> None:
    # in-scope messages get a confident top intent; out-of-scope ones spread their mass
    refs = np.array([0, 1, 2] * 10 + [3] * 10)
    probs = np.full((40, 4), 0.05)
    probs[np.arange(30), refs[:30]] = 0.85
    probs[30:, :3] = 0.3
    probs = probs / probs.sum(1, keepdims=True)
    t = m.calibrate_oos_threshold(probs, refs, LABELS)
    out = m.oos_metrics(probs, refs, LABELS, t)
    assert out[f"{P}oos_recall"] == 1.0
    assert out[f"{P}oos_precision"] == 1.0
    assert out[f"{P}oos_f1"] == 1.0
    assert out[f"{P}in_scope_accuracy"] == 1.0


def test_threshold_without_oos_examples_keeps_95_percent_in_scope() -> None:
    rng = np.random.default_rng(1)
    refs = rng.integers(0, 3, 400)
    probs = np.hstack([_probs(rng, refs, 3, 1.0), np.zeros((400, 1))])
    t = m.calibrate_oos_threshold(probs, refs, LABELS)
    kept = (probs.max(1) >= t).mean()
    assert kept == pytest.approx(0.95, abs=0.01)


def test_without_an_oos_label_nothing_is_out_of_scope() -> None:
    rng = np.random.default_rng(4)
    refs = rng.integers(0, 3, 50)
    probs = _probs(rng, refs, 3, 0.2)
    assert m.calibrate_oos_threshold(probs, refs, LABELS[:3]) == 0.0
    out = m.oos_metrics(probs, refs, LABELS[:3], 0.9)
    assert f"{P}oos_recall" not in out
    assert out[f"{P}in_scope_accuracy"] == pytest.approx((probs.argmax(1) == refs).mean())


def test_the_rule_is_the_cores_abstention() -> None:
    """What the metrics score is what ``vadapt predict`` outputs (engine.load._decide)."""
    from vadapt.engine.load import _decide

    rng = np.random.default_rng(5)
    probs = rng.dirichlet(np.ones(4) * 0.7, 300)
    context = RunContext("validation")
    context.abstain("oos", 0.45)
    lm = SimpleNamespace(manifest=SimpleNamespace(context=context.state), labels=list(LABELS))
    core = [LABELS.index(_decide(lm, p)) for p in probs]
    assert m.oos_decide(probs, LABELS, 0.45).tolist() == core


def test_validation_stores_the_threshold_and_test_recalls_it() -> None:
    rng = np.random.default_rng(2)
    refs = rng.integers(0, 4, 120)
    probs = _probs(rng, refs, 4, 0.4)
    context = RunContext("validation")
    val = evaluate(INTENT, probs, refs, LABELS, "validation", _ours(context))
    t = val[f"{P}oos_threshold"]
    assert context.state["customer-service"] == {"oos_threshold": t}
    assert context.abstention() == {"label": "oos", "below": t}
    # as a fresh process sees it: the manifest's JSON
    stored = RunContext.stored(json.loads(json.dumps(context.state)))
    other = _probs(rng, refs, 4, 0.1)
    test = evaluate(INTENT, other, refs, LABELS, "test", _ours(stored))
    assert test[f"{P}oos_threshold"] == t
    assert val[f"{P}oos_threshold_calibrated"] == test[f"{P}oos_threshold_calibrated"] == 1.0
    assert test == m.oos_metrics(other, refs, LABELS, t) | {f"{P}oos_threshold_calibrated": 1.0}
    assert "accuracy" not in test  # the kit's own keys are left to the kit


def test_a_stored_context_is_not_recalibrated_on_validation() -> None:
    rng = np.random.default_rng(3)
    refs = rng.integers(0, 4, 200)
    good, bad = _probs(rng, refs, 4, 2.0), _probs(rng, refs, 4, 0.1)
    context = RunContext("validation")
    best = evaluate(INTENT, good, refs, LABELS, "validation", _ours(context))
    again = evaluate(INTENT, bad, refs, LABELS, "validation", _ours(context.for_test("validation")))
    assert again[f"{P}oos_threshold"] == best[f"{P}oos_threshold"]
    assert m.calibrate_oos_threshold(bad, refs, LABELS) != best[f"{P}oos_threshold"]


def test_nothing_learnt_means_threshold_zero_and_says_so() -> None:
    rng = np.random.default_rng(6)
    refs = rng.integers(0, 4, 60)
    out = evaluate(INTENT, _probs(rng, refs, 4, 0.3), refs, LABELS, "test", RunContext("test"))
    assert out[f"{P}oos_threshold"] == 0.0 and out[f"{P}oos_threshold_calibrated"] == 0.0


def test_review_triage_and_faq_add_nothing_to_the_kit() -> None:
    probs, refs = np.array([[0.7, 0.3]]), np.array([0])
    for task_id in ("customer-service/review-triage", "customer-service/faq"):
        out = evaluate(TASKS[task_id], probs, refs, ("great", "other"), "test", RunContext("test"))
        assert out is None


def test_route_applies_the_threshold_and_lists_top_k() -> None:
    from vadapt_customer_service.routing import route

    scores = {"billing": 0.5, "delivery": 0.3, "refund": 0.1, "oos": 0.1}
    sure = route(scores, threshold=0.4, k=2)
    assert sure["intent"] == "billing" and not sure["out_of_scope"]
    assert [lab for lab, _ in sure["top_k"]] == ["billing", "delivery"]
    assert route(scores, threshold=0.6)["intent"] == "oos"
    trained_oos = route({"billing": 0.3, "oos": 0.7}, threshold=0.1)
    assert trained_oos["out_of_scope"] and trained_oos["top_k"] == [["billing", 0.3]]


def test_stored_threshold_reads_the_run_context() -> None:
    from vadapt import InvalidConfig
    from vadapt_customer_service.routing import stored_threshold

    manifest = SimpleNamespace(context={"customer-service": {"oos_threshold": 0.42}}, ref="i@1")
    assert stored_threshold(manifest) == 0.42
    with pytest.raises(InvalidConfig, match="oos_threshold"):
        stored_threshold(SimpleNamespace(context={}, ref="r@1"))
