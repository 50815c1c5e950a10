"""``vadapt.kit.ner_formats``: entity annotations in their published layouts."""

from __future__ import annotations

import json

import pytest
from vadapt.kit.data import DataError
from vadapt.kit.ner_formats import read_conll, read_entities, read_medcat, read_pubtator


def test_medcat_export_leaves_out_what_reviewers_rejected(tmp_path):
    anns = [
        {"start": 0, "end": 3, "cui": "C1", "type_id": "T047"},
        {"start": 4, "end": 7, "cui": "C2", "deleted": True},
        {"start": 8, "end": 11, "cui": "C3", "killed": True},
        {"start": 12, "end": 15, "cui": "C4", "correct": False},
    ]
    doc = {"name": "note-1", "text": "abc def ghi jkl", "annotations": anns}
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"projects": [{"documents": [doc]}]}))
    (got,) = read_medcat(path, lambda a: a.get("type_id") or "Other")
    assert got == {
        "id": "note-1",
        "text": "abc def ghi jkl",
        "entities": [{"start": 0, "end": 3, "label": "T047"}],
    }
    path.write_text(json.dumps({"documents": []}))
    with pytest.raises(DataError, match="not a MedCAT trainer export"):
        read_medcat(path, lambda a: "x")
    path.write_text("{oops")
    with pytest.raises(DataError, match="not readable as JSON"):
        read_medcat(path, lambda a: "x")


def test_pubtator_offsets_count_title_space_abstract(tmp_path):
    path = tmp_path / "x.pubtator"
    path.write_text("7|t|Aspirin trial\n7|a|It helps pain.\n7\t0\t7\tAspirin\tChemical\tD001\n")
    (doc,) = read_pubtator(path)
    assert doc["text"] == "Aspirin trial It helps pain."
    assert doc["entities"] == [{"start": 0, "end": 7, "label": "Chemical"}]
    path.write_text("7|t|x\n7|a|y\n7\tzero\t1\tx\tChemical\n")
    with pytest.raises(DataError, match=r"x\.pubtator:3: offset 'zero' is not an integer"):
        read_pubtator(path)
    path.write_text("a line that is neither\n")
    with pytest.raises(DataError, match=r":1: expected 'PMID\|t\|'"):
        read_pubtator(path)


def test_conll_sentences_become_space_joined_texts(tmp_path):
    path = tmp_path / "x.conll"
    path.write_text("-DOCSTART- O\n\nNew NNP B-LOC\nYork NNP I-LOC\nis VBZ O\n\nHi UH O\n")
    docs = read_conll(path)
    assert [d["text"] for d in docs] == ["New York is", "Hi"]
    assert docs[0]["entities"] == [{"start": 0, "end": 8, "label": "LOC"}]
    path.write_text("New X-LOC\n")
    with pytest.raises(DataError, match=r"x\.conll:1: tag 'X-LOC' is not O, B-x"):
        read_conll(path)


def test_layout_by_suffix_and_a_bad_jsonl_line(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "a b", "entities": [{"start": 0, "end": 1, "label": "K"}]}\n[1]\n')
    with pytest.raises(DataError, match=r"x\.jsonl:2: expected an object"):
        read_entities(path)
    path.write_text('{"text": "a b", "entities": [{"start": 0, "end": 1, "label": "K"}]}\n')
    (doc,) = read_entities(path, lambda a: "Kept" if a["type"] == "K" else None)
    assert doc["entities"][0]["label"] == "Kept"
    with pytest.raises(DataError, match=r"unknown annotation layout '\.xml'"):
        read_entities(tmp_path / "x.xml")
