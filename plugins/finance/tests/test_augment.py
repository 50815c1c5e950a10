"""Augmentation keeps labels and finance meaning: one scale per sentence, years kept."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from vadapt import InvalidConfig
from vadapt_finance import augmentation, credit
from vadapt_finance.tasks import CreditData


def numbers(text: str) -> list[float]:
    return [float(x.replace(",", "")) for x in re.findall(r"\d[\d,]*\.?\d*", text)]


def test_numbers_scale_together_so_comparisons_survive() -> None:
    text = "Operating profit rose to EUR 10.0 mn from EUR 9.9 mn in 2007 ; sales 1,250 mn"
    for seed in range(20):
        out = augmentation.scale_numbers(text, 1 + np.random.default_rng(seed).uniform(-0.05, 0.05))
        new = numbers(out)
        assert new[0] >= new[1]  # still a rise
        assert "2007" in out  # the year is kept
        assert re.search(r"\d,\d{3} mn", out)  # thousands separator kept
        assert all(abs(a / b - 1) <= 0.06 for a, b in zip(new, numbers(text), strict=True) if b)


def test_company_and_ticker_swaps_are_consistent() -> None:
    rng = np.random.default_rng(1)
    out = augmentation.swap_names("Nokia beat forecasts; Nokia shares ($AAPL) rose, NOK 5 mn.", rng)
    assert "Nokia" not in out and "AAPL" not in out and "NOK 5 mn" in out
    first = out.split(" beat")[0]
    assert out.count(first) == 2
    assert re.search(r"\(\$[A-Z]+\)", out)


def test_rows_are_noised_dropped_and_reserialised(credit_csv: Path) -> None:
    splits = credit.load(CreditData(path=str(credit_csv)))
    config = SimpleNamespace(options={"finance": {"p": 1.0, "feature_dropout": 0.3, "noise": 0.02}})
    before = [dict(e) for e in splits.train[:50]]
    out = augmentation.augment(list(splits.train[:50]), np.random.default_rng(0), config, rows=True)
    assert [e["label"] for e in out] == [e["label"] for e in before]
    dropped = sum(v is None for e in out for v in e["fields"].values())
    assert dropped > 0 and "unknown" in " ".join(e["text"] for e in out)
    for old, new in zip(before, out, strict=True):
        b_old, b_new = old["fields"]["balance"], new["fields"]["balance"]
        if b_new is not None:
            assert b_new == pytest.approx(b_old, rel=0.1)
    # the text and the numeric features are exactly those of the new fields
    from vadapt_finance.serialise import serialise, vector

    s = out[0]["schema"]
    assert out[0]["text"] == serialise(out[0]["fields"], s["phrases"], s["bins"], s["units"])
    assert all(e["features"] == vector(e["fields"], s) for e in out)


def test_bad_options_are_one_line_errors() -> None:
    with pytest.raises(InvalidConfig, match="feature_dropout"):
        augmentation.options(SimpleNamespace(options={"feature_dropout": 2}))
    with pytest.raises(InvalidConfig, match="noise"):
        augmentation.options(SimpleNamespace(options={"noise": "lots"}))


def test_row_perturbations_reserialise_rows_and_grow_with_severity(credit_csv: Path) -> None:
    import numpy as np
    from vadapt.kit.perturb import perturbed
    from vadapt_finance.augmentation import ROW_PERTURBATIONS
    from vadapt_finance.serialise import row_text

    rows = credit.load(CreditData(path=str(credit_csv))).test
    missing = ROW_PERTURBATIONS["missing_values"]
    mild, harsh = (perturbed(rows, "missing_values", missing, s) for s in (1, 5))
    count = [sum(v is None for ex in out for v in ex["fields"].values()) for out in (mild, harsh)]
    assert 0 < count[0] < count[1]
    for ex in harsh:  # the text is the serialisation of the perturbed fields
        assert ex["text"] == row_text(ex["fields"], ex["schema"])
    noisy = perturbed(rows, "feature_noise", ROW_PERTURBATIONS["feature_noise"], 3)
    before = np.array([ex["fields"]["balance"] for ex in rows], dtype=float)
    after = np.array([ex["fields"]["balance"] for ex in noisy], dtype=float)
    assert not np.allclose(before, after) and np.all(np.abs(after / before - 1) <= 0.5 + 1e-9)
    assert perturbed(rows, "feature_noise", ROW_PERTURBATIONS["feature_noise"], 3) == noisy
