# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""Decoder label scoring: ``lm-zero-shot`` and ``in-context`` on a tiny Llama (the real
SmolLM2 in test_engine_real)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import (  # noqa: F401
    base_config,
    fx,
    lm_fx,
    text_examples,
    tiny_bert_dir,
    tiny_llama_dir,
    write_tiny_llama,
)
from vadapt import CorruptAdapter, InvalidConfig
from vadapt.engine import adapt
from vadapt.engine.evaluate import infer
from vadapt.engine.load import load_adapter


def _config(method: dict, **train) -> dict:
    cfg = base_config(**{"max_length": 16, **train})
    cfg["backbone"] = "tiny-llama"
    cfg["method"] = method
    return cfg


def _separate(lm, out, tok, prompt: str, words: list[str]) -> list[float]:
    """The peer: each label word appended to the prompt, one whole forward per label."""
    import torch

    pid = tok(prompt)["input_ids"]
    scores = []
    for w in words:
        lab = tok(" " + w, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            h = lm(input_ids=torch.tensor([pid + lab])).last_hidden_state[0]
            logp = torch.log_softmax(h.float() @ out.float().T, -1)
        scores.append(float(sum(logp[len(pid) - 1 + t, lab[t]] for t in range(len(lab)))))
    return scores


@pytest.mark.parametrize("side", ["right", "left"])
def test_cached_label_scores_equal_one_forward_per_label(tiny_llama_dir, side):
    import torch
    from vadapt.backbones.text import load_hf_text
    from vadapt.methods.verbalizer import label_scores

    lb = load_hf_text(tiny_llama_dir)
    lm, tok = lb.model.eval(), lb.preprocessor
    tok.padding_side = side
    out = lm.get_input_embeddings().weight
    prompts = ["Text: great food\nAnswer:", "Text: the box arrived crushed and stale\nAnswer:"]
    words = ["great", "non-default thing", "a b"]  # one token, four, two
    ids = [tok(" " + w, add_special_tokens=False)["input_ids"] for w in words]
    enc = tok(prompts, padding=True, return_tensors="pt")
    with torch.no_grad():
        got = label_scores(lm, out, enc["input_ids"], enc["attention_mask"], ids)
    want = [_separate(lm, out, tok, p, words) for p in prompts]
    np.testing.assert_allclose(got.numpy(), np.array(want), atol=1e-4)


def test_untied_output_embeddings_are_read_from_the_checkpoint(tmp_path):
    from transformers import LlamaForCausalLM
    from vadapt.backbones.text import load_hf_text
    from vadapt.methods.verbalizer import output_embeddings

    path = write_tiny_llama(tmp_path / "untied", tied=False)
    want = LlamaForCausalLM.from_pretrained(str(path)).lm_head.weight
    lb = load_hf_text(path)
    got = output_embeddings(lb, "lm-zero-shot")
    assert not torch_equal(got, lb.model.get_input_embeddings().weight)
    assert torch_equal(got, want)


def torch_equal(a, b) -> bool:
    import torch

    return bool(torch.equal(a.detach(), b.detach()))


def test_lm_zero_shot_scores_the_prompt_calibrates_and_round_trips(lm_fx):
    cfg = _config({"name": "lm-zero-shot", "verbalizer": {"neg": "bad"}, "calibrate": True})
    res = adapt(cfg, progress=False)
    assert res.steps == 0 and res.manifest.method.name == "lm-zero-shot"
    resolved = res.manifest.method.config["resolved"]
    assert resolved["verbalizer"] == {"pos": "pos", "neg": "bad"}
    assert resolved["prompt"] == "Text: {text}\nAnswer (pos / neg):"
    p_cf = np.array(resolved["content_free_distribution"])
    assert p_cf.sum() == pytest.approx(1.0, abs=1e-3)
    bias = res.model.head.bias.detach().numpy()
    np.testing.assert_allclose(bias, -np.log(p_cf), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(res.model.head.weight.detach().numpy(), np.eye(2))
    ad = res.model.adaptation
    assert ad.format_text("great food") == "Text: great food\nAnswer (pos / neg):"
    before, _ = infer(res.model, res.context, text_examples(5, 3))
    lm = load_adapter(res.ref)
    after, _ = infer(lm.model, lm.ctx, text_examples(5, 3))
    np.testing.assert_allclose(before, after, atol=1e-5)


def test_lm_zero_shot_by_default_does_not_calibrate_and_keeps_a_zero_bias(lm_fx):
    cfg = _config({"name": "lm-zero-shot"})
    cfg["output"]["save"] = False
    res = adapt(cfg, progress=False)
    assert not res.model.head.bias.detach().numpy().any()
    assert "content_free_distribution" not in res.model.adaptation.resolved


def test_a_long_text_is_cut_and_the_prompt_keeps_its_cue(lm_fx):
    cfg = _config({"name": "lm-zero-shot"})
    cfg["output"]["save"] = False
    res = adapt(cfg, progress=False)
    formatted = res.model.adaptation.format_text(" ".join(["word"] * 200))
    assert formatted.endswith("\nAnswer (pos / neg):")
    assert formatted.count("word") == 16  # train.max_length tokens of the text


def test_in_context_stores_seeded_demonstrations_and_serves_them_again(lm_fx):
    cfg = _config({"name": "in-context", "demonstrations": 2}, max_length=12)
    res = adapt(cfg, progress=False)
    files = res.manifest.files
    assert set(files) == {"weights.safetensors", "head.safetensors", "demonstrations.json"}
    demos = res.model.adaptation.demos
    assert sorted(d["label"] for d in demos) == ["neg", "neg", "pos", "pos"]
    assert res.model.adaptation.resolved["demonstrations"] == 4
    assert "content_free_distribution" in res.model.adaptation.resolved  # calibrated
    formatted = res.model.adaptation.format_text("great food")
    assert formatted.count("Answer (pos / neg):") == 5  # four demonstrations, then the input
    assert formatted.endswith("Text: great food\nAnswer (pos / neg):")
    again = adapt({**cfg, "output": {"save": False}}, progress=False)
    assert again.model.adaptation.demos == demos  # train.seed draws them
    before, _ = infer(res.model, res.context, text_examples(5, 3))
    lm = load_adapter(res.ref)
    assert lm.model.adaptation.demos == demos
    after, _ = infer(lm.model, lm.ctx, text_examples(5, 3))
    np.testing.assert_allclose(before, after, atol=1e-5)


@pytest.mark.parametrize(
    "payload", [b"not json", b'{"text": "x"}', json.dumps([{"text": "x", "label": "meh"}]).encode()]
)
def test_bad_demonstrations_file_is_a_corrupt_adapter(payload):
    from vadapt.methods.verbalizer import read_demonstrations

    with pytest.raises(CorruptAdapter, match=r"demonstrations\.json"):
        read_demonstrations({"demonstrations.json": payload}, {"pos": "pos"}, "t@1")
    with pytest.raises(CorruptAdapter, match="missing"):
        read_demonstrations({}, {"pos": "pos"}, "t@1")


def test_decoder_methods_refuse_an_encoder_unknown_labels_and_overlong_prompts(lm_fx):
    cfg = _config({"name": "lm-zero-shot"})
    cfg["backbone"] = "tiny-bert"
    with pytest.raises(InvalidConfig, match="causal language model"):
        adapt(cfg, progress=False)
    with pytest.raises(InvalidConfig, match=r"verbalizer names labels \['meh'\]"):
        adapt(_config({"name": "lm-zero-shot", "verbalizer": {"meh": "x"}}), progress=False)
    long = _config({"name": "in-context", "demonstrations": 8}, max_length=60)
    with pytest.raises(InvalidConfig, match="more than the 256 the backbone reads"):
        adapt(long, progress=False)
    too_long = _config({"name": "lm-zero-shot"}, max_length=300)  # tiny-llama reads 256
    with pytest.raises(InvalidConfig, match=r"0 demonstrations and texts of up to 300"):
        adapt(too_long, progress=False)
    with pytest.raises(InvalidConfig, match="classifies texts"):
        adapt(_config({"name": "lm-zero-shot"}) | {"task": "fx/reg"}, progress=False)


def test_fewshot_runs_lm_zero_shot_at_k0_and_in_context_at_every_k(lm_fx, tmp_path):
    from vadapt.fewshot import fewshot

    result = fewshot(
        "fx/text",
        shots="0,2",
        seeds=2,
        methods=["lm-zero-shot", "in-context"],
        config={"backbone": "tiny-llama", "train": {"threads": 1, "max_length": 12}},
        save=False,
    )
    methods = [(p.name, p.k, p.seed) for p in result.points if p.kind == "method"]
    assert methods == [("lm-zero-shot", 0, 0), ("in-context", 2, 0), ("in-context", 2, 1)]
