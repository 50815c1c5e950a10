"""Load an adapter from the registry by ``name[@version]``; evaluate it or predict with it.

Order of checks: the registry verifies every file's hash; the backbone's fingerprint
must match the manifest's (``IncompatibleBaseModel`` before any model loads); the
method and head weights must have exactly the expected tensor names and shapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from vadapt_registry.errors import CorruptAdapter, IncompatibleBaseModel, InvalidConfig

from vadapt.config import AdaptConfig, MethodConfig
from vadapt.kit import RunContext
from vadapt.kit.calibration import temper
from vadapt.types import Example, HeadKind, Modality, TaskSpec


@dataclass
class LoadedModel:
    manifest: Any
    task: TaskSpec
    labels: tuple[str, ...]
    model: Any
    ctx: Any
    config: AdaptConfig


@dataclass
class AdapterSource:
    """A verified registry entry and what its manifest resolves to, before any model loads.

    ``resolve_adapter`` makes it; ``load_adapter`` (one adapter, its own backbone) and
    ``vadapt.serving.AdapterPool`` (many adapters on one loaded base) build models from it.
    """

    stored: Any
    manifest: Any
    task: TaskSpec
    labels: tuple[str, ...]
    config: AdaptConfig
    spec: Any
    fingerprint: str
    method_cfg: MethodConfig
    peft_config: Any  # what the method's ``reload`` recovered (peft methods: the peft config)
    target_norm: tuple[float, float]


def resolve_adapter(ref: str, *, registry: Any = None, hooks: Any = None) -> AdapterSource:
    """Read and verify ``ref`` and resolve its task, config, backbone and method config.

    Raises ``IncompatibleBaseModel`` when the installed backbone's fingerprint differs
    from the manifest's; nothing loads a model here.
    """
    from vadapt_registry import check_compatible

    from vadapt.backbones import backbone_fingerprint, resolve_backbone
    from vadapt.engine.save import open_registry
    from vadapt.hooks import hooks as default_hooks
    from vadapt.methods import reload_method

    h = hooks or default_hooks()
    reg = open_registry(registry, None)
    stored = reg.load(ref)  # verifies hashes, safetensors headers, finiteness
    m = stored.manifest
    task = h.task(m.task)
    h.methods()  # the plugin methods of this host validate
    stored_cfg = _stored_config(m.training.get("config", {}))  # NotFound: method not installed
    try:
        cfg = AdaptConfig.model_validate(stored_cfg)
    except Exception as exc:
        raise CorruptAdapter(f"adapter {m.ref}: stored training config is invalid: {exc}") from None
    spec = resolve_backbone(m.backbone.name, h, field=f"adapter {m.ref} backbone")
    fingerprint = backbone_fingerprint(spec)
    check_compatible(m, m.backbone.name, fingerprint)
    engine = m.training.get("engine", {})
    method_cfg, peft_config = reload_method(m.method.name, m.method.config, stored.files, m.ref)
    norm = tuple(engine.get("target_norm", (0.0, 1.0)))
    return AdapterSource(
        stored=stored,
        manifest=m,
        task=task,
        labels=tuple(m.labels),
        config=cfg,
        spec=spec,
        fingerprint=fingerprint,
        method_cfg=method_cfg,
        peft_config=peft_config,
        target_norm=(float(norm[0]), float(norm[1])),
    )


def _stored_config(data: dict[str, Any]) -> dict[str, Any]:
    """A manifest's training config with only the options its method has."""
    from vadapt.methods import stored_options

    method = data.get("method") if isinstance(data, dict) else None
    if not isinstance(method, dict) or not isinstance(method.get("name"), str):
        return data
    return {**data, "method": stored_options(method)}


def finish_loaded(src: AdapterSource, model: Any, loaded: Any) -> LoadedModel:
    """Load the adapter's method and head weights into ``model`` (built by ``build_model``),
    put it in eval mode on the device, and make its inference context."""
    import torch

    from vadapt.engine.precision import autocast_dtype, prefer_eager_attention, resolve_precision
    from vadapt.engine.save import HEAD_FILE
    from vadapt.engine.setup import make_context
    from vadapt.methods.base import check_state, read_tensors

    m = src.manifest
    model.adaptation.load(src.stored.files, m.ref)
    head_state = read_tensors(src.stored.files, HEAD_FILE, m.ref)
    check_state(model.head.state_dict(), head_state, f"{m.ref} head")
    model.head.load_state_dict(head_state)
    model.eval()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model.to(device)
    model.prefer_channels_last(device)
    mixed = resolve_precision(src.config.train.precision, device)  # as it was trained
    prefer_eager_attention(loaded.model, mixed, device)
    ctx = make_context(
        src.task,
        loaded,
        src.labels,
        src.config,
        device,
        target_norm=src.target_norm,
        autocast_dtype=autocast_dtype(mixed),
        adaptation=model.adaptation,
    )
    return LoadedModel(m, src.task, src.labels, model, ctx, src.config)


def load_adapter(
    ref: str, *, registry: Any = None, hooks: Any = None, threads: int | None = None
) -> LoadedModel:
    from vadapt.engine.setup import build_model, load_backbone, set_threads
    from vadapt.hooks import hooks as default_hooks

    h = hooks or default_hooks()
    src = resolve_adapter(ref, registry=registry, hooks=h)
    set_threads(threads or src.config.train.threads)
    loaded = load_backbone(src.spec, src.config)
    model = build_model(
        src.task,
        src.spec,
        loaded,
        src.method_cfg,
        src.labels,
        src.config,
        h,
        peft_config=src.peft_config,
    )
    return finish_loaded(src, model, loaded)


def _label_difference(adapter: tuple[str, ...], data: tuple[str, ...], ref: str) -> None:
    if set(adapter) != set(data):
        missing = sorted(set(adapter) - set(data))
        extra = sorted(set(data) - set(adapter))
        raise InvalidConfig(
            f"the evaluation data's label set differs from adapter {ref}'s: "
            f"only in the adapter {missing}, only in the data {extra}",
            fix="evaluate on data with the adapter's labels, or retrain on the new label set",
        )


def evaluate_adapter(
    ref: str,
    *,
    split: str = "test",
    data: dict[str, Any] | None = None,
    registry: Any = None,
    hooks: Any = None,
) -> dict[str, float]:
    """Metrics of a stored adapter on a split of its task's data (or of ``data``)."""
    from vadapt.engine.evaluate import evaluate_split
    from vadapt.hooks import hooks as default_hooks

    if split not in ("train", "validation", "test"):
        raise InvalidConfig(f"--split {split!r}: expected train, validation or test")
    h = hooks or default_hooks()
    lm = load_adapter(ref, registry=registry, hooks=h)
    examples = split_examples(lm, h, split, data)
    return evaluate_split(lm.model, lm.ctx, h, examples, split, stored_context(lm.manifest, split))


def split_examples(
    lm: LoadedModel, h: Any, split: str, data: dict[str, Any] | None = None
) -> list[Example]:
    """A split of the adapter's task data (its stored ``data:`` section, or ``data``),
    checked against the adapter's labels."""
    from vadapt.config import validation_error
    from vadapt.engine.data.checks import check_examples, resolve_labels

    raw = lm.config.data if data is None else data
    try:
        data_cfg = lm.task.data_model.model_validate(raw)
    except Exception as exc:
        from pydantic import ValidationError

        if isinstance(exc, ValidationError):
            raise validation_error(exc, f"data section of task {lm.task.id!r}") from None
        raise
    splits = h.load_data(lm.task, data_cfg)
    if lm.task.head in (HeadKind.CLASSIFICATION, HeadKind.MULTILABEL):
        _label_difference(lm.labels, resolve_labels(lm.task, splits), lm.manifest.ref)
    examples = list(getattr(splits, split))
    check_examples(lm.task, split, examples, lm.labels)
    return examples


def require_direct_input(lm: LoadedModel, needs: str) -> None:
    """One line when ``lm``'s method does not feed the input's token embeddings straight to
    the encoder (a prompt wrapper, decoder label words): ``needs`` names what needed it."""
    if lm.model.input_embeddings() is None or lm.ctx.collator.text_format is not None:
        raise InvalidConfig(
            f"{lm.manifest.ref}: method {lm.config.method.name!r} scores texts through its own "
            f"prompt or features; {needs} needs an encoder fed the input directly",
            fix="use a lora, ia3, full, bitfit, bottleneck or freeze adapter",
        )


def stored_context(manifest: Any, split: str = "test") -> RunContext:
    """The run context the adapter learnt on validation, as its manifest stores it."""
    return RunContext.stored(getattr(manifest, "context", None), split)


def _decide(lm: LoadedModel, p: np.ndarray) -> str:
    """The predicted label: the argmax, unless the task abstains below a learnt threshold."""
    rule = stored_context(lm.manifest).abstention()
    if rule is not None and rule["label"] in lm.labels and float(p.max()) < rule["below"]:
        return str(rule["label"])
    return lm.labels[int(p.argmax())]


def _temperature(lm: LoadedModel, ref: str) -> float:
    """The stored temperature of a classification adapter; one line where there is none."""
    if lm.task.head != HeadKind.CLASSIFICATION:
        raise InvalidConfig(
            f"{ref}: calibrated scores exist for classification adapters; "
            f"this one is {HeadKind(lm.task.head).value}",
            fix="leave out --calibrated",
        )
    t = stored_context(lm.manifest).temperature()
    if t is None:
        raise InvalidConfig(
            f"{ref}: the adapter stores no temperature (it was trained before vadapt fitted "
            "one on validation)",
            fix="train it again, or leave out --calibrated",
        )
    return t


def _check_inputs(task: TaskSpec, examples: list[Example]) -> None:
    for i, ex in enumerate(examples):
        if not isinstance(ex, dict):
            raise InvalidConfig(f"input {i}: expected a JSON object, got {type(ex).__name__}")
        if task.head == HeadKind.RANKING:
            if (
                not isinstance(ex.get("query"), str)
                or not isinstance(ex.get("candidates"), list)
                or not ex["candidates"]
            ):
                raise InvalidConfig(
                    f"input {i}: ranking inputs need 'query' (str) and 'candidates' (list of str)"
                )
        elif task.modality == Modality.IMAGE:
            if not isinstance(ex.get("image"), np.ndarray):
                img = ex.get("image")
                if isinstance(img, list):
                    ex["image"] = np.asarray(img, dtype=np.uint8)
                else:
                    raise InvalidConfig(
                        f"input {i}: image inputs need 'image' (HxWxC uint8 array or nested list)"
                    )
        elif not isinstance(ex.get("text"), str):
            raise InvalidConfig(
                f"input {i}: field 'text' must be a string",
                fix='each input line is a JSON object like {"text": "..."}',
            )


def _entities(tags: Sequence[str], text: str, probs: np.ndarray) -> dict[str, Any]:
    from vadapt.kit.entities import spans, words

    best = probs.argmax(1) if len(probs) else np.zeros(0, dtype=int)
    names = [tags[int(j)] for j in best]
    conf = probs.max(1) if len(probs) else np.zeros(0)
    return {"entities": spans(text, words(text), names, conf)}


def predict(
    ref: str,
    examples: list[dict[str, Any]],
    *,
    registry: Any = None,
    hooks: Any = None,
    loaded: LoadedModel | None = None,
    calibrated: bool = False,
) -> list[dict[str, Any]]:
    """One result per example: ``{"label", "scores"}`` (ranking: ``{"ranking", "scores"}``;
    token classification: ``{"entities": [{"start", "end", "label", "text", "score"}]}``
    with character offsets into the input text). ``calibrated``: classification scores
    divided by the temperature fitted on validation (labels are unchanged)."""
    from vadapt.engine.evaluate import infer

    lm = loaded or load_adapter(ref, registry=registry, hooks=hooks)
    temperature = _temperature(lm, ref) if calibrated else None
    examples = [dict(ex) if isinstance(ex, dict) else ex for ex in examples]
    _check_inputs(lm.task, examples)
    if not examples:
        return []
    for ex in examples:  # the model ignores targets at prediction time
        ex.setdefault("positive", 0)
        ex.pop("entities", None)
    preds, _ = infer(lm.model, lm.ctx, examples)
    out: list[dict[str, Any]] = []
    kind = HeadKind(lm.task.head)
    if kind == HeadKind.TOKEN_CLASSIFICATION:
        return [_entities(lm.labels, ex["text"], p) for ex, p in zip(examples, preds, strict=True)]
    for i in range(len(examples)):
        if kind == HeadKind.CLASSIFICATION:
            p = preds[i]
            shown = p if temperature is None else temper(p[None, :], temperature)[0]
            out.append(
                {
                    "label": _decide(lm, p),  # the abstention threshold is on raw scores
                    "scores": {lab: float(x) for lab, x in zip(lm.labels, shown, strict=True)},
                }
            )
        elif kind == HeadKind.MULTILABEL:
            p = preds[i]
            out.append(
                {
                    "label": [lab for lab, x in zip(lm.labels, p, strict=True) if x >= 0.5],
                    "scores": {lab: float(x) for lab, x in zip(lm.labels, p, strict=True)},
                }
            )
        elif kind == HeadKind.REGRESSION:
            out.append({"label": float(preds[i]), "scores": {}})
        else:
            s = np.asarray(preds[i])
            out.append(
                {
                    "ranking": [int(j) for j in np.argsort(-s, kind="stable")],
                    "scores": [float(x) for x in s],
                }
            )
    return out


__all__ = [
    "AdapterSource",
    "IncompatibleBaseModel",
    "LoadedModel",
    "evaluate_adapter",
    "finish_loaded",
    "load_adapter",
    "predict",
    "resolve_adapter",
]
