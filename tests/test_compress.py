# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""``vadapt compress --merge``: a LoRA folded into its base, stored as a derived adapter."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, fx, tiny_bert_dir  # noqa: F401
from vadapt import InvalidConfig, QualityDrop

TEXTS = [{"text": "the food great was really excellent"}, {"text": "bad awful box stale"}]


@pytest.fixture
def lora(fx):
    from vadapt.engine import adapt

    return adapt(base_config(epochs=3, lr=2e-2), progress=False)


def test_merged_adapter_answers_as_its_parent_and_records_what_it_costs(lora, capsys):
    from vadapt.cli import main
    from vadapt.engine.load import predict
    from vadapt_registry import Registry

    with pytest.raises(SystemExit) as exc:
        main(["compress", lora.ref, "--merge", "--max-drop", "0.5"])
        raise SystemExit(0)
    out = capsys.readouterr()
    assert (exc.value.code or 0) == 0, out.err
    m = Registry().get("text-merged")
    assert m.parent == lora.ref and m.method.name == "full"
    assert set(m.files) == {"weights.safetensors", "head.safetensors"}
    d = m.training["derived"]
    assert d["relation"] == "merged" and d["from"] == lora.ref and abs(d["drop_points"]) < 0.5
    assert d["size_bytes"] > d["parent"]["size_bytes"]  # merging trades size for speed
    assert set(d["latency_ms"]) == {"batch_1", "batch_32"} and d["threads"] >= 1
    assert m.metrics.test["accuracy"] == pytest.approx(lora.metrics["test"]["accuracy"])
    for a, b in zip(predict(m.ref, TEXTS), predict(lora.ref, TEXTS), strict=True):
        assert a["label"] == b["label"]  # a fresh process loads it as a full adapter
        assert all(abs(a["scores"][k] - b["scores"][k]) < 1e-4 for k in a["scores"])
    assert "merged into its base" in out.out and "latency batch 1" in out.out


def test_max_drop_refuses_and_unmergeable_methods_say_why(lora, monkeypatch):
    from vadapt.engine import adapt, compress
    from vadapt_registry import Registry

    monkeypatch.setattr(compress, "_points", lambda before, after, task: 3.0)
    with pytest.raises(QualityDrop, match=r"loses 3\.00 points .* more than --max-drop 1"):
        compress.merge(lora.ref, max_drop=1.0)
    assert [s.name for s in Registry().summaries()] == ["text"]  # nothing was saved
    cfg = base_config(epochs=1)
    cfg["method"] = {"name": "full"}
    cfg["output"]["name"] = "text-full"
    full = adapt(cfg, progress=False)
    with pytest.raises(InvalidConfig, match="method 'full' has nothing to merge"):
        compress.merge(full.ref)
    from vadapt.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["compress", lora.ref, "--quantize", "int8"])
    assert exc.value.code == 2
