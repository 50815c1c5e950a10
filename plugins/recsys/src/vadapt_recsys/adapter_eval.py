"""Full-catalogue metrics of a stored recsys adapter (needs the engine; imports torch lazily).

The ``evaluate`` hook sees only each example's candidates, so the adapter's
full-catalogue numbers come from here: the adapter is loaded from the registry,
its bi-encoder embeds every catalogue item once and every user once, and
:func:`vadapt_recsys.full.full_ranking` scores the result exactly as it scores
the baselines. ``python -m vadapt_recsys.adapter_eval NAME@VERSION`` prints them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from vadapt_recsys.full import cosine_scorer, full_ranking


def model_encoder(
    model: Any, tokenizer: Any, max_length: int, *, batch_size: int = 64
) -> Callable[[Sequence[str]], np.ndarray]:
    """``encode(texts)`` through an engine ``AdaptModel`` (backbone, adapter, head; unit rows)."""

    def encode(texts: Sequence[str]) -> np.ndarray:
        import torch

        device = next(model.parameters()).device
        rows = []
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                for start in range(0, len(texts), batch_size):
                    enc = tokenizer(
                        list(texts[start : start + batch_size]),
                        padding=True,
                        truncation=True,
                        max_length=max_length,
                        return_tensors="pt",
                    )
                    inputs = {k: enc[k].to(device) for k in ("input_ids", "attention_mask")}
                    rows.append(model.embed(inputs).float().cpu().numpy())
        finally:
            model.train(was_training)
        return np.concatenate(rows) if rows else np.zeros((0, 1), dtype=np.float32)

    return encode


def adapter_full_ranking(
    ref: str, *, split: str = "test", data: dict[str, Any] | None = None, registry: Any = None
) -> dict[str, float]:
    """``recsys.full.*`` metrics of adapter ``ref`` on ``split`` of its task's data."""
    from vadapt.engine import load_adapter
    from vadapt.hooks import hooks

    h = hooks()
    lm = load_adapter(ref, registry=registry, hooks=h)
    raw = lm.config.data if data is None else data
    splits = h.load_data(lm.task, lm.task.data_model.model_validate(raw))
    collator = lm.ctx.collator
    encode = model_encoder(lm.model, collator.pre, collator.max_length)
    return full_ranking(cosine_scorer(encode), list(getattr(splits, split)))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(
            "usage: python -m vadapt_recsys.adapter_eval NAME@VERSION [validation|test]",
            file=sys.stderr,
        )
        return 2
    split = args[1] if len(args) > 1 else "test"
    print(json.dumps(adapter_full_ranking(args[0], split=split), indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
