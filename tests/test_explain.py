# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""Integrated-gradients word attributions of a stored text adapter (``vadapt explain``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, fx, tiny_bert_dir  # noqa: F401
from vadapt import InvalidConfig

# texts written like fx/text's training sentences: four filler words, two planted ones
POSITIVE = {
    "the food great was really excellent": {"great", "excellent"},
    "snack and love box fresh the": {"love", "fresh"},
    "wonderful taste the delicious and box": {"wonderful", "delicious"},
}


@pytest.fixture
def trained(fx):
    from vadapt.engine import adapt

    cfg = base_config(epochs=10, lr=3e-2)
    cfg["data"] = {"n_train": 160}  # learns the planted words (test accuracy 1.0)
    return adapt(cfg, progress=False)


def test_the_planted_words_carry_the_attribution(trained):
    from vadapt.engine.explain import explain

    out = explain(trained.ref, list(POSITIVE), steps=16)
    for row in out:
        by_word = {w["word"]: w["attribution"] for w in row["words"]}
        assert list(by_word) == row["text"].split()
        top = sorted(by_word, key=lambda w: -by_word[w])[:2]
        assert row["label"] == "pos" and set(top) == POSITIVE[row["text"]], by_word
        assert row["convergence_delta"] < 1e-3 and "truncated" not in row
        w = row["words"][1]
        assert row["text"][w["start"] : w["end"]] == w["word"]


def test_long_inputs_say_they_were_cut_and_bad_input_is_one_line(trained):
    from vadapt.engine.explain import explain

    long = " ".join(["the food great was really excellent"] * 10)  # > max_length 24
    row = explain(trained.ref, [long], steps=4)[0]
    assert row["truncated"] == "cut to train.max_length = 24 tokens"
    assert sum(1 for w in row["words"] if w["attribution"] != 0.0) <= 24
    with pytest.raises(InvalidConfig, match="input 0: expected a non-empty text"):
        explain(trained.ref, ["  "])
    with pytest.raises(InvalidConfig, match="--steps 1"):
        explain(trained.ref, ["great"], steps=1)


def test_cli_explain_writes_jsonl(trained, capsys, tmp_path):
    from vadapt.cli import main

    inputs = tmp_path / "in.jsonl"
    inputs.write_text(json.dumps({"text": "the food great was really excellent"}) + "\n")
    with pytest.raises(SystemExit) as exc:
        args = ["explain", trained.ref, "--input", str(inputs), "--steps", "8"]
        main([*args, "--html", str(tmp_path / "why.html")])
        raise SystemExit(0)
    out = capsys.readouterr()
    assert (exc.value.code or 0) == 0, out.err
    row = json.loads(out.out.splitlines()[0])
    assert row["label"] == "pos" and [w["word"] for w in row["words"]][2] == "great"
    page = (tmp_path / "why.html").read_text()
    assert "predicted <b>pos</b>" in page and ">great</span>" in page


def test_explain_refuses_what_it_cannot_explain(fx):
    from vadapt.engine import adapt
    from vadapt.engine.explain import explain
    from vadapt.engine.faithfulness import deletion_curve, faithfulness
    from vadapt.engine.load import load_adapter

    res = adapt(base_config("fx/rank", epochs=1), progress=False)
    with pytest.raises(InvalidConfig, match=r"supports text .* classification and regression"):
        explain(res.ref, ["a question"])
    reg = adapt(base_config("fx/reg", epochs=1), progress=False)
    lm = load_adapter(reg.ref)
    rows = explain(reg.ref, ["great excellent"], steps=4, loaded=lm)
    assert isinstance(rows[0]["value"], float) and "label" not in rows[0]
    for measure in (faithfulness, deletion_curve):
        with pytest.raises(InvalidConfig, match="these rows explain a regression value"):
            measure(lm, rows)


def test_faithfulness_beats_the_random_control_on_the_planted_signal(trained):
    from vadapt.engine.explain import explain
    from vadapt.engine.faithfulness import deletion_curve, faithfulness
    from vadapt.engine.load import load_adapter

    lm = load_adapter(trained.ref)
    rows = explain(trained.ref, list(POSITIVE), steps=16, loaded=lm)
    f = faithfulness(lm, rows, fractions=(0.2, 0.4))
    assert set(f) == {
        "comprehensiveness", "sufficiency", "random_comprehensiveness", "random_sufficiency",
    }  # fmt: skip
    # removing the attributed words costs more than removing as many random ones;
    # keeping only them keeps more of the prediction
    assert f["comprehensiveness"] > f["random_comprehensiveness"] + 0.1, f
    assert f["sufficiency"] < f["random_sufficiency"] - 0.1, f
    curve = deletion_curve(lm, rows, fractions=(0.0, 0.25, 0.5, 0.75, 1.0))
    assert curve["fractions"] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert curve["top"][0] == pytest.approx(curve["random"][0])  # nothing deleted yet
    # deleting the attributed words first drops the label's probability sooner
    assert curve["top_auc"] < curve["random_auc"] - 0.05, curve


def test_rows_serialised_as_text_get_attributions_by_feature_name(trained):
    from vadapt.engine.explain import explain
    from vadapt.engine.load import load_adapter
    from vadapt.kit.fields import FIELDS_INFO, describe

    lm = load_adapter(trained.ref)
    info = lm.manifest.training.setdefault("data", {}).setdefault("info", {})
    info[FIELDS_INFO] = describe([("dish", "the food"), ("verdict", "was")], "; ")
    row = explain(trained.ref, ["the food great; was really excellent"], steps=16, loaded=lm)[0]
    feats = {f["feature"]: f["attribution"] for f in row["features"]}
    assert list(feats) == ["dish", "verdict"]
    by_word = {w["word"]: w["attribution"] for w in row["words"]}
    assert feats["dish"] == pytest.approx(by_word["the"] + by_word["food"] + by_word["great"])
    assert "features" not in explain(trained.ref, ["great food"], steps=4, loaded=lm)[0]
