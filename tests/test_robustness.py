# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""Seeded text perturbations and the robustness report of a stored adapter."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, fx, tiny_bert_dir  # noqa: F401
from vadapt import InvalidConfig
from vadapt.kit.perturb import (
    SEVERITIES,
    TEXT_PERTURBATIONS,
    perturbed,
    substitutions,
    typos,
    word_dropout,
)

TEXT = (
    "The delivery was late and the package arrived damaged, but support refunded my "
    "order quickly and the replacement tasted great."
)


def _changed_chars(a: str, b: str) -> int:
    import difflib

    return sum(
        max(i2 - i1, j2 - j1)
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b).get_opcodes()
        if op != "equal"
    )


@pytest.mark.parametrize("name", sorted(TEXT_PERTURBATIONS))
def test_each_perturbation_is_seeded_and_changes_the_text(name):
    fn = TEXT_PERTURBATIONS[name]
    a = fn(TEXT, 5, np.random.default_rng(3))
    assert a == fn(TEXT, 5, np.random.default_rng(3))
    assert a != TEXT
    assert fn("", 3, np.random.default_rng(0)) == ""


def test_harsher_severities_change_more():
    def mean_change(fn, s):
        return np.mean(
            [_changed_chars(TEXT, fn(TEXT, s, np.random.default_rng(k))) for k in range(40)]
        )

    for fn in (typos, word_dropout):
        changes = [mean_change(fn, s) for s in SEVERITIES]
        assert changes == sorted(changes) and changes[-1] > 2 * changes[0], (fn.__name__, changes)


def test_word_dropout_never_empties_a_text_and_severity_is_checked():
    assert word_dropout("one two", 5, np.random.default_rng(0)).strip()
    with pytest.raises(ValueError, match="severity 6"):
        typos(TEXT, 6, np.random.default_rng(0))


def test_substitutions_replace_whole_words_case_insensitively():
    sub = substitutions({"acct": ["account"], "pmt": ["payment", "instalment"]})
    out = sub("Acct closed; PMT late; acctx stays", 5, np.random.default_rng(0))
    assert out.startswith("account closed;") and "acctx" in out
    assert "payment" in out or "instalment" in out
    with pytest.raises(ValueError, match="at least one replacement"):
        substitutions({"acct": []})


def test_perturbed_copies_leave_the_examples_and_do_not_depend_on_order():
    examples = [{"text": TEXT, "label": "pos"}, {"text": "awful rotten box", "label": "neg"}]
    a = perturbed(examples, "typos", typos, 4, seed=1)
    b = perturbed(examples[::-1], "typos", typos, 4, seed=1)[::-1]
    assert examples[0]["text"] == TEXT and a[0]["label"] == "pos"
    assert a[0]["text"] == perturbed(examples[:1], "typos", typos, 4, seed=1)[0]["text"]
    assert a[1]["text"] != b[1]["text"] or a[0]["text"] != b[0]["text"]  # seeded by position


def test_robustness_report_of_a_stored_adapter(fx, capsys):
    from vadapt.cli import main
    from vadapt.engine import adapt, evaluate_adapter
    from vadapt.engine.robustness import evaluate_robustness

    res = adapt(base_config(), progress=False)
    report = evaluate_robustness(res.ref, perturbations=["typos", "casing"], severities=[1, 5])
    clean = evaluate_adapter(res.ref)
    assert report.clean[report.metric] == pytest.approx(clean[report.metric])
    assert [(r["perturbation"], r["severity"]) for r in report.rows] == [
        ("typos", 1), ("typos", 5), ("casing", 1), ("casing", 5),
    ]  # fmt: skip
    assert all(0.0 <= r["accuracy"] <= 1.0 for r in report.rows)
    again = evaluate_robustness(res.ref, perturbations=["typos"], severities=[5])
    assert again.rows[0]["accuracy"] == report.rows[1]["accuracy"]  # the same texts
    with pytest.raises(InvalidConfig, match=r"unknown perturbation\(s\) \['emoji'\]"):
        evaluate_robustness(res.ref, perturbations=["emoji"])
    with pytest.raises(InvalidConfig, match="expected values among"):
        evaluate_robustness(res.ref, severities=[0])
    with pytest.raises(InvalidConfig, match="--max-examples -5"):
        evaluate_robustness(res.ref, max_examples=-5)
    assert evaluate_robustness(res.ref, perturbations=["casing"], max_examples=3).examples == 3
    args = ["robustness", res.ref, "--perturbations", "whitespace", "--severities", "2"]
    with pytest.raises(SystemExit) as exc:
        main([*args, "--json"])
        raise SystemExit(0)
    out = capsys.readouterr().out
    assert (exc.value.code or 0) == 0
    assert json.loads(out)["rows"][0]["perturbation"] == "whitespace"
    with pytest.raises(SystemExit):
        main(args)
        raise SystemExit(0)
    lines = capsys.readouterr().out.splitlines()
    assert "clean" in lines[0] and lines[1].split() == ["perturbation", "s2", "mean"]
    assert lines[2].split()[0] == "whitespace"


def test_robustness_refuses_a_ranking_adapter_in_one_line(fx):
    from vadapt.engine import adapt
    from vadapt.engine.robustness import evaluate_robustness

    res = adapt(base_config("fx/rank", epochs=1), progress=False)
    with pytest.raises(InvalidConfig, match="perturbations apply to classification"):
        evaluate_robustness(res.ref)


def test_an_image_adapter_is_scored_under_the_kit_corruptions(fx):
    from vadapt.engine import adapt
    from vadapt.engine.robustness import evaluate_robustness

    res = adapt(base_config("fx/image", epochs=1), progress=False)
    report = evaluate_robustness(res.ref, perturbations=["fog", "jpeg"], severities=[1, 5])
    assert [r["perturbation"] for r in report.rows] == ["fog", "fog", "jpeg", "jpeg"]
    assert all(0.0 <= r["accuracy"] <= 1.0 for r in report.rows)
    with pytest.raises(InvalidConfig, match=r"unknown corruption\(s\) \['typos'\]"):
        evaluate_robustness(res.ref, perturbations=["typos"])


def test_a_plugin_adds_its_own_perturbations_and_may_not_reuse_kit_names(fx):
    import types

    from vadapt import PluginError, global_hookimpl
    from vadapt.engine import adapt
    from vadapt.engine.robustness import evaluate_robustness
    from vadapt.kit.perturb import on_examples

    @on_examples
    def shout(ex, severity, rng):
        return {**ex, "text": ex["text"].upper() + "!" * severity}

    mod = types.ModuleType("shouting")
    mod.robustness_perturbations = global_hookimpl(lambda task: {"shout": shout})
    fx.host.register(mod, "shouting")
    res = adapt(base_config(), progress=False)
    report = evaluate_robustness(res.ref, severities=[2])
    names = [r["perturbation"] for r in report.rows]
    assert names == [*TEXT_PERTURBATIONS, "shout"]  # the kit's, then the plugin's
    clash = types.ModuleType("clash")
    clash.robustness_perturbations = global_hookimpl(lambda task: {"typos": shout})
    fx.host.register(clash, "clash")
    with pytest.raises(PluginError, match="names the kit already uses"):
        evaluate_robustness(res.ref, severities=[1])


def test_adversarial_accuracy_falls_as_the_attack_grows(fx, capsys):
    from vadapt.cli import main
    from vadapt.engine import adapt, evaluate_adapter
    from vadapt.engine.attack import evaluate_adversarial

    cfg = base_config(epochs=6, lr=3e-2)
    cfg["data"] = {"n_train": 96}
    res = adapt(cfg, progress=False)
    report = evaluate_adversarial(res.ref, epsilons=[0.01, 1.0, 50.0])
    acc = [r["accuracy"] for r in report.rows]
    assert report.attack == "fgm" and report.clean["accuracy"] == pytest.approx(
        evaluate_adapter(res.ref)["accuracy"]
    )
    assert acc[0] == pytest.approx(report.clean["accuracy"], abs=0.07)  # a tiny push
    assert acc[2] < report.clean["accuracy"] - 0.2 and acc[0] >= acc[1] >= acc[2], acc
    pgd = evaluate_adversarial(res.ref, epsilons=[1.0], steps=3)
    assert pgd.attack == "pgd-3" and pgd.rows[0]["accuracy"] <= acc[1] + 0.07
    with pytest.raises(InvalidConfig, match="expected positive numbers"):
        evaluate_adversarial(res.ref, epsilons=[-1.0])
    args = ["robustness", res.ref, "--perturbations", "casing", "--severities", "1"]
    with pytest.raises(SystemExit) as exc:
        main([*args, "--adversarial", "--epsilons", "1,50", "--json"])
        raise SystemExit(0)
    out = json.loads(capsys.readouterr().out)
    assert (exc.value.code or 0) == 0 and [r["epsilon"] for r in out["adversarial"]["rows"]] == [
        1.0,
        50.0,
    ]


def test_an_image_adapter_is_attacked_with_fgsm_and_rankers_are_refused(fx):
    from vadapt.engine import adapt
    from vadapt.engine.attack import evaluate_adversarial

    res = adapt(base_config("fx/image", epochs=2, image_size=16), progress=False)
    report = evaluate_adversarial(res.ref, epsilons=[2.0, 64.0])
    assert report.attack == "fgsm" and report.unit == "pixel levels (L-inf)"
    assert report.rows[1]["accuracy"] <= report.clean["accuracy"]
    rank = adapt(base_config("fx/rank", epochs=1), progress=False)
    with pytest.raises(InvalidConfig, match="adversarial accuracy covers classification"):
        evaluate_adversarial(rank.ref)
