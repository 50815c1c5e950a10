"""Finance metrics against hand-computed values; the kit's are not repeated."""

from __future__ import annotations

import numpy as np
import pytest
from vadapt.kit import score
from vadapt_finance import metrics
from vadapt_finance.tasks import CREDIT, CREDIT_LABELS, task_specs


def test_credit_metrics_by_hand() -> None:
    y = np.array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1])
    p = np.array([0.1, 0.2, 0.1, 0.3, 0.2, 0.1, 0.6, 0.1, 0.9, 0.4])
    m = metrics.credit(p, y)
    # top 10% = 1 applicant (0.9, a default): precision 1, recall 1/2
    assert m["finance.precision_at_10pct"] == 1.0 and m["finance.recall_at_10pct"] == 0.5
    # KS: at threshold 0.4, TPR 1 and FPR 1/8
    assert m["finance.ks"] == pytest.approx(7 / 8)
    assert m["finance.default_rate"] == 0.2


def test_credit_evaluate_adds_only_what_the_kit_lacks() -> None:
    task = next(t for t in task_specs() if t.id == CREDIT)
    p = np.array([0.1, 0.2, 0.6, 0.9, 0.4])
    probs, refs = np.stack([1 - p, p], 1), np.array([0, 0, 0, 1, 1])
    own = metrics.for_task(CREDIT, probs, refs, [{}] * 5, CREDIT_LABELS)
    kit = score(task, probs, refs, CREDIT_LABELS)
    assert own and not set(own) & set(kit)
    assert kit["auroc"] == pytest.approx(5 / 6)  # of p(default), the task's positive label
    assert kit["brier"] == pytest.approx(np.mean((p - refs) ** 2))


def test_one_class_split_leaves_ks_out() -> None:
    m = metrics.credit(np.array([0.2, 0.3]), np.array([0, 0]))
    assert "finance.ks" not in m and m["finance.recall_at_10pct"] == 0.0


def test_long_if_up_versus_buy_and_hold_by_hand() -> None:
    long = np.array([True, False, True, False])
    up = np.array([1, 0, 0, 1])
    r = [2.0, -1.0, -3.0, 1.0]  # percent
    m = metrics.direction(long, up, r)
    assert m["finance.hit_rate"] == 0.5  # long on days 1 and 3, up on day 1 only
    assert m["finance.long_fraction"] == 0.5
    assert m["finance.strategy_return"] == pytest.approx((1.02 * 0.97 - 1) * 100)
    hold = (1.02 * 0.99 * 0.97 * 1.01 - 1) * 100
    assert m["finance.buy_hold_return"] == pytest.approx(hold)
    assert m["finance.excess_return"] == pytest.approx((1.02 * 0.97 - 1) * 100 - hold)


def test_market_long_is_the_kit_argmax() -> None:
    probs = np.array([[0.3, 0.7], [0.5, 0.5], [0.6, 0.4]])  # a tie is "down", as in accuracy
    ex = [{"return": 1.0, "horizon": 1}] * 3
    m = metrics.for_task("finance/market-direction", probs, np.array([1, 1, 0]), ex, ("down", "up"))
    assert m is not None and m["finance.long_fraction"] == pytest.approx(1 / 3)


def test_overlapping_horizons_trade_every_h_th_example() -> None:
    m = metrics.direction(np.ones(4, bool), np.ones(4), [1.0, 5.0, 1.0, 5.0], horizon=2)
    assert m["finance.buy_hold_return"] == pytest.approx((1.01 * 1.01 - 1) * 100)


def test_sentiment_has_no_metric_beyond_the_kit() -> None:
    labels = ("negative", "neutral", "positive")
    probs = np.eye(3)[[0, 1, 2, 2]]
    assert (
        metrics.for_task("finance/sentiment", probs, np.array([0, 1, 2, 1]), [{}] * 4, labels)
        is None
    )
