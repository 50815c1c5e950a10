"""Derived adapters: ``vadapt compress NAME@V --merge`` folds a LoRA / IA3 adapter into
its base and stores the result as its own registry entry.

The merged model is peft's ``merge_and_unload`` of the parent: the low-rank (or scaling)
update added into the base weights, no adapter layers left, so inference runs the
backbone's own matmuls. It is stored the way a ``full`` adapter is (every backbone tensor
under its own name in ``weights.safetensors``, the parent's head beside it), with the
parent in ``parent`` and ``training.derived`` = ``{"relation": "merged", "from": ref,
...}``. Everything the entry claims is measured by the core in this process before the
save, on the parent's own test split: the parent's and the merged model's metrics and
their difference in points, size on disk, and CPU latency (p50/p95 at batch 1 and 32,
threads stated). ``--max-drop POINTS`` refuses a merged adapter that loses more on the
task's metric (``QualityDrop``, exit 13). Methods with nothing to fold are refused in
one line: ``full``, ``freeze`` and ``bitfit`` already store base weights; ``bottleneck``
and prompt methods add modules or tokens that have no place in the base.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from typing import Any

from vadapt_registry.errors import InvalidConfig, QualityDrop

MERGEABLE = ("lora", "ia3")
LATENCY_REPEATS = {1: 30, 32: 5}


def latency(lm: Any, examples: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """p50/p95 milliseconds of ``predict`` at batch 1 and 32 on the given examples."""
    from vadapt.engine.load import predict

    out = {}
    for batch, repeats in LATENCY_REPEATS.items():
        rows = [{"text": ex["text"]} if "text" in ex else ex for ex in examples[:batch]]
        predict(lm.manifest.ref, rows, loaded=lm)  # warm
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            predict(lm.manifest.ref, rows, loaded=lm)
            times.append(1e3 * (time.perf_counter() - t0))
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        out[f"batch_{batch}"] = {"p50_ms": statistics.median(times), "p95_ms": p95}
    return out


def _weights_bytes(module: Any) -> bytes:
    from safetensors.torch import save

    state = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    return save(state, metadata={"format": "pt", "vadapt_method": "full"})


def _test_metrics(lm: Any, h: Any, examples: Sequence[dict[str, Any]]) -> dict[str, float]:
    from vadapt.engine.evaluate import evaluate_split
    from vadapt.engine.load import stored_context

    return evaluate_split(lm.model, lm.ctx, h, examples, "test", stored_context(lm.manifest))


def merge(
    ref: str,
    *,
    name: str | None = None,
    max_drop: float | None = None,
    registry: Any = None,
    hooks: Any = None,
) -> Any:
    """Fold ``ref`` into its base, measure it against its parent, store it; its manifest."""
    import torch

    from vadapt.engine.load import load_adapter, split_examples
    from vadapt.engine.save import HEAD_FILE, open_registry
    from vadapt.hooks import hooks as default_hooks

    h = hooks or default_hooks()
    reg = open_registry(registry, None)
    lm = load_adapter(ref, registry=reg, hooks=h)
    method = lm.config.method.name
    if method not in MERGEABLE:
        raise InvalidConfig(
            f"{lm.manifest.ref}: method {method!r} has nothing to merge into the base "
            "(full, freeze and bitfit store base weights already; bottleneck and prompt "
            "methods add modules or tokens the base has no place for)",
            fix="merge a lora or ia3 adapter",
        )
    examples = split_examples(lm, h, "test")
    metric = lm.task.metric
    threads = torch.get_num_threads()
    parent = {
        "metrics": _test_metrics(lm, h, examples),
        "latency_ms": latency(lm, examples),
        "size_bytes": sum(e.size for e in lm.manifest.files.values()),
    }
    lm.model.adaptation.module.merge_and_unload()  # in place: the wrapper now runs merged
    merged_metrics = _test_metrics(lm, h, examples)
    files = {
        "weights.safetensors": _weights_bytes(lm.model.adaptation.base_model()),
        HEAD_FILE: reg.load(lm.manifest.ref).files[HEAD_FILE],
    }
    drop = _points(parent["metrics"][metric], merged_metrics[metric], lm.task)
    if max_drop is not None and drop > max_drop:
        raise QualityDrop(
            f"merged {lm.manifest.ref} loses {drop:.2f} points of test {metric} "
            f"({parent['metrics'][metric]:.4f} -> {merged_metrics[metric]:.4f}), more than "
            f"--max-drop {max_drop:g}; nothing was saved",
            fix="raise --max-drop, or keep serving the unmerged adapter",
        )
    derived = {
        "relation": "merged",
        "from": lm.manifest.ref,
        "metric": metric,
        "before": parent["metrics"][metric],
        "after": merged_metrics[metric],
        "drop_points": drop,
        "parent": parent,
        "latency_ms": latency(lm, examples),
        "size_bytes": sum(len(b) for b in files.values()),
        "threads": threads,
        "test_examples": len(examples),
    }
    draft = _draft(lm.manifest, name, merged_metrics, derived)
    return reg.save(draft, files)


def _points(before: float, after: float, task: Any) -> float:
    """How many points (x100) ``after`` is worse than ``before`` on the task's metric."""
    from vadapt.types import LOWER_IS_BETTER

    worse = after - before if task.metric in LOWER_IS_BETTER else before - after
    return round(100 * worse, 4)


def _draft(m: Any, name: str | None, metrics: dict[str, float], derived: dict) -> dict:
    """The derived entry's manifest: the parent's, as a ``full`` adapter, with lineage."""
    from vadapt.engine.manifest import jsonable

    base = m.model_dump(mode="json")
    for key in ("schema_version", "writer", "version", "created", "files"):
        base.pop(key, None)
    training = dict(base["training"])
    config = dict(training.get("config") or {})
    config["method"] = {"name": "full"}
    training["config"] = config
    training["derived"] = jsonable(derived)
    base.update(
        name=name or f"{m.name}-merged",
        method={"name": "full", "config": {"options": {}, "resolved": {"name": "full"}}},
        parent=m.ref,
        training=training,
        metrics={"validation": base["metrics"].get("validation", {}), "test": jsonable(metrics)},
        notes=f"{m.ref} merged into its base (merge_and_unload).\n{m.notes}".strip(),
    )
    return base


def describe(derived: dict[str, Any]) -> list[str]:
    """Lines for the CLI: metric before/after, size, latency, threads."""
    p = derived["parent"]
    lines = [
        f"test {derived['metric']}: {derived['before']:.4f} -> {derived['after']:.4f} "
        f"(drop {derived['drop_points']:+.2f} points)",
        f"size on disk: {p['size_bytes']:,} -> {derived['size_bytes']:,} bytes",
    ]
    for batch, row in derived["latency_ms"].items():
        before = p["latency_ms"][batch]
        lines.append(
            f"latency {batch.replace('_', ' ')}: p50 {before['p50_ms']:.1f} -> "
            f"{row['p50_ms']:.1f} ms, p95 {before['p95_ms']:.1f} -> {row['p95_ms']:.1f} ms "
            f"({derived['threads']} threads)"
        )
    return lines
