"""``AdapterPool``: many registry adapters answered on one loaded base model.

How adapters share a base
-------------------------
The base backbone is loaded once per *(backbone fingerprint, method family)* and kept.
Each method says how it is swapped (``Method.serving``, ``vadapt.methods.registry``):

* ``peft`` (``lora``, ``ia3``, ``prompt-tuning``): one ``PeftModel`` per method and peft
  task type (peft cannot mix types in one model). Each adapter is added under its own
  slot name (``add_adapter``), made active with ``set_adapter`` and evicted with
  ``delete_adapter``. The usual deployment, many LoRA adapters on one base, therefore
  holds ONE base copy.
* ``plain`` family, methods that replace base weights (``weights``: ``full``,
  ``freeze``, ``bitfit``) or hook modules in (``hooks``: ``bottleneck``): they share one
  separate base copy. Each resident ``weights`` adapter keeps its own tensors (a state
  dict on the device); a switch restores the previous adapter's tensors from pristine
  copies of the base (taken the first time a tensor is touched) and copies the next
  adapter's in; ``hooks`` adapters are attached and detached. ``full`` thus keeps a
  whole model's tensors per resident adapter and copies them on each switch (memory
  traffic of one model).

Every adapter keeps its own head and inference context (its own max_length, image
size, labels, target normalisation). Loading goes through the engine's own code:
``resolve_adapter`` (registry hashes, manifest, backbone fingerprint check),
``build_model`` and ``finish_loaded`` (method weights and head, checked tensor by
tensor), so a pool answer is the engine's single-adapter ``predict`` answer.

Residency and threads
---------------------
At most ``max_resident`` adapters are resident over all families; the least recently
used one is evicted first. Base copies stay loaded (a family's base is reused by the
next adapter of that family). One lock is held across admission into the model,
switch and forward: requests from several threads are answered one at a time.
Reading and verifying a new adapter's files happens outside the lock.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from vadapt_registry.errors import IncompatibleBaseModel, InvalidConfig

PLAIN_MODES = ("weights", "hooks")


@dataclass
class PoolStats:
    """Counters since the pool was made (``requests`` counts ``predict`` calls)."""

    requests: int = 0
    hits: int = 0
    loads: int = 0
    evictions: int = 0
    switches: int = 0
    failures: int = 0
    bases_loaded: int = 0
    max_resident_seen: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(eq=False)
class _Base:
    """One loaded base for one family; ``active`` is the adapter whose weights are in it."""

    key: tuple[str, str]  # (fingerprint, family)
    family: str
    backbone: str
    loaded: Any  # LoadedBackbone; for peft families loaded.model is wrapped by peft_model
    device: str
    peft_model: Any = None
    active: _Entry | None = None
    pristine: dict[str, Any] = field(default_factory=dict)  # plain: base tensors, first touch
    targets: dict[str, Any] | None = None  # plain: name -> the base's own tensor (aliases)
    members: set[str] = field(default_factory=set)


@dataclass(eq=False)
class _Entry:
    key: str  # "name@version"
    slot: str  # peft adapter name
    base: _Base
    lm: Any  # engine LoadedModel (model shares base.loaded.model)
    method: str
    state: dict[str, Any] | None = None  # plain "weights" methods: this adapter's tensors
    hooked: Any = None  # plain "hooks" methods: its adaptation (attach/detach)


def _serving(method: str) -> str | None:
    """How ``method``'s adapters are swapped: ``Method.serving``."""
    from vadapt.methods import get_method

    return get_method(method).serving


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class AdapterPool:
    """Serve several registry adapters on shared, once-loaded base models.

    ``predict(ref, examples)`` answers exactly as ``vadapt.engine.predict`` does for one
    adapter (same outputs, same errors), loading ``ref`` from the registry on first use.

    ``registry``: a ``Registry``, a root path, or None ($VADAPT_HOME / user data dir).
    ``backbone``: serve only adapters of this backbone (a name or a local HF directory);
    others fail with ``IncompatibleBaseModel``. ``threads``: torch threads, set once.
    """

    def __init__(
        self,
        registry: Any = None,
        backbone: str | None = None,
        max_resident: int = 8,
        *,
        hooks: Any = None,
        threads: int | None = None,
        calibrated: bool = False,
    ) -> None:
        from vadapt.engine.save import open_registry

        if isinstance(max_resident, bool) or not isinstance(max_resident, int) or max_resident < 1:
            raise InvalidConfig(
                f"max_resident={max_resident!r}: expected a whole number >= 1",
                fix="keep at least one adapter resident, e.g. max_resident=8",
            )
        self.registry = open_registry(registry, None)
        self.max_resident = max_resident
        self._hooks = hooks
        self._lock = threading.RLock()
        self._resident: OrderedDict[str, _Entry] = OrderedDict()
        self._bases: dict[tuple[str, str], _Base] = {}
        self._slots = itertools.count(1)
        self.stats = PoolStats()
        self.backbone = backbone
        self.calibrated = calibrated  # temper classification scores (docs/calibration.md)
        self._backbone_fp: str | None = None
        if threads:
            from vadapt.engine.setup import set_threads

            set_threads(threads)
        if backbone is not None:
            from vadapt.backbones import backbone_fingerprint, resolve_backbone

            spec = resolve_backbone(backbone, self.hooks, field="pool backbone")
            self._backbone_fp = backbone_fingerprint(spec)

    # ---- public ------------------------------------------------------------------------
    @property
    def hooks(self) -> Any:
        if self._hooks is None:
            from vadapt.hooks import hooks as default_hooks

            self._hooks = default_hooks()
        return self._hooks

    def resolve(self, ref: str) -> str:
        """``name`` -> ``name@<latest>`` and ``name@alias`` -> the version it names now (both
        ask the registry, so a moved alias is followed); ``name@v3`` -> ``name@3``."""
        from vadapt_registry import parse_ref

        name, version = parse_ref(ref)
        if version is None or isinstance(version, str):  # latest, a tag or an alias
            return str(self.registry.get(ref).ref)
        return f"{name}@{version}"

    def predict(self, ref: str, examples: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One result per example, as ``vadapt.engine.predict(ref, examples)`` gives them."""
        from vadapt.engine.load import predict as engine_predict

        with self._lock:
            self.stats.requests += 1
        try:
            key = self.resolve(ref)
            src = self._prefetch(key)
            with self._lock:
                entry = self._get_or_admit(key, src)
                self._activate(entry)
                return engine_predict(key, examples, loaded=entry.lm, calibrated=self.calibrated)
        except BaseException:
            with self._lock:
                self.stats.failures += 1
            raise

    def load(self, ref: str) -> str:
        """Make ``ref`` resident now (read, verified, admitted; LRU applies); its key."""
        key = self.resolve(ref)
        src = self._prefetch(key)
        with self._lock:
            self._get_or_admit(key, src)
        return key

    def _prefetch(self, key: str) -> Any:
        """A non-resident adapter's verified files, read outside the lock (None: resident)."""
        with self._lock:
            known = key in self._resident
        return None if known else self._source(key)

    def _get_or_admit(self, key: str, src: Any) -> _Entry:
        """The resident entry of ``key`` (most recently used now), admitted if need be.
        Call with the lock held."""
        entry = self._resident.get(key)
        if entry is None:
            return self._admit(src if src is not None else self._source(key))
        self._resident.move_to_end(key)
        self.stats.hits += 1
        return entry

    def resident(self) -> list[str]:
        """Resident adapters, least recently used first."""
        with self._lock:
            return list(self._resident)

    def describe(self) -> list[dict[str, Any]]:
        """Each loaded base: family, backbone, resident adapters, and what the model holds
        (peft adapter names actually inside the PeftModel; plain: tensors kept per adapter)."""
        with self._lock:
            out = []
            for b in self._bases.values():
                if b.peft_model is not None:
                    in_model = sorted(b.peft_model.peft_config)
                else:
                    in_model = sorted(
                        e.slot
                        for e in self._resident.values()
                        if e.base is b and (e.state is not None or e.hooked is not None)
                    )
                out.append(
                    {
                        "family": b.family,
                        "backbone": b.backbone,
                        "fingerprint": b.key[0],
                        "adapters": sorted(b.members),
                        "in_model": in_model,
                        "active": b.active.key if b.active else None,
                    }
                )
            return out

    def evict(self, ref: str) -> bool:
        """Drop ``ref`` (``name@version``) if it is resident; True when it was."""
        with self._lock:
            entry = self._resident.get(ref)
            if entry is None:
                return False
            self._evict(entry)
            return True

    def close(self) -> None:
        """Drop every adapter and base."""
        with self._lock:
            for entry in list(self._resident.values()):
                self._evict(entry, count=False)
            self._bases.clear()

    def __enter__(self) -> AdapterPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- loading -----------------------------------------------------------------------
    def _source(self, key: str) -> Any:
        from vadapt.engine.load import resolve_adapter

        src = resolve_adapter(key, registry=self.registry, hooks=self.hooks)
        if self._backbone_fp is not None and src.fingerprint != self._backbone_fp:
            m = src.manifest
            raise IncompatibleBaseModel(
                f"adapter {m.ref} was trained on backbone {m.backbone.name!r} "
                f"({src.fingerprint[:19]}) but this pool serves {self.backbone!r} "
                f"({self._backbone_fp[:19]})",
                fix="serve it from a pool for its backbone, or make the pool without backbone=",
            )
        return src

    @staticmethod
    def _family(src: Any) -> str:
        name = src.method_cfg.name
        mode = _serving(name)
        if mode == "peft":
            pc = src.peft_config
            return f"{name}:{getattr(pc, 'task_type', None)}"
        if mode in PLAIN_MODES:
            return "plain"
        raise InvalidConfig(f"adapter {src.manifest.ref}: method {name!r} cannot be pooled")

    def _base_for(self, src: Any, family: str) -> _Base:
        key = (src.fingerprint, family)
        base = self._bases.get(key)
        if base is None:
            from vadapt.engine.setup import load_backbone

            loaded = load_backbone(src.spec, src.config)
            device = _device()
            loaded.model.to(device)
            base = _Base(key, family, src.manifest.backbone.name, loaded, device)
            self._bases[key] = base
            self.stats.bases_loaded += 1
        return base

    def _admit(self, src: Any) -> _Entry:
        """Load ``src`` into its family's base (the engine's build + load code)."""
        from vadapt.engine.load import finish_loaded
        from vadapt.engine.setup import build_model, configure_backbone
        from vadapt.methods import apply_method
        from vadapt.methods.peft_methods import peft_adaptation

        family = self._family(src)
        while len(self._resident) >= self.max_resident:
            self._evict(next(iter(self._resident.values())))
        base = self._base_for(src, family)
        self._deactivate(base)  # a plain base must hold pristine weights while building
        key = src.manifest.ref
        # fixed width: peft selects an adapter's tensors by substring of its name
        slot = f"vadaptslot{next(self._slots):08d}"
        loaded = configure_backbone(base.loaded, src.config)
        adaptation: Any = None
        try:
            if base.family != "plain":
                adaptation = peft_adaptation(
                    src.method_cfg,
                    loaded,
                    src.peft_config,
                    adapter_name=slot,
                    into=base.peft_model,
                )
                base.peft_model = adaptation.module
            else:
                adaptation = apply_method(src.method_cfg, loaded)
                if _serving(src.method_cfg.name) == "weights":
                    for k, v in adaptation.adapter_state().items():
                        if k not in base.pristine:
                            base.pristine[k] = v.detach().clone()
            model = build_model(
                src.task,
                src.spec,
                loaded,
                src.method_cfg,
                src.labels,
                src.config,
                self.hooks,
                adaptation=adaptation,
            )
            lm = finish_loaded(src, model, loaded)
        except BaseException:
            self._undo(base, slot, adaptation)
            raise
        entry = _Entry(key, slot, base, lm, src.method_cfg.name)
        if base.family == "plain":
            if _serving(entry.method) == "hooks":
                entry.hooked = adaptation
            else:
                entry.state = {k: v.detach().clone() for k, v in adaptation.adapter_state().items()}
            base.active = entry  # its weights / hooks are in the base now
        self._resident[key] = entry
        base.members.add(key)
        self.stats.loads += 1
        self.stats.max_resident_seen = max(self.stats.max_resident_seen, len(self._resident))
        return entry

    def _undo(self, base: _Base, slot: str, adaptation: Any) -> None:
        """After a failed admission: the base is as before (minus the failed adapter)."""
        if base.family != "plain":
            pm = base.peft_model
            if pm is not None and slot in pm.peft_config:
                if len(pm.peft_config) == 1:  # nothing else on it: drop the base whole
                    self._bases.pop(base.key, None)
                    return
                pm.delete_adapter(slot)
            elif pm is None and not base.members:
                self._bases.pop(base.key, None)  # get_peft_model may have half-wrapped it
            base.active = None
            return
        if adaptation is not None and hasattr(adaptation, "detach"):
            adaptation.detach()
        self._restore(base, list(base.pristine))
        base.active = None

    # ---- switching ---------------------------------------------------------------------
    def _targets(self, base: _Base) -> dict[str, Any]:
        if base.targets is None:
            base.targets = dict(base.loaded.model.state_dict())
        return base.targets

    def _restore(self, base: _Base, keys: list[str]) -> None:
        import torch

        targets = self._targets(base)
        with torch.no_grad():
            for k in keys:
                targets[k].copy_(base.pristine[k])

    def _deactivate(self, base: _Base) -> None:
        e = base.active
        if e is None:
            return
        if e.hooked is not None:
            e.hooked.detach()
        if e.state is not None:
            self._restore(base, list(e.state))
        base.active = None

    def _activate(self, entry: _Entry) -> None:
        base = entry.base
        if base.active is entry:
            return
        self._deactivate(base)
        if base.peft_model is not None:
            base.peft_model.set_adapter(entry.slot, inference_mode=True)
        elif entry.state is not None:
            import torch

            targets = self._targets(base)
            with torch.no_grad():
                for k, v in entry.state.items():
                    targets[k].copy_(v)
        elif entry.hooked is not None:
            entry.hooked.attach()
        base.active = entry
        self.stats.switches += 1

    def _evict(self, entry: _Entry, *, count: bool = True) -> None:
        base = entry.base
        if base.active is entry:
            self._deactivate(base)
        if base.peft_model is not None and entry.slot in base.peft_model.peft_config:
            base.peft_model.delete_adapter(entry.slot)
        entry.state = None
        entry.hooked = None
        base.members.discard(entry.key)
        self._resident.pop(entry.key, None)
        if count:
            self.stats.evictions += 1


__all__ = ["AdapterPool", "PoolStats"]
