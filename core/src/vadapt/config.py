"""The one configuration of an adaptation run: ``AdaptConfig``.

Loaded from YAML/JSON (``load_config``), a dict, or built in code; ``--set a.b=c``
overrides are applied with :func:`apply_overrides`, which coerces each value by the
type of the field it lands on. Every section forbids unknown keys and rejects NaN/Inf,
so a typo or an impossible value fails with its field path before any model loads.
:func:`resolve` then checks what needs the plugins (task, backbone, method on this
modality, the task's ``data:`` section) — still without importing torch.

``method`` is a union of the registered methods' configs, discriminated by ``name``
(default ``lora``). Plugins register methods at run time, after this class is built,
so the union is not frozen into the field's type: a ``mode="before"`` validator looks
the named method up in ``vadapt.methods.registry`` and validates the section with that
method's own config class (``vadapt.methods.options.method_config``). The field is
typed as the common base ``MethodConfig`` (serialised as the concrete class), errors
keep their paths (``method.r``), an unknown name lists the known methods, and an option
the method does not have is an error naming it. ``--set method.<option>`` coerces by
the field of the method the data names.
"""

from __future__ import annotations

import json
import math
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, ValidationError, field_validator
from vadapt_registry.errors import InvalidConfig, NotFound

from vadapt.methods.options import MethodConfig, method_config
from vadapt.methods.registry import DEFAULT_METHOD, get_method
from vadapt.types import BackboneSpec, TaskSpec


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_assignment=True)


class TrainConfig(_Section):
    """The training loop."""

    epochs: int = Field(3, ge=1, le=1000, description="passes over the training split")
    batch_size: int = Field(16, ge=1, le=4096, description="examples per step per process")
    lr: float | None = Field(
        None, gt=0, lt=10, description="peak learning rate; None = method default"
    )
    weight_decay: float = Field(
        0.01, ge=0, lt=1, description="AdamW weight decay (not on biases/norms)"
    )
    warmup_ratio: float = Field(0.1, ge=0, le=1, description="share of steps with linear warm-up")
    scheduler: Literal["linear", "cosine", "constant"] = Field(
        "linear", description="decay after warm-up"
    )
    grad_clip: float = Field(1.0, ge=0, description="max gradient norm; 0 = no clipping")
    grad_accum: int = Field(1, ge=1, le=1024, description="micro-batches per optimizer step")
    max_length: int = Field(128, ge=8, le=8192, description="text tokens per example (truncation)")
    group_by_length: bool = Field(
        False,
        description="text tasks: batch examples of similar token length (seeded shuffle of "
        "length-sorted mega-batches, as HF Trainer's group_by_length): less padding",
    )
    eval_batch_size: int | None = Field(
        None,
        ge=1,
        le=4096,
        description="inference batch (validation, test, predict); None = 2 x batch_size "
        "(no gradients are kept, and length-sorted batches pad little)",
    )
    fast_dropout: bool = Field(
        True,
        description="CPU: dropout masks from 16-bit random words instead of torch's per-element "
        "Bernoulli draws (26% of a LoRA step on 2 cores); p rounded to 1/65536",
    )
    token_cache: bool = Field(
        True,
        description="text tasks: keep each split's token ids on disk ($VADAPT_CACHE_DIR or the "
        "user cache, tokens/), keyed by the texts, the tokenizer and max_length",
    )
    tagging: Literal["bio", "bioes"] = Field(
        "bio",
        description="token-classification: word tags B-/I-/O (IOB2) or with E-/S- (BIOES)",
    )
    stride: int = Field(
        32,
        ge=0,
        le=4096,
        description="token-classification: tokens a long document's consecutive windows "
        "share (each word is read from the window it sits furthest inside)",
    )
    image_size: int = Field(224, ge=16, le=1024, description="image side in pixels after resizing")
    seed: int = Field(0, ge=0, description="seed for weights init, shuffling, augmentation")
    patience: int = Field(
        3, ge=0, description="evaluations without improvement before stopping; 0 = off"
    )
    max_steps: int | None = Field(None, ge=1, description="stop after this many optimizer steps")
    max_train_examples: int | None = Field(
        None, ge=1, description="use only the first N training examples"
    )
    max_eval_examples: int | None = Field(
        None, ge=1, description="use only the first N validation examples"
    )
    eval_every: int | None = Field(
        None, ge=1, description="evaluate every N optimizer steps; None = each epoch"
    )
    threads: int | None = Field(
        None, ge=1, le=512, description="torch CPU threads; None = leave as is"
    )
    class_weights: Literal["none", "balanced"] = Field(
        "none", description="classification loss weights"
    )
    precision: Literal["auto", "fp32", "bf16", "bf16-native"] = Field(
        "auto",
        description="auto = bf16 on GPU, fp32 on CPU; bf16-native = bf16 on GPU and on CPUs "
        "with bf16 arithmetic (AVX512-BF16, AMX), fp32 elsewhere",
    )
    temperature: float = Field(0.05, gt=0, le=10, description="ranking: cosine temperature")
    log_dir: str | None = Field(
        None, description="where the JSONL evaluation log goes; None = user cache"
    )


class AugmentConfig(_Section):
    """The ``augment`` hook; ``options`` is free-form for plugins."""

    enabled: bool = Field(False, description="run the augment hook on training examples each epoch")
    options: dict[str, Any] = Field(default_factory=dict, description="plugin-specific options")


class AdversarialConfig(_Section):
    """The ``adversarial_step`` hook (built-in: FGM on embeddings / FGSM on pixels)."""

    enabled: bool = Field(False, description="add an adversarial loss term each step")
    epsilon: float | None = Field(
        None, gt=0, description="perturbation size; None = 1.0 (FGM, text) or 0.03 (FGSM, images)"
    )
    alpha: float | None = Field(
        None, gt=0, description="step size for multi-step attacks; None = epsilon/steps"
    )
    steps: int = Field(1, ge=1, le=50, description="attack steps")
    weight: float = Field(1.0, ge=0, description="weight of the adversarial term in the loss")
    options: dict[str, Any] = Field(default_factory=dict, description="plugin-specific options")


class OutputConfig(_Section):
    """Where and how the adapter is stored."""

    name: str | None = Field(None, description="adapter name; None = the task's name")
    version: int | str | None = Field(None, description="explicit version; None = next integer")
    notes: str | None = Field(None, description="free text stored in the manifest")
    intended_use: str | None = Field(None, description="intended use stored in the manifest")
    license: str | None = Field(None, description="licence of the adapter")
    parent: str | None = Field(None, description="parent adapter name@version (lineage)")
    registry: str | None = Field(
        None, description="registry root; None = $VADAPT_HOME or user data dir"
    )
    save: bool = Field(True, description="commit the result to the registry")
    allow_below_baseline: bool = Field(
        False,
        description="save an adapter whose headline metric does not beat the majority "
        "baseline (or the task's floor), tagged 'below-baseline'; default: refuse, exit 11",
    )


STRATEGIES = ("naive", "replay", "ewc", "lwf", "l2", "olora")
"""Continual strategies (``continual.strategy``); docs/continual.md gives each one's cost."""


class ContinualConfig(_Section):
    """Continue a stored adapter on new data (``vadapt adapt --from``, ``vadapt retrain``,
    ``vadapt continual``) and what keeps it from forgetting (docs/continual.md)."""

    parent: str | None = Field(
        None,
        description="stored adapter name@version to continue from (same backbone; its method, "
        "options and labels carry over, new labels grow the head); recorded as lineage parent",
    )
    strategy: Literal["naive", "replay", "ewc", "lwf", "l2", "olora"] = Field(
        "naive",
        description="naive = plain fine-tuning; replay = rehearse a reservoir of earlier "
        "examples; ewc = elastic weight consolidation (diagonal Fisher); lwf = distil the "
        "parent's outputs; l2 = pull towards the parent's weights; olora = a new LoRA per "
        "experience, orthogonal to the earlier ones (LoRA only)",
    )
    replay_size: int = Field(
        200, ge=1, le=1_000_000, description="replay: examples kept in the reservoir buffer"
    )
    # ewc_lambda and l2_weight: picked on validation (customer-service/sentiment, tweets then
    # movies; mean of both domains' validation macro-F1; plugins/customer_service/RESULTS.md)
    ewc_lambda: float = Field(
        1.0, ge=0, description="ewc: weight of the Fisher-weighted distance to the parent"
    )
    fisher_examples: int = Field(
        512, ge=1, description="ewc: training examples the diagonal Fisher is estimated on"
    )
    lwf_alpha: float = Field(1.0, ge=0, description="lwf: weight of the distillation term")
    lwf_temperature: float = Field(2.0, gt=0, le=100, description="lwf: softmax temperature")
    l2_weight: float = Field(
        0.1, ge=0, description="l2: weight of the squared distance to the parent's weights"
    )
    olora_lambda: float = Field(
        0.5, ge=0, description="olora: weight of the orthogonality penalty |A_new A_old^T|^2"
    )
    retain: float | None = Field(
        None,
        gt=0,
        le=1,
        description="refuse to save (exit 12) when the headline metric on the parent's test "
        "data falls below this fraction of the parent's own (e.g. 0.98)",
    )

    @field_validator("retain")
    @classmethod
    def _retain_needs_parent(cls, value: float | None, info: Any) -> float | None:
        if value is not None and not info.data.get("parent"):
            raise ValueError(
                "the retention gate compares with a parent: give continual.parent (--from "
                "NAME@V) or drop retain"
            )
        return value


class AdaptConfig(_Section):
    """Everything one ``vadapt adapt`` run needs."""

    task: str = Field(..., min_length=3, description="task id 'vertical/task'")
    backbone: str | None = Field(
        None, description="backbone name or local HF dir; None = task default"
    )
    method: SerializeAsAny[MethodConfig] = Field(
        default_factory=lambda: get_method(DEFAULT_METHOD).config(),
        description="the adaptation method and its options (`vadapt methods`)",
    )
    train: TrainConfig = Field(default_factory=TrainConfig)  # type: ignore[arg-type]
    data: dict[str, Any] = Field(default_factory=dict, description="the task's data section")
    augment: AugmentConfig = Field(default_factory=AugmentConfig)  # type: ignore[arg-type]
    adversarial: AdversarialConfig = Field(default_factory=AdversarialConfig)  # type: ignore[arg-type]
    output: OutputConfig = Field(default_factory=OutputConfig)  # type: ignore[arg-type]
    continual: ContinualConfig = Field(default_factory=ContinualConfig)  # type: ignore[arg-type]

    @field_validator("method", mode="before")
    @classmethod
    def _method_by_name(cls, value: Any) -> Any:
        return method_config(value, DEFAULT_METHOD)


# -- loading ---------------------------------------------------------------------------


def _fmt_loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "<root>"


def validation_error(exc: ValidationError, source: str = "config") -> InvalidConfig:
    """One-line InvalidConfig naming every bad field path."""
    parts = []
    for err in exc.errors()[:5]:
        loc = _fmt_loc(err["loc"])
        if err["type"] == "extra_forbidden":
            parts.append(f"{loc}: unknown key")
        else:
            given = err.get("input")
            given_s = "" if isinstance(given, dict) else f" (got {given!r})"
            parts.append(f"{loc}: {err['msg']}{given_s}")
    more = f" (+{len(exc.errors()) - 5} more)" if len(exc.errors()) > 5 else ""
    return InvalidConfig(
        f"invalid {source}: {'; '.join(parts)}{more}",
        fix="correct the field(s) named; `vadapt adapt TASK --dry-run` prints the resolved config",
    )


def build_config(data: AdaptConfig | dict[str, Any], source: str = "config") -> AdaptConfig:
    if isinstance(data, AdaptConfig):
        return data
    if not isinstance(data, dict):
        raise InvalidConfig(
            f"{source}: expected a mapping at the top level, got {type(data).__name__}"
        )
    try:
        cfg = AdaptConfig.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, source) from None
    _check_finite(data, ())  # free-form sections (data, options) too
    return cfg


def _check_finite(value: Any, loc: tuple[Any, ...]) -> None:
    """NaN/Inf anywhere (also in free-form dicts such as data/options) is an error."""
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidConfig(f"config field {_fmt_loc(loc)} is {value}; it must be a finite number")
    if isinstance(value, dict):
        for k, v in value.items():
            _check_finite(v, (*loc, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_finite(v, (*loc, i))


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML or JSON config file into a dict (not yet validated)."""
    p = Path(path)
    if not p.is_file():
        raise InvalidConfig(
            f"config file {str(p)!r} does not exist", fix="pass an existing YAML/JSON file"
        )
    text = p.read_text(encoding="utf-8")
    try:
        if p.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:
        raise InvalidConfig(
            f"config file {str(p)!r} is not valid {'JSON' if p.suffix == '.json' else 'YAML'}: "
            f"{' '.join(str(exc).split())}"
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidConfig(f"config file {str(p)!r}: expected a mapping at the top level")
    return data


def _section_model(model: Any, node: Any, path: list[str]) -> Any:
    """The model a section is validated with: for ``method``, the named method's config."""
    if model is not MethodConfig:
        return model
    name = node.get("name", DEFAULT_METHOD) if isinstance(node, dict) else DEFAULT_METHOD
    try:
        return get_method(str(name)).config
    except NotFound as exc:
        raise InvalidConfig(f"--set {'.'.join(path)}: {exc.message}", fix=exc.fix) from None


def _section_label(model: Any) -> str:
    if model is AdaptConfig:
        return "top level"
    if issubclass(model, MethodConfig):
        return f"method {model.model_fields['name'].default!r}"
    return str(model.__name__)


def _field_annotation(path: list[str], data: dict[str, Any] | None = None) -> Any:
    """The annotation of the field a dotted path lands on (None inside free-form dicts);
    ``data`` (the raw config so far) says which method's options ``method.*`` names."""
    model: Any = AdaptConfig
    node: Any = data or {}
    ann: Any = None
    for part in path:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None  # inside a dict section (data, options)
        model = _section_model(model, node, path)
        fields = model.model_fields
        if part not in fields:
            raise InvalidConfig(
                f"--set {'.'.join(path)}: unknown key {part!r} in {_section_label(model)}; "
                f"known: {', '.join(fields)}",
                fix="check the spelling (`vadapt adapt TASK --dry-run` lists the resolved keys)",
            )
        ann = fields[part].annotation
        model = ann
        node = node.get(part) if isinstance(node, dict) else None
    return ann


def _coerce(raw: str, ann: Any) -> Any:
    """Turn a ``--set`` string into a value for a field annotated ``ann``."""
    import yaml

    origins = {ann, *typing.get_args(ann)} if ann is not None else set()
    if str in origins and not ({int, float, bool} & origins):
        return None if raw.lower() in ("null", "none", "~") and type(None) in origins else raw
    try:
        value = json.loads(raw)
    except ValueError:
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
    if isinstance(value, str):
        try:
            value = float(value)  # YAML 1.1 reads "1e-3" as a string
        except ValueError:
            pass
    is_list = any(typing.get_origin(a) is list for a in origins)
    if is_list and isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, str) and value.lower() in ("nan", "inf", "-inf"):
        value = float(value)
    return value


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``a.b=c`` overrides to a raw config dict, coercing by the field's type."""
    out = json.loads(json.dumps(data, default=str)) if data else {}
    for item in overrides:
        if "=" not in item:
            raise InvalidConfig(f"--set {item!r}: expected key=value (e.g. train.lr=1e-3)")
        key, raw = item.split("=", 1)
        path = [p for p in key.strip().split(".")]
        if not all(path):
            raise InvalidConfig(f"--set {item!r}: empty key segment")
        value = _coerce(raw, _field_annotation(path, out))
        node = out
        for part in path[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[path[-1]] = value
    return out


def load_config(
    path: str | Path | None = None,
    overrides: list[str] | None = None,
    *,
    task: str | None = None,
    method: str | None = None,
) -> AdaptConfig:
    """File (optional) + CLI task/method + ``--set`` overrides -> validated AdaptConfig."""
    data: dict[str, Any] = read_config_file(path) if path else {}
    if task:
        data["task"] = task
    if method:
        data.setdefault("method", {})
        if not isinstance(data["method"], dict):
            raise InvalidConfig("config field method: expected a mapping")
        data["method"]["name"] = method
    data = apply_overrides(data, overrides or [])
    return build_config(data, source=f"config {str(path)!r}" if path else "config")


# -- resolution against the installed plugins (no torch) --------------------------------


@dataclass(frozen=True)
class Resolved:
    """A config checked against the installed plugins: what the engine runs."""

    config: AdaptConfig
    task: TaskSpec
    backbone: BackboneSpec
    backbone_ref: str  # what the user named (registered name or local directory)
    data_config: BaseModel


def resolve(config: AdaptConfig | dict[str, Any], hooks: Any = None) -> Resolved:
    """Check task, backbone, method and data section; raise InvalidConfig/NotFound."""
    from vadapt.backbones import resolve_backbone
    from vadapt.hooks import hooks as default_hooks
    from vadapt.methods import check_method

    h = hooks or default_hooks()
    h.methods()  # this host's plugin methods join the registry before validation
    cfg = build_config(config)
    try:
        task = h.task(cfg.task)
    except NotFound as exc:
        raise InvalidConfig(f"config field task: {exc.message}", fix=exc.fix) from None
    from vadapt.defaults import with_task_defaults

    cfg = with_task_defaults(cfg, task)  # the task's recipe under what the user set
    backbone_ref = cfg.backbone or task.default_backbone
    backbone = resolve_backbone(backbone_ref, h, field="backbone")
    check_method(cfg.method, task, backbone)
    try:
        data_config = task.data_model.model_validate(_str_fields(task.data_model, cfg.data))
    except ValidationError as exc:
        bad = validation_error(exc, f"data section of task {task.id!r}")
        parts = bad.message.replace(f"invalid data section of task {task.id!r}: ", "")
        raise InvalidConfig(
            f"invalid data section of task {task.id!r}: data.{parts}",
            fix=f"see the data options of {task.id!r} with `vadapt tasks --json`",
        ) from None
    if task.head.value == "generation":
        raise InvalidConfig(
            f"task {task.id!r} has head kind 'generation', which the vadapt engine does not "
            "support yet (supported: classification, multilabel, regression, ranking, "
            "token-classification)",
            fix="use a task with a supported head kind",
        )
    if task.head.value == "token-classification" and cfg.augment.enabled:
        raise InvalidConfig(
            f"task {task.id!r} tags entity spans by character offset; the augment hook "
            "rewrites texts and would move them",
            fix="set augment.enabled=false for token-classification tasks",
        )
    return Resolved(cfg, task, backbone, backbone_ref, data_config)


def _str_fields(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """``--set data.x=123`` parses 123 as a number; give str-only fields their string back."""
    out = dict(data)
    for key, value in data.items():
        field = model.model_fields.get(key)
        if field is None or isinstance(value, str) or not isinstance(value, (int, float)):
            continue
        ann = field.annotation
        kinds = {ann, *typing.get_args(ann)}
        if str in kinds and not ({int, float, bool} & kinds):
            out[key] = str(value)
    return out


def effective_lr(cfg: AdaptConfig) -> float:
    return cfg.train.lr if cfg.train.lr is not None else get_method(cfg.method.name).default_lr


def __getattr__(name: str) -> Any:
    """``METHOD_NAMES`` and ``DEFAULT_LR``, derived from the method registry."""
    from vadapt.methods.registry import methods

    if name == "METHOD_NAMES":
        return tuple(methods())
    if name == "DEFAULT_LR":
        return {n: m.default_lr for n, m in methods().items()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
