"""lora, ia3 and prompt-tuning through peft, saved in peft's own format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vadapt_registry.errors import CorruptAdapter, IncompatibleBaseModel, InvalidConfig

from vadapt.methods.base import Adaptation, check_state, read_tensors
from vadapt.methods.targets import ia3_targets, lora_targets
from vadapt.types import Modality

PEFT_FILES = ("adapter_config.json", "adapter_model.safetensors")


def _peft_config(cfg: Any, loaded: Any) -> Any:
    from peft import IA3Config, LoraConfig, PromptTuningConfig

    text = loaded.modality == Modality.TEXT
    task_type = "FEATURE_EXTRACTION" if text else None
    if cfg.name == "lora":
        targets = cfg.target_modules or lora_targets(loaded.model, loaded.architecture, not text)
        return LoraConfig(
            r=cfg.r,
            lora_alpha=cfg.alpha,
            lora_dropout=cfg.dropout,
            target_modules=targets,
            bias="none",
            task_type=task_type,
        )
    if cfg.name == "ia3":
        if cfg.target_modules:
            targets, ff = list(cfg.target_modules), []
        else:
            targets, ff = ia3_targets(loaded.model, loaded.architecture, not text)
        return IA3Config(target_modules=targets, feedforward_modules=ff, task_type=task_type)
    if cfg.name == "prompt-tuning":
        if not text:
            raise InvalidConfig(
                "config field method.name: 'prompt-tuning' needs a text backbone (virtual tokens)",
                fix="use lora, ia3, bitfit, bottleneck, freeze or full for images",
            )
        base_cfg = loaded.model.config
        return PromptTuningConfig(
            task_type=task_type,
            num_virtual_tokens=cfg.num_virtual_tokens,
            token_dim=base_cfg.hidden_size,
            num_transformer_submodules=1,
            num_attention_heads=base_cfg.num_attention_heads,
            num_layers=base_cfg.num_hidden_layers,
            prompt_tuning_init="RANDOM",
        )
    raise ValueError(cfg.name)  # pragma: no cover


class PeftAdaptation(Adaptation):
    """``adapter_name``/``into``: add this adapter under that name to an existing PeftModel
    ``into`` (one base, several adapters: ``vadapt.serving``) instead of wrapping ``loaded``."""

    def __init__(
        self,
        cfg: Any,
        loaded: Any,
        peft_config: Any = None,
        *,
        adapter_name: str = "default",
        into: Any = None,
    ) -> None:
        from peft import get_peft_model

        self.name = cfg.name
        self.loaded = loaded
        self.adapter_name = adapter_name
        self.peft_config = peft_config or _peft_config(cfg, loaded)
        try:
            if into is not None:
                into.add_adapter(adapter_name, self.peft_config)
                self.module = into
            else:
                self.module = get_peft_model(
                    loaded.model, self.peft_config, adapter_name=adapter_name
                )
        except ValueError as exc:
            msg = " ".join(str(exc).split())[:300]
            raise IncompatibleBaseModel(
                f"method {cfg.name!r} cannot be applied to backbone {loaded.architecture!r}: {msg}",
                fix="set method.target_modules to module names that exist in this backbone",
            ) from None
        d = self.peft_config.to_dict()
        self.resolved = {"name": cfg.name, "peft": _jsonable(d)}
        for key in ("r", "alpha", "dropout"):
            if cfg.name == "lora":
                self.resolved[key] = getattr(cfg, key)
        if cfg.name == "prompt-tuning":
            self.resolved["num_virtual_tokens"] = cfg.num_virtual_tokens
        tm = d.get("target_modules")
        if tm is not None:
            self.resolved["target_modules"] = (
                sorted(tm) if isinstance(tm, (set, list, tuple)) else tm
            )

    def base_model(self) -> Any:
        return self.module.get_base_model()

    def adapter_state(self) -> dict[str, Any]:
        from peft import get_peft_model_state_dict

        state = get_peft_model_state_dict(self.module, adapter_name=self.adapter_name)
        return {k: v.detach() for k, v in state.items()}

    def load_adapter_state(self, state: dict[str, Any], where: str = "weights") -> None:
        from peft import set_peft_model_state_dict

        check_state(self.adapter_state(), state, where)
        set_peft_model_state_dict(self.module, state, adapter_name=self.adapter_name)

    def save(self, directory: Path) -> list[str]:
        self.module.save_pretrained(str(directory), safe_serialization=True)
        for name in PEFT_FILES:
            if not (directory / name).is_file():
                raise RuntimeError(f"peft did not write {name}")
        # peft records the base model's local path; keep the file portable
        cfg_path = directory / "adapter_config.json"
        data = json.loads(cfg_path.read_text())
        data["base_model_name_or_path"] = None
        cfg_path.write_text(json.dumps(data, indent=2, sort_keys=True))
        return list(PEFT_FILES)

    def load(self, files: dict[str, bytes], where: str) -> None:
        self.load_adapter_state(read_tensors(files, "adapter_model.safetensors", where), where)


def peft_config_from_files(files: dict[str, bytes], where: str) -> Any:
    """The peft config stored with an adapter (adapter_config.json)."""
    from peft import PeftConfig

    if "adapter_config.json" not in files:
        raise CorruptAdapter(
            f"adapter {where} has no adapter_config.json", fix="re-save the adapter"
        )
    try:
        return PeftConfig.from_peft_type(**json.loads(files["adapter_config.json"]))
    except Exception as exc:
        raise CorruptAdapter(f"adapter {where}: adapter_config.json is invalid: {exc}") from None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set) else items
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
