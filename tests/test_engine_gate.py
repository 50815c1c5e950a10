# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""The baseline gate, task recipes, and state learnt on validation reaching predict."""

from __future__ import annotations

import dataclasses
import sys
import types
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, fx, tiny_bert_dir  # noqa: F401
from vadapt import BelowBaseline, TaskSpec
from vadapt.engine import adapt
from vadapt.engine.run import baseline_gate
from vadapt.hooks import Owned, hooks


def _with_task(**changes):
    """The process-wide facade with fx/text redeclared (e.g. with a floor)."""
    h = hooks()
    task = h.task("fx/text")
    h.owned_tasks()["fx/text"] = Owned("fx", dataclasses.replace(task, **changes))
    return h


def test_gate_refuses_an_adapter_that_does_not_beat_its_floor_and_saves_nothing(fx):
    cfg = base_config(max_steps=2)
    cfg["output"] = {}  # the default: refuse
    with pytest.raises(BelowBaseline, match=r"test accuracy .* does not beat the floor 1.0"):
        adapt(cfg, progress=False, hooks=_with_task(floor=1.0))
    from vadapt_registry import Registry

    assert Registry(fx.root).list() == []  # nothing saved
    assert BelowBaseline.exit_code == 11


def test_allow_below_baseline_saves_it_tagged(fx):
    cfg = base_config(max_steps=2)  # allow_below_baseline=True
    res = adapt(cfg, progress=False, hooks=_with_task(floor=1.0))
    assert res.gate["passed"] is False and res.gate["tag"] == "below-baseline"
    m = res.manifest
    assert m.training["gate"]["passed"] is False
    assert m.notes.startswith("BELOW BASELINE: test accuracy")


def test_gate_compares_in_the_metrics_direction():
    lower = TaskSpec(id="t/r", modality="text", head="regression", description="")
    assert lower.metric == "mae" and lower.metric_mode == "min"
    ok = baseline_gate(lower, {"mae": 1.0}, {"majority": {"mae": 2.0}}, allow=False)
    assert ok["passed"] and ok["metric"] == "mae"
    with pytest.raises(BelowBaseline):
        baseline_gate(lower, {"mae": 2.0}, {"majority": {"mae": 2.0}}, allow=False)
    assert baseline_gate(lower, {"r2": 0.1}, {}, allow=False) is None  # nothing to compare


def test_recipe_fills_only_what_the_user_left_unset(fx):
    from vadapt.config import load_config, resolve

    recipe = {
        "train": {"epochs": 7, "max_length": 64, "lr": 1e-4},
        "method": {"name": "lora", "r": 4},
    }
    h = _with_task(defaults=recipe)
    plain = resolve(load_config(task="fx/text"), h).config
    assert (plain.train.epochs, plain.train.max_length, plain.method.r) == (7, 64, 4)
    mine = resolve(load_config(task="fx/text", overrides=["train.epochs=2"]), h).config
    assert (mine.train.epochs, mine.train.max_length) == (2, 64)
    other = resolve(load_config(task="fx/text", method="full"), h).config
    assert other.method.name == "full"  # the recipe's LoRA options do not leak into 'full'
    assert other.train.lr is None and other.train.epochs == 7  # nor its LoRA learning rate


def test_predict_applies_the_abstention_learnt_on_validation():
    from vadapt.engine.load import _decide

    manifest = types.SimpleNamespace(
        context={"vadapt": {"abstain": {"label": "oos", "below": 0.6}}}
    )
    lm = types.SimpleNamespace(manifest=manifest, labels=("oos", "balance", "card"))
    assert _decide(lm, np.array([0.1, 0.5, 0.4])) == "oos"  # top 0.5 < 0.6
    assert _decide(lm, np.array([0.1, 0.8, 0.1])) == "balance"
    lm.manifest = types.SimpleNamespace(context={})
    assert _decide(lm, np.array([0.1, 0.5, 0.4])) == "balance"
