# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""`vadapt adapt / evaluate / predict / backbones / methods` end to end, in process."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import fx, tiny_bert_dir  # noqa: F401
from vadapt.cli import main

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
    _code, out, _ = run(capsys, "methods", "--json")
    assert {r["name"] for r in json.loads(out)} == {
        "full",
        "freeze",
        "lora",
        "ia3",
        "prompt-tuning",
        "bitfit",
        "bottleneck",
    }
    _code, out, _ = run(capsys, "methods")
    assert "method.r = 8" in out
