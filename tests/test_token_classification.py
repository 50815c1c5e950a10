# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""Token classification: word tags, windows, entity scoring, the engine end to end."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, fx, tiny_bert_dir  # noqa: F401
from vadapt import InvalidConfig
from vadapt.engine import adapt, evaluate_adapter, predict
from vadapt.kit.data import DataError
from vadapt.kit.entities import check_entities, spans, tag_names, tag_spans, word_tags, words

TEXT = "DCTN4 as a modifier of chronic Pseudomonas aeruginosa infection"
GOLD = [{"start": 31, "end": 53, "label": "ORG"}, {"start": 0, "end": 5, "label": "GENE"}]


def test_word_tags_and_spans_round_trip_in_bio_and_bioes():
    offsets = words(TEXT)
    ents = check_entities("d1", TEXT, GOLD, ["GENE", "ORG"])
    bio = word_tags(offsets, ents, "bio")
    assert bio == ["B-GENE", "O", "O", "O", "O", "O", "B-ORG", "I-ORG", "O"]
    assert word_tags(offsets, ents, "bioes")[:1] + word_tags(offsets, ents, "bioes")[6:8] == [
        "S-GENE",
        "B-ORG",
        "E-ORG",
    ]
    got = spans(TEXT, offsets, bio)
    assert [(s["start"], s["end"], s["label"], s["text"]) for s in got] == [
        (0, 5, "GENE", "DCTN4"),
        (31, 53, "ORG", "Pseudomonas aeruginosa"),
    ]
    assert tag_names(["A"], "bioes") == ("O", "B-A", "I-A", "E-A", "S-A")


def test_entities_inside_or_across_words_move_to_word_boundaries():
    offsets = words("hypertension and anti-TNF")  # hypertension / and / anti / - / TNF
    tail = word_tags(offsets, [{"start": 5, "end": 12, "label": "D"}])  # "tension"
    assert tail[0] == "B-D"  # the word it starts in
    cross = word_tags(offsets, [{"start": 2, "end": 20, "label": "D"}])
    assert cross == ["O", "B-D", "I-D", "O", "O"]  # the words that start inside it


def test_lenient_decoding_reads_stray_inside_tags_as_entities():
    assert tag_spans(["I-X", "I-X", "O", "B-Y", "I-X", "E-X", "S-X"]) == [
        (0, 2, "X"),
        (3, 4, "Y"),
        (4, 6, "X"),
        (6, 7, "X"),
    ]


@pytest.mark.parametrize(
    ("entities", "match"),
    [
        ([{"start": 0, "end": 99, "label": "GENE"}], r"d7: entity \[0, 99\) is outside"),
        ([{"start": 3, "end": 3, "label": "GENE"}], "outside its text"),
        (
            [{"start": 0, "end": 5, "label": "DRUG"}],
            "'DRUG' at offset 0 is not declared; declared: GENE, ORG",
        ),
        (
            [{"start": 0, "end": 8, "label": "GENE"}, {"start": 6, "end": 9, "label": "ORG"}],
            r"overlap at offset 6",
        ),
        ([{"start": "0", "end": 5, "label": "GENE"}], "not integers"),
        ([{"start": 0, "label": "GENE"}], "lacks start, end or label"),
    ],
)
def test_bad_entities_are_one_line_errors_naming_document_and_offset(entities, match):
    with pytest.raises(DataError, match=match) as err:
        check_entities("d7", TEXT, entities, ["GENE", "ORG"])
    assert "\n" not in str(err.value)


def test_long_documents_become_overlapping_windows_each_word_owned_once(tiny_bert_dir):
    from transformers import AutoTokenizer
    from vadapt.engine.data.windows import IGNORE, encode_windows

    tok = AutoTokenizer.from_pretrained(str(tiny_bert_dir))
    text = " ".join(f"word{i} unbelievably" for i in range(60))  # many pieces per word
    ents = [
        {"start": m.start(), "end": m.end(), "label": "W"}
        for m in __import__("re").finditer(r"word\d+", text)
    ]
    tags = tag_names(["W"])
    win = encode_windows([{"text": text, "entities": ents}], tok, tags, max_length=32, stride=8)
    assert len(win) > 5 and (win.lengths <= 32).all()
    owned = np.concatenate([a[a >= 0] for a in win.word_at])
    assert sorted(owned.tolist()) == list(range(len(words(text))))  # each word exactly once
    for ids, labels in zip(win.ids, win.labels, strict=True):
        assert ids[0] == tok.cls_token_id and ids[-1] == tok.sep_token_id
        assert labels[0] == IGNORE and labels[-1] == IGNORE
        assert set(labels[labels != IGNORE].tolist()) <= {0, 1}  # O, B-W: first pieces only
    whole = encode_windows([{"text": text, "entities": ents}], tok, tags, 512, 8)
    assert len(whole) == 1
    firsts = np.concatenate([lab[lab != IGNORE] for lab in whole.labels])
    assert (firsts == [1, 0] * 60).all()


def test_ner_adapter_trains_scores_entities_and_predicts_spans(fx):
    cfg = base_config("fx/tokens", epochs=8, lr=5e-3) | {"method": {"name": "full"}}
    res = adapt(cfg, progress=False)
    test = res.metrics["test"]
    assert res.manifest.labels == ["O", "B-POS", "I-POS", "B-NEG", "I-NEG"]
    assert {"precision", "recall", "f1", "strict_f1", "class.pos.f1", "class.neg.support"} <= set(
        test
    )
    assert test["class.pos.support"] + test["class.neg.support"] > 16
    baselines = res.manifest.baselines
    assert baselines["majority"]["f1"] == 0.0
    assert baselines["dictionary"]["f1"] > 0.9  # the fixture's entity words are a closed list
    assert test["f1"] > 0.9
    text = "the food was really great and stale"
    (out,) = predict(res.ref, [{"text": text}])
    for e in out["entities"]:
        assert text[e["start"] : e["end"]] == e["text"] and 0 < e["score"] <= 1
        assert e["label"] in ("POS", "NEG")
    again = evaluate_adapter(res.ref)
    assert again["f1"] == pytest.approx(test["f1"])
    from typer.testing import CliRunner
    from vadapt.cli import app

    out = CliRunner().invoke(app, ["evaluate", res.ref])
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["entity", "precision", "recall", "f1-score", "support"]
    assert [ln.split()[0] for ln in lines[1:3]] == ["neg", "pos"]
    assert lines[3].split()[:2] == ["micro", "avg"]
    assert float(lines[3].split()[4]) == pytest.approx(test["f1"], abs=1e-4)


def test_bioes_tagging_and_a_lora_adapter_round_trip_and_serve(fx, tmp_path):
    cfg = base_config("fx/tokens", epochs=2, tagging="bioes")
    cfg["method"] = {"name": "lora"}
    res = adapt(cfg, progress=False)
    assert "S-POS" in res.manifest.labels and "E-NEG" in res.manifest.labels
    examples = [{"text": "really great food, really awful box"}]
    from vadapt.engine.evaluate import infer
    from vadapt.engine.load import load_adapter

    before, _ = infer(res.model, res.context, examples)
    lm = load_adapter(res.ref)
    after, _ = infer(lm.model, lm.ctx, examples)
    np.testing.assert_allclose(before[0], after[0], atol=1e-5)
    from vadapt.serving import AdapterPool

    with AdapterPool(max_resident=2) as pool:  # what vadapt serve answers with
        assert pool.predict(str(res.ref), examples) == predict(str(res.ref), examples)
    from peft import PeftModel
    from transformers import AutoModel
    from vadapt_registry import Registry

    out = Registry().materialize(res.ref, tmp_path / "adapter")  # peft reads it as it is
    PeftModel.from_pretrained(AutoModel.from_pretrained(str(fx.tiny_bert)), str(out))


def test_bad_entity_data_augmentation_and_fewshot_are_refused(fx):
    cfg = base_config("fx/tokens", epochs=1)
    cfg["data"] = {"mode": "overlap"}
    with pytest.raises(DataError, match=r"train\[1\] \(id 1\): entities .* overlap at offset"):
        adapt(cfg, progress=False)
    with pytest.raises(InvalidConfig, match=r"augment\.enabled=false"):
        adapt(base_config("fx/tokens") | {"augment": {"enabled": True}}, progress=False)
    from vadapt.fewshot import fewshot

    with pytest.raises(InvalidConfig, match=r"k examples per class.*token-classification"):
        fewshot("fx/tokens", shots="2", seeds=1, save=False)


def test_a_frozen_backbone_probe_trains_the_head_only(fx):
    cfg = base_config("fx/tokens", epochs=2, lr=1e-2) | {"method": {"name": "freeze", "layers": 0}}
    res = adapt(cfg, progress=False)
    ad = res.model.adaptation
    trained = [n for n, p in ad.module.named_parameters() if p.requires_grad]
    assert all(n.startswith("pooler.") for n in trained)  # after the stack; unused by tokens
    assert ad.prefix_cache is None and res.manifest.method.config["resolved"]["layers"] == 0
