# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""``pet``: LoRA through label-word scores on a tiny Llama (the real SmolLM2 in
test_engine_real)."""

from __future__ import annotations

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
)
from vadapt import InvalidConfig
from vadapt.engine import adapt
from vadapt.engine.evaluate import infer
from vadapt.engine.load import load_adapter


def _config(method: dict, **train) -> dict:
    cfg = base_config(**{"max_length": 16, **train})
    cfg["backbone"] = "tiny-llama"
    cfg["method"] = {"name": "pet", **method}
    return cfg


def test_pet_trains_lora_through_the_label_word_scores(lm_fx):
    zero = adapt(_config({}) | {"method": {"name": "lm-zero-shot"}}, progress=False)
    res = adapt(_config({}, epochs=6, lr=1e-2), progress=False)
    assert res.steps == 36 and res.manifest.method.name == "pet"
    assert res.metrics["test"]["accuracy"] >= 0.75 > zero.metrics["test"]["accuracy"]
    resolved = res.manifest.method.config["resolved"]
    assert resolved["verbalizer"] == {"pos": "pos", "neg": "neg"}
    assert resolved["target_modules"] == ["q_proj", "v_proj"]
    assert set(res.manifest.files) == {
        "adapter_config.json",
        "adapter_model.safetensors",
        "head.safetensors",
    }
    head = res.model.head.state_dict()
    assert list(head) == ["bias"]  # no classifier: the label words' scores plus a prior
    ad = res.model.adaptation
    lora_b = [v for k, v in ad.adapter_state().items() if "lora_B" in k]
    assert lora_b and all(float(v.abs().sum()) > 0 for v in lora_b)  # B starts at zero
    assert ad.format_text("great food") == "Text: great food\nAnswer (pos / neg):"


def test_pet_round_trips_and_the_pool_serves_it_as_predict_does(lm_fx):
    from vadapt.engine.load import predict
    from vadapt.serving import AdapterPool

    res = adapt(_config({}, epochs=3, lr=1e-2), progress=False)
    examples = text_examples(6, 5)
    before, _ = infer(res.model, res.context, examples)
    lm = load_adapter(res.ref)
    assert type(lm.model.adaptation).__name__ == "PetAdaptation"
    after, _ = infer(lm.model, lm.ctx, examples)
    np.testing.assert_allclose(before, after, atol=1e-5)
    lora = adapt(
        base_config() | {"backbone": "tiny-llama", "method": {"name": "lora"}}, progress=False
    )
    inputs = [{"text": e["text"]} for e in examples]
    with AdapterPool(max_resident=4) as pool:
        for ref in (str(res.ref), str(lora.ref), str(res.ref)):  # two adapters, one base
            assert pool.predict(ref, inputs) == predict(ref, inputs)


def test_pet_refuses_an_encoder_a_regression_task_and_adversarial_steps(lm_fx):
    with pytest.raises(InvalidConfig, match="causal language model"):
        adapt(_config({}) | {"backbone": "tiny-bert"}, progress=False)
    with pytest.raises(InvalidConfig, match="classifies texts"):
        adapt(_config({}) | {"task": "fx/reg"}, progress=False)
    adversarial = _config({}) | {"adversarial": {"enabled": True}}
    with pytest.raises(InvalidConfig, match=r"adversarial\.enabled=false"):
        adapt(adversarial, progress=False)
    with pytest.raises(InvalidConfig, match=r"verbalizer names labels \['meh'\]"):
        adapt(_config({"verbalizer": {"meh": "x"}}), progress=False)


def test_fewshot_trains_pet_at_each_k_for_its_minimum_steps(lm_fx):
    from vadapt.fewshot import fewshot
    from vadapt.fewshot.run import MIN_STEPS

    result = fewshot(
        "fx/text",
        shots="2",
        seeds=1,
        methods=["pet"],
        config={"backbone": "tiny-llama", "train": {"threads": 1, "max_length": 12}},
        save=False,
    )
    (point,) = [p for p in result.points if p.kind == "method"]
    assert (point.name, point.k) == ("pet", 2)
    assert point.steps >= MIN_STEPS
