"""Why a text adapter decided: integrated-gradients attributions per word (``vadapt explain``).

captum's ``LayerIntegratedGradients`` integrates the gradient of the explained label's
logit along a straight path in input-embedding space, from a baseline (the same special
tokens, every other token replaced by padding) to the input, over ``steps`` points
(chunked by ``internal_batch_size`` so two cores stay within memory). The attribution
of a word piece is the sum over the embedding dimension; a word's is the sum of its
pieces (words as :func:`vadapt.kit.entities.words` cuts them, with character offsets
into the input). Methods that wrap texts in a prompt are refused (the attributions
would cover the prompt's tokens). Inputs longer than ``train.max_length`` are cut like
every prediction, and the output says so. A tabular row serialised as text (its
task's split info describes how, :mod:`vadapt.kit.fields`) also gets the attribution
of each feature by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from vadapt_registry.errors import InvalidConfig

from vadapt.engine.adversarial import no_weight_grads
from vadapt.types import HeadKind, Modality

DEFAULT_STEPS = 32
# all 32 integration points in one forward + backward: 2.57 vs 2.22 texts/s at 16 (MiniLM,
# 128 tokens, 2 cores; bench/bench_explain.py); the activations stay under 100 MB
INTERNAL_BATCH = 32


def check_explainable(lm: Any) -> None:
    """One line (InvalidConfig) when ``lm`` is not an adapter `explain` supports."""
    head = HeadKind(lm.task.head)
    if lm.task.modality == Modality.IMAGE and head == HeadKind.CLASSIFICATION:
        raise InvalidConfig(
            f"{lm.manifest.ref} is an image adapter: its explanations are Grad-CAM heatmaps",
            fix="vadapt explain REF --input images.jsonl (vadapt.engine.gradcam.explain_images)",
        )
    if lm.task.modality not in (Modality.TEXT, Modality.TABULAR) or head not in (
        HeadKind.CLASSIFICATION,
        HeadKind.REGRESSION,
    ):
        raise InvalidConfig(
            f"{lm.manifest.ref}: vadapt explain supports text (and tabular-as-text) "
            "classification and regression adapters and image classification adapters; "
            f"this one is {lm.task.modality} / {head.value}",
            fix="token-classification, ranking and generation adapters are not explained yet",
        )
    from vadapt.engine.load import require_direct_input

    require_direct_input(lm, "attribution")


def _words(text: str, offsets: np.ndarray, scores: np.ndarray) -> list[dict[str, Any]]:
    from vadapt.kit.entities import words

    out = []
    for start, end in words(text):
        inside = (offsets[:, 0] < end) & (offsets[:, 1] > start) & (offsets[:, 1] > offsets[:, 0])
        out.append(
            {
                "word": text[start:end],
                "start": start,
                "end": end,
                "attribution": float(scores[inside].sum()),
            }
        )
    return out


def _encode(lm: Any, text: str) -> dict[str, Any]:
    from vadapt.kit.entities import words

    enc = lm.ctx.collator.pre(
        text,
        truncation=True,
        max_length=lm.ctx.collator.max_length,
        return_offsets_mapping=True,
        return_special_tokens_mask=True,
        return_tensors="pt",
    )
    spans = words(text)
    covered = int(enc["offset_mapping"][0, :, 1].max())  # the last character a piece reaches
    return {**enc, "truncated": bool(spans) and spans[-1][1] > covered}


def explain_text(
    lm: Any, text: str, *, steps: int = DEFAULT_STEPS, internal_batch_size: int = INTERNAL_BATCH
) -> dict[str, Any]:
    """One text: the predicted label (or value), the label explained, word attributions."""
    import torch
    from captum.attr import LayerIntegratedGradients

    enc = _encode(lm, text)
    ids, mask = enc["input_ids"], enc["attention_mask"]
    special = enc["special_tokens_mask"].bool()
    pad = lm.ctx.collator.pre.pad_token_id or 0
    baseline = torch.where(special, ids, torch.full_like(ids, pad))
    model = lm.model
    device = next(model.parameters()).device
    dtype = lm.ctx.autocast_dtype  # explain the model as it predicts (bf16 where trained so)

    def forward(input_ids: Any, attention_mask: Any) -> Any:
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            return model({"input_ids": input_ids, "attention_mask": attention_mask}).float()

    model.eval()
    with torch.no_grad():
        logits = forward(ids.to(device), mask.to(device))[0].cpu()
    regression = HeadKind(lm.task.head) == HeadKind.REGRESSION
    target = 0 if regression else int(logits.argmax())
    lig = LayerIntegratedGradients(forward, model.input_embeddings())
    with no_weight_grads(model):
        attr, delta = lig.attribute(
            ids.to(device),
            baselines=baseline.to(device),
            additional_forward_args=(mask.to(device),),
            target=target,
            n_steps=steps,
            internal_batch_size=internal_batch_size,
            return_convergence_delta=True,
        )
    per_piece = attr.sum(-1)[0].detach().float().cpu().numpy()
    per_piece[special[0].numpy()] = 0.0
    out: dict[str, Any] = {
        "text": text,
        "words": _words(text, enc["offset_mapping"][0].numpy(), per_piece),
        "convergence_delta": float(delta.abs().max()),
        "steps": steps,
    }
    if regression:
        out["value"] = float(logits[0])
    else:
        probs = torch.softmax(logits, -1).numpy()
        out["label"] = lm.labels[target]
        out["score"] = float(probs[target])
    if enc["truncated"]:
        out["truncated"] = f"cut to train.max_length = {lm.ctx.collator.max_length} tokens"
    features = _features(lm, text, out["words"])
    if features is not None:
        out["features"] = features
    return out


def _features(lm: Any, text: str, words: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """For a tabular row serialised as text: the attribution of each feature, by name."""
    from vadapt.kit.fields import FIELDS_INFO, feature_attributions, field_spans

    info = (lm.manifest.training.get("data") or {}).get("info") or {}
    schema = info.get(FIELDS_INFO)
    spans = field_spans(text, schema) if schema else None
    return None if spans is None else feature_attributions(words, spans)


def explain(
    ref: str,
    texts: Sequence[str],
    *,
    steps: int = DEFAULT_STEPS,
    internal_batch_size: int = INTERNAL_BATCH,
    registry: Any = None,
    loaded: Any = None,
) -> list[dict[str, Any]]:
    """Word attributions of ``texts`` for the label the adapter predicts for each."""
    from vadapt.engine.load import load_adapter

    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise InvalidConfig(f"--steps {steps!r}: expected an integer >= 2", fix="e.g. --steps 32")
    lm = loaded or load_adapter(ref, registry=registry)
    check_explainable(lm)
    for i, t in enumerate(texts):
        if not isinstance(t, str) or not t.strip():
            raise InvalidConfig(
                f"input {i}: expected a non-empty text", fix='each line like {"text": "..."}'
            )
    return [
        explain_text(lm, t, steps=steps, internal_batch_size=internal_batch_size) for t in texts
    ]
