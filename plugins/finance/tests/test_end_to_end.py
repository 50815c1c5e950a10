"""End to end through the engine with the real MiniLM backbone, a few steps on tiny files.

These check the plumbing (data -> training -> finance metrics -> baselines -> registry
-> predict), not quality: quality runs on the real data are in RESULTS.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

engine = pytest.importorskip("vadapt.engine")
pytestmark = pytest.mark.slow

TRAIN = {"epochs": 1, "max_steps": 2, "batch_size": 8, "max_length": 48, "threads": 1}


def _adapt(cfg: dict[str, Any]) -> Any:
    # two steps need not beat the baselines: the gate is tested in tests/test_engine_gate.py
    return engine.adapt({**cfg, "output": {"allow_below_baseline": True}}, progress=False)


def test_credit_default_adapts_scores_and_predicts(credit_csv: Path, registry_root: Path) -> None:
    res = _adapt(
        {
            "task": "finance/credit-default",
            "data": {"path": str(credit_csv), "oversample": 0.5},
            "train": {**TRAIN, "class_weights": "balanced"},
            "augment": {"enabled": True, "options": {"finance": {"feature_dropout": 0.2}}},
        }
    )
    test = res.metrics["test"]
    for key in ("auroc", "finance.ks", "brier", "finance.recall_at_10pct"):
        assert key in test
    assert set(res.baselines) == {"majority", "logreg"}
    assert res.baselines["logreg"]["auroc"] > 0.8  # balance drives default
    assert res.baselines["logreg"]["finance.ks"] > 0  # the plugin's metrics score baselines too
    from vadapt_finance.serialise import row_text

    schema = res.manifest.training["data"]["info"]["serialisation_schema"]
    text = row_text({"student": "no", "balance": 2400.0, "income": 30000.0}, schema)
    assert re.search(r"balance: 2,400 \(percentile 9\d\)", text), text  # top of the range
    out = engine.predict(res.ref, [{"text": text}])
    assert out[0]["label"] in ("default", "non-default")
    assert set(out[0]["scores"]) == {"default", "non-default"}


def test_market_direction_reports_trading_metrics_beside_baselines(
    ff: ModuleType, tmp_path: Path, registry_root: Path
) -> None:
    prices = ff.write_prices_csv(tmp_path / "prices.csv", days=260)
    res = _adapt(
        {
            "task": "finance/market-direction",
            "data": {"path": str(prices), "train_start": "2019-01-15",
                     "validation_start": "2019-08-01", "test_start": "2019-10-01"},
            "train": TRAIN,
        }
    )  # fmt: skip
    test = res.metrics["test"]
    for key in ("accuracy", "finance.strategy_return", "finance.hit_rate"):
        assert key in test
    # the same buy-and-hold figure for the adapter and every baseline: one test period
    holds = {round(m["finance.buy_hold_return"], 9) for m in res.baselines.values()}
    assert holds == {round(test["finance.buy_hold_return"], 9)}
    assert {"always-up", "logreg-lag1-lag2", "majority"} <= set(res.baselines)


def test_sentiment_from_phrasebank_with_zero_shot_baselines(
    phrasebank: Path, registry_root: Path
) -> None:
    res = _adapt({"task": "finance/sentiment", "data": {"path": str(phrasebank)}, "train": TRAIN})
    assert "macro_f1" in res.metrics["test"]
    assert {"majority", "tfidf-logreg", "frozen-probe"} <= set(res.baselines)
    from vadapt_finance import lexicon

    assert ("loughran-mcdonald" in res.baselines) == lexicon.available()
