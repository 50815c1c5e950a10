# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""``vadapt export --format onnx``: one file run by onnxruntime, parity on the test split."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, fx, tiny_bert_dir  # noqa: F401
from vadapt import InvalidConfig

pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")


def test_the_onnx_file_answers_as_the_adapter_and_parity_is_recorded(fx, tmp_path, capsys):
    import numpy as np
    import onnxruntime as ort
    from vadapt.cli import main
    from vadapt.engine import adapt
    from vadapt.engine.load import load_adapter, predict
    from vadapt_registry import Registry

    res = adapt(base_config(epochs=2, lr=2e-2), progress=False)
    out = tmp_path / "text.onnx"
    with pytest.raises(SystemExit) as exc:
        main(["export", res.ref, "--format", "onnx", "--out", str(out)])
        raise SystemExit(0)
    printed = capsys.readouterr()
    assert (exc.value.code or 0) == 0, printed.err
    assert "parity vs vadapt predict" in printed.out
    report = json.loads(Registry().load_attachment(res.ref, "onnx").files["parity.json"])
    assert report["test_examples"] > 0 and report["size_bytes"] == out.stat().st_size
    assert report["vs_torch_fp32"]["max_abs_diff"] < 1e-4
    assert report["vs_predict"]["argmax_agreement"] == 1.0
    lm = load_adapter(res.ref)  # a fresh session on a new text, against the adapter
    enc = lm.ctx.collator.pre(["the food great was really excellent"], return_tensors="np")
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    feed = {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask")}
    logits = session.run(["logits"], feed)[0][0]
    probs = np.exp(logits) / np.exp(logits).sum()
    want = predict(res.ref, [{"text": "the food great was really excellent"}])[0]["scores"]
    assert np.allclose(probs, list(want.values()), atol=1e-4)


def test_what_cannot_be_exported_is_refused_in_one_line(fx, tmp_path):
    from vadapt.cli import main
    from vadapt.engine import adapt
    from vadapt.engine.export import export_onnx

    rank = adapt(base_config("fx/rank", epochs=1), progress=False)
    with pytest.raises(InvalidConfig, match="ONNX export covers text"):
        export_onnx(rank.ref, tmp_path / "r.onnx")
    with pytest.raises(SystemExit) as exc:
        main(["export", rank.ref, "--format", "tflite"])
    assert exc.value.code == 2
