"""``freeze``: train only the top N layers of the backbone (and what follows them) and the head."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from vadapt_registry.errors import InvalidConfig

from vadapt.methods.native import NativeAdaptation
from vadapt.methods.options import MethodConfig
from vadapt.methods.registry import Method


class FreezeConfig(MethodConfig):
    name: Literal["freeze"] = Field("freeze", description="adaptation method")
    layers: int = Field(2, ge=1, description="number of top layers trained")


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

    def _keys(self) -> dict[str, Any]:
        state = self.module.state_dict()
        return {k: v for k, v in state.items() if k.startswith(self.prefixes)}

    def train_mode(self) -> None:
        import torch.nn as nn

        for name, m in self.module.named_modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm) and not (name + ".").startswith(
                self.prefixes
            ):
                m.eval()


METHOD = Method(
    name="freeze",
    config=FreezeConfig,
    description="train only the top N layers and the head",
    apply=FreezeAdaptation,
    default_lr=2e-4,
    serving="weights",
    find_unused_parameters=True,  # the top layers may include BERT's unused pooler
)
