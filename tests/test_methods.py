# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""Every method trains a few steps on tiny backbones, saves, reloads and predicts the same."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, fx, image_examples, text_examples, tiny_bert_dir  # noqa: F401
from vadapt import InvalidConfig
from vadapt.engine import adapt
from vadapt.engine.evaluate import infer
from vadapt.engine.load import load_adapter

TEXT_METHODS = ["full", "freeze", "lora", "ia3", "prompt-tuning", "bitfit", "bottleneck"]
IMAGE_METHODS = ["full", "freeze", "lora", "ia3", "bitfit", "bottleneck"]
PEFT = {"lora", "ia3", "prompt-tuning"}


def _roundtrip(res, examples):
    before, _ = infer(res.model, res.context, examples)
    lm = load_adapter(res.ref)
    after, _ = infer(lm.model, lm.ctx, examples)
    return np.asarray(before), np.asarray(after), lm


@pytest.mark.parametrize("method", TEXT_METHODS)
def test_text_method_trains_saves_and_reloads_identically(fx, method):
    cfg = base_config(epochs=1, max_steps=3)
    cfg["method"] = {"name": method}
    res = adapt(cfg, progress=False)
    assert res.steps == 3
    assert 0 < res.trainable_parameters < res.total_parameters or method == "full"
    files = set(res.manifest.files)
    if method in PEFT:
        assert {"adapter_config.json", "adapter_model.safetensors"} <= files
    else:
        assert "weights.safetensors" in files
    assert "head.safetensors" in files
    assert res.manifest.method.name == method
    before, after, _ = _roundtrip(res, text_examples(6, 11))
    np.testing.assert_allclose(before, after, atol=1e-5)


@pytest.mark.parametrize("method", IMAGE_METHODS)
def test_image_method_trains_saves_and_reloads_identically(fx, method):
    cfg = base_config("fx/image", epochs=1, max_steps=3, image_size=16, lr=1e-2)
    cfg["method"] = {"name": method, **({"layers": 1} if method == "freeze" else {})}
    if method == "bottleneck":
        cfg["method"]["target_modules"] = ["blocks.0", "blocks.1"]
    res = adapt(cfg, progress=False)
    import torch

    conv = next(m for m in res.model.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)  # NHWC on the CPU
    before, after, _ = _roundtrip(res, image_examples(6, 9))
    np.testing.assert_allclose(before, after, atol=1e-5)


def test_frozen_backbone_batchnorm_statistics_do_not_drift(fx):
    cfg = base_config("fx/image", epochs=1, max_steps=3, image_size=16)
    cfg["method"] = {"name": "lora"}
    cfg["output"] = {"save": False}
    res = adapt(cfg, progress=False)
    from engine_helpers import _tiny_cnn_loader

    fresh = _tiny_cnn_loader().model.state_dict()
    trained = res.model.adaptation.base_model().state_dict()
    for k in ("blocks.0.1.running_mean", "blocks.0.1.running_var"):
        assert any(key.endswith(k) for key in trained)
        got = next(v for key, v in trained.items() if key.endswith(k))
        np.testing.assert_allclose(got.numpy(), fresh[k].numpy())


def test_peft_adapter_dir_loads_with_peft_from_pretrained(fx, tmp_path):
    from peft import PeftModel
    from transformers import AutoModel
    from vadapt_registry import Registry

    cfg = base_config(epochs=1, max_steps=2)
    res = adapt(cfg, progress=False)
    out = Registry().materialize(res.ref, tmp_path / "adapter")
    base = AutoModel.from_pretrained(str(fx.tiny_bert))
    model = PeftModel.from_pretrained(base, str(out))
    lora_keys = [n for n, _ in model.named_parameters() if "lora_A" in n]
    assert lora_keys
    cfg_json = json.loads((out / "adapter_config.json").read_text())
    assert cfg_json["peft_type"] == "LORA" and sorted(cfg_json["target_modules"]) == [
        "query",
        "value",
    ]


def test_prompt_tuning_on_images_is_refused_before_loading(fx):
    cfg = base_config("fx/image")
    cfg["method"] = {"name": "prompt-tuning"}
    with pytest.raises(InvalidConfig, match="prompt-tuning"):
        adapt(cfg, progress=False)


def test_lora_options_reach_peft(fx):
    cfg = base_config(epochs=1, max_steps=1)
    cfg["method"] = {
        "name": "lora",
        "r": 4,
        "alpha": 8,
        "target_modules": ["query", "key", "value"],
    }
    res = adapt(cfg, progress=False)
    peft_cfg = res.manifest.method.config["resolved"]["peft"]
    assert peft_cfg["r"] == 4 and peft_cfg["lora_alpha"] == 8
    assert sorted(peft_cfg["target_modules"]) == ["key", "query", "value"]


def test_unknown_target_module_is_an_incompatible_base_error(fx):
    from vadapt import IncompatibleBaseModel

    cfg = base_config(epochs=1, max_steps=1)
    cfg["method"] = {"name": "lora", "target_modules": ["q_proj_nope"]}
    with pytest.raises(IncompatibleBaseModel, match="target_modules"):
        adapt(cfg, progress=False)


def test_methods_listing_names_every_method_with_options():
    from vadapt.methods import describe_methods

    rows = {r["name"]: r for r in describe_methods()}
    assert set(rows) == set(TEXT_METHODS) | {
        "zero-shot",
        "setfit",
        "setfit-full",
        "lm-zero-shot",
        "in-context",
        "pet",
    }
    assert rows["zero-shot"]["needs_labels"] is False
    assert set(rows["lora"]["options"]) == {"r", "alpha", "dropout", "target_modules"}
    assert rows["prompt-tuning"]["modalities"] == ["text"]
    assert rows["freeze"]["options"]["layers"]["default"] == 2
