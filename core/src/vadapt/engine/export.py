"""``vadapt export NAME@V --format onnx``: the adapter as one ONNX file, checked by onnxruntime.

The exported graph is the adapter's whole forward — backbone with its adaptation (peft
layers traced as they run), pooling and head — from ``input_ids`` and
``attention_mask`` (dynamic batch and sequence axes) to ``logits``, in fp32, through
``torch.onnx.export(dynamo=True)``, weights embedded in the file. Parity is measured on
the adapter's own test split, not assumed: onnxruntime (CPU) answers every test text in
batches of 32 and its probabilities are compared with the adapter's own ``predict``
(which runs as the adapter was trained: bf16 autocast for a bf16 recipe) and with the
same torch graph in fp32 — max absolute difference and argmax agreement of each. The
parity report is stored with the adapter as its ``onnx`` attachment
(:mod:`vadapt_registry.attachments`), together with the file's sha256 and size.
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from vadapt_registry.errors import InvalidConfig

from vadapt.types import HeadKind, Modality

OPSET = 18
BATCH = 32


def _check(lm: Any) -> None:
    head = HeadKind(lm.task.head)
    if lm.task.modality == Modality.IMAGE or head not in (
        HeadKind.CLASSIFICATION,
        HeadKind.MULTILABEL,
        HeadKind.REGRESSION,
    ):
        raise InvalidConfig(
            f"{lm.manifest.ref}: ONNX export covers text (and tabular-as-text) "
            f"classification, multilabel and regression adapters; this one is "
            f"{lm.task.modality} / {head.value}",
            fix="serve it with vadapt serve instead",
        )
    from vadapt.engine.load import require_direct_input

    require_direct_input(lm, "ONNX export")


def _graph(lm: Any) -> Any:
    import torch

    class Logits(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.model({"input_ids": input_ids, "attention_mask": attention_mask}).float()

    return Logits(lm.model).eval()


def _batches(lm: Any, texts: list[str]) -> list[dict[str, Any]]:
    pre, n = lm.ctx.collator.pre, lm.ctx.collator.max_length
    return [
        pre(texts[i : i + BATCH], padding=True, truncation=True, max_length=n, return_tensors="np")
        for i in range(0, len(texts), BATCH)
    ]


def _probs(task: Any, logits: np.ndarray, norm: tuple[float, float]) -> np.ndarray:
    head = HeadKind(task.head)
    if head == HeadKind.CLASSIFICATION:
        e = np.exp(logits - logits.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)
    if head == HeadKind.MULTILABEL:
        return 1.0 / (1.0 + np.exp(-logits))
    return logits[:, 0] * norm[1] + norm[0]


def _compare(a: np.ndarray, b: np.ndarray, task: Any) -> dict[str, float]:
    out = {"max_abs_diff": float(np.abs(a - b).max())}
    if HeadKind(task.head) == HeadKind.CLASSIFICATION:
        out["argmax_agreement"] = float((a.argmax(1) == b.argmax(1)).mean())
    elif HeadKind(task.head) == HeadKind.MULTILABEL:
        out["label_agreement"] = float(((a > 0.5) == (b > 0.5)).mean())
    return out


def _export(torch: Any, graph: Any, sample: dict[str, Any]) -> Any:
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence")
    return torch.onnx.export(
        graph,
        (sample["input_ids"], sample["attention_mask"]),
        dynamo=True,
        verbose=False,
        opset_version=OPSET,
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_shapes={"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}},
    )


def export_onnx(ref: str, out: Path, *, registry: Any = None, hooks: Any = None) -> dict:
    """Write ``ref`` as one ONNX file at ``out`` and return (and store) its parity report."""
    import torch

    try:
        import onnxruntime as ort
    except ImportError:
        raise InvalidConfig(
            "ONNX export needs onnx, onnxscript and onnxruntime",
            fix="pip install 'vadapt[onnx]'",
        ) from None
    from vadapt.engine.evaluate import infer
    from vadapt.engine.load import load_adapter, split_examples
    from vadapt.engine.save import open_registry
    from vadapt.hooks import hooks as default_hooks
    from vadapt.kit import references

    h = hooks or default_hooks()
    reg = open_registry(registry, None)
    lm = load_adapter(ref, registry=reg, hooks=h)
    _check(lm)
    examples = split_examples(lm, h, "test")
    texts = [ex["text"] for ex in examples]
    graph = _graph(lm)
    sample = lm.ctx.collator.pre(texts[:2], padding=True, return_tensors="pt")
    t0 = time.perf_counter()
    with warnings.catch_warnings():  # the exporter's own deprecation chatter, not the user's
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        program = _export(torch, graph, sample)
    out = out.expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    program.save(str(out), external_data=False)
    seconds = time.perf_counter() - t0
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    onnx_logits, torch_logits = [], []
    for enc in _batches(lm, texts):
        feed = {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask")}
        onnx_logits.append(session.run(["logits"], feed)[0])
        with torch.no_grad():
            torch_logits.append(graph(*(torch.from_numpy(feed[k]) for k in feed)).numpy())
    norm = lm.ctx.target_norm
    ours = _probs(lm.task, np.concatenate(onnx_logits), norm)
    fp32 = _probs(lm.task, np.concatenate(torch_logits), norm)
    served, _ = infer(lm.model, lm.ctx, examples, references(lm.task, examples, lm.labels))
    data = out.read_bytes()
    report = {
        "format": "onnx",
        "opset": OPSET,
        "file": out.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size_bytes": len(data),
        "export_seconds": round(seconds, 1),
        "test_examples": len(texts),
        "onnxruntime": ort.__version__,
        "vs_predict": _compare(ours, np.asarray(served, dtype=float), lm.task),
        "vs_torch_fp32": _compare(ours, fp32, lm.task),
    }
    summary = {"sha256": report["sha256"], **report["vs_predict"]}
    reg.attach(lm.manifest.ref, "onnx", {"parity.json": json.dumps(report).encode()}, summary)
    return report
