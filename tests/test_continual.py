# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""Continual adaptation: continuing a stored adapter (``--from``), the strategies, the
retention gate, streams and their scores (tiny backbones; the real measurement is in
plugins/customer_service/RESULTS.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, fx, tiny_bert_dir  # noqa: F401
from vadapt import IncompatibleBaseModel, InvalidConfig, RetentionFailed
from vadapt.continual.metrics import (
    average_accuracy,
    backward_transfer,
    forgetting,
    forward_transfer,
)
from vadapt.engine import adapt
from vadapt.engine.load import load_adapter, predict, resolve_adapter


def _cfg(domain="a", name="st", **continual):
    cfg = base_config("fx/stream")
    cfg["data"] = {"domain": domain}
    cfg["output"]["name"] = name
    if continual:
        cfg["continual"] = continual
    return cfg


def _first(fx, method="lora", **kw):
    cfg = _cfg(**kw)
    cfg["method"] = {"name": method}
    return adapt(cfg, progress=False).manifest


# -- the metrics --------------------------------------------------------------------------

R = [[0.9, 0.5, 0.4], [0.7, 0.8, 0.5], [0.6, 0.7, 0.9]]


def test_stream_metrics_follow_the_gem_definitions():
    assert average_accuracy(R) == pytest.approx((0.6 + 0.7 + 0.9) / 3)
    assert backward_transfer(R) == pytest.approx(((0.6 - 0.9) + (0.7 - 0.8)) / 2)
    assert forgetting(R) == pytest.approx(((0.9 - 0.6) + (0.8 - 0.7)) / 2)
    assert forward_transfer(R, [0.5, 0.4, 0.3]) == pytest.approx(((0.5 - 0.4) + (0.5 - 0.3)) / 2)


def test_unknown_cells_are_left_out_not_counted_as_zero():
    r = [[0.9, None], [0.8, 0.7]]
    assert average_accuracy(r) == pytest.approx(0.75)
    assert forward_transfer(r, [0.5, None]) is None
    assert backward_transfer(r) == pytest.approx(-0.1)


# -- continuing a stored adapter ----------------------------------------------------------


@pytest.mark.parametrize("strategy", ["naive", "l2", "ewc", "lwf", "replay", "olora"])
def test_from_continues_the_parent_with_each_strategy(fx, strategy):
    first = adapt({**_cfg(), "method": {"name": "lora"}}, progress=False)
    parent = first.manifest
    result = adapt(_cfg("b", name="st", parent=parent.ref, strategy=strategy), progress=False)
    child = result.manifest
    assert child.parent == parent.ref
    record = child.training["continual"]
    assert record["parent"] == parent.ref and record["strategy"] == strategy
    assert child.method.name == "lora"
    head = sum(p.numel() for p in result.model.head.parameters())
    grown = 2 if strategy == "olora" else 1  # olora: a second LoRA beside the first
    assert result.trainable_parameters == head + grown * (first.trainable_parameters - head)
    loaded = load_adapter(child.ref)
    assert loaded.manifest.labels == parent.labels


# -- streams ------------------------------------------------------------------------------


def test_a_domain_stream_fills_the_matrix_and_registers_each_strategy(fx, tmp_path):
    from vadapt.continual import continual

    cfg = base_config("fx/stream")
    res = continual(
        "fx/stream",
        "domains",
        strategies=("naive", "ewc"),
        config=cfg,
        plot=str(tmp_path / "r.png"),
    )
    assert res.experiences == ("a", "b") and res.strategies() == ["naive", "ewc"]
    for run in res.runs:
        assert len(run.matrix) == 2 and all(len(r) == 2 for r in run.matrix)
        assert all(v is not None for row in run.matrix for v in row)
        assert all(v is not None for v in run.initial)
        assert run.scores["backward_transfer"] == pytest.approx(run.matrix[1][0] - run.matrix[0][0])
    assert (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    m = load_adapter(res.saved["ewc"]).manifest
    stored = m.training["continual"]["stream"]
    assert stored["matrix"] == res.runs[1].matrix and stored["experiences"] == ["a", "b"]
    assert set(stored["summary"]) == {"naive", "ewc"}


def test_a_class_stream_grows_the_head_and_leaves_unknown_cells_empty(fx):
    from vadapt.continual import continual

    res = continual("fx/stream", "classes", strategies=("naive",), config=base_config("fx/stream"))
    run = res.runs[0]
    assert run.matrix[0][1] is None and run.matrix[1][1] is not None
    assert run.initial[1] is None and run.scores["forward_transfer"] is None
    m = load_adapter(res.saved["naive"]).manifest
    assert list(m.labels) == ["pos", "neg", "up", "down"]  # the old rows first
    assert m.training["continual"]["old_labels"] == 2
    assert m.training["continual"]["new_labels"] == 2


def test_an_empty_experience_is_named(fx):
    from vadapt.continual import continual

    with pytest.raises(InvalidConfig, match=r"experience 'x' \(#1\).*no train examples"):
        continual("fx/stream", "hollow", strategies=("naive",), config=base_config("fx/stream"))


def test_an_unknown_stream_lists_the_task_streams(fx):
    from vadapt.continual import continual

    with pytest.raises(InvalidConfig, match="declares: domains, classes, hollow"):
        continual("fx/stream", "seasons", config=base_config("fx/stream"))


# -- bad input ----------------------------------------------------------------------------


def test_from_an_adapter_on_another_backbone_is_refused(fx, tmp_path):
    from engine_helpers import write_tiny_bert

    parent = _first(fx)
    other = write_tiny_bert(tmp_path / "other-bert", seed=1)
    cfg = _cfg("b", parent=parent.ref)
    cfg["backbone"] = str(other)
    with pytest.raises(IncompatibleBaseModel, match=f"--from {parent.ref}.*fingerprint"):
        adapt(cfg, progress=False)


def test_a_task_that_drops_the_parents_labels_is_refused_listing_them(fx):
    parent = _first(fx)  # fx/stream: labels pos, neg from the data
    cfg = base_config("fx/text")  # a task whose fixed label set is pos, neg ...
    cfg["continual"] = {"parent": parent.ref}
    adapt(cfg, progress=False)  # ... keeps them
    up = adapt(_cfg("mixed", name="mixed"), progress=False).manifest  # pos, neg, up, down
    cfg["continual"] = {"parent": up.ref}
    with pytest.raises(InvalidConfig, match=r"no label\(s\) \['down', 'up'\]"):
        adapt(cfg, progress=False)


def test_a_replay_buffer_larger_than_the_data_is_capped_and_noted(fx):
    parent = _first(fx, strategy="replay", replay_size=500)
    rec = parent.training["continual"]
    assert rec["buffer"] == rec["seen"] == 48
    assert any("larger than the 48 examples seen" in n for n in rec["notes"])
    files = resolve_adapter(parent.ref).stored.files
    held = json.loads(files["replay.json"])
    assert held["seen"] == 48 and len(held["examples"]) == 48
    child = adapt(_cfg("b", parent=parent.ref, strategy="replay", replay_size=60), progress=False)
    rec = child.manifest.training["continual"]
    assert rec["seen"] == 96 and rec["buffer"] == 60


def test_replay_keeps_images_in_safetensors_and_a_child_rehearses_them(fx):
    import numpy as np
    from vadapt.continual.parent import load_parent

    cfg = {**base_config("fx/image"), "method": {"name": "lora"}}
    cfg["continual"] = {"strategy": "replay", "replay_size": 10}
    parent = adapt(cfg, progress=False).manifest
    files = resolve_adapter(parent.ref).stored.files
    assert {"replay.json", "replay.safetensors"} <= set(files)
    held = load_parent(parent.ref).replay
    assert len(held["examples"]) == 10
    image = held["examples"][0]["image"]
    assert isinstance(image, np.ndarray) and image.shape == (16, 16, 3)
    cfg["continual"] = {"parent": parent.ref, "strategy": "replay", "replay_size": 10}
    child = adapt(cfg, progress=False).manifest
    rec = child.training["continual"]
    assert rec["seen"] == 96 and rec["buffer"] == 10 and not rec["notes"]


def test_ewc_stores_its_fisher_and_the_next_run_accumulates_it(fx):
    from safetensors.numpy import load as load_np

    parent = _first(fx, strategy="ewc")
    fisher = load_np(resolve_adapter(parent.ref).stored.files["fisher.safetensors"])
    assert fisher and all(v.min() >= 0 for v in fisher.values())
    assert any(k.startswith("head.") for k in fisher)
    child = adapt(_cfg("b", parent=parent.ref, strategy="ewc"), progress=False).manifest
    again = load_np(resolve_adapter(child.ref).stored.files["fisher.safetensors"])
    assert set(again) == set(fisher)
    key = next(iter(fisher))
    assert again[key].sum() > fisher[key].sum() * 0.99  # the parent's estimate is kept in the sum
    assert not child.training["continual"]["notes"]


def test_ewc_from_a_parent_without_fisher_says_so(fx):
    parent = _first(fx)
    child = adapt(_cfg("b", parent=parent.ref, strategy="ewc"), progress=False).manifest
    assert "stores no Fisher estimate" in child.training["continual"]["notes"][0]


def test_olora_grows_the_rank_keeps_the_old_components_and_serves(fx):
    import torch
    from safetensors.torch import load as load_pt

    parent = _first(fx, strategy="olora")
    child = adapt(_cfg("b", parent=parent.ref, strategy="olora"), progress=False).manifest
    r = parent.method.config["options"]["r"]
    assert child.method.config["options"]["r"] == 2 * r
    assert child.training["continual"]["olora_ranks"] == [r, r]
    old = load_pt(resolve_adapter(parent.ref).stored.files["adapter_model.safetensors"])
    new = load_pt(resolve_adapter(child.ref).stored.files["adapter_model.safetensors"])
    a = next(k for k in old if "lora_A" in k)
    assert torch.equal(new[a][:r], old[a]) and not torch.equal(
        new[a][r:], torch.zeros_like(new[a][r:])
    )
    b = next(k for k in old if "lora_B" in k)
    assert torch.equal(new[b][:, :r], old[b])
    out = predict(child.ref, [{"text": "sunny warm bright day"}])
    assert out[0]["label"] in ("pos", "neg")


def test_olora_on_convolutions_keeps_their_old_components(fx):
    import torch

    cfg = {**base_config("fx/image"), "method": {"name": "lora"}}
    parent = adapt(cfg, progress=False).manifest
    cfg["continual"] = {"parent": parent.ref, "strategy": "olora"}
    child = adapt(cfg, progress=False).manifest
    old = resolve_adapter(parent.ref).stored.files
    new = resolve_adapter(child.ref).stored.files
    from safetensors.torch import load as load_pt

    a_old, a_new = (
        load_pt(old["adapter_model.safetensors"]),
        load_pt(new["adapter_model.safetensors"]),
    )
    convs = [k for k, v in a_old.items() if "lora_A" in k and v.ndim == 4]
    assert convs, "the tiny CNN's LoRA targets convolutions"
    r = a_old[convs[0]].shape[0]
    assert all(torch.equal(a_new[k][:r], a_old[k]) for k in convs)


def test_olora_needs_lora(fx):
    parent = _first(fx, method="ia3")
    with pytest.raises(InvalidConfig, match=r"olora adds LoRA components.*'ia3'"):
        adapt(_cfg("b", parent=parent.ref, strategy="olora"), progress=False)


# -- the retention gate -------------------------------------------------------------------


def test_the_retention_gate_refuses_a_version_that_forgot(fx):
    from vadapt_registry import Registry

    cfg = _cfg()
    cfg["train"].update(epochs=10, lr=3e-2)  # learns domain a (test accuracy 0.88)
    parent = adapt(cfg, progress=False).manifest
    cfg = _cfg("flip", parent=parent.ref, retain=0.9)  # a's labels swapped: certain to forget
    cfg["train"].update(epochs=4, lr=2e-2)
    before = len(Registry(fx.root).list())
    with pytest.raises(RetentionFailed, match=f"keeps .* of {parent.ref}'s test") as err:
        adapt(cfg, progress=False)
    assert err.value.exit_code == 12
    assert len(Registry(fx.root).list()) == before


# -- the command line ---------------------------------------------------------------------

CLI_FAST = [
    *("--set", "train.epochs=2", "--set", "train.threads=1", "--set", "train.batch_size=8"),
    *("--set", "train.max_length=24", "--set", "train.lr=5e-3", "--set", "train.patience=0"),
    *("--set", "output.allow_below_baseline=true"),
]


def _cli(capsys, *args):
    from vadapt.cli import main

    with pytest.raises(SystemExit) as exc:
        main(list(args))
        raise SystemExit(0)
    out = capsys.readouterr()
    return exc.value.code or 0, out.out, out.err


def test_cli_adapt_from_continues_with_a_strategy(fx, capsys):
    code, _, err = _cli(capsys, "adapt", "fx/stream", "--name", "st", "--no-progress", *CLI_FAST)
    assert code == 0, err
    args = ["adapt", "fx/stream", "--from", "st@1", "--strategy", "lwf", "--retain", "0.01"]
    code, out, err = _cli(capsys, *args, "--set", "data.domain=b", "--no-progress", *CLI_FAST)
    assert code == 0, err
    assert "continued from st@1 with strategy lwf" in out and "retain floor 0.01" in out
    m = load_adapter("st@2").manifest
    assert m.parent == "st@1" and m.training["continual"]["retention"]["passed"] is True


def test_cli_adapt_from_reads_the_parent_from_the_registry_it_saves_into(fx, capsys, tmp_path):
    other = str(tmp_path / "other-registry")
    args = ["adapt", "fx/stream", "--registry", other, "--no-progress", *CLI_FAST]
    code, _, err = _cli(capsys, *args)
    assert code == 0, err
    code, out, err = _cli(capsys, *args, "--from", "stream@1", "--set", "data.domain=b")
    assert code == 0, err
    assert "continued from stream@1" in out and "saved stream@2" in out


def test_cli_retain_without_a_parent_is_one_line(fx, capsys):
    code, _, err = _cli(capsys, "adapt", "fx/stream", "--retain", "0.9", *CLI_FAST)
    assert code == InvalidConfig.exit_code
    assert "retention gate compares with a parent" in err and len(err.strip().splitlines()) == 1


def test_cli_continual_prints_the_scores_and_each_matrix(fx, capsys, tmp_path):
    plot = tmp_path / "heat.png"
    args = ["continual", "fx/stream", "--stream", "domains", "--strategies", "naive,replay"]
    code, out, err = _cli(capsys, *args, "--no-save", "--plot", str(plot), *CLI_FAST)
    assert code == 0, err
    assert "ACC" in out and "BWT" in out and "forgetting" in out
    assert "naive: R[i][j]" in out and "replay: R[i][j]" in out and "after \\ test" in out
    assert plot.read_bytes()[:4] == b"\x89PNG" and "naive seed 0 after b" in err
    code, out, _ = _cli(capsys, *args, "--no-save", "--plot", str(plot), "--json", *CLI_FAST)
    data = json.loads(out)
    assert code == 0 and [r["strategy"] for r in data["runs"]] == ["naive", "replay"]
    assert len(data["runs"][0]["matrix"]) == 2 and data["saved"] == {}


def test_cli_continual_refuses_an_unknown_strategy(fx, capsys):
    args = ["continual", "fx/stream", "--stream", "domains", "--strategies", "naive,sgd"]
    code, _, err = _cli(capsys, *args, *CLI_FAST)
    assert code == InvalidConfig.exit_code and "unknown strategy ['sgd']" in err


def test_cli_default_strategies_are_the_python_default_and_seeds_must_be_counts():
    import inspect

    from vadapt.cli.continual import continual_cmd
    from vadapt.continual import DEFAULT_STRATEGIES
    from vadapt.fewshot.protocol import check_seeds

    # the CLI spells the default out (importing vadapt.continual would slow `--help`)
    option = inspect.signature(continual_cmd).parameters["strategies"].default
    assert option.default == ",".join(DEFAULT_STRATEGIES)
    for bad in (True, 0, 1.5):
        with pytest.raises(InvalidConfig, match="expected a positive integer"):
            check_seeds(bad)


def _write_examples(path, domain, n=48, m=16):
    from engine_helpers import stream_examples

    rows = stream_examples(domain, n, 0) + stream_examples(domain, 2 * m, 1)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _trained_parent(capsys):
    sets = ["--set", "train.epochs=10", "--set", "train.lr=3e-2"]  # learns domain a well
    code, _, err = _cli(capsys, "adapt", "fx/stream", "--name", "st", *CLI_FAST, *sets)
    assert code == 0, err


def test_retrain_registers_the_next_version_behind_the_gate(fx, capsys, tmp_path):
    _trained_parent(capsys)
    new = _write_examples(tmp_path / "new.jsonl", "b")
    code, out, err = _cli(
        capsys, "retrain", "st", "--data", str(new), "--retain", "0.5", "--no-progress"
    )
    assert code == 0, err
    assert "saved st@2" in out and "continued from st@1 with strategy lwf" in out
    m = load_adapter("st@2").manifest
    assert m.parent == "st@1" and m.training["config"]["data"]["path"] == str(new.resolve())
    retention = m.training["continual"]["retention"]
    assert retention["floor"] == 0.5 and retention["passed"] is True


def test_retrain_on_data_that_makes_it_forget_is_refused_and_saves_nothing(fx, capsys, tmp_path):
    from vadapt_registry import Registry

    _trained_parent(capsys)
    drift = _write_examples(tmp_path / "flip.jsonl", "flip")  # domain a, labels swapped
    sets = ["--set", "train.epochs=4", "--set", "train.lr=2e-2"]
    args = ["retrain", "st@1", "--data", str(drift), "--strategy", "naive", "--retain", "0.9"]
    code, _, err = _cli(capsys, *args, "--no-progress", *sets)
    assert code == RetentionFailed.exit_code == 12
    assert "below --retain 0.9; nothing was saved" in err and len(err.strip().splitlines()) == 1
    assert [m.ref for m in Registry(fx.root).list()] == ["st@1"]


def test_retrain_names_a_missing_data_file(fx, capsys, tmp_path):
    _trained_parent(capsys)
    code, _, err = _cli(capsys, "retrain", "st", "--data", str(tmp_path / "nope.jsonl"))
    assert code == InvalidConfig.exit_code and "no such file or directory" in err


def test_tasks_lists_each_stream_in_order(fx, capsys):
    code, out, _ = _cli(capsys, "tasks", "fx")
    assert code == 0 and "stream domains (domain): a → b" in out
    assert "stream classes (class): food → weather" in out
