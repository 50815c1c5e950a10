"""full, freeze (top N layers) and bitfit: methods peft does not have."""

from __future__ import annotations

from typing import Any

from vadapt_registry.errors import InvalidConfig

from vadapt.methods.base import Adaptation, check_state, freeze_norm_stats


def _get_path(module: Any, path: str) -> Any:
    for part in path.split("."):
        module = getattr(module, part)
    return module


class NativeAdaptation(Adaptation):
    def __init__(self, cfg: Any, loaded: Any) -> None:
        self.name = cfg.name
        self.module = loaded.model
        self.resolved = {"name": cfg.name}
        model = self.module
        for p in model.parameters():
            p.requires_grad_(False)
        if cfg.name == "full":
            for p in model.parameters():
                p.requires_grad_(True)
            self.prefixes: tuple[str, ...] | None = None  # everything
            self.frozen_norms = False
        elif cfg.name == "bitfit":
            n = 0
            for name, p in model.named_parameters():
                if name.endswith(".bias") or name == "bias":
                    p.requires_grad_(True)
                    n += 1
            if n == 0:
                raise InvalidConfig(
                    f"method 'bitfit': backbone {loaded.architecture!r} has no bias terms"
                )
            self.prefixes = None
        elif cfg.name == "freeze":
            if not loaded.layers_path:
                raise InvalidConfig(
                    f"method 'freeze': backbone {loaded.architecture!r} has no layer list"
                )
            layers = _get_path(model, loaded.layers_path)
            if cfg.layers > len(layers):
                raise InvalidConfig(
                    f"config field method.layers: {cfg.layers} but the backbone has "
                    f"{len(layers)} layers",
                    fix=f"use method.layers <= {len(layers)}",
                )
            start = len(layers) - cfg.layers
            prefixes = [f"{loaded.layers_path}.{i}." for i in range(start, len(layers))]
            # modules after the layer stack (final norms, conv head) train with the top layers
            names = [n for n, _ in model.named_parameters()]
            last_layer = max(
                i for i, n in enumerate(names) if n.startswith(f"{loaded.layers_path}.")
            )
            tail = {n.rsplit(".", 1)[0] + "." for n in names[last_layer + 1 :]}
            prefixes += sorted(t for t in tail if not t.startswith(f"{loaded.layers_path}."))
            self.prefixes = tuple(prefixes)
            for name, p in model.named_parameters():
                if name.startswith(self.prefixes):
                    p.requires_grad_(True)
            self.resolved["layers"] = cfg.layers
            self.frozen_norms = False
        else:  # pragma: no cover - guarded by apply_method
            raise ValueError(cfg.name)

    def _keys(self) -> dict[str, Any]:
        state = self.module.state_dict()
        if self.name == "full":
            return state
        if self.name == "freeze":
            assert self.prefixes is not None
            return {k: v for k, v in state.items() if k.startswith(self.prefixes)}
        trainable = {n for n, p in self.module.named_parameters() if p.requires_grad}
        return {k: v for k, v in state.items() if k in trainable}

    def adapter_state(self) -> dict[str, Any]:
        return {k: v.detach() for k, v in self._keys().items()}

    def load_adapter_state(self, state: dict[str, Any], where: str = "weights") -> None:
        expected = self._keys()
        check_state(expected, state, where)
        self.module.load_state_dict(state, strict=False)

    def train_mode(self) -> None:
        if self.name == "bitfit":
            freeze_norm_stats(self.module)
        elif self.name == "freeze":
            import torch.nn as nn

            assert self.prefixes is not None
            for name, m in self.module.named_modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm) and not (name + ".").startswith(
                    self.prefixes
                ):
                    m.eval()
