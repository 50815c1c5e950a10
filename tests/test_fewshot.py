# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""Few and no labels: prompts as task data, the zero-shot and SetFit methods, the k-shot
protocol and ``vadapt fewshot`` (tiny backbones; the real MiniLM in test_engine_real)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, fx, text_examples, tiny_bert_dir  # noqa: F401
from vadapt import InvalidConfig, TaskSpec
from vadapt.engine import adapt
from vadapt.engine.evaluate import infer
from vadapt.engine.load import load_adapter
from vadapt.fewshot import fewshot, k_shot, parse_shots
from vadapt.fewshot.protocol import check_shots, label_indices
from vadapt.types import Splits


def _spec(**kw):
    return TaskSpec(id="t/x", modality="text", head="classification", description="d", **kw)


# -- prompts and descriptions are task data ---------------------------------------------


def test_prompt_defaults_from_label_names_and_descriptions_fall_back():
    spec = _spec(labels=("non-default", "default"), label_descriptions={"default": "defaulted"})
    assert spec.prompt == "Text: {text}\nAnswer (non default / default):"
    assert spec.describe("default") == "defaulted"
    assert spec.describe("non-default") == "non default"
    assert spec.undescribed(spec.labels) == ["non-default"]


@pytest.mark.parametrize("prompt", ["no slot", "{text} and {label}", "{text} {text}", "{text"])
def test_a_prompt_without_one_text_slot_is_refused(prompt):
    with pytest.raises(ValueError, match=r"TaskSpec 't/x': prompt .*\{text\}|not a template"):
        _spec(labels=("a", "b"), prompt=prompt)


def test_every_classification_task_of_the_verticals_supplies_prompt_and_descriptions():
    from vadapt.hooks import hooks

    tasks = [t for t in hooks().tasks().values() if t.head.value == "classification"]
    assert len(tasks) >= 8
    for t in tasks:
        assert "{text}" in t.prompt
        if t.labels and t.modality.value != "image":
            assert not t.undescribed(t.labels), t.id
            assert not t.prompt.startswith("Text: {text}"), f"{t.id} keeps the generic prompt"


# -- the k-shot protocol -----------------------------------------------------------------


@pytest.mark.parametrize("bad", ["", "8,x", "-1", "1.5", "8,,"])
def test_shots_must_be_non_negative_integers(bad):
    with pytest.raises(InvalidConfig, match="--shots"):
        parse_shots(bad)


def test_shots_parse_sorted_and_unique():
    assert parse_shots("32, 0,8,8") == (0, 8, 32)


def _splits(n_per_label=(10, 3)):
    train = [
        {"text": f"{lab} {i}", "label": lab}
        for lab, n in zip(("a", "b"), n_per_label, strict=True)
        for i in range(n)
    ]
    return Splits(train=train, validation=[], test=train[:2])


def test_k_shot_draws_k_per_label_and_validation_from_the_rest_seeded():
    splits = _splits((10, 6))
    by = label_indices(splits.train, ["a", "b"])
    one = k_shot(splits, by, 3, seed=0)
    assert sorted(ex["label"] for ex in one.train) == ["a"] * 3 + ["b"] * 3
    assert sorted(ex["label"] for ex in one.validation) == ["a"] * 3 + ["b"] * 3
    assert not {ex["text"] for ex in one.train} & {ex["text"] for ex in one.validation}
    assert one.test == splits.test
    assert k_shot(splits, by, 3, seed=0).train == one.train
    assert k_shot(splits, by, 3, seed=1).train != one.train
    zero = k_shot(splits, by, 0, seed=0)
    assert zero.validation == [] and zero.info["shots"] == 0


def test_k_larger_than_the_smallest_class_names_it_and_its_count():
    splits = _splits((10, 3))
    with pytest.raises(InvalidConfig, match=r"label 'b' of 't/x' has only 3 training examples"):
        check_shots((0, 4), label_indices(splits.train, ["a", "b"]), "t/x")


# -- methods -----------------------------------------------------------------------------


def test_zero_shot_head_is_the_scaled_description_embeddings_and_round_trips(fx):
    from vadapt.methods.similarity import embed_texts

    cfg = base_config()
    cfg["method"] = {"name": "zero-shot", "prior": False, "scale": 7.0}
    res = adapt(cfg, progress=False)
    assert res.steps == 0 and res.manifest.method.name == "zero-shot"
    resolved = res.manifest.method.config["resolved"]
    assert resolved["undescribed_labels"] == ["pos", "neg"]  # fx/text has no descriptions
    directions = embed_texts(res.model, res.context, ["pos", "neg"]).numpy()
    weight = res.model.head[1].weight.detach().numpy()
    np.testing.assert_allclose(weight, 7.0 * directions, atol=1e-5)
    assert set(res.manifest.files) == {"weights.safetensors", "head.safetensors"}
    before, _ = infer(res.model, res.context, text_examples(5, 3))
    lm = load_adapter(res.ref)
    after, _ = infer(lm.model, lm.ctx, text_examples(5, 3))
    np.testing.assert_allclose(before, after, atol=1e-5)


def test_zero_shot_prior_is_estimated_on_unlabelled_texts(fx):
    cfg = base_config()
    cfg["method"] = {"name": "zero-shot", "prior": True, "prior_examples": 16}
    cfg["output"]["save"] = False
    res = adapt(cfg, progress=False)
    prior = res.model.adaptation.resolved["prior"]
    assert len(prior) == 2 and all(math.isfinite(b) for b in prior)
    # -log of a distribution over two labels: the two exp(-b) sum to one
    assert sum(math.exp(-b) for b in prior) == pytest.approx(1.0, abs=1e-3)


def test_a_label_template_without_its_slot_is_an_invalid_config(fx):
    cfg = base_config()
    cfg["method"] = {"name": "zero-shot", "label_template": "A review"}
    with pytest.raises(InvalidConfig, match=r"method\.label_template"):
        adapt(cfg, progress=False)


@pytest.mark.parametrize("method", ["setfit", "setfit-full"])
def test_setfit_tunes_the_body_on_streamed_pairs_and_round_trips(fx, method):
    cfg = base_config(batch_size=4)
    cfg["method"] = {"name": method, "pairs_per_example": 2}
    cfg["data"] = {"n_train": 12}
    res = adapt(cfg, progress=False)
    assert res.steps == math.ceil(2 * 12 / 4)  # pairs, not epochs
    assert res.manifest.method.config["resolved"]["pair_steps"] == res.steps
    files = set(res.manifest.files)
    assert ("adapter_model.safetensors" if method == "setfit" else "weights.safetensors") in files
    before, _ = infer(res.model, res.context, text_examples(5, 3))
    lm = load_adapter(res.ref)
    after, _ = infer(lm.model, lm.ctx, text_examples(5, 3))
    np.testing.assert_allclose(before, after, atol=1e-5)


def test_pair_sampler_draws_one_batch_half_positive_without_a_pair_list():
    from vadapt.methods.setfit import PairSampler

    labels = np.array([0] * 500 + [1] * 500 + [2])  # label 2 has a single example
    sampler = PairSampler(labels, np.random.default_rng(0))
    a, b, same = sampler.draw(4000)
    assert a.shape == b.shape == same.shape == (4000,)
    assert 0.45 < same.mean() < 0.55
    assert np.array_equal(same, (labels[a] == labels[b]).astype(np.float32))
    assert not np.any((a == b) & (same == 1))  # a positive is never the anchor itself
    lonely = a == 1000
    assert lonely.any() and not same[lonely].any()  # a single example: negatives only


def test_similarity_methods_refuse_tasks_they_cannot_classify(fx):
    cfg = base_config("fx/reg")
    cfg["method"] = {"name": "zero-shot"}
    with pytest.raises(InvalidConfig, match="classifies texts"):
        adapt(cfg, progress=False)


# -- vadapt fewshot ----------------------------------------------------------------------


def _fewshot(fx, tmp_path, **kw):
    config = {"train": {"threads": 1, "max_length": 24, "batch_size": 4}, "data": {"n_train": 24}}
    return fewshot(
        "fx/text",
        shots=kw.pop("shots", "0,2,4"),
        seeds=kw.pop("seeds", 2),
        methods=kw.pop("methods", ["zero-shot", "setfit"]),
        config={**config, "options": {"setfit": {"pairs_per_example": 2}}},
        plot=str(tmp_path / "curve.png"),
        **kw,
    )


def test_fewshot_runs_every_k_and_seed_and_registers_the_best_per_method(fx, tmp_path):
    result = _fewshot(fx, tmp_path)
    methods = [(p.name, p.k, p.seed) for p in result.points if p.kind == "method"]
    assert methods == [
        ("zero-shot", 0, 0),
        ("setfit", 2, 0),
        ("setfit", 2, 1),
        ("setfit", 4, 0),
        ("setfit", 4, 1),
    ]
    baselines = {(p.name, p.k) for p in result.points if p.kind == "baseline"}
    assert {("majority", 2), ("tfidf-logreg", 4), ("frozen-probe", 4)} <= baselines
    summary = result.summary()
    assert summary["setfit"][4][2] == 2 and summary["zero-shot"][0][2] == 1
    assert Path(result.plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(result.saved) == {"zero-shot", "setfit"}
    lm = load_adapter(result.saved["setfit"])
    curve = lm.manifest.training["fewshot"]
    assert curve["k"] == 4 and curve["shots"] == [0, 2, 4] and "setfit" in curve["summary"]
    assert lm.manifest.training["data"]["info"]["shots"] == 4


def test_fewshot_trains_engine_loop_methods_for_enough_steps(fx, tmp_path):
    from vadapt.fewshot.run import MIN_STEPS

    result = _fewshot(fx, tmp_path, shots="2", seeds=1, methods=["lora"], save=False)
    (point,) = [p for p in result.points if p.kind == "method"]
    assert point.name == "lora" and result.saved == {}
    assert point.steps >= MIN_STEPS  # 4 examples at batch 4: one step an epoch


def test_fewshot_cli_prints_the_table_and_refuses_bad_shots(fx, tmp_path):
    from typer.testing import CliRunner
    from vadapt.cli import app

    runner = CliRunner()
    args = ["fewshot", "fx/text", "--seeds", "1", "--no-save", "--plot", str(tmp_path / "c.png")]
    sets = ["--set", "data.n_train=24", "--set", "train.max_length=24", "--set", "train.threads=1"]
    ok = runner.invoke(app, [*args, "--shots", "0,2", "--methods", "zero-shot", *sets])
    assert ok.exit_code == 0, ok.output
    assert "k per class" in ok.output and "zero-shot" in ok.output and "tfidf-logreg" in ok.output
    bad = runner.invoke(app, [*args, "--shots", "0,-2"])
    assert bad.exit_code != 0 and "--shots" in str(bad.exception or bad.output)
    big = runner.invoke(app, [*args, "--shots", "500", *sets])
    assert big.exit_code != 0 and "training examples" in str(big.exception or big.output)


def test_label_words_are_task_data_with_the_name_as_fallback():
    spec = _spec(labels=("non-default", "default"), label_words={"default": "no"})
    assert spec.word("default") == "no" and spec.word("non-default") == "non default"
    with pytest.raises(ValueError, match=r"label_words name unknown labels \['x'\]"):
        _spec(labels=("a", "b"), label_words={"x": "y"})
