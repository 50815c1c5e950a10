"""customer-service/intent: a user's intent data, in the layouts intent data ships in.

The label set comes from the training data (``Splits.labels``): in-scope
intents sorted, then ``oos`` when the data has out-of-scope messages. Out of
scope is detected by a threshold on the top probability (calibrated
on validation, see ``metrics.calibrate_oos_threshold``); CLINC150's
``oos_train`` examples also train an ``oos`` class unless
``data.train_on_oos`` is false.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from vadapt import InvalidConfig, Splits
from vadapt.kit import require_file

from vadapt_customer_service.layouts import (
    Record,
    detect_format,
    pick_field,
    read_clinc,
    read_csv,
    read_jsonl,
)
from vadapt_customer_service.split import stratified_split, stratified_subsample
from vadapt_customer_service.tasks import INTENT, OOS, IntentData

TEXT_FIELDS = ("text", "utterance", "query", "sentence")
LABEL_FIELDS = ("label", "category", "intent")
_SPLIT_NAMES = {
    "train": ("train",),
    "validation": ("validation", "val", "valid", "dev"),
    "test": ("test",),
}
_EXTS = (".csv", ".tsv", ".jsonl", ".ndjson", ".json")


def _records(path: Path, fmt: str) -> tuple[list[str], list[Record]]:
    if fmt == "csv":
        return read_csv(path)
    if fmt == "jsonl":
        records = read_jsonl(path)
        return (list(records[0].fields) if records else []), records
    raise InvalidConfig(f"{path}: format {fmt!r} is not a per-split layout", fix="use csv or jsonl")


def _examples(path: Path, config: IntentData) -> list[tuple[dict[str, Any], str]]:
    fmt = detect_format(path, config.format)
    if fmt == "clinc":
        raise InvalidConfig(
            f"{path}: a CLINC150 JSON file holds all splits; it cannot be one split of a directory",
            fix="point data.path at the JSON file itself",
        )
    columns, records = _records(path, fmt)
    if not records:
        raise InvalidConfig(f"{path}: no examples", fix="add rows with a text and a label")
    text_key = pick_field(columns, config.text_field, TEXT_FIELDS, "text", str(path), "text_field")
    label_key = pick_field(
        columns, config.label_field, LABEL_FIELDS, "label", str(path), "label_field"
    )
    return [
        _example(
            r.fields.get(text_key), r.fields.get(label_key), r.where, text_key, label_key, config
        )
        for r in records
    ]


def _example(
    text: str | None,
    label: str | None,
    where: str,
    text_key: str,
    label_key: str,
    config: IntentData,
) -> tuple[dict[str, Any], str]:
    if text is None:
        raise InvalidConfig(f"{where}: missing {text_key!r}", fix=f"give every row a {text_key!r}")
    if label is None:
        raise InvalidConfig(
            f"{where}: missing {label_key!r}", fix=f"give every row a {label_key!r}"
        )
    text, label = " ".join(text.split()), label.strip()
    if not text:
        raise InvalidConfig(f"{where}: empty text", fix="remove the row or fill in the message")
    if not label:
        raise InvalidConfig(
            f"{where}: empty label",
            fix=f"label the row, or use {config.oos_label!r} for out-of-scope messages",
        )
    if label == config.oos_label:
        label = OOS
    elif label == OOS:
        raise InvalidConfig(
            f"{where}: in-scope label 'oos' clashes with the out-of-scope label",
            fix="rename that intent, or set data.oos_label='oos' if it means out of scope",
        )
    return {"text": text, "label": label}, where


def _split_files(directory: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for split, names in _SPLIT_NAMES.items():
        for name in names:
            hits = [
                directory / f"{name}{ext}"
                for ext in _EXTS
                if (directory / f"{name}{ext}").is_file()
            ]
            if hits:
                found[split] = hits[0]
                break
    if "train" not in found:
        raise InvalidConfig(
            f"{directory}: no train file (looked for train{{{','.join(_EXTS)}}})",
            fix="name the training file train.csv or train.jsonl, or point data.path at a file",
        )
    return found


Rows = list[tuple[dict[str, Any], str]]


def _read_splits(config: IntentData) -> tuple[dict[str, Rows], str]:
    path = require_file(
        config.path, "path", INTENT, kinds="CSV/JSONL/CLINC150 JSON", directory=True
    )
    if path.is_dir():
        files = _split_files(path)
        return {split: _examples(f, config) for split, f in files.items()}, "files " + ", ".join(
            f"{s}={f.name}" for s, f in files.items()
        )
    fmt = detect_format(path, config.format)
    if fmt == "clinc":
        raw = read_clinc(path)
        out: dict[str, Rows] = {}
        for split, key in (("train", "train"), ("validation", "val"), ("test", "test")):
            rows = [
                _example(r.fields["text"], r.fields["label"], r.where, "text", "label", config)
                for r in raw[key] + raw[f"oos_{key}"]
            ]
            if rows:
                out[split] = rows
        if "train" not in out:
            raise InvalidConfig(f"{path}: the CLINC150 file has no train examples")
        return out, "CLINC150 JSON splits train/val/test (+ oos_*)"
    return {"train": _examples(path, config)}, "one file"


def load_intent(config: IntentData) -> Splits:
    rows, layout = _read_splits(config)
    train_rows = rows["train"]
    protocol = [f"layout: {layout}"]
    if "test" not in rows:
        train_rows, rows["test"] = stratified_split(
            train_rows, config.test_fraction, config.seed, key=lambda r: r[0]["label"]
        )
        protocol.append(
            f"test carved from train ({config.test_fraction:.0%}, stratified, seed {config.seed})"
        )
    if "validation" not in rows:
        train_rows, rows["validation"] = stratified_split(
            train_rows, config.validation_fraction, config.seed, key=lambda r: r[0]["label"]
        )
        protocol.append(
            f"validation carved from train ({config.validation_fraction:.0%}, "
            f"stratified, seed {config.seed})"
        )
    if not config.train_on_oos:
        train_rows = [r for r in train_rows if r[0]["label"] != OOS]
    in_scope = sorted({ex["label"] for ex, _ in train_rows if ex["label"] != OOS})
    if len(in_scope) < 2:
        raise InvalidConfig(
            f"{config.path}: training data has {len(in_scope)} in-scope intent(s) "
            f"({', '.join(in_scope) or 'none'}); at least 2 are needed",
            fix="check data.label_field and the file",
        )
    known = set(in_scope)
    for split in ("validation", "test"):
        for ex, where in rows[split]:
            if ex["label"] != OOS and ex["label"] not in known:
                raise InvalidConfig(
                    f"{where}: {split} label {ex['label']!r} never occurs in the training data",
                    fix=f"add training examples for it, or label it {config.oos_label!r} "
                    "(out of scope)",
                )
    has_oos = any(ex["label"] == OOS for split in rows.values() for ex, _ in split) or any(
        ex["label"] == OOS for ex, _ in train_rows
    )
    labels = (*in_scope, OOS) if has_oos else tuple(in_scope)
    train = stratified_subsample(
        [ex for ex, _ in train_rows], config.max_train_examples, config.seed
    )
    validation = stratified_subsample(
        [ex for ex, _ in rows["validation"]], config.max_validation_examples, config.seed
    )
    test = stratified_subsample(
        [ex for ex, _ in rows["test"]], config.max_test_examples, config.seed
    )
    counts = Counter(ex["label"] for ex in train)
    return Splits(
        train=train,
        validation=validation,
        test=test,
        labels=labels,
        # without oos_train, out of scope is the calibrated abstention alone
        untrained_labels=(OOS,) if has_oos and not counts.get(OOS) else (),
        info={
            "source": str(Path(config.path).expanduser()),
            "synthetic": False,
            "split": "; ".join(protocol),
            "labels": len(labels),
            "out_of_scope": {
                "present": has_oos,
                "train_examples": counts.get(OOS, 0),
                "detection": "threshold on top in-scope probability, calibrated on validation",
            },
            "subset": any(
                v is not None
                for v in (
                    config.max_train_examples,
                    config.max_validation_examples,
                    config.max_test_examples,
                )
            ),
            "intended_use": "Route customer messages to the intents of the training file; "
            "messages below the calibrated confidence are out of scope (hand to a person).",
        },
    )
