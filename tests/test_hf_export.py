# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""``vadapt registry export --format hf``: peft files, the head and a model card that reads back."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, fx, tiny_bert_dir  # noqa: F401

NOTES = "<script>alert(1)</script> trained on fixtures"


def test_the_hub_directory_holds_verified_files_and_a_valid_card(fx, tmp_path, capsys):
    from huggingface_hub import ModelCard
    from peft import PeftConfig
    from vadapt.cli import main
    from vadapt.engine import adapt

    cfg = base_config(epochs=1)
    cfg["output"]["notes"] = NOTES
    res = adapt(cfg, progress=False)
    out = tmp_path / "hub"
    with pytest.raises(SystemExit) as exc:
        main(["registry", "export", res.ref, str(out), "--format", "hf"])
        raise SystemExit(0)
    assert (exc.value.code or 0) == 0, capsys.readouterr().err
    files = {p.name for p in out.iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", "head.safetensors"} <= files
    assert {"README.md", "vadapt-manifest.json"} <= files
    manifest = json.loads((out / "vadapt-manifest.json").read_text())
    for name, entry in manifest["files"].items():  # byte for byte what the registry holds
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == entry["sha256"]
    assert PeftConfig.from_pretrained(str(out)).peft_type.value == "LORA"
    card = ModelCard.load(out / "README.md")
    assert card.data.library_name == "peft" and card.data.model_name == res.ref
    assert {"vadapt", "fx", "fx-text", "lora"} <= set(card.data.tags)
    got = {r.metric_type: r.metric_value for r in card.data.eval_results}
    assert got["accuracy"] == pytest.approx(res.metrics["test"]["accuracy"])
    assert "<script>" not in card.text and "&lt;script&gt;" in card.text
    with pytest.raises(SystemExit) as exc:
        main(["registry", "export", res.ref, str(tmp_path / "x"), "--format", "zip"])
    assert exc.value.code == 2


def test_minilm_cards_name_their_hub_base_model():
    from vadapt.hooks import hooks

    assert hooks().backbone("minilm").hub_id == "sentence-transformers/all-MiniLM-L6-v2"
