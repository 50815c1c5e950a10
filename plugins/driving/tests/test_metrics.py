"""The evaluate hook's numbers on hand-checked predictions."""

from __future__ import annotations

import numpy as np
import pytest
from vadapt_driving.metrics import evaluate


def _onehot(pred: list[int], k: int) -> np.ndarray:
    out = np.full((len(pred), k), 0.1 / (k - 1))
    out[np.arange(len(pred)), pred] = 0.9
    return out


def test_lights_metrics_report_red_recall_min_and_red_read_as_green() -> None:
    labels = ["red", "yellow", "green", "off"]
    ref = [0, 0, 0, 0, 1, 2, 2, 3]
    pred = [0, 0, 2, 3, 1, 2, 2, 0]
    m = evaluate(_onehot(pred, 4), np.array(ref), [{}] * 8, labels)
    assert m == {
        "driving.critical_recall_min": pytest.approx(0.5),
        "driving.red_as_green_rate": pytest.approx(0.25),
    }


def test_only_metrics_the_kit_lacks() -> None:
    """Nothing vadapt.kit.score already gives (accuracy, per-class recall, ECE...)."""
    from vadapt import TaskSpec
    from vadapt.kit import score

    labels = ["stop", "yield", "speed-limit-30"]
    ref, pred = np.array([0, 0, 1, 2]), [0, 2, 1, 2]
    probs = _onehot(pred, 3)
    task = TaskSpec(id="driving/x", modality="image", head="classification", description="x")
    m = evaluate(probs, ref, [{}] * 4, labels)
    assert m == {"driving.critical_recall_min": 0.5}  # stop 1/2, yield 1/1
    assert score(task, probs, ref, labels)["class.stop.recall"] == 0.5
    assert evaluate(_onehot([0, 1], 2), np.array([0, 1]), [{}] * 2, ["a", "b"]) is None


def test_corruption_accuracy_per_severity_and_mean() -> None:
    labels = ["red", "green"]
    examples = (
        [{"corruption": "fog", "severity": 1}] * 2
        + [{"corruption": "fog", "severity": 5}] * 2
        + [{"corruption": "rain", "severity": 1}] * 2
        + [{}] * 2
    )
    ref = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    pred = [0, 1, 0, 0, 1, 1, 0, 1]
    m = evaluate(_onehot(pred, 2), ref, examples, labels)
    assert m["driving.corruption.fog.s1.accuracy"] == 1.0
    assert m["driving.corruption.fog.s5.accuracy"] == 0.5
    assert m["driving.corruption.fog.accuracy"] == 0.75
    assert m["driving.corruption.rain.accuracy"] == 0.5
    assert m["driving.mean_corruption_accuracy"] == pytest.approx(0.625)
    assert m["driving.clean_accuracy"] == 1.0


def test_shape_mismatch_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="does not match"):
        evaluate(np.zeros((3, 2)), np.zeros(4), [{}] * 4, ["a", "b"])
