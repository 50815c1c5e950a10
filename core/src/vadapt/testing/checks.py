"""Shape checks and fakes shared by :class:`vadapt.testing.PluginContract` (no torch here)."""

from __future__ import annotations

import importlib
import math
import zlib
from collections.abc import Sequence
from importlib import metadata
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np

from vadapt.plugins import ENTRY_POINT_GROUP
from vadapt.types import HeadKind, Modality, TaskSpec


def plugin_name(plugin: Any) -> str:
    """The entry-point name the plugin is installed under, else one derived from its module."""
    module = getattr(plugin, "__name__", type(plugin).__module__)
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.value.split(":", 1)[0] == module:
            return ep.name
    return module.rsplit(".", 1)[-1].removeprefix("vadapt_").replace("_", "-")


def module_name(plugin: Any) -> str | None:
    return plugin.__name__ if isinstance(plugin, ModuleType) else None


def config_section(cls_name: str, fields: dict[str, Any]) -> Any:
    """The engine's config section ``cls_name`` built from ``fields``, or a stand-in namespace
    with the same attributes when the engine's config is unavailable."""
    try:
        cls = getattr(importlib.import_module("vadapt.config"), cls_name)
        return cls.model_validate(fields)
    except Exception:
        return SimpleNamespace(**fields)


def adapt_config(task: TaskSpec) -> Any:
    return config_section("AdaptConfig", {"task": task.id, "backbone": task.default_backbone})


def augment_config(options: dict[str, Any]) -> Any:
    return config_section("AugmentConfig", {"enabled": True, "options": options})


def adversarial_config(options: dict[str, Any]) -> Any:
    fields = {"enabled": True, "epsilon": 0.01, "alpha": 0.005, "steps": 1, "weight": 1.0}
    return config_section("AdversarialConfig", {**fields, "options": options})


def label_of(task: TaskSpec, ex: dict[str, Any]) -> Any:
    return ex.get("positive") if task.head == HeadKind.RANKING else ex.get("label")


def example_problem(task: TaskSpec, labels: Sequence[str], ex: dict[str, Any]) -> str | None:
    """Why ``ex`` is not a valid example for ``task``, or None when it is."""
    mod, head = task.modality, task.head
    if mod == Modality.TEXT and not isinstance(ex.get("text"), str):
        return f"text example needs a str 'text', got keys {sorted(ex)}"
    if mod == Modality.TABULAR and not (isinstance(ex.get("text"), str) or "features" in ex):
        return f"tabular example needs a str 'text' or 'features', got keys {sorted(ex)}"
    if mod == Modality.IMAGE:
        img = ex.get("image")
        if not isinstance(img, np.ndarray) or img.dtype != np.uint8:
            return f"image example needs 'image' as a uint8 numpy array, got {type(img).__name__}"
        if not (img.ndim == 2 or (img.ndim == 3 and img.shape[2] in (1, 3, 4))):
            return f"'image' must be HxW or HxWxC (C in 1, 3, 4), got shape {img.shape}"
    if head == HeadKind.RANKING:
        cands, pos = ex.get("candidates"), ex.get("positive")
        if not isinstance(ex.get("query"), str):
            return f"ranking example needs a str 'query', got keys {sorted(ex)}"
        if not (isinstance(cands, list) and cands and all(isinstance(c, str) for c in cands)):
            return "ranking example needs 'candidates' as a non-empty list of str"
        if not (isinstance(pos, int) and 0 <= pos < len(cands)):
            return f"'positive' must index 'candidates' (0..{len(cands) - 1}), got {pos!r}"
        return None
    if head == HeadKind.TOKEN_CLASSIFICATION:
        return _entity_problem(ex, labels)
    label = ex.get("label")
    if head == HeadKind.CLASSIFICATION and label not in labels:
        return f"'label' {label!r} is not one of the task's labels {list(labels)[:10]}"
    if head == HeadKind.MULTILABEL and not (
        isinstance(label, (list, tuple)) and set(label) <= set(labels)
    ):
        return f"multilabel 'label' must be a list of the task's labels, got {label!r}"
    if head == HeadKind.REGRESSION and not (
        isinstance(label, (int, float, np.number))
        and not isinstance(label, bool)
        and math.isfinite(float(label))
    ):
        return f"regression 'label' must be a finite number, got {label!r}"
    return None


def _entity_problem(ex: dict[str, Any], tags: Sequence[str]) -> str | None:
    from vadapt.kit.data import DataError
    from vadapt.kit.entities import check_entities, entity_types

    try:
        check_entities(str(ex.get("id", "?")), ex["text"], ex.get("entities"), entity_types(tags))
    except DataError as exc:
        return exc.message
    return None


def fake_predictions(
    task: TaskSpec, labels: Sequence[str], examples: Sequence[dict[str, Any]], seed: int = 0
) -> tuple[Any, Any]:
    """Plausible random (predictions, references) shaped as the evaluate hook documents."""
    rng = np.random.default_rng(seed)
    n, k = len(examples), max(len(labels), 1)
    index = {label: i for i, label in enumerate(labels)}
    if task.head == HeadKind.TOKEN_CLASSIFICATION:
        from vadapt.kit import references

        gold = references(task, examples, labels)
        preds = []
        for tags in gold:
            p = rng.dirichlet(np.ones(k), len(tags))
            p[np.arange(len(tags)), [index[t] for t in tags]] += 0.5
            preds.append(p / p.sum(1, keepdims=True))
        return preds, gold
    if task.head == HeadKind.RANKING:
        preds = [rng.random(len(ex["candidates"])) for ex in examples]
        return preds, np.array([ex["positive"] for ex in examples], dtype=np.int64)
    if task.head == HeadKind.REGRESSION:
        refs = np.array([float(ex["label"]) for ex in examples])
        return refs + rng.normal(0, refs.std() + 1e-3, n), refs
    if task.head == HeadKind.MULTILABEL:
        refs = np.zeros((n, k), dtype=np.int64)
        for i, ex in enumerate(examples):
            for label in ex["label"]:
                refs[i, index[label]] = 1
        return rng.random((n, k)), refs
    refs = np.array([index[ex["label"]] for ex in examples], dtype=np.int64)
    probs = rng.dirichlet(np.ones(k), n)
    probs[np.arange(n), refs] += 0.5  # better than chance, like a half-trained model
    return probs / probs.sum(1, keepdims=True), refs


def fake_encode(inputs: Sequence[Any]) -> np.ndarray:
    """Stand-in for the un-adapted backbone: stable L2-normalised vectors per input
    (texts, or images as numpy arrays for an image backbone, like the engine's encode)."""
    rows = []
    for item in inputs:
        raw = item.encode() if isinstance(item, str) else np.asarray(item).tobytes()
        rows.append(np.random.default_rng(zlib.crc32(raw)).normal(size=16))
    out = np.asarray(rows, dtype=np.float32).reshape(len(rows), 16)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def same(a: Any, b: Any) -> bool:
    """Deep equality that understands numpy arrays (for determinism checks)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def example_key(ex: dict[str, Any]) -> str:
    """A digest of an example's inputs (its label left out): equal for the same example
    loaded twice. Arrays and bytes count by content."""
    import hashlib

    h = hashlib.sha256()
    for key in sorted(k for k in ex if k != "label"):
        value = ex[key]
        if isinstance(value, np.ndarray):
            value = value.tobytes()
        h.update(key.encode() + b"\0")
        h.update(value if isinstance(value, bytes) else repr(value).encode())
    return h.hexdigest()


def call_own(plugin: Any, hook: str, **kwargs: Any) -> Any:
    """Call ``plugin``'s own implementation of ``hook`` with the arguments it takes
    (pluggy's rule), to see exactly what it returns for one of its tasks."""
    import inspect

    fn = getattr(plugin, hook)
    names = inspect.signature(fn).parameters
    return fn(**{k: v for k, v in kwargs.items() if k in names})
