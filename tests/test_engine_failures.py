# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""Failure behaviour: bad data, divergence, interruption, wrong base model, tampered adapters.

In every case nothing is committed to the registry and the error names what and where.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, fx, tiny_bert_dir, write_tiny_bert  # noqa: F401
from vadapt import CorruptAdapter, IncompatibleBaseModel, InvalidConfig, TrainingDiverged
from vadapt.engine import adapt, evaluate_adapter, predict
from vadapt_registry import Registry


def _nothing_committed(root: Path) -> None:
    assert Registry(root).list() == []
    tmp = root / "tmp"
    assert not tmp.exists() or not any(tmp.iterdir())


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("empty_val", r"data split 'validation' of task 'fx/text' is empty"),
        ("missing_class", r"split 'train' .* has no example of label\(s\) \['neg'\]"),
        (
            "unknown_label",
            r"data split 'test' example 2 field 'label': 'meh' is not in the label set",
        ),
        ("nan_feature", r"data split 'train' example 3 field 'features\[1\]': is nan"),
    ],
)
def test_bad_data_is_rejected_before_training(fx, mode, message):
    cfg = base_config()
    cfg["data"] = {"mode": mode}
    with pytest.raises(InvalidConfig, match=message):
        adapt(cfg, progress=False)
    _nothing_committed(fx.root)


def test_nan_loss_stops_within_one_step_and_commits_nothing(fx):
    with pytest.raises(TrainingDiverged, match=r"diverged at step 3 .*nothing was saved") as err:
        adapt(base_config("fx/diverge", epochs=3), progress=False)
    assert err.value.exit_code == 10
    _nothing_committed(fx.root)


def test_ctrl_c_stops_cleanly_and_commits_nothing(fx, monkeypatch):
    from vadapt.engine import model as model_mod

    calls = {"n": 0}
    orig = model_mod.AdaptModel.forward

    def interrupt(self, batch):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return orig(self, batch)

    monkeypatch.setattr(model_mod.AdaptModel, "forward", interrupt)
    with pytest.raises(KeyboardInterrupt):
        adapt(base_config(), progress=False)
    _nothing_committed(fx.root)


def test_unknown_task_and_unsupported_head_fail_before_data_loads(fx):
    with pytest.raises(InvalidConfig, match="unknown task 'fx/txet'"):
        adapt({"task": "fx/txet"}, progress=False)
    with pytest.raises(InvalidConfig, match="head kind 'generation'"):
        adapt(base_config("fx/gen"), progress=False)


def test_adapter_on_a_different_base_model_is_refused(fx, tmp_path):
    local = tmp_path / "my-bert"
    shutil.copytree(fx.tiny_bert, local)
    cfg = base_config(epochs=1, max_steps=1)
    cfg["backbone"] = str(local)
    res = adapt(cfg, progress=False)
    assert res.manifest.backbone.name == str(local)
    assert predict(res.ref, [{"text": "great"}])  # same base: fine
    write_tiny_bert(local, seed=1)  # same architecture, other weights
    with pytest.raises(IncompatibleBaseModel, match="fingerprint") as err:
        predict(res.ref, [{"text": "great"}])
    assert err.value.exit_code == 5
    with pytest.raises(IncompatibleBaseModel):
        evaluate_adapter(res.ref)


def _resave_with(root: Path, ref: str, fname: str, mutate) -> str:
    from safetensors.torch import load, save

    reg = Registry(root)
    stored = reg.load(ref)
    files = dict(stored.files)
    tensors = load(files[fname])
    mutate(tensors)
    files[fname] = save(tensors)
    draft = stored.manifest.model_dump(
        include=set(type(stored.manifest).model_fields)
        - {"schema_version", "writer", "version", "created", "files"}
    )
    draft["name"] = "tampered"
    return reg.save(draft, files).ref


def test_missing_or_unexpected_tensors_are_errors_not_warnings(fx):
    import torch

    res = adapt(base_config(epochs=1, max_steps=1), progress=False)

    def drop_one(t):
        t.pop(sorted(t)[0])

    ref = _resave_with(fx.root, res.ref, "adapter_model.safetensors", drop_one)
    with pytest.raises(CorruptAdapter, match="1 missing tensor"):
        predict(ref, [{"text": "x"}])

    def add_one(t):
        t["base_model.model.encoder.layer.0.attention.self.key.lora_A.weight"] = torch.zeros(8, 32)

    ref = _resave_with(fx.root, res.ref, "adapter_model.safetensors", add_one)
    with pytest.raises(IncompatibleBaseModel, match="1 unexpected tensor"):
        predict(ref, [{"text": "x"}])

    def reshape_head(t):
        k = sorted(t)[0]
        t[k] = torch.zeros(*[d + 1 for d in t[k].shape])

    ref = _resave_with(fx.root, res.ref, "head.safetensors", reshape_head)
    with pytest.raises(IncompatibleBaseModel, match="shape"):
        predict(ref, [{"text": "x"}])


def test_evaluation_label_set_must_match_and_reordering_is_mapped(fx):
    cfg = base_config("fx/text-data-labels", epochs=1)
    res = adapt(cfg, progress=False)
    assert res.manifest.labels == ["neg", "pos"]
    reordered = evaluate_adapter(res.ref, data={"mode": "reorder"})  # data says ("pos", "neg")
    assert reordered["accuracy"] == pytest.approx(res.metrics["test"]["accuracy"])
    with pytest.raises(
        InvalidConfig, match=r"only in the adapter \['neg'\], only in the data \['bad'\]"
    ):
        evaluate_adapter(res.ref, data={"mode": "drop_label"})


def test_registry_problems_are_caught_before_training(fx):
    from vadapt import AdapterExists, NotFound

    def cfg(**output):
        c = base_config(epochs=1, max_steps=1)
        c["output"].update(output)
        return c

    with pytest.raises(InvalidConfig, match="adapter name"):
        adapt(cfg(name="../escape"), progress=False)
    with pytest.raises(NotFound):
        adapt(cfg(parent="nothing@1"), progress=False)
    first = adapt(cfg(name="shared", version=7), progress=False)
    assert first.ref == "shared@7"
    with pytest.raises(AdapterExists, match="shared@7"):
        adapt(cfg(name="shared", version=7), progress=False)
    other = base_config("fx/reg", epochs=1, max_steps=1)
    other["output"].update({"name": "shared"})
    with pytest.raises(InvalidConfig, match="already holds adapters of task 'fx/text'"):
        adapt(other, progress=False)
    child = adapt(cfg(name="shared", parent="shared@7"), progress=False)
    assert child.manifest.parent == "shared@7" and child.ref == "shared@8"
