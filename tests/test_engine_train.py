# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""The training loop on tiny in-code backbones: heads, hooks, early stopping, reproducibility."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, fx, tiny_bert_dir  # noqa: F401
from vadapt.engine import adapt, evaluate_adapter, predict


def test_user_notes_keep_the_task_plugins_intended_use(fx):
    cfg = base_config(max_steps=1)
    cfg["output"].update({"intended_use": "triage research"})
    m = adapt(cfg, progress=False).manifest
    assert m.intended_use.splitlines() == ["triage research", "tests only"]


def test_text_classification_end_to_end_saves_and_reloads(fx):
    res = adapt(base_config(), progress=False)
    assert res.ref == "text@1"
    m = res.manifest
    assert m.vertical == "fx" and m.task == "fx/text" and m.labels == ["pos", "neg"]
    assert m.backbone.name == "tiny-bert" and m.backbone.fingerprint.startswith("sha256:")
    assert set(m.files) == {"adapter_config.json", "adapter_model.safetensors", "head.safetensors"}
    assert m.plugins["vadapt-fx"] == "0.0.1" and "vadapt" in m.plugins
    assert m.data_fingerprint.startswith("sha256:")
    assert m.intended_use == "tests only"
    assert m.training["config"]["train"]["epochs"] == 2
    assert (
        "fx.positive_rate" in res.metrics["validation"]
        and "fx.positive_rate" in res.metrics["test"]
    )
    assert {"loss", "accuracy", "macro_f1"} <= set(res.metrics["test"])
    assert res.baselines["majority"]["accuracy"] == pytest.approx(0.5)
    assert fx.calls["baselines.encode_rows"] == 4
    # evaluate from the registry reproduces the test metrics computed in memory
    again = evaluate_adapter("text", split="test")
    for k, v in res.metrics["test"].items():
        assert again[k] == pytest.approx(v, abs=1e-5)
    out = predict("text@1", [{"text": "great excellent food"}, {"text": "awful rotten box"}])
    assert [set(o) for o in out] == [{"label", "scores"}] * 2
    assert all(abs(sum(o["scores"].values()) - 1) < 1e-5 for o in out)
    # a second run auto-increments the version; the JSONL log holds every evaluation
    res2 = adapt(base_config(), progress=False)
    assert res2.ref == "text@2"
    lines = [json.loads(x) for x in Path(res2.log_path).read_text().splitlines()]
    assert len(lines) == len(res2.history) == 2
    assert all(r["split"] == "validation" and "accuracy" in r for r in lines)


def test_same_seed_same_metrics_other_seed_differs(fx):
    cfg = base_config(seed=7)
    cfg["output"].update({"save": False})
    a = adapt(cfg, progress=False)
    b = adapt(cfg, progress=False)
    assert a.metrics == b.metrics
    assert [h["loss"] for h in a.history] == [h["loss"] for h in b.history]
    cfg["train"]["seed"] = 8
    c = adapt(cfg, progress=False)
    assert [h["loss"] for h in c.history] != [h["loss"] for h in a.history]


def test_early_stopping_restores_the_best_checkpoint(fx):
    # a learning rate that overshoots after the first evaluations: patience stops the run
    cfg = base_config(
        epochs=8, patience=2, eval_every=1, lr=0.3, scheduler="constant", warmup_ratio=0.0
    )
    cfg["task"] = "fx/reg"
    res = adapt(cfg, progress=False)
    losses = [h["mse"] for h in res.history]
    best = min(losses)
    assert res.metrics["validation"]["mse"] == pytest.approx(best)
    assert res.manifest.training["best_step"] == res.history[int(np.argmin(losses))]["step"]
    assert len(res.history) < 8 * 6  # stopped before the end
    assert res.manifest.training["stopped_early"] is True
    # the stored adapter is the best one, not the last one
    val = evaluate_adapter(res.ref, split="validation")
    assert val["mse"] == pytest.approx(best, rel=1e-4, abs=1e-5)


def test_augment_hook_runs_each_epoch_and_changes_the_batch(fx, monkeypatch):
    from vadapt.engine.data import collate

    seen: list[str] = []
    orig = collate.Collator.tokenized

    def spy(self, examples, store=True):
        seen.extend(ex["text"] for ex in examples)
        return orig(self, examples, store)

    monkeypatch.setattr(collate.Collator, "tokenized", spy)
    cfg = base_config(epochs=3)
    cfg["augment"] = {"enabled": True, "options": {"mark": "qqmark"}}
    cfg["output"].update({"save": False})
    adapt(cfg, progress=False)
    assert fx.calls["augment"] == 3
    assert any(t.endswith("qqmark") for t in seen)
    fx.calls.clear()
    cfg["augment"]["enabled"] = False
    adapt(cfg, progress=False)
    assert "augment" not in fx.calls


def test_builtin_fgm_adds_a_different_loss_term(fx):
    import torch
    from vadapt.config import AdversarialConfig
    from vadapt.default_plugins.adversarial import adversarial_step

    cfg = base_config(epochs=1)
    cfg["output"].update({"save": False})
    res = adapt(cfg, progress=False)
    model = res.model
    model.train()
    batch = model_batch(model)

    def loss_fn(logits, b):
        return torch.nn.functional.cross_entropy(logits, b["labels"])

    with torch.no_grad():
        model.eval()
        clean = float(loss_fn(model(batch), batch))
    model.eval()  # no dropout: the comparison is about the perturbation only
    adv = adversarial_step(
        task=_task("fx/text"),
        model=model,
        batch=batch,
        loss_fn=loss_fn,
        config=AdversarialConfig(enabled=True, epsilon=5.0),
    )
    assert adv is not None and adv.dim() == 0 and torch.isfinite(adv)
    assert float(adv.detach()) > clean  # the perturbation is chosen to increase the loss
    adv.backward()  # the term has a graph back to the trainable weights
    assert any(p.grad is not None for p in model.head.parameters())
    # enabled in training: runs and stays finite
    cfg["adversarial"] = {"enabled": True}
    out = adapt(cfg, progress=False)
    assert np.isfinite(out.metrics["test"]["loss"])


def test_plugin_adversarial_hook_is_called_and_builtin_fgsm_on_images(fx):
    cfg = base_config("fx/image", epochs=1, lr=1e-2)
    cfg["method"] = {"name": "full"}
    cfg["train"]["image_size"] = 16
    cfg["adversarial"] = {"enabled": True, "options": {"plugin_attack": True}}
    cfg["output"].update({"save": False})
    adapt(cfg, progress=False)
    assert fx.calls["adversarial"] == 6  # 48 examples / batch 8, one call per step
    fx.calls.clear()
    cfg["adversarial"] = {"enabled": True, "epsilon": 0.05}
    res = adapt(cfg, progress=False)  # built-in FGSM (the plugin hook returns None)
    assert "adversarial" not in fx.calls and np.isfinite(res.metrics["test"]["loss"])


def _task(task_id):
    from vadapt.hooks import hooks

    return hooks().task(task_id)


def model_batch(model):
    from engine_helpers import text_examples
    from vadapt.engine.data.collate import Collator

    col = Collator(_task("fx/text"), model.adaptation.loaded.preprocessor, 24)
    ex = text_examples(8, 5)
    targets = np.array([0 if e["label"] == "pos" else 1 for e in ex])
    return col(list(zip(ex, targets, strict=True)))


@pytest.mark.parametrize("task", ["fx/multi", "fx/reg", "fx/rank"])
def test_other_heads_train_save_and_predict(fx, task):
    cfg = base_config(task, epochs=2)
    res = adapt(cfg, progress=False)
    test = res.metrics["test"]
    if task == "fx/multi":
        assert {"macro_f1", "micro_f1", "accuracy"} <= set(test)
        out = predict(res.ref, [{"text": "great food"}])
        assert isinstance(out[0]["label"], list) and set(out[0]["scores"]) == {"pos", "neg", "food"}
    elif task == "fx/reg":
        assert {"mse", "mae", "r2"} <= set(test)
        out = predict(res.ref, [{"text": "great excellent"}, {"text": "awful rotten"}])
        assert out[0]["label"] > out[1]["label"]
    else:
        assert {"mrr", "hr@1", "hr@5", "ndcg@10"} <= set(test)
        out = predict(res.ref, [{"query": "question about refund", "candidates": ["a", "b", "c"]}])
        assert sorted(out[0]["ranking"]) == [0, 1, 2] and len(out[0]["scores"]) == 3
    again = evaluate_adapter(res.ref)
    key = {"fx/multi": "macro_f1", "fx/reg": "mse", "fx/rank": "mrr"}[task]
    assert again[key] == pytest.approx(test[key], rel=1e-4, abs=1e-5)


def test_class_weights_balanced_and_grad_accum_run(fx):
    cfg = base_config(epochs=1, class_weights="balanced", grad_accum=2, scheduler="cosine")
    cfg["output"].update({"save": False})
    res = adapt(cfg, progress=False)
    assert res.steps == 3  # 6 micro-batches / 2


def test_max_steps_and_max_train_examples(fx):
    cfg = base_config(epochs=5, max_steps=2, max_train_examples=16)
    cfg["output"].update({"save": False})
    res = adapt(cfg, progress=False)
    assert res.steps == 2
