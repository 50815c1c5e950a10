"""The baselines' encoder: the un-adapted backbone as ``encode(inputs) -> vectors``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from vadapt.config import AdaptConfig
from vadapt.types import Modality


def make_encoder(spec: Any, cfg: AdaptConfig, batch_size: int = 32) -> Any:
    """``encode(inputs) -> L2-normalised numpy`` over the un-adapted backbone, loaded lazily,
    on the CPU in ``train.precision`` as resolved there; texts in batches of similar length."""
    state: dict[str, Any] = {}

    def encode(inputs: Sequence[Any]) -> np.ndarray:
        from vadapt.engine.data.tokens import tokenize
        from vadapt.engine.precision import prefer_eager_attention, resolve_precision
        from vadapt.engine.setup import load_backbone

        mixed = resolve_precision(cfg.train.precision, "cpu")

        if "loaded" not in state:
            state["loaded"] = load_backbone(spec, cfg)
            state["loaded"].model.eval()
            prefer_eager_attention(state["loaded"].model, mixed, "cpu")
        lb = state["loaded"]
        if not len(inputs):
            return np.zeros((0, lb.hidden_size), dtype=np.float32)
        if lb.modality == Modality.IMAGE:
            order, tokens = np.arange(len(inputs)), None
        else:  # the engine's packed tokens, batched by token length
            tokens = tokenize(lb.preprocessor, [str(x) for x in inputs], cfg.train.max_length)
            order = np.argsort(tokens.lengths, kind="stable")
        rows = np.concatenate(
            [
                _embed(lb, inputs, order[i : i + batch_size], tokens, mixed)
                for i in range(0, len(order), batch_size)
            ]
        )
        return rows[np.argsort(order)]

    return encode


def _embed(lb: Any, inputs: Sequence[Any], rows: np.ndarray, tokens: Any, mixed: str) -> np.ndarray:
    import torch

    from vadapt.engine.model import mean_pool
    from vadapt.engine.precision import autocast_dtype

    dtype = autocast_dtype(mixed)
    with torch.no_grad(), torch.autocast("cpu", dtype=dtype, enabled=dtype is not None):
        if tokens is None:
            feats = lb.model(torch.stack([lb.preprocessor(inputs[i]) for i in rows]))
        else:
            ids, mask = tokens.batch(rows, int(lb.preprocessor.pad_token_id or 0))
            out = lb.model(input_ids=ids, attention_mask=mask)
            feats = mean_pool(out.last_hidden_state, mask)
    return torch.nn.functional.normalize(feats.float(), dim=-1).numpy()
