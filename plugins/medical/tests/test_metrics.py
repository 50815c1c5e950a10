"""Clinical metrics against hand-computed values; only what vadapt.kit.score lacks."""

from __future__ import annotations

import numpy as np
import pytest
from vadapt.kit import score
from vadapt_medical import evaluate, metrics
from vadapt_medical.tasks import task_specs

TASKS = {t.id: t for t in task_specs()}
TUMOR = TASKS["medical/tumor-diagnosis"]
LABELS = ("benign", "malignant")


def _binary(p_pos, y):
    p = np.asarray(p_pos, dtype=float)
    return np.stack([1 - p, p], 1), np.asarray(y)


def test_binary_confusion_metrics_by_hand():
    # y:      1    1    1    1    0    0    0    0    0    0
    probs, y = _binary([0.9, 0.8, 0.6, 0.3, 0.7, 0.4, 0.2, 0.1, 0.1, 0.05], [1] * 4 + [0] * 6)
    m = metrics.compute(TUMOR, probs, y, LABELS)
    # argmax decision: TP=3 FN=1 FP=1 TN=5
    assert m["medical.sensitivity"] == pytest.approx(3 / 4)
    assert m["medical.specificity"] == pytest.approx(5 / 6)
    assert m["medical.ppv"] == pytest.approx(3 / 4)
    assert m["medical.npv"] == pytest.approx(5 / 6)


def test_positive_class_is_the_tasks_positive_label():
    swapped = ("malignant", "benign")  # positive_label "malignant" is now index 0
    probs, y = _binary([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0])  # column 0 = p(malignant)
    m = metrics.compute(TUMOR, probs, y, swapped)
    assert m["medical.sensitivity"] == pytest.approx(1.0)  # both rows of class 0 found
    assert m["medical.ppv"] == pytest.approx(1.0)


def test_sensitivity_at_95_specificity():
    # 20 negatives: specificity >= .95 allows one false positive
    neg = [0.1] * 18 + [0.85, 0.75]
    pos = [0.9, 0.8, 0.7, 0.2]
    probs, y = _binary(pos + neg, [1] * 4 + [0] * 20)
    m = metrics.compute(TUMOR, probs, y, LABELS)
    # threshold 0.8: FP = 1 (0.85), TP = 2 (0.9, 0.8); at 0.75 FP = 2 -> specificity 0.90
    assert m["medical.sensitivity_at_95_specificity"] == pytest.approx(0.5)


def test_undefined_metrics_are_left_out_not_invented():
    probs, y = _binary([0.2, 0.3, 0.4], [0, 0, 0])
    m = metrics.compute(TUMOR, probs, y, LABELS)
    assert "medical.sensitivity" not in m and "medical.sensitivity_at_95_specificity" not in m
    assert m["medical.specificity"] == 1.0


def test_multiclass_is_macro_one_vs_rest():
    rng = np.random.default_rng(0)
    y = np.arange(60) % 3
    probs = rng.dirichlet(np.ones(3), 60)
    probs[np.arange(60), y] += 1
    probs /= probs.sum(1, keepdims=True)
    m = metrics.compute(TASKS["medical/imaging"], probs, y, ("normal", "nodule", "effusion"))
    per = [metrics.sensitivity_at_specificity(y == c, probs[:, c]) for c in range(3)]
    assert m == {"medical.sensitivity_at_95_specificity": pytest.approx(np.mean(per))}


def test_multilabel_per_label_and_macro():
    rng = np.random.default_rng(1)
    y = (rng.random((50, 3)) < 0.4).astype(int)
    probs = np.clip(y * 0.3 + rng.random((50, 3)) * 0.7, 0, 1)
    names = ("atelectasis", "cardiomegaly", "effusion")
    m = metrics.compute(TASKS["medical/imaging-multilabel"], probs, y, names)
    per = [m[f"medical.label.{n}.sensitivity_at_95_specificity"] for n in names]
    assert m["medical.sensitivity_at_95_specificity"] == pytest.approx(np.mean(per))


@pytest.mark.parametrize("task_id", sorted(TASKS))
def test_evaluate_adds_only_prefixed_keys_score_lacks(task_id):
    task = TASKS[task_id]
    rng = np.random.default_rng(2)
    labels = ("a", "b", "c") if task_id == "medical/imaging" else LABELS
    if task.head == "multilabel":
        refs = (rng.random((40, 2)) < 0.5).astype(float)
        probs = rng.random((40, 2))
    else:
        refs = np.arange(40) % len(labels)
        probs = rng.dirichlet(np.ones(len(labels)), 40)
    ours = evaluate(task=task, predictions=probs, references=refs, labels=labels)
    kit = score(task, probs, refs, labels)
    assert ours and all(k.startswith("medical.") for k in ours)
    names = {k.removeprefix("medical.") for k in ours}
    assert not names & set(kit), "re-computes a kit metric under the medical. prefix"
