"""medical/clinical-text: clinical notes from CSV (MTSamples layout by default).

MTSamples (mtsamples.com transcriptions, as shared on Kaggle as ``mtsamples.csv``)
has columns ``description, medical_specialty, sample_name, transcription,
keywords``; specialties carry a leading space (" Surgery") and a few notes are
empty. Notes run to thousands of words while MiniLM reads 512 tokens at most, so
long notes are cut here (``data.long_notes``) and the choice is reported in
``Splits.info``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from vadapt import InvalidConfig, NotFound, Splits
from vadapt.kit import label_counts, stratified_split

from vadapt_medical.common import intended_use
from vadapt_medical.tasks import CLINICAL_TEXT, ClinicalTextData


def cut(text: str, mode: str, max_words: int) -> tuple[str, bool]:
    """Return the note cut to ``max_words`` words and whether it was cut."""
    words = text.split()
    if len(words) <= max_words:
        return " ".join(words), False
    if mode == "truncate":
        return " ".join(words[:max_words]), True
    head = (max_words + 1) // 2
    tail = max_words - head
    return " ".join(words[:head]) + " ... " + " ".join(words[-tail:] if tail else []), True


def load(cfg: ClinicalTextData) -> Splits:
    task = CLINICAL_TEXT
    if cfg.path is None:
        raise InvalidConfig(
            f"data.path is not set (task {task})",
            fix="point data.path at a CSV of notes, e.g. MTSamples' mtsamples.csv "
            "(see the vadapt-medical README)",
        )
    path = Path(cfg.path).expanduser()
    if not path.is_file():
        raise NotFound(
            f"data.path {path} is not a file (task {task})", fix="fix the path to the CSV"
        )
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:
        raise InvalidConfig(
            f"data.path {path} is not a readable CSV ({exc}) (task {task})", fix="pass a CSV file"
        ) from exc
    for field, col in (("text_column", cfg.text_column), ("label_column", cfg.label_column)):
        if col not in frame.columns:
            raise InvalidConfig(
                f"data.{field} {col!r} is not a column of {path} (task {task})",
                fix=f"set data.{field} to one of {list(frame.columns)}",
            )
    text = frame[cfg.text_column].astype(str).str.strip()
    label = frame[cfg.label_column].astype(str).str.strip()
    keep = (text != "") & (label != "")
    n_empty = int((~keep).sum())
    text, label = text[keep], label[keep]
    if cfg.labels is not None:
        unknown = sorted(set(cfg.labels) - set(label))
        if unknown:
            raise InvalidConfig(
                f"data.labels names classes absent from {path}: {unknown} (task {task})",
                fix=f"choose from {sorted(set(label))[:20]}",
            )
        sel = label.isin(cfg.labels)
        text, label = text[sel], label[sel]
    counts = label.value_counts()
    rare = sorted(counts[counts < cfg.min_per_label].index)
    sel = ~label.isin(rare)
    text, label = text[sel].tolist(), label[sel].tolist()
    classes = sorted(set(label))
    if len(classes) < 2:
        raise InvalidConfig(
            f"{path} has {len(classes)} class(es) with at least {cfg.min_per_label} notes "
            f"(task {task})",
            fix="lower data.min_per_label or provide more labelled notes",
        )
    n_cut = 0
    rows: list[dict[str, Any]] = []
    for t, lab in zip(text, label, strict=True):
        short, was_cut = cut(t, cfg.long_notes, cfg.max_words)
        n_cut += was_cut
        rows.append({"text": short, "label": lab, "words": len(t.split())})
    tr, va, te = stratified_split(
        label, val_fraction=cfg.val_fraction, test_fraction=cfg.test_fraction, seed=cfg.seed
    )
    train, validation, test = ([rows[i] for i in idx] for idx in (tr, va, te))
    long_notes = (
        f"{cfg.long_notes} to {cfg.max_words} words"
        + (
            " (first and last halves joined by ' ... ')"
            if cfg.long_notes == "head-tail"
            else " (first words)"
        )
        + f"; {n_cut} of {len(rows)} notes were cut; the engine then truncates to "
        "train.max_length tokens"
    )
    notes = (
        f"Data: {path} ({len(rows)} notes, {len(classes)} classes; {n_empty} rows with an "
        f"empty note or label dropped; {len(rare)} classes under {cfg.min_per_label} notes "
        f"dropped). Long notes: {long_notes}. "
        f"Stratified split, seed {cfg.seed}. Not for clinical decisions."
    )
    return Splits(
        train=train,
        validation=validation,
        test=test,
        labels=tuple(classes),
        info={
            "source": str(path),
            "synthetic": False,
            "task": task,
            "long_notes": long_notes,
            "long_notes_mode": cfg.long_notes,
            "max_words": cfg.max_words,
            "notes_cut": n_cut,
            "dropped_empty": n_empty,
            "dropped_rare_labels": rare,
            "label_counts": {
                "train": label_counts(train),
                "validation": label_counts(validation),
                "test": label_counts(test),
            },
            "intended_use": intended_use("clinical note classifiers"),
            "notes": notes,
        },
    )
