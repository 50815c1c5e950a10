# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""train.precision resolved per device; bf16 on CPU runs attention as plain matmuls;
a stored adapter is served in the precision it was trained in."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, fx, tiny_bert_dir  # noqa: F401
from vadapt.engine import precision
from vadapt.engine.precision import prefer_eager_attention, resolve_precision


@pytest.mark.parametrize(
    ("setting", "device", "native", "want"),
    [
        ("auto", "cpu", True, "no"),  # published CPU numbers are fp32: auto keeps them
        ("auto", "cuda", True, "bf16"),
        ("fp32", "cuda", True, "no"),
        ("bf16", "cpu", False, "bf16"),  # asked for explicitly: emulated if need be
        ("bf16-native", "cpu", True, "bf16"),
        ("bf16-native", "cpu", False, "no"),  # an AVX2-only laptop stays fast in fp32
    ],
)
def test_precision_per_device(monkeypatch, setting, device, native, want) -> None:
    monkeypatch.setattr(precision, "native_bf16", lambda _device: native)
    assert resolve_precision(setting, device) == want


def test_bf16_on_cpu_switches_attention_to_plain_matmuls(tiny_bert_dir) -> None:
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(tiny_bert_dir))
    before = model.config._attn_implementation
    prefer_eager_attention(model, "no", "cpu")
    prefer_eager_attention(model, "bf16", "cuda")
    assert model.config._attn_implementation == before == "sdpa"
    prefer_eager_attention(model, "bf16", "cpu")
    assert model.config._attn_implementation == "eager"
    prefer_eager_attention(object(), "bf16", "cpu")  # no attention to switch: nothing happens


def test_a_bf16_adapter_is_evaluated_in_bf16_and_reproduces_its_metrics(fx) -> None:
    from vadapt.engine import evaluate_adapter, load_adapter

    res = adapt_bf16()
    assert res.manifest.training["engine"]["precision"] == "bf16"
    lm = load_adapter(res.ref)
    import torch

    assert lm.ctx.autocast_dtype == torch.bfloat16
    again = evaluate_adapter(res.ref)
    assert again["accuracy"] == res.metrics["test"]["accuracy"]
    assert again["loss"] == pytest.approx(res.metrics["test"]["loss"], abs=1e-6)


def adapt_bf16():  # type: ignore[no-untyped-def]
    from vadapt.engine import adapt

    return adapt(base_config(max_steps=3, precision="bf16"), progress=False)


def test_runs_of_different_precision_in_one_process(fx) -> None:
    """Accelerate's process-wide state refused a bf16 run after an fp32 one."""
    from vadapt.engine import adapt

    fp32 = adapt(base_config(max_steps=2, precision="fp32"), progress=False)
    bf16 = adapt_bf16()
    assert fp32.manifest.training["engine"]["precision"] == "no"
    assert bf16.manifest.training["engine"]["precision"] == "bf16"
