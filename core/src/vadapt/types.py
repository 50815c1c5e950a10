"""Typed objects that hooks return and receive.

Hooks never return loose dicts: each result type below validates
itself on construction, so a malformed value fails inside the plugin that made
it, and the facade (`vadapt.hooks`) checks the type at the boundary. Nothing
here imports torch: listing tasks and backbones stays fast.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

_SLUG = r"[a-z0-9][a-z0-9-]{0,63}"
TASK_ID_RE = re.compile(rf"^{_SLUG}/{_SLUG}$")
NAME_RE = re.compile(rf"^{_SLUG}$")


class Modality(StrEnum):
    """What one example holds. Tabular rows reach a text backbone serialised as text."""

    TEXT = "text"
    IMAGE = "image"
    TABULAR = "tabular"
    PAIRS = "pairs"
    SEQUENCE = "sequence"


class HeadKind(StrEnum):
    """What the model predicts, which fixes the default head, loss and prediction shape."""

    CLASSIFICATION = "classification"
    MULTILABEL = "multilabel"
    REGRESSION = "regression"
    TOKEN_CLASSIFICATION = "token-classification"
    RANKING = "ranking"
    GENERATION = "generation"


class EmptyDataConfig(BaseModel):
    """Data section of a task that needs no options."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Example = dict[str, Any]
"""One example, shaped by modality (see docs/hooks.md):

- text / tabular-as-text: ``{"text": str, "label": str}`` (multilabel: ``list[str]``;
  regression: ``float``)
- image: ``{"image": numpy uint8 array HxWxC, "label": str}``
- pairs / ranking: ``{"query": str, "candidates": list[str], "positive": int}``

Plugins may add their own keys (``"features"``, ``"time"``, ``"user"``...); the core
ignores keys it does not know and passes the examples back to ``evaluate``.
"""


def _enum(cls: type[StrEnum], value: Any, what: str, owner: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        raise ValueError(
            f"{owner}: {what} {value!r} is not one of {', '.join(m.value for m in cls)}"
        ) from None


def _check_slug(value: str, what: str, owner: str) -> None:
    if not NAME_RE.match(value):
        raise ValueError(
            f"{owner}: {what} {value!r} is not a valid name; use lowercase letters, digits "
            "and '-', starting with a letter or digit, at most 64 characters"
        )


DEFAULT_HEADLINE: dict[HeadKind, tuple[str, ...]] = {
    HeadKind.CLASSIFICATION: ("accuracy", "macro_f1"),
    HeadKind.MULTILABEL: ("macro_f1", "micro_f1"),
    HeadKind.REGRESSION: ("mae", "r2"),
    HeadKind.RANKING: ("mrr", "ndcg@10", "hr@10"),
    HeadKind.TOKEN_CLASSIFICATION: ("f1",),
    HeadKind.GENERATION: ("loss",),
}
"""The metrics a report shows first per head kind (``vadapt.kit.score`` names)."""

LOWER_IS_BETTER = frozenset(("loss", "mae", "rmse", "mse", "ece", "ece_calibrated", "brier"))


STREAM_KINDS = ("domain", "time", "class")
"""What changes between a stream's experiences: the data's domain, its period, or its
classes (class-incremental: each experience brings new labels)."""


@dataclass(frozen=True)
class Experience:
    """One ordered slice of a continual stream (``vadapt continual``).

    ``data``: options merged over the task's ``data:`` section to load this slice (a
    domain, a period); ``labels``: class-incremental slices keep only the examples of these
    labels (every split). An experience is loaded through the task's own ``load_data``.
    """

    name: str
    data: Mapping[str, Any] = field(default_factory=dict)
    labels: tuple[str, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        _check_slug(self.name, "experience name", "Experience")
        if isinstance(self.labels, str):
            raise ValueError(f"Experience {self.name!r}: labels must be a sequence of names")
        object.__setattr__(self, "labels", tuple(self.labels))
        object.__setattr__(self, "data", dict(self.data))

    def __hash__(self) -> int:
        return hash(self.name)


@dataclass(frozen=True)
class Stream:
    """An ordered sequence of experiences a task's adapter learns one after another."""

    kind: str
    experiences: tuple[Experience, ...]
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind not in STREAM_KINDS:
            raise ValueError(f"Stream: kind {self.kind!r} is not one of {', '.join(STREAM_KINDS)}")
        exps = tuple(self.experiences)
        if len(exps) < 2:
            raise ValueError("Stream: a stream needs at least two experiences")
        names = [e.name for e in exps]
        if len(set(names)) != len(names):
            raise ValueError(f"Stream: experience names repeat: {names}")
        if self.kind == "class":
            seen: set[str] = set()
            for e in exps:
                if not e.labels:
                    raise ValueError(
                        f"Stream: class-incremental experience {e.name!r} names no labels"
                    )
                again = sorted(seen & set(e.labels))
                if again:
                    raise ValueError(f"Stream: experience {e.name!r} repeats labels {again}")
                seen |= set(e.labels)
        object.__setattr__(self, "experiences", exps)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.experiences)


@dataclass(frozen=True)
class TaskSpec:
    """A task a plugin offers: ``vertical/task`` id, its data and how it is scored.

    ``labels`` may be empty when the label set comes from the user's data (the
    plugin then sets ``Splits.labels``). ``metric`` is the key early stopping
    watches: a metric the plugin's ``evaluate`` returns (``"<plugin>.<name>"``)
    or a ``vadapt.kit.score`` metric (``"accuracy"``, ``"macro_f1"``, ``"auroc"``,
    ``"mrr"``...); default: the first headline metric. ``metric_mode`` defaults to
    ``"min"`` for errors and losses (``mae``, ``ece``...), else ``"max"``.
    ``data_model`` is the pydantic model of the task's ``data:`` config section.

    The second ring (``vadapt.kit``) reads these:

    - ``headline``: the few metrics reports put first, adapter beside every baseline
      (default per head kind, see ``vadapt.kit.scoring.DEFAULT_HEADLINE``);
      ``headline[0]`` is the metric the baseline gate compares.
    - ``baselines``: standard baselines by name (``vadapt.kit.baselines.STANDARD``),
      computed by the core on the same split and scored by ``vadapt.kit.score``.
      ``majority`` is always computed: it is the gate's reference.
    - ``defaults``: the task's recipe, a partial config (``{"train": {"epochs": 5}}``)
      applied under everything the user sets; ``vadapt adapt TASK --dry-run`` shows it.
    - ``floor``: a value ``headline[0]`` must beat besides the majority baseline.
    - ``positive_label``: for binary tasks, the class AUROC/AUPRC score (default: the
      second label).

    Prompt learning and zero-shot methods (``vadapt.methods.zero_shot``, ``vadapt fewshot``)
    read two more:

    - ``label_descriptions``: a natural-language description per label ("This product is
      great."); a label without one falls back to its name (:meth:`describe`), and a label
      described as ``""`` gets no zero-shot probability (out-of-scope).
    - ``prompt``: a template with one ``{text}`` slot that frames an input for a language
      model; default derived from the label names: ``"Text: {text}\nAnswer (a / b):"``.
    - ``label_words``: the word a language model answers the prompt with for each label
      (the verbalizer of ``lm-zero-shot`` and ``in-context``); default the label's name as
      words (:meth:`word`).

    ``streams``: named continual streams (:class:`Stream`) over the task's data, for
    ``vadapt continual`` (``vadapt.continual``).
    """

    id: str
    modality: Modality
    head: HeadKind
    description: str
    labels: tuple[str, ...] = ()
    default_backbone: str = "minilm"
    metric: str = ""
    metric_mode: str = ""
    data_model: type[BaseModel] = EmptyDataConfig
    label_descriptions: Mapping[str, str] = field(default_factory=dict)
    headline: tuple[str, ...] = ()
    baselines: tuple[str, ...] = ("majority",)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    floor: float | None = None
    positive_label: str | None = None
    prompt: str = ""
    label_words: Mapping[str, str] = field(default_factory=dict)
    streams: Mapping[str, Stream] = field(default_factory=dict)

    def __post_init__(self) -> None:
        owner = f"TaskSpec {self.id!r}"
        if not isinstance(self.id, str) or not TASK_ID_RE.match(self.id):
            raise ValueError(
                f"{owner}: id must be 'vertical/task' in lowercase letters, digits and '-' "
                "(e.g. 'medical/tumor-diagnosis')"
            )
        object.__setattr__(self, "modality", _enum(Modality, self.modality, "modality", owner))
        object.__setattr__(self, "head", _enum(HeadKind, self.head, "head", owner))
        if isinstance(self.labels, str):
            raise ValueError(
                f"{owner}: labels must be a sequence of names, not the string {self.labels!r}"
            )
        object.__setattr__(self, "labels", tuple(self.labels))
        if len(set(self.labels)) != len(self.labels):
            raise ValueError(f"{owner}: labels contain duplicates: {list(self.labels)}")
        if not self.metric:  # the head kind's first headline metric
            object.__setattr__(self, "metric", (self.headline or DEFAULT_HEADLINE[self.head])[0])
        if not self.metric_mode:
            lower = self.metric.rsplit(".", 1)[-1] in LOWER_IS_BETTER
            object.__setattr__(self, "metric_mode", "min" if lower else "max")
        if self.metric_mode not in ("max", "min"):
            raise ValueError(
                f"{owner}: metric_mode must be 'max' or 'min', got {self.metric_mode!r}"
            )
        if not (isinstance(self.data_model, type) and issubclass(self.data_model, BaseModel)):
            raise ValueError(f"{owner}: data_model must be a pydantic BaseModel subclass")
        for name in ("headline", "baselines"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise ValueError(f"{owner}: {name} must be a sequence of names, not {value!r}")
            object.__setattr__(self, name, tuple(value))
        if (
            self.positive_label is not None
            and self.labels
            and (self.positive_label not in self.labels)
        ):
            raise ValueError(f"{owner}: positive_label {self.positive_label!r} is not a label")
        for name in ("label_descriptions", "label_words"):
            unknown = set(getattr(self, name)) - set(self.labels)
            if unknown and self.labels:  # no declared labels: they come from the data
                raise ValueError(f"{owner}: {name} name unknown labels {sorted(unknown)}")
        prompt = check_prompt(self.prompt or self._default_prompt(), owner)
        object.__setattr__(self, "prompt", prompt)
        for name, stream in dict(self.streams).items():
            _check_slug(name, "stream name", owner)
            if not isinstance(stream, Stream):
                raise ValueError(f"{owner}: stream {name!r} must be a vadapt.Stream")
        object.__setattr__(self, "streams", dict(self.streams))

    def _default_prompt(self) -> str:
        choices = f" ({' / '.join(self.describe_name(lab) for lab in self.labels)})"
        return "Text: {text}\nAnswer" + (choices if self.labels else "") + ":"

    @staticmethod
    def describe_name(label: str) -> str:
        """A label name as words: ``non-default`` -> ``non default``."""
        return label.replace("_", " ").replace("-", " ")

    def describe(self, label: str) -> str:
        """The label's description, else its name as words (``""`` stays ``""``)."""
        text = self.label_descriptions.get(label)
        return self.describe_name(label) if text is None else text

    def word(self, label: str) -> str:
        """The word a language model answers with for ``label`` (else its name as words)."""
        return self.label_words.get(label) or self.describe_name(label)

    def undescribed(self, labels: Sequence[str]) -> list[str]:
        """Labels that fall back to their name (no description given)."""
        return [lab for lab in labels if lab not in self.label_descriptions]

    def __hash__(self) -> int:  # label_descriptions is a dict; the id identifies a task
        return hash((self.id, self.modality, self.head, self.labels))

    @property
    def vertical(self) -> str:
        return self.id.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.id.split("/", 1)[1]


def check_prompt(prompt: str, where: str) -> str:
    """``prompt`` if it is a template with exactly one ``{text}`` slot (and no other), else
    a ``ValueError`` naming ``where``."""
    import string

    try:
        slots = [f for _, f, _, _ in string.Formatter().parse(prompt) if f is not None]
    except ValueError as exc:
        raise ValueError(f"{where}: prompt {prompt!r} is not a template ({exc})") from None
    if slots != ["text"]:
        raise ValueError(
            f"{where}: prompt {prompt!r} must hold exactly one {{text}} slot and no other "
            f"(found {slots or 'none'}); write literal braces as {{{{ and }}}}"
        )
    return prompt


@dataclass(frozen=True)
class LoadedBackbone:
    """What a backbone loader returns: the model and what turns examples into inputs.

    ``model`` is a torch ``nn.Module`` producing features; ``preprocessor`` is a
    tokenizer (text) or an image transform callable (image); ``hidden_size`` is
    the width of the pooled feature the head receives; ``layers_path`` names the
    attribute path of the repeated block list (for ``freeze`` and ``bottleneck``).
    """

    model: Any
    preprocessor: Any
    hidden_size: int
    modality: Modality
    architecture: str = ""
    layers_path: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BackboneSpec:
    """A foundation model a plugin offers.

    ``loader(device_hint)`` loads it (import torch inside the loader, never at
    module level). ``files()`` returns the weight and config files whose sha256
    is the fingerprint recorded in every adapter; ``available()`` says whether
    the bundled files are installed, without loading anything. ``hub_id``: the
    model's Hugging Face Hub id where it has one (a model card's ``base_model``).
    """

    name: str
    modality: Modality
    description: str
    loader: Callable[[], LoadedBackbone]
    files: Callable[[], Sequence[str]]
    available: Callable[[], bool] = lambda: True
    install_hint: str = ""
    hub_id: str = ""

    def __post_init__(self) -> None:
        owner = f"BackboneSpec {self.name!r}"
        _check_slug(self.name, "backbone name", owner)
        object.__setattr__(self, "modality", _enum(Modality, self.modality, "modality", owner))
        if not callable(self.loader) or not callable(self.files):
            raise ValueError(f"BackboneSpec {self.name!r}: loader and files must be callables")


@dataclass(frozen=True)
class BackboneInfo:
    """What ``build_head`` learns about the loaded backbone."""

    name: str
    modality: Modality
    hidden_size: int
    architecture: str = ""


@dataclass(frozen=True)
class Splits:
    """Train/validation/test examples for one task, plus what the data says about itself.

    ``labels``: the label set when it comes from the data (tasks with empty
    ``TaskSpec.labels``). ``untrained_labels``: labels of the set that on purpose
    have no training example (an out-of-scope class that validation and test hold
    and a calibrated abstention predicts); every other label must occur in train.
    ``info``: provenance shown in reports and stored in the manifest (``source``,
    ``synthetic``, ``license``, split protocol...).
    """

    train: Sequence[Example]
    validation: Sequence[Example]
    test: Sequence[Example]
    labels: tuple[str, ...] | None = None
    info: Mapping[str, Any] = field(default_factory=dict)
    untrained_labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for split in ("train", "validation", "test"):
            value = getattr(self, split)
            if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
                raise ValueError(f"Splits.{split} must be a list of example dicts")
            bad = next((i for i, ex in enumerate(value) if not isinstance(ex, dict)), None)
            if bad is not None:
                raise ValueError(
                    f"Splits.{split}[{bad}] is {type(value[bad]).__name__}, expected a dict"
                )
        if self.labels is not None:
            object.__setattr__(self, "labels", tuple(self.labels))
        object.__setattr__(self, "untrained_labels", tuple(self.untrained_labels))

    def sizes(self) -> dict[str, int]:
        return {
            "train": len(self.train),
            "validation": len(self.validation),
            "test": len(self.test),
        }


Metrics = dict[str, float]
Baselines = dict[str, dict[str, float]]
