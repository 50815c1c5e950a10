"""Clinical metrics against hand-computed values and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from vadapt_medical import metrics


def _binary(p_pos, y):
    p = np.asarray(p_pos, dtype=float)
    return np.stack([1 - p, p], 1), np.asarray(y)


def test_binary_confusion_metrics_by_hand():
    # y:      1    1    1    1    0    0    0    0    0    0
    probs, y = _binary([0.9, 0.8, 0.6, 0.3, 0.7, 0.4, 0.2, 0.1, 0.1, 0.05], [1] * 4 + [0] * 6)
    m = metrics.classification_metrics(probs, y, ("benign", "malignant"))
    # threshold 0.5: TP=3 FN=1 FP=1 TN=5
    assert m["medical.sensitivity"] == pytest.approx(3 / 4)
    assert m["medical.specificity"] == pytest.approx(5 / 6)
    assert m["medical.ppv"] == pytest.approx(3 / 4)
    assert m["medical.npv"] == pytest.approx(5 / 6)
    assert m["medical.auroc"] == pytest.approx(roc_auc_score(y, probs[:, 1]))
    assert m["medical.class.malignant.sensitivity"] == pytest.approx(3 / 4)
    assert m["medical.class.benign.sensitivity"] == pytest.approx(5 / 6)
    assert m["medical.class.malignant.support"] == 4


def test_sensitivity_at_95_specificity():
    # 20 negatives: specificity >= .95 allows one false positive
    neg = [0.1] * 18 + [0.85, 0.75]
    pos = [0.9, 0.8, 0.7, 0.2]
    probs, y = _binary(pos + neg, [1] * 4 + [0] * 20)
    m = metrics.classification_metrics(probs, y, ("neg", "pos"))
    # threshold 0.8: FP = 1 (0.85), TP = 2 (0.9, 0.8); at 0.75 FP = 2 -> specificity 0.90
    assert m["medical.sensitivity_at_95_specificity"] == pytest.approx(0.5)


def test_perfectly_confident_correct_predictions_have_zero_calibration_error():
    probs, y = _binary([1.0, 1.0, 0.0, 0.0], [1, 1, 0, 0])
    m = metrics.classification_metrics(probs, y, ("a", "b"))
    assert m["medical.ece"] == pytest.approx(0.0)
    assert m["medical.brier"] == pytest.approx(0.0)
    probs, y = _binary([0.9] * 10, [1] * 5 + [0] * 5)  # 90% confident, 50% right
    assert metrics.classification_metrics(probs, y, ("a", "b"))["medical.ece"] == pytest.approx(0.4)


def test_undefined_auroc_is_left_out_not_invented():
    probs, y = _binary([0.2, 0.3, 0.4], [0, 0, 0])
    m = metrics.classification_metrics(probs, y, ("a", "b"))
    assert "medical.auroc" not in m and "medical.sensitivity" not in m
    assert m["medical.specificity"] == 1.0


def test_multiclass_macro_one_vs_rest():
    rng = np.random.default_rng(0)
    y = np.arange(60) % 3
    probs = rng.dirichlet(np.ones(3), 60)
    probs[np.arange(60), y] += 1
    probs /= probs.sum(1, keepdims=True)
    m = metrics.classification_metrics(probs, y, ("normal", "nodule", "effusion"))
    assert m["medical.auroc"] == pytest.approx(roc_auc_score(y, probs, multi_class="ovr"))
    per = [m[f"medical.class.{c}.sensitivity"] for c in ("normal", "nodule", "effusion")]
    assert m["medical.sensitivity"] == pytest.approx(np.mean(per))


def test_multilabel_macro_and_micro_auroc():
    rng = np.random.default_rng(1)
    y = (rng.random((50, 4)) < 0.4).astype(int)
    probs = np.clip(y * 0.3 + rng.random((50, 4)) * 0.7, 0, 1)
    m = metrics.multilabel_metrics(probs, y, ("atelectasis", "cardiomegaly", "effusion", "mass"))
    assert m["medical.auroc_macro"] == pytest.approx(roc_auc_score(y, probs, average="macro"))
    assert m["medical.auroc_micro"] == pytest.approx(roc_auc_score(y, probs, average="micro"))
    assert "medical.label.cardiomegaly.auroc" in m
    assert 0 <= m["medical.ece"] <= 1
