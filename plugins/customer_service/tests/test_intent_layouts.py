"""Intent files in BANKING77 CSV, CLINC150 JSON and JSONL layouts; malformed files fail clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cs_testdata import INTENTS, OOS_TEXTS, intent_rows, write_csv, write_jsonl
from vadapt import InvalidConfig
from vadapt.kit import DataError
from vadapt_customer_service.intent import load_intent
from vadapt_customer_service.tasks import IntentData


def load(**kw):
    return load_intent(IntentData(**kw))


def test_banking77_csv_carves_test_and_validation_stratified(banking_csv: Path) -> None:
    splits = load(path=str(banking_csv))
    assert splits.labels == tuple(sorted(INTENTS))
    sizes = splits.sizes()
    assert sum(sizes.values()) == len(intent_rows())
    for split in (splits.train, splits.validation, splits.test):
        assert {ex["label"] for ex in split} == set(INTENTS)  # every intent in every split
    texts = [{ex["text"] for ex in s} for s in (splits.train, splits.validation, splits.test)]
    assert not (texts[0] & texts[1]) and not (texts[0] & texts[2]) and not (texts[1] & texts[2])


def test_splits_are_seeded(banking_csv: Path) -> None:
    a, b = load(path=str(banking_csv), seed=3), load(path=str(banking_csv), seed=3)
    c = load(path=str(banking_csv), seed=4)
    assert a.test == b.test and a.validation == b.validation
    assert a.test != c.test


def test_clinc150_json_keeps_its_splits_and_maps_oos(clinc_json: Path) -> None:
    splits = load(path=str(clinc_json))
    assert splits.labels == (*sorted(INTENTS), "oos")
    assert sum(ex["label"] == "oos" for ex in splits.test) == len(OOS_TEXTS[4:])
    assert sum(ex["label"] == "oos" for ex in splits.train) == 2
    no_oos_training = load(path=str(clinc_json), train_on_oos=False)
    assert not any(ex["label"] == "oos" for ex in no_oos_training.train)
    assert no_oos_training.labels[-1] == "oos"  # still detected, by threshold
    assert no_oos_training.untrained_labels == ("oos",)
    from vadapt.engine.data.checks import check_splits
    from vadapt.hooks import hooks

    # the core accepts oos without training examples (and only oos)
    check_splits(hooks().task("customer-service/intent"), no_oos_training, no_oos_training.labels)


def test_jsonl_and_user_oos_label(tmp_path: Path) -> None:
    rows = [{"text": t, "label": i} for t, i in intent_rows()]
    rows += [{"text": t, "label": "out_of_scope"} for t in OOS_TEXTS]
    path = write_jsonl(tmp_path / "intents.jsonl", rows)
    splits = load(path=str(path), oos_label="out_of_scope")
    assert "oos" in splits.labels and "out_of_scope" not in splits.labels


def test_directory_with_train_and_test_files(tmp_path: Path) -> None:
    rows = intent_rows()
    write_csv(tmp_path / "train.csv", ["text", "category"], rows[::2])
    write_csv(tmp_path / "test.csv", ["text", "category"], rows[1::2])
    splits = load(path=str(tmp_path))
    assert len(splits.test) == len(rows[1::2])
    assert "validation carved" in splits.info["split"]


def test_missing_column_names_file_and_fix(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", ["message", "category"], [("hi", "a")])
    with pytest.raises(InvalidConfig, match=r"bad\.csv: missing the text column.*text_field"):
        load(path=str(path))


def test_empty_text_names_file_and_line(tmp_path: Path) -> None:
    rows = intent_rows()
    rows.insert(3, ("   ", "card_arrival"))  # data line 4 -> file line 5
    path = write_csv(tmp_path / "train.csv", ["text", "category"], rows)
    with pytest.raises(InvalidConfig, match=r"train\.csv:5: empty text"):
        load(path=str(path))


def test_unknown_test_label_names_file_and_line(tmp_path: Path) -> None:
    rows = intent_rows()
    write_csv(tmp_path / "train.csv", ["text", "category"], rows)
    write_csv(
        tmp_path / "test.csv",
        ["text", "category"],
        [("when does my card come", "card_arrival"), ("refund me", "request_refund")],
    )
    with pytest.raises(
        InvalidConfig, match=r"test\.csv:3: test label 'request_refund' never occurs"
    ):
        load(path=str(tmp_path))


def test_malformed_jsonl_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "a", "label": "b"}\n{"text": "c", "label": \n', encoding="utf-8")
    with pytest.raises(InvalidConfig, match=r"x\.jsonl:2: not valid JSON"):
        load(path=str(path))


def test_malformed_clinc_entry_is_named(tmp_path: Path) -> None:
    path = tmp_path / "data_full.json"
    path.write_text(json.dumps({"train": [["hi", "greet"], ["no intent"]], "val": [], "test": []}))
    with pytest.raises(InvalidConfig, match=r"train\[1\]: expected \[text, intent\]"):
        load(path=str(path))


def test_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"customer-service/intent: data\.path .*nope\.csv"):
        load(path=str(tmp_path / "nope.csv"))


def test_ragged_csv_row_is_named(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("text,category\nhello,greet\nhi,greet,extra\n", encoding="utf-8")
    with pytest.raises(InvalidConfig, match=r"r\.csv:3: 3 fields"):
        load(path=str(path))
