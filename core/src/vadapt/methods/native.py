"""Methods that train a subset of the backbone's own parameters (peft has none of them).

Each such method (``full``, ``freeze``, ``bitfit``, or a plugin's) subclasses
:class:`NativeAdaptation` in its own module and says which parameters train; the
trained tensors are saved under the backbone's own names in ``weights.safetensors``
(so ``vadapt.serving`` can swap them as base weights).
"""

from __future__ import annotations

from typing import Any

from vadapt.methods.base import Adaptation, check_state


class NativeAdaptation(Adaptation):
    """Freezes the backbone, then ``select`` marks what trains."""

    def __init__(self, cfg: Any, loaded: Any) -> None:
        self.name = cfg.name
        self.module = loaded.model
        self.resolved = {"name": cfg.name}
        for p in self.module.parameters():
            p.requires_grad_(False)
        self.select(cfg, loaded)

    def select(self, cfg: Any, loaded: Any) -> None:
        """Set ``requires_grad`` on what trains; record resolved options in ``self.resolved``."""
        raise NotImplementedError

    def _keys(self) -> dict[str, Any]:
        """The state entries saved: the trainable parameters (a subclass may widen it)."""
        trainable = {n for n, p in self.module.named_parameters() if p.requires_grad}
        return {k: v for k, v in self.module.state_dict().items() if k in trainable}

    def adapter_state(self) -> dict[str, Any]:
        return {k: v.detach() for k, v in self._keys().items()}

    def load_adapter_state(self, state: dict[str, Any], where: str = "weights") -> None:
        expected = self._keys()
        check_state(expected, state, where)
        self.module.load_state_dict(state, strict=False)
