"""Baselines are honest: logistic regression on Wisconsin reaches the classical ~97%,
majority equals the majority share, multi-label priors score AUROC 0.5."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from vadapt_medical import baseline_models, clinical_text, imaging, tabular
from vadapt_medical.tasks import ClinicalTextData, ImagingData, TumorData, task_specs

TASKS = {t.id: t for t in task_specs()}


def test_tumor_logreg_and_majority():
    s = tabular.load(TumorData(source="sklearn"))
    out = baseline_models.compute(TASKS["medical/tumor-diagnosis"], s, s.labels)
    assert out["logreg"]["accuracy"] >= 0.93 and out["logreg"]["medical.auroc"] >= 0.97
    benign = sum(ex["label"] == "benign" for ex in s.test) / len(s.test)
    assert out["majority"]["accuracy"] == pytest.approx(benign)
    assert out["majority"]["medical.sensitivity"] == 0.0


def test_multilabel_prior_baseline_scores_chance_auroc():
    s = imaging.load(
        ImagingData(synthetic=True, synthetic_n=80, synthetic_size=16), "medical/imaging-multilabel"
    )
    out = baseline_models.compute(TASKS["medical/imaging-multilabel"], s, s.labels)
    assert out["majority"]["medical.auroc_macro"] == pytest.approx(0.5)


def test_clinical_text_gets_tfidf_reference(csv_path: Path):
    s = clinical_text.load(ClinicalTextData(path=str(csv_path), min_per_label=3))
    out = baseline_models.compute(TASKS["medical/clinical-text"], s, s.labels)
    assert set(out) == {"majority", "tfidf-logreg"}
    assert out["tfidf-logreg"]["accuracy"] > out["majority"]["accuracy"]


def test_frozen_backbone_probe_uses_the_encoder_and_skips_when_it_cannot_run():
    s = tabular.load(TumorData(source="sklearn", features=["worst"]))

    def encode(texts):  # a stand-in "backbone": the row's numbers, log-scaled
        rows = [[float(f.split()[-1]) for f in t.split(", ")] for t in texts]
        return np.log(np.asarray(rows) + 1e-3)

    out = baseline_models.compute(TASKS["medical/tumor-diagnosis"], s, s.labels, encode)
    probe = out["frozen-backbone-logreg"]
    assert probe["accuracy"] > 0.85 and probe["train_examples"] == len(s.train)

    def broken(texts):
        raise RuntimeError("no backbone here")

    with pytest.warns(UserWarning, match="frozen-backbone-logreg baseline skipped"):
        out = baseline_models.compute(TASKS["medical/tumor-diagnosis"], s, s.labels, broken)
    assert set(out) == {"majority", "logreg"}
