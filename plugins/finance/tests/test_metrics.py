"""Finance metrics against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
from vadapt_finance import metrics


def test_credit_metrics_by_hand() -> None:
    y = np.array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1])
    p = np.array([0.1, 0.2, 0.1, 0.3, 0.2, 0.1, 0.6, 0.1, 0.9, 0.4])
    m = metrics.credit(p, y)
    # positives score 0.9 and 0.4: 0.9 beats all 8 negatives, 0.4 beats 7 of 8
    assert m["finance.auroc"] == pytest.approx(15 / 16)
    assert m["finance.brier"] == pytest.approx(np.mean((p - y) ** 2))
    # top 10% = 1 applicant (0.9, a default): precision 1, recall 1/2
    assert m["finance.precision_at_10pct"] == 1.0 and m["finance.recall_at_10pct"] == 0.5
    # KS: at threshold 0.4, TPR 1 and FPR 1/8
    assert m["finance.ks"] == pytest.approx(7 / 8)


def test_calibration_error_is_zero_when_calibrated_and_large_when_not() -> None:
    y = np.array([0] * 8 + [1] * 2)
    assert metrics.expected_calibration_error(np.full(10, 0.2), y) == pytest.approx(0.0)
    assert metrics.expected_calibration_error(np.full(10, 0.9), y) == pytest.approx(0.7)


def test_one_class_split_reports_no_ranking_information() -> None:
    m = metrics.credit(np.array([0.2, 0.3]), np.array([0, 0]))
    assert m["finance.auroc"] == 0.5 and m["finance.ks"] == 0.0


def test_long_if_up_versus_buy_and_hold_by_hand() -> None:
    p_up = np.array([0.7, 0.3, 0.6, 0.4])
    up = np.array([1, 0, 0, 1])
    r = [2.0, -1.0, -3.0, 1.0]  # percent
    m = metrics.direction(p_up, up, r)
    assert m["finance.directional_accuracy"] == 0.5
    assert m["finance.hit_rate"] == 0.5  # long on days 1 and 3, up on day 1 only
    assert m["finance.long_fraction"] == 0.5
    assert m["finance.strategy_return"] == pytest.approx((1.02 * 0.97 - 1) * 100)
    hold = (1.02 * 0.99 * 0.97 * 1.01 - 1) * 100
    assert m["finance.buy_hold_return"] == pytest.approx(hold)
    assert m["finance.excess_return"] == pytest.approx((1.02 * 0.97 - 1) * 100 - hold)


def test_overlapping_horizons_trade_every_h_th_example() -> None:
    m = metrics.direction(np.ones(4), np.ones(4), [1.0, 5.0, 1.0, 5.0], horizon=2)
    assert m["finance.buy_hold_return"] == pytest.approx((1.01 * 1.01 - 1) * 100)


def test_for_task_dispatch_and_sentiment_f1() -> None:
    labels = ("negative", "neutral", "positive")
    probs = np.eye(3)[[0, 1, 2, 2]]
    m = metrics.for_task("finance/sentiment", probs, np.array([0, 1, 2, 1]), [{}] * 4, labels)
    assert m is not None
    assert m["finance.f1_negative"] == 1.0
    assert m["finance.macro_f1"] == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)
    assert metrics.for_task("other/task", probs, np.zeros(4), [{}] * 4, labels) is None
