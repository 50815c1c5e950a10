"""Methods through peft (lora, ia3, prompt-tuning, a plugin's), saved in peft's own format.

A peft method's module builds its peft config and wraps the backbone with
:class:`PeftAdaptation`; its ``Method`` uses ``reload=reload_peft`` and ``serving="peft"``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vadapt_registry.errors import CorruptAdapter, IncompatibleBaseModel

from vadapt.methods.base import Adaptation, check_state, read_tensors
from vadapt.types import Modality

PEFT_FILES = ("adapter_config.json", "adapter_model.safetensors")


def peft_task_type(loaded: Any) -> str | None:
    """peft's task type for a backbone: feature extraction for text, none for images."""
    return "FEATURE_EXTRACTION" if loaded.modality == Modality.TEXT else None


def reload_peft(
    cfg: Any, resolved: dict[str, Any], files: dict[str, bytes], where: str
) -> tuple[Any, Any]:
    """``Method.reload`` of every peft method: the peft config stored with the adapter."""
    return cfg, peft_config_from_files(files, where)


def peft_adaptation(cfg: Any, loaded: Any, peft_config: Any, **kw: Any) -> PeftAdaptation:
    """A stored peft adapter rebuilt: ``PeftAdaptation`` or its method's ``peft_class``
    (``kw``: ``adapter_name``, ``into``)."""
    from vadapt.methods.registry import get_method

    cls = get_method(cfg.name).peft_class or PeftAdaptation
    return cls(cfg, loaded, peft_config, **kw)  # type: ignore[no-any-return]


class PeftAdaptation(Adaptation):
    """``loaded`` wrapped by peft with ``peft_config``.

    ``adapter_name``/``into``: add this adapter under that name to an existing PeftModel
    ``into`` (one base, several adapters: ``vadapt.serving``) instead of wrapping ``loaded``.
    ``resolved`` (stored in the manifest) holds the peft config, the method's options and
    the target modules peft resolved.
    """

    def __init__(
        self,
        cfg: Any,
        loaded: Any,
        peft_config: Any,
        *,
        adapter_name: str = "default",
        into: Any = None,
    ) -> None:
        from peft import get_peft_model

        self.name = cfg.name
        self.loaded = loaded
        self.adapter_name = adapter_name
        self.peft_config = peft_config
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
        for key, value in cfg.model_dump(exclude={"name", "target_modules"}).items():
            self.resolved[key] = value
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
