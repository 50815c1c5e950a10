"""medical/ner: the MedMentions loader (on a tiny archive built here, in the real layout),
the MTSamples out-of-domain test set, user files, and a MiniLM adapter end to end."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile

import pytest
from vadapt.kit.data import DataError
from vadapt.kit.sources import PackageSource
from vadapt_medical import ner
from vadapt_medical.ner import NerData, label_of, load

ABSTRACT = "Chronic infection of the lung tissue was treated with surgery and cisplatin."


def _doc(i: int) -> dict:
    t = f"{ABSTRACT} Case {i}."
    anns = [
        {"start": 8, "end": 17, "type_id": "T046", "cui": "C1", "value": "infection"},
        {"start": 0, "end": 17, "type_id": "T046", "cui": "C2", "value": "Chronic infection"},
        {"start": 25, "end": 36, "type_id": "T024", "cui": "C3", "value": "lung tissue"},
        {"start": 54, "end": 61, "type_id": "T061", "cui": "C4", "value": "surgery"},
        {"start": 66, "end": 75, "type_id": "T121", "cui": "C5", "value": "cisplatin"},
        {"start": 41, "end": 48, "type_id": "T169", "cui": "C6", "value": "treated"},  # no group
    ]
    return {"text": t, "annotations": anns}


def _notes() -> dict:
    t = "The patient has hypertension and a history of asthma."
    anns = [
        {"start": 16, "end": 28, "cui": "C7", "value": "hypertension", "correct": True},
        {"start": 46, "end": 52, "cui": "C8", "value": "asthma", "correct": True},
        {"start": 4, "end": 11, "cui": "C9", "value": "patient", "killed": True},
        {"start": 35, "end": 42, "cui": "C10", "value": "history", "correct": False},
    ]
    return {"projects": [{"documents": [{"id": 1, "name": "n1", "text": t, "annotations": anns}]}]}


@pytest.fixture
def archive(tmp_path, monkeypatch):
    """A medcat-like sdist with both members, pinned by its own sha256."""
    members = {
        ner.MEDMENTIONS: json.dumps({"projects": [{"documents": [_doc(i) for i in range(40)]}]}),
        ner.MTSAMPLES: json.dumps(_notes()),
        "medcat-1.16.12/tests/resources/deid_test_data.json": "never read",
    }
    path = tmp_path / "src" / "medcat-1.16.12.tar.gz"
    path.parent.mkdir()
    with tarfile.open(path, "w:gz") as t:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    pinned = PackageSource("medcat", "1.16.12", sha, (ner.MEDMENTIONS, ner.MTSAMPLES))
    monkeypatch.setattr(ner, "MEDCAT", pinned)
    monkeypatch.setenv("VADAPT_SOURCES_DIR", str(path.parent))
    monkeypatch.setenv("VADAPT_CACHE_DIR", str(tmp_path / "cache"))
    return path


def test_semantic_types_map_to_groups_and_the_rest_is_not_an_entity():
    assert label_of({"type_id": "T191"}) == "Disorder"
    assert label_of({"type_id": "T116|T123"}) == "Chemical"
    assert label_of({"type": "Gene"}) == "Gene"  # a group name given directly
    assert label_of({"type_id": "T033"}) is None  # findings are left out on purpose
    assert label_of({"cui": "C1"}) is None


def test_medmentions_is_grouped_flattened_and_split_by_document(archive):
    splits = load(NerData())
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (28, 4, 8)
    doc = splits.train[0]
    assert [(doc["text"][e["start"] : e["end"]], e["label"]) for e in doc["entities"]] == [
        ("Chronic infection", "Disorder"),  # the longer of two overlapping mentions
        ("lung tissue", "Anatomy"),
        ("surgery", "Procedure"),
        ("cisplatin", "Chemical"),
    ]
    assert splits.info["overlaps_dropped"] == 40
    ids = [d["id"] for s in (splits.train, splits.validation, splits.test) for d in s]
    assert len(set(ids)) == 40 and all(i.startswith("mm-") for i in ids)
    assert load(NerData(seed=1)).test != splits.test


def test_mtsamples_test_set_keeps_reviewed_disorders_only(archive):
    splits = load(NerData(test_set="mtsamples"))
    assert len(splits.test) == 1 and len(splits.train) + len(splits.validation) == 40
    (note,) = splits.test
    assert [note["text"][e["start"] : e["end"]] for e in note["entities"]] == [
        "hypertension",
        "asthma",
    ]
    assert {e["label"] for e in note["entities"]} == {"Disorder"}


def test_user_files_in_jsonl_conll_and_pubtator(tmp_path):
    ent = [{"start": 0, "end": 9, "label": "T121"}]
    rows = [{"text": f"cisplatin for tumor {i}", "entities": ent} for i in range(20)]
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in rows))
    splits = load(NerData(path=str(jsonl)))
    assert splits.train[0]["entities"][0]["label"] == "Chemical"
    conll = tmp_path / "a.conll"
    conll.write_text("cisplatin B-Chemical\nfor O\ntumor B-Disorder\n\n" * 20)
    doc = load(NerData(path=str(conll))).train[0]
    assert doc["text"] == "cisplatin for tumor"
    assert [e["label"] for e in doc["entities"]] == ["Chemical", "Disorder"]
    pubtator = tmp_path / "a.pubtator"
    pubtator.write_text(
        "".join(
            f"{i}|t|Tumor study\n{i}|a|Cisplatin works.\n{i}\t0\t5\tTumor\tT191\n{i}\t12\t21\t"
            "Cisplatin\tT121\n\n"
            for i in range(20)
        )
    )
    doc = load(NerData(path=str(pubtator))).train[0]
    assert [doc["text"][e["start"] : e["end"]] for e in doc["entities"]] == ["Tumor", "Cisplatin"]


def test_no_index_and_no_copy_is_one_line_naming_the_way_out(tmp_path, monkeypatch):
    monkeypatch.setenv("VADAPT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("VADAPT_SOURCES_DIR", str(tmp_path))
    with pytest.raises(DataError, match=r"medical/ner: .* holds no medcat-1\.16\.12\.tar\.gz"):
        load(NerData())


@pytest.mark.slow
def test_minilm_ner_adapter_trains_and_reports_per_group(archive, tmp_path):
    from vadapt.engine import adapt, evaluate_adapter, predict

    res = adapt(
        {
            "task": "medical/ner",
            "train": {"epochs": 1, "max_steps": 3, "batch_size": 8, "max_length": 32, "threads": 1},
            "output": {"registry": str(tmp_path / "reg"), "allow_below_baseline": True},
        },
        progress=False,
    )
    test = res.metrics["test"]
    assert {"class.disorder.f1", "class.chemical.support", "strict_f1"} <= set(test)
    assert res.baselines["dictionary"]["f1"] == pytest.approx(1.0)  # the same five mentions
    again = evaluate_adapter(res.ref, registry=str(tmp_path / "reg"))
    assert again["f1"] == pytest.approx(test["f1"])
    (out,) = predict(res.ref, [{"text": ABSTRACT}], registry=str(tmp_path / "reg"))
    assert all(ABSTRACT[e["start"] : e["end"]] == e["text"] for e in out["entities"])
