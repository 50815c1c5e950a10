"""The registry of adaptation methods (like peft's ``register_peft_method``).

A :class:`Method` says everything the core needs about one method: its pydantic config
(``name`` discriminator + options), default learning rate, description, modalities,
library, how it wraps a loaded backbone, how serving swaps it, how its config is
rebuilt from a manifest, and its DDP flag. Nothing outside a method's own module
switches on its name.

Built-in methods (``vadapt.methods.full`` ... ``bottleneck``, one module each) are
registered on first use; plugins add theirs through the ``register_methods`` hook
(``vadapt.hooks.Hooks.methods`` registers them here). Torch-free at import: each
method imports torch/peft only inside its ``apply``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vadapt_registry.errors import NotFound

from vadapt.methods.options import MethodConfig
from vadapt.types import Modality

DEFAULT_METHOD = "lora"
"""The method of a config that names none."""

SERVING_MODES = ("peft", "weights", "hooks")
"""How ``vadapt.serving.AdapterPool`` swaps a method's adapters on one shared base:
``peft`` (one PeftModel per peft type; ``add_adapter``/``set_adapter``), ``weights``
(the adapter's tensors are base tensors, copied in and restored from pristine copies),
``hooks`` (the adaptation has ``attach()``/``detach()``); ``None``: cannot be pooled."""

BUILTIN_MODULES = tuple(
    f"vadapt.methods.{m}"
    for m in (
        "full",
        "freeze",
        "lora",
        "ia3",
        "prompt_tuning",
        "bitfit",
        "bottleneck",
        "zero_shot",
        "setfit",
        "verbalizer",
        "pet",
    )
)

Reload = Callable[[Any, dict[str, Any], dict[str, bytes], str], tuple[Any, Any]]


def keep_config(cfg: Any, resolved: dict[str, Any], files: dict[str, bytes], where: str) -> Any:
    """The default ``Method.reload``: the stored options as they are, nothing stored."""
    return cfg, None


@dataclass(frozen=True)
class Method:
    """One adaptation method.

    - ``config``: the pydantic config class (a ``MethodConfig`` whose ``name`` defaults
      to this method's name) with only the options the method uses.
    - ``apply(cfg, loaded)``: wrap/freeze a ``LoadedBackbone``; returns a
      ``vadapt.methods.base.Adaptation`` (what trains, saves and loads).
    - ``reload(cfg, resolved, files, where)``: the config rebuilt from a manifest
      (``resolved`` is what the adaptation recorded; ``files`` the adapter's files) and
      what the engine passes back when it rebuilds the model (peft methods: the stored
      peft config, given to ``PeftAdaptation``; others ``None``).
    - ``serving``: one of :data:`SERVING_MODES` or ``None``.
    - ``find_unused_parameters``: DDP must be told that trained parameters may get no
      gradient (backbone parameters the pooled forward never uses, e.g. BERT's pooler).
    - ``head(task, backbone_info, labels, cfg)``: the method's own head module, used
      instead of the ``build_head`` hook (zero-shot and SetFit store a cosine head); ``None``:
      the hook builds it.
    - ``needs_labels``: False for a method that reads no label (``zero-shot``): ``vadapt
      fewshot`` runs it at k = 0, and only there.
    - ``fit(**kwargs)``: the method's own fitting in place of the engine's training loop
      (same keyword arguments as ``vadapt.engine.train.train``, returns its
      ``TrainOutcome``); ``None``: the engine's loop trains it.
    - ``peft_class``: a peft method whose adaptation is a subclass of
      ``vadapt.methods.peft_methods.PeftAdaptation`` (``pet`` scores label words): the
      class a stored adapter is rebuilt with (engine load, serving pool); ``None``:
      ``PeftAdaptation`` itself.
    """

    name: str
    config: type[MethodConfig]
    description: str
    apply: Callable[[Any, Any], Any]
    default_lr: float = 1e-3
    modalities: tuple[Modality, ...] = (Modality.TEXT, Modality.IMAGE)
    library: str = "vadapt"
    serving: str | None = "weights"
    reload: Reload = field(default=keep_config)
    find_unused_parameters: bool = False
    head: Callable[..., Any] | None = None
    fit: Callable[..., Any] | None = None
    needs_labels: bool = True
    peft_class: Any = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", self.name or ""):
            raise ValueError(f"method name {self.name!r}: use lowercase letters, digits, - and _")
        ok = isinstance(self.config, type) and issubclass(self.config, MethodConfig)
        if not ok or self.config.model_fields["name"].default != self.name:
            raise ValueError(
                f"method {self.name!r}: config must be a vadapt.methods.MethodConfig subclass "
                f'with name: Literal["{self.name}"] = "{self.name}"'
            )
        if not (isinstance(self.default_lr, (int, float)) and 0 < self.default_lr < 10):
            raise ValueError(f"method {self.name!r}: default_lr must be in (0, 10)")
        if self.serving not in (*SERVING_MODES, None):
            raise ValueError(f"method {self.name!r}: serving must be one of {SERVING_MODES}")
        object.__setattr__(self, "modalities", tuple(Modality(m) for m in self.modalities))

    def options(self) -> dict[str, Any]:
        """Each option (not ``name``) with its default and description."""
        return {
            key: {"default": f.get_default(call_default_factory=True), "description": f.description}
            for key, f in self.config.model_fields.items()
            if key != "name"
        }


_METHODS: dict[str, Method] = {}
_OWNERS: dict[str, str] = {}
_LOADED: list[bool] = []
BUILTIN_OWNER = "vadapt"


def _ensure_builtins() -> None:
    if _LOADED:
        return
    for module in BUILTIN_MODULES:
        mod = importlib.import_module(module)
        for method in getattr(mod, "METHODS", None) or (mod.METHOD,):
            _METHODS[method.name] = method
            _OWNERS[method.name] = BUILTIN_OWNER
    _LOADED.append(True)


def register_method(method: Method, *, owner: str = BUILTIN_OWNER) -> None:
    """Add ``method``; ``owner`` is the plugin registering it (re-registration by the
    same owner replaces). A name another owner registered is a ``ValueError``."""
    if not isinstance(method, Method):
        raise TypeError(f"expected a vadapt.methods.Method, got {type(method).__name__}")
    _ensure_builtins()
    known = _OWNERS.get(method.name)
    if known is not None and known != owner and _METHODS[method.name] != method:
        which = "a built-in method" if known == BUILTIN_OWNER else f"registered by {known!r}"
        raise ValueError(f"method name {method.name!r} is taken ({which})")
    _METHODS[method.name] = method
    _OWNERS.setdefault(method.name, owner)


def unregister_method(name: str) -> None:
    """Forget a registered method (tests; built-ins come back only on a new process)."""
    _ensure_builtins()
    _METHODS.pop(name, None)
    _OWNERS.pop(name, None)


def find_method(name: str, *, plugins: bool = True) -> Method | None:
    """The method called ``name``, or None. With ``plugins``, an unknown name first asks
    the process-wide plugins (``register_methods``) once more."""
    _ensure_builtins()
    if name not in _METHODS and plugins:
        from vadapt.hooks import hooks

        hooks().methods()
    return _METHODS.get(name)


def get_method(name: str) -> Method:
    method = find_method(name)
    if method is None:
        raise NotFound(
            f"unknown adaptation method {name!r}; known: {', '.join(sorted(_METHODS))}",
            fix="run `vadapt methods`; a plugin adds methods with the register_methods hook",
        )
    return method


def methods() -> dict[str, Method]:
    """Every registered method, built-ins first, in registration order."""
    _ensure_builtins()
    return dict(_METHODS)


def method_names() -> tuple[str, ...]:
    _ensure_builtins()
    return tuple(_METHODS)


def method_owner(name: str) -> str:
    """The plugin that registered ``name`` (``"vadapt"`` for a built-in)."""
    _ensure_builtins()
    return _OWNERS[name]
