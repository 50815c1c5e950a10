"""The medical tasks' standard baselines (vadapt.kit), run by the core on medical data and
scored like the adapter (kit score + our evaluate): logistic regression on Wisconsin
reaches the classical ~97%, majority equals the majority share, multi-label priors score
AUROC 0.5, TF-IDF reads the notes, the frozen probe uses the encoder it is given."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from vadapt.engine.scoring import compute_baselines
from vadapt.hooks import hooks
from vadapt_medical import clinical_text, imaging, tabular
from vadapt_medical.tasks import ClinicalTextData, ImagingData, TumorData, task_specs

TASKS = {t.id: t for t in task_specs()}
TUMOR = TASKS["medical/tumor-diagnosis"]


def _baselines(task_id, splits, encode=None):
    task = TASKS[task_id]
    results, notes = compute_baselines(hooks(), task, splits, splits.labels, encode)
    return results, notes


def test_every_task_lists_kit_baselines_only():
    from vadapt.kit import STANDARD_BASELINES

    for task in TASKS.values():
        assert task.baselines[0] == "majority" and set(task.baselines) <= set(STANDARD_BASELINES)
    assert TUMOR.baselines == ("majority", "logreg", "frozen-probe")


def test_tumor_logreg_and_majority():
    s = tabular.load(TumorData(source="sklearn"))
    out, _ = _baselines(TUMOR.id, s)
    assert out["logreg"]["accuracy"] >= 0.93 and out["logreg"]["auroc"] >= 0.97
    benign = sum(ex["label"] == "benign" for ex in s.test) / len(s.test)
    assert out["majority"]["accuracy"] == pytest.approx(benign)
    assert out["majority"]["medical.sensitivity"] == 0.0
    assert out["majority"]["medical.specificity"] == 1.0
    assert "frozen-probe" not in out  # no encoder given


def test_multilabel_prior_baseline_scores_chance_auroc():
    task_id = "medical/imaging-multilabel"
    s = imaging.load(ImagingData(synthetic=True, synthetic_n=80, synthetic_size=16), task_id)
    out, _ = _baselines(task_id, s)
    assert out["majority"]["auroc"] == pytest.approx(0.5)
    assert "medical.sensitivity_at_95_specificity" in out["majority"]


def test_clinical_text_gets_tfidf_reference(csv_path: Path):
    s = clinical_text.load(ClinicalTextData(path=str(csv_path), min_per_label=3))
    out, _ = _baselines("medical/clinical-text", s)
    assert set(out) == {"majority", "tfidf-logreg"}
    assert out["tfidf-logreg"]["accuracy"] > out["majority"]["accuracy"]


def test_frozen_probe_uses_the_encoder_and_is_skipped_when_it_cannot_run():
    s = tabular.load(TumorData(source="sklearn", serialise="values", features=["worst"]))

    def encode(texts):  # a stand-in "backbone": the row's numbers, log-scaled
        rows = [[float(f.split()[-1]) for f in t.split(", ")] for t in texts]
        return np.log(np.asarray(rows) + 1e-3)

    out, notes = _baselines(TUMOR.id, s, encode)
    assert out["frozen-probe"]["accuracy"] > 0.85
    assert f"train_examples={len(s.train)}" in notes["frozen-probe"]

    def broken(texts):
        raise RuntimeError("no backbone here")

    out, notes = _baselines(TUMOR.id, s, broken)
    assert set(out) == {"majority", "logreg"} and notes["frozen-probe"].startswith("skipped")
