"""Houlsby-style bottleneck adapters (peft has no such method).

After each target module's output ``h``: ``h + up(gelu(down(h)))``, with ``up``
initialised to zero so training starts from the pretrained function. Adapters are
attached with forward hooks, so the backbone's own parameter names never change.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from vadapt_registry.errors import IncompatibleBaseModel

from vadapt.methods.base import Adaptation, check_state
from vadapt.methods.options import MethodConfig, TargetModules
from vadapt.methods.registry import Method
from vadapt.methods.targets import bottleneck_targets


class BottleneckConfig(MethodConfig):
    name: Literal["bottleneck"] = Field("bottleneck", description="adaptation method")
    reduction: int = Field(16, ge=1, description="hidden size / adapter width")
    dropout: float = Field(0.0, ge=0, lt=1, description="dropout inside the adapters")
    target_modules: TargetModules = Field(
        None,
        description="modules after which adapters are inserted; None = per-architecture default",
    )


def _out_width(module: Any) -> tuple[int, bool]:
    """(output width, is_conv) of the last Linear/Conv2d inside ``module``."""
    import torch.nn as nn

    last = None
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            last = m
    if last is None:
        raise IncompatibleBaseModel(
            f"bottleneck target {type(module).__name__} has no Linear/Conv2d"
        )
    if isinstance(last, nn.Linear):
        return last.out_features, False
    return last.out_channels, True


def _adapter_cls() -> type:
    import torch.nn as nn

    class BottleneckAdapter(nn.Module):
        def __init__(self, width: int, reduction: int, dropout: float, conv: bool) -> None:
            super().__init__()
            hidden = max(1, width // reduction)
            layer = (lambda i, o: nn.Conv2d(i, o, 1)) if conv else nn.Linear
            self.down = layer(width, hidden)
            self.act = nn.GELU()
            self.drop = nn.Dropout(dropout)
            self.up = layer(hidden, width)
            nn.init.zeros_(self.up.weight)
            nn.init.zeros_(self.up.bias)

        def forward(self, h: Any) -> Any:
            return h + self.up(self.drop(self.act(self.down(h))))

    return BottleneckAdapter


class BottleneckAdaptation(Adaptation):
    def __init__(self, cfg: Any, loaded: Any) -> None:
        import torch.nn as nn

        self.name = cfg.name
        self.module = loaded.model
        for p in self.module.parameters():
            p.requires_grad_(False)
        targets = list(cfg.target_modules or bottleneck_targets(loaded.architecture))
        adapter_cls = _adapter_cls()
        self.extra = nn.ModuleDict()
        self._handles: list[Any] = []
        self._hooked: list[tuple[Any, Any]] = []  # (target module, its adapter)
        for name, mod in self.module.named_modules():
            if any(name == t or name.endswith("." + t) for t in targets):
                width, conv = _out_width(mod)
                key = name.replace(".", "__")
                adapter = adapter_cls(width, cfg.reduction, cfg.dropout, conv)
                self.extra[key] = adapter
                self._hooked.append((mod, adapter))
        self.attach()
        if not len(self.extra):
            raise IncompatibleBaseModel(
                f"method {cfg.name!r}: no module of backbone {loaded.architecture!r} matches "
                f"target_modules {targets}",
                fix="set method.target_modules to module names that exist in this backbone",
            )
        self.resolved = {
            "name": cfg.name,
            "reduction": cfg.reduction,
            "dropout": cfg.dropout,
            "target_modules": targets,
            "adapters": len(self.extra),
        }

    def attach(self) -> None:
        """Hook the adapters into the backbone (done on construction)."""
        if not self._handles:
            self._handles = [
                mod.register_forward_hook(lambda _m, _i, out, a=adapter: a(out))
                for mod, adapter in self._hooked
            ]

    def detach(self) -> None:
        """Unhook the adapters: the backbone computes its own function again
        (``vadapt.serving`` swaps adapters on one shared base)."""
        for h in self._handles:
            h.remove()
        self._handles = []

    def adapter_state(self) -> dict[str, Any]:
        return {k: v.detach() for k, v in self.extra.state_dict().items()}

    def load_adapter_state(self, state: dict[str, Any], where: str = "weights") -> None:
        check_state(self.extra.state_dict(), state, where)
        self.extra.load_state_dict(state)


def reload_bottleneck(
    cfg: BottleneckConfig, resolved: dict[str, Any], files: dict[str, bytes], where: str
) -> tuple[BottleneckConfig, None]:
    """The targets the adapters were attached to (a later default must not move them)."""
    if resolved.get("target_modules"):
        cfg = cfg.model_copy(update={"target_modules": list(resolved["target_modules"])})
    return cfg, None


METHOD = Method(
    name="bottleneck",
    config=BottleneckConfig,
    description="Houlsby-style residual adapters (down-project, GELU, up-project) "
    "after target modules",
    apply=BottleneckAdaptation,
    default_lr=1e-3,
    serving="hooks",
    reload=reload_bottleneck,
)
