"""Typed objects that hooks return and receive.

Hooks never return loose dicts (STYLE.md §6): each result type below validates
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


@dataclass(frozen=True)
class TaskSpec:
    """A task a plugin offers: ``vertical/task`` id, its data and how it is scored.

    ``labels`` may be empty when the label set comes from the user's data (the
    plugin then sets ``Splits.labels``). ``metric`` is the key early stopping
    watches: a metric the plugin's ``evaluate`` returns (``"<plugin>.<name>"``)
    or a core metric (``"accuracy"``, ``"macro_f1"``, ``"loss"``, ``"mrr"``...).
    ``data_model`` is the pydantic model of the task's ``data:`` config section.
    """

    id: str
    modality: Modality
    head: HeadKind
    description: str
    labels: tuple[str, ...] = ()
    default_backbone: str = "minilm"
    metric: str = "accuracy"
    metric_mode: str = "max"
    data_model: type[BaseModel] = EmptyDataConfig
    label_descriptions: Mapping[str, str] = field(default_factory=dict)

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
        if self.metric_mode not in ("max", "min"):
            raise ValueError(
                f"{owner}: metric_mode must be 'max' or 'min', got {self.metric_mode!r}"
            )
        if not (isinstance(self.data_model, type) and issubclass(self.data_model, BaseModel)):
            raise ValueError(f"{owner}: data_model must be a pydantic BaseModel subclass")
        unknown = set(self.label_descriptions) - set(self.labels)
        if unknown:
            raise ValueError(f"{owner}: label_descriptions name unknown labels {sorted(unknown)}")

    def __hash__(self) -> int:  # label_descriptions is a dict; the id identifies a task
        return hash((self.id, self.modality, self.head, self.labels))

    @property
    def vertical(self) -> str:
        return self.id.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.id.split("/", 1)[1]


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
    the bundled files are installed, without loading anything.
    """

    name: str
    modality: Modality
    description: str
    loader: Callable[[], LoadedBackbone]
    files: Callable[[], Sequence[str]]
    available: Callable[[], bool] = lambda: True
    install_hint: str = ""

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
    ``TaskSpec.labels``). ``info``: provenance shown in reports and stored in the
    manifest (``source``, ``synthetic``, ``license``, split protocol...).
    """

    train: Sequence[Example]
    validation: Sequence[Example]
    test: Sequence[Example]
    labels: tuple[str, ...] | None = None
    info: Mapping[str, Any] = field(default_factory=dict)

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

    def sizes(self) -> dict[str, int]:
        return {
            "train": len(self.train),
            "validation": len(self.validation),
            "test": len(self.test),
        }


Metrics = dict[str, float]
Baselines = dict[str, dict[str, float]]
