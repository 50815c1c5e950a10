"""The ``augment`` hook's work: random corruptions on training images.

Options come from ``augment.options`` (validated here, so a typo names the field):

    augment:
      enabled: true
      options:
        corruptions: [fog, rain, snow, brightness, contrast]   # default: all
        severities: [1, 2, 3]                                   # default: 1-5
        p: 0.5                                                  # share of examples corrupted

Options may also sit under ``augment.options.driving`` when several plugins
share the options section. Each epoch a fresh share ``p`` of the training
crops gets one corruption at one severity, drawn from the seeded ``rng``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from vadapt import InvalidConfig

from vadapt_driving.corruptions import CORRUPTIONS, SEVERITIES, corrupt


class AugmentOptions(BaseModel):
    """Driving options in ``augment.options``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    corruptions: tuple[str, ...] = Field(
        tuple(CORRUPTIONS), description=f"Corruptions to draw from; any of {sorted(CORRUPTIONS)}."
    )
    severities: tuple[int, ...] = Field(SEVERITIES, description="Severities (1-5) to draw from.")
    p: float = Field(
        0.5, ge=0.0, le=1.0, description="Probability that a training crop is corrupted."
    )

    @field_validator("corruptions")
    @classmethod
    def _known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [c for c in value if c not in CORRUPTIONS]
        if unknown or not value:
            raise ValueError(f"unknown corruptions {unknown}; choose from {sorted(CORRUPTIONS)}")
        return value

    @field_validator("severities")
    @classmethod
    def _sev(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(s not in SEVERITIES for s in value):
            raise ValueError(f"severities must be a non-empty subset of 1-5, got {list(value)}")
        return value


def options_from(config: Any, section: str = "augment") -> AugmentOptions:
    raw = getattr(config, "options", None) if config is not None else None
    if raw is None and isinstance(config, Mapping):
        raw = config.get("options")
    raw = dict(raw or {})
    if isinstance(raw.get("driving"), Mapping):
        raw = dict(raw["driving"])
    try:
        return AugmentOptions(**raw)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidConfig(
            f"{section}.options.{where}: {first['msg']} (vadapt-driving)",
            fix=f"valid options: {', '.join(AugmentOptions.model_fields)}; "
            "see plugins/driving/README.md",
        ) from None


def augment_examples(
    examples: list[dict[str, Any]], rng: np.random.Generator, opts: AugmentOptions
) -> list[dict[str, Any]]:
    out = []
    for ex in examples:
        if "image" in ex and rng.random() < opts.p:
            name = opts.corruptions[int(rng.integers(len(opts.corruptions)))]
            sev = opts.severities[int(rng.integers(len(opts.severities)))]
            ex = {**ex, "image": corrupt(ex["image"], name, sev, rng)}
        out.append(ex)
    return out
