# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""`vadapt adapt / evaluate / predict / backbones / methods` end to end, in process."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import fx, tiny_bert_dir  # noqa: F401
from vadapt.cli import main
from vadapt.cli.summary import adapt_summary, gate_warning, summary_lines
from vadapt.cli.tables import render
from vadapt.types import TaskSpec

FAST = [
    "--set",
    "train.epochs=1",
    "--set",
    "train.threads=1",
    "--set",
    "train.batch_size=8",
    "--set",
    "train.max_length=24",
    "--set",
    "train.lr=5e-3",
    "--no-progress",
]


def run(capsys, *args):
    with pytest.raises(SystemExit) as exc:
        main(list(args))
        raise SystemExit(0)
    out = capsys.readouterr()
    return exc.value.code or 0, out.out, out.err


def test_adapt_evaluate_predict_round_trip(fx, capsys, tmp_path, monkeypatch):
    code, out, err = run(capsys, "adapt", "fx/text", *FAST, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["ref"] == "text@1" and "accuracy" in result["metrics"]["test"]

    code, out, _ = run(capsys, "evaluate", "text@1", "--json")
    assert code == 0
    assert json.loads(out)["accuracy"] == pytest.approx(result["metrics"]["test"]["accuracy"])

    inp = tmp_path / "in.jsonl"
    inp.write_text('{"text": "great excellent"}\n\n{"text": "awful rotten"}\n')
    code, out, _ = run(capsys, "predict", "text", "--input", str(inp))
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 2 and {"label", "scores"} <= set(rows[0])

    monkeypatch.setattr(sys, "stdin", io.StringIO('{"text": "fresh food"}\n'))
    code, out, _ = run(capsys, "predict", "text@1", "--input", "-")
    assert code == 0 and len(out.splitlines()) == 1

    code, _, err = run(capsys, "predict", "text@1", "--input", str(tmp_path / "nope.jsonl"))
    assert code == 2 and err.startswith("error: --input")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": 1}\n')
    code, _, err = run(capsys, "predict", "text@1", "--input", str(bad))
    assert code == 2 and "input 0: field 'text' must be a string" in err


def test_dry_run_prints_the_resolved_config_and_trains_nothing(fx, capsys):
    code, out, _ = run(
        capsys,
        "adapt",
        "fx/text",
        "--dry-run",
        "--method",
        "ia3",
        "--set",
        "train.lr=1e-3",
        "--name",
        "my-adapter",
    )
    cfg = json.loads(out)
    assert code == 0
    assert cfg["method"]["name"] == "ia3" and cfg["train"]["lr"] == 1e-3
    assert cfg["backbone"] == "tiny-bert" and cfg["output"]["name"] == "my-adapter"
    assert cfg["data"]["mode"] == "ok"  # the task's data section with its defaults
    assert not (fx.root / "manifests").exists()


def test_errors_are_one_line_with_their_exit_code(fx, capsys):
    code, _, err = run(capsys, "adapt", "fx/text", "--set", "train.lrr=1")
    assert code == 2 and err.count("\n") == 1 and "unknown key 'lrr'" in err
    code, _, err = run(capsys, "adapt", "fx/text", "--set", "method.r=0")
    assert code == 2 and "method.r" in err
    code, _, err = run(capsys, "adapt", "fx/diverge", *FAST, "--set", "train.epochs=2")
    assert code == 10 and "diverged" in err
    code, _, err = run(capsys, "evaluate", "nothing-here")
    assert code == 9


def test_backbones_and_methods_listings(fx, capsys):
    _code, out, _ = run(capsys, "backbones", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert {"minilm", "efficientnet-lite0", "smollm2-135m", "tiny-bert", "tiny-cnn"} <= set(rows)
    assert (
        rows["minilm"]["modality"] == "text" and rows["efficientnet-lite0"]["modality"] == "image"
    )
    _code, out, _ = run(capsys, "backbones")
    header, _rule, *lines = out.splitlines()
    assert header.split() == ["NAME", "MODALITY", "PLUGIN", "DESCRIPTION", "STATUS"]
    tiny = next(line for line in lines if line.startswith("tiny-bert "))
    assert " text " in tiny and tiny.rstrip().endswith("ok")
    assert lines[-1].startswith("(any local Hugging Face model directory")
    _code, out, _ = run(capsys, "methods", "--json")
    assert {r["name"] for r in json.loads(out)} == {
        "full",
        "freeze",
        "lora",
        "ia3",
        "prompt-tuning",
        "bitfit",
        "bottleneck",
        "zero-shot",
        "setfit",
        "setfit-full",
        "lm-zero-shot",
        "in-context",
        "pet",
    }
    _code, out, _ = run(capsys, "methods")
    methods, options = out.split("\n\n")
    assert methods.splitlines()[0].split() == [
        "METHOD", "LIBRARY", "MODALITIES", "DEFAULT", "LR", "DESCRIPTION"
    ]  # fmt: skip
    assert any(line.split()[:3] == ["lora", "peft", "text,"] for line in methods.splitlines())
    assert options.splitlines()[0].split() == ["METHOD", "OPTION", "DEFAULT", "DESCRIPTION"]
    assert any(
        line.split()[:4] == ["lora", "method.r", "8", "LoRA"] for line in options.splitlines()
    )


def _result(**kw):
    base = dict(
        ref="triage@3",
        metrics={
            "validation": {"accuracy": 0.9},
            "test": {"accuracy": 0.8125, "macro_f1": 0.7, "ece": 0.05, "class.a.f1": 0.6},
        },
        baselines={
            "majority": {"accuracy": 0.5, "macro_f1": 0.333},
            "keyword-rule": {"accuracy": 0.61},  # no macro_f1: shown as missing
        },
        log_path="/tmp/runs/triage.jsonl",
        seconds=12.34,
        trainable_parameters=1234,
        total_parameters=100000,
    )
    return SimpleNamespace(**{**base, **kw})


TASK = TaskSpec(
    id="fx/triage",
    modality="text",
    head="classification",
    labels=("a", "b"),
    description="x",
    headline=("accuracy", "macro_f1"),
)


def test_adapt_summary_is_one_row_per_model_on_the_headline_metrics():
    header, rule, *rows = render(adapt_summary(_result(), TASK)).splitlines()
    assert header.split() == ["test", "accuracy", "macro_f1"]  # the task's headline only
    assert set(rule) == {"─"}
    assert [r.split() for r in rows] == [
        ["adapter", "0.812", "0.700"],
        ["majority", "0.500", "0.333"],
        ["keyword-rule", "0.610", "—"],
    ]
    at = header.index("macro_f1") + len("macro_f1")  # numbers right-aligned
    assert all(r[:at].rstrip() == r[:at] for r in rows)
    default = TaskSpec(id="fx/plain", modality="text", head="classification", description="x")
    header = render(adapt_summary(_result(), default)).splitlines()[0]
    assert header.split()[0] == "test" and "accuracy" in header and "ece" not in header


def test_adapt_summary_lines_name_the_ref_the_report_and_the_log():
    (line,) = summary_lines(_result())  # gate passed (or absent): one line
    assert line.startswith("saved triage@3 (12.3s, 1,234 of 100,000 parameters trained)")
    assert "vadapt registry show triage@3" in line and "--json" in line
    assert line.endswith("run log: /tmp/runs/triage.jsonl")
    (line,) = summary_lines(_result(ref=None))
    assert line.startswith("not saved (output.save=false)")


def test_failed_gate_is_one_warning_line():
    gate = {"metric": "accuracy", "adapter": 0.62, "majority": 0.63, "floor": None,
            "passed": False, "saved": True, "tag": "below-baseline"}  # fmt: skip
    warning, footer = summary_lines(_result(gate=gate))
    assert warning == (
        "WARNING: accuracy 0.620 does not beat the majority baseline 0.630; "
        "saved tagged below-baseline"
    )
    assert footer.startswith("saved triage@3")
    assert gate_warning({**gate, "passed": True}) is None and gate_warning(None) is None
    floored = gate_warning({**gate, "floor": 0.7, "saved": False})
    assert "majority baseline 0.630 / the floor 0.7; not saved" in floored


def test_adapt_prints_the_compact_summary(fx, capsys):
    code, out, err = run(capsys, "adapt", "fx/text", *FAST, "--allow-below-baseline")
    assert code == 0, err
    header, _rule, *rest = out.splitlines()
    assert header.split() == ["test", "accuracy", "macro_f1"]
    rows = {line.split()[0]: line.split()[1:] for line in rest if line and line[0] != " "}
    assert rows["adapter"][0].startswith("0.") and len(rows["adapter"]) == 2
    assert "majority" in rows
    assert any(line.startswith("saved text@1 (") for line in rest)
    assert "vadapt registry show text@1" in out and "run log:" in out
    assert "class." not in out and "validation" not in out  # no 40-metric dumps


def test_allow_below_baseline_becomes_the_output_override(fx, capsys):
    code, out, _ = run(capsys, "adapt", "fx/text", "--dry-run", "--allow-below-baseline")
    assert code == 0 and json.loads(out)["output"]["allow_below_baseline"] is True
    code, out, _ = run(capsys, "adapt", "fx/text", "--dry-run")
    assert json.loads(out)["output"]["allow_below_baseline"] is False
