"""What every method provides to the engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vadapt_registry.errors import CorruptAdapter, IncompatibleBaseModel

WEIGHTS_FILE = "weights.safetensors"


def check_state(expected: dict[str, Any], given: dict[str, Any], where: str) -> None:
    """Refuse missing/unexpected tensors and shape mismatches (peft only warns)."""
    missing = sorted(set(expected) - set(given))
    unexpected = sorted(set(given) - set(expected))
    if missing or unexpected:

        def show(keys: list[str]) -> str:
            return ", ".join(keys[:3]) + (f" (+{len(keys) - 3} more)" if len(keys) > 3 else "")

        parts = []
        if missing:
            parts.append(f"{len(missing)} missing tensor(s): {show(missing)}")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected tensor(s): {show(unexpected)}")
        cls = IncompatibleBaseModel if (unexpected and not missing) else CorruptAdapter
        raise cls(
            f"adapter {where} does not match the model it is loaded into: {'; '.join(parts)}",
            fix="the adapter was made for another backbone/method config, "
            "or its files are damaged; "
            "run `vadapt registry verify`",
        )
    for k, v in given.items():
        if tuple(v.shape) != tuple(expected[k].shape):
            raise IncompatibleBaseModel(
                f"adapter {where}: tensor {k!r} has shape {tuple(v.shape)} but the base model "
                f"expects {tuple(expected[k].shape)}",
                fix="load the adapter on the backbone it was trained on",
            )


def read_tensors(files: dict[str, bytes], name: str, where: str) -> dict[str, Any]:
    """Tensors of one safetensors file of an adapter (never unpickles anything)."""
    from safetensors.torch import load

    if name not in files:
        raise CorruptAdapter(f"adapter {where} has no {name}", fix="re-save the adapter")
    try:
        return load(files[name])
    except Exception as exc:
        raise CorruptAdapter(f"adapter {where}: {name} is unreadable: {exc}") from None


def freeze_norm_stats(module: Any) -> None:
    """Keep BatchNorm running statistics fixed (frozen backbones must not drift)."""
    import torch.nn as nn

    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()


class Adaptation:
    """A backbone prepared for one method."""

    name: str = ""
    module: Any = None  # what the engine calls as the backbone
    extra: Any = None  # extra trainable nn.Module (bottleneck adapters) or None
    resolved: dict[str, Any]  # the method config with defaults resolved (stored in the manifest)
    frozen_norms: bool = True  # BatchNorm statistics fixed while training
    prefix_cache: Any = None  # a PrefixCache the engine activates while training (freeze)
    # A method that owns its forward (decoder label scoring) sets these:
    # ``features(inputs)`` replaces the engine's pooled forward (``AdaptModel.features``);
    # ``format_text(text)`` turns each input text into what is tokenised (a prompt), and
    # ``max_tokens`` is then the tokenised length limit instead of ``train.max_length``;
    # ``bind(task, labels, cfg)`` is called once the task and the label order are known.
    features: Any = None
    format_text: Any = None
    max_tokens: int | None = None
    bind: Any = None

    def adapter_state(self) -> dict[str, Any]:
        """The tensors this method trains (and saves), detached."""
        raise NotImplementedError

    def load_adapter_state(self, state: dict[str, Any], where: str = "weights") -> None:
        raise NotImplementedError

    def save(self, directory: Path) -> list[str]:
        from safetensors.torch import save_file

        state = {k: v.detach().cpu().contiguous() for k, v in self.adapter_state().items()}
        save_file(
            state,
            str(directory / WEIGHTS_FILE),
            metadata={"format": "pt", "vadapt_method": self.name},
        )
        return [WEIGHTS_FILE]

    def load(self, files: dict[str, bytes], where: str) -> None:
        """Load this method's weights from the adapter's files (name -> bytes)."""
        self.load_adapter_state(read_tensors(files, WEIGHTS_FILE, where), where)

    def train_mode(self) -> None:
        """Called after ``model.train()``: keep frozen parts deterministic."""
        if self.frozen_norms:
            freeze_norm_stats(self.module)

    def input_embeddings(self) -> Any:
        base = self.base_model()
        get = getattr(base, "get_input_embeddings", None)
        return get() if callable(get) else None

    def base_model(self) -> Any:
        return self.module

    def trainable_parameters(self) -> list[Any]:
        params = [p for p in self.module.parameters() if p.requires_grad]
        if self.extra is not None:
            params += [p for p in self.extra.parameters() if p.requires_grad]
        return params
