"""End to end on the real bundled backbones (tiny data, a few steps): the medical hooks
run inside the engine, the manifest says what the adapter is for, and the stored
adapter evaluates identically from the registry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
engine = pytest.importorskip("vadapt.engine")

pytestmark = pytest.mark.slow

ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)


def test_synthetic_imaging_trains_with_augment_and_pgd_and_round_trips(registry_root: Path):
    res = engine.adapt(
        {
            "task": "medical/imaging",
            "data": {"synthetic": True, "synthetic_n": 48, "synthetic_size": 16},
            "train": {"max_steps": 3, "batch_size": 8, "image_size": 32, "threads": 1},
            "augment": {"enabled": True, "options": {"max_rotation": 5}},
            "adversarial": {"enabled": True, "epsilon": 2.0, "steps": 2},
            "output": {"name": "synthetic-xray", "allow_below_baseline": True},
        },
        progress=False,
    )
    m = res.manifest
    assert "NOT FOR CLINICAL DECISIONS" in m.intended_use
    assert "SYNTHETIC" in m.notes
    test = res.metrics["test"]
    assert {"accuracy", "auroc", "ece", "medical.sensitivity"} <= set(test)
    assert "majority" in res.baselines
    # `vadapt evaluate` on the stored adapter reproduces the test metrics
    import json

    from typer.testing import CliRunner
    from vadapt.cli import app

    run = CliRunner().invoke(app, ["evaluate", res.ref, "--json"])
    assert run.exit_code == 0, run.output
    again = json.loads(run.stdout[run.stdout.index("{") :])
    assert again["accuracy"] == pytest.approx(test["accuracy"])
    assert again["auroc"] == pytest.approx(test["auroc"], abs=1e-6)
    assert again["medical.sensitivity"] == pytest.approx(test["medical.sensitivity"], abs=1e-6)
    # vadapt.engine's submodule `predict` shadows its function once loaded; take the function
    predict = engine.predict if callable(engine.predict) else engine.predict.predict
    out = predict(res.ref, [{"image": np.zeros((16, 16), dtype=np.uint8)}])
    assert out[0]["label"] in ("normal", "nodule")
    assert sum(out[0]["scores"].values()) == pytest.approx(1.0, abs=1e-4)


def test_tumor_rows_train_on_minilm_with_field_dropout(registry_root: Path):
    res = engine.adapt(
        {
            "task": "medical/tumor-diagnosis",
            "data": {"source": "sklearn", "features": ["worst"], "test_fraction": 0.1},
            "train": {
                "max_steps": 2,
                "batch_size": 8,
                "max_length": 96,
                "threads": 1,
                "max_train_examples": 96,
                "max_eval_examples": 16,
            },
            "augment": {"enabled": True, "options": {"field_dropout": 0.2}},
            "output": {"name": "tumor-smoke", "allow_below_baseline": True},
        },
        progress=False,
    )
    assert "NOT FOR CLINICAL DECISIONS" in res.manifest.intended_use
    assert "scikit-learn load_breast_cancer" in res.manifest.notes
    assert {"logreg", "majority", "frozen-probe"} <= set(res.baselines)
    assert res.baselines["logreg"]["accuracy"] > 0.85
    assert "medical.sensitivity_at_95_specificity" in res.baselines["frozen-probe"]
    assert "train_examples=96" in res.manifest.training["baseline_notes"]["frozen-probe"]
    assert 0.0 <= res.metrics["test"]["auroc"] <= 1.0
