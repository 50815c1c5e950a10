"""``freeze``: train only the top N layers of the backbone (and what follows them) and the head."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from vadapt_registry.errors import InvalidConfig

from vadapt.methods.native import NativeAdaptation
from vadapt.methods.options import MethodConfig
from vadapt.methods.prefix_cache import PrefixCache
from vadapt.methods.registry import Method
from vadapt.types import Modality


class FreezeConfig(MethodConfig):
    name: Literal["freeze"] = Field("freeze", description="adaptation method")
    layers: int = Field(
        2, ge=0, description="number of top layers trained; 0: the head only (a linear probe)"
    )
    cache_prefix: bool = Field(
        True,
        description="the frozen layers run as a fixed feature extractor (no dropout), and on "
        "text their outputs are computed once and replayed in later epochs (not with "
        "augment or adversarial steps); false: they run with dropout every step",
    )
    cache_prefix_gb: float = Field(
        2.0,
        gt=0,
        description="memory for cached frozen-layer outputs; a split that does "
        "not fit runs uncached",
    )


def _get_path(module: Any, path: str) -> Any:
    for part in path.split("."):
        module = getattr(module, part)
    return module


def _prefixes(model: Any, layers_path: str, n: int, total: int) -> tuple[str, ...]:
    """Parameter-name prefixes of the top ``n`` layers and of the modules after the stack
    (final norms, conv head), which train with the top layers."""
    prefixes = [f"{layers_path}.{i}." for i in range(total - n, total)]
    names = [name for name, _ in model.named_parameters()]
    last_layer = max(i for i, name in enumerate(names) if name.startswith(f"{layers_path}."))
    tail = {name.rsplit(".", 1)[0] + "." for name in names[last_layer + 1 :]}
    prefixes += sorted(t for t in tail if not t.startswith(f"{layers_path}."))
    return tuple(prefixes)


def _right_padded(loaded: Any) -> bool:
    """Text whose real tokens keep their positions in any batch: with left padding they
    move with the batch's width, and an absolute-position model's states with them."""
    side = getattr(loaded.preprocessor, "padding_side", "right")
    return loaded.modality == Modality.TEXT and side == "right"


def _ancestor(name: str, prefixes: tuple[str, ...]) -> bool:
    return name == "" or any(p.startswith(name + ".") for p in prefixes)


class FreezeAdaptation(NativeAdaptation):
    frozen_norms = False  # train_mode freezes the BatchNorms outside the trained layers

    def select(self, cfg: Any, loaded: Any) -> None:
        if not loaded.layers_path:
            raise InvalidConfig(
                f"method 'freeze': backbone {loaded.architecture!r} has no layer list"
            )
        layers = _get_path(self.module, loaded.layers_path)
        if cfg.layers > len(layers):
            raise InvalidConfig(
                f"config field method.layers: {cfg.layers} but the backbone has "
                f"{len(layers)} layers",
                fix=f"use method.layers <= {len(layers)}",
            )
        self.prefixes = _prefixes(self.module, loaded.layers_path, cfg.layers, len(layers))
        for name, p in self.module.named_parameters():
            if name.startswith(self.prefixes):
                p.requires_grad_(True)
        self.resolved["layers"] = cfg.layers
        self.resolved["cache_prefix"] = cfg.cache_prefix
        self.fixed_prefix = cfg.cache_prefix
        first = len(layers) - cfg.layers
        self.prefix_cache = (
            PrefixCache(layers[first], list(layers[:first]), int(cfg.cache_prefix_gb * 2**30))
            if cfg.cache_prefix and _right_padded(loaded) and cfg.layers > 0
            else None
        )

    def _keys(self) -> dict[str, Any]:
        state = self.module.state_dict()
        return {k: v for k, v in state.items() if k.startswith(self.prefixes)}

    def train_mode(self) -> None:
        """BatchNorms outside the trained layers keep their statistics; with
        ``cache_prefix`` every frozen module runs in eval mode (no dropout)."""
        import torch.nn as nn

        for name, m in self.module.named_modules():
            if (name + ".").startswith(self.prefixes):
                continue
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.eval()
            elif self.fixed_prefix and not _ancestor(name, self.prefixes):
                m.eval()  # frozen subtree (an ancestor of trained layers stays in train mode)


METHOD = Method(
    name="freeze",
    config=FreezeConfig,
    description="train only the top N layers and the head",
    apply=FreezeAdaptation,
    default_lr=2e-4,
    serving="weights",
    find_unused_parameters=True,  # the top layers may include BERT's unused pooler
)
