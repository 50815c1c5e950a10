"""The evaluate hook's numbers on hand-checked predictions."""

from __future__ import annotations

import numpy as np
import pytest
from vadapt_driving.metrics import evaluate


def _onehot(pred: list[int], k: int) -> np.ndarray:
    out = np.full((len(pred), k), 0.1 / (k - 1))
    out[np.arange(len(pred)), pred] = 0.9
    return out


def test_lights_metrics_report_red_on_its_own_and_red_read_as_green() -> None:
    labels = ["red", "yellow", "green", "off"]
    ref = [0, 0, 0, 0, 1, 2, 2, 3]
    pred = [0, 0, 2, 3, 1, 2, 2, 0]
    m = evaluate(_onehot(pred, 4), np.array(ref), [{}] * 8, labels)
    assert m["driving.accuracy"] == pytest.approx(5 / 8)
    assert m["driving.recall.red"] == pytest.approx(0.5)
    assert m["driving.critical.red.recall"] == pytest.approx(0.5)
    assert m["driving.critical.red.precision"] == pytest.approx(2 / 3)
    assert m["driving.critical_recall_min"] == pytest.approx(0.5)
    assert m["driving.red_as_green_rate"] == pytest.approx(0.25)
    assert m["driving.confusion.red.green"] == 1.0 and m["driving.confusion.off.red"] == 1.0
    assert m["driving.confusion.yellow.off"] == 0.0  # small label sets: every cell reported
    assert all(k.startswith("driving.") for k in m)


def test_signs_keys_are_safe_and_large_confusions_sparse() -> None:
    labels = [f"class-{i}" for i in range(20)] + ["stop", "no-passing-over-3.5t"]
    ref = np.array([20, 20, 21, 0])
    pred = [20, 0, 21, 0]
    m = evaluate(_onehot(pred, len(labels)), ref, [{}] * 4, labels)
    assert m["driving.critical.stop.recall"] == 0.5
    assert "driving.recall.no-passing-over-3_5t" in m
    assert "driving.confusion.stop.class-0" in m and "driving.confusion.class-3.class-4" not in m


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
