"""Plugin discovery and loading.

Every entry point of group ``vadapt`` loads in its own ``try``:
a plugin that fails to import, or whose hooks do not match a spec, is recorded
as ``broken`` with its error and everything else keeps working. Built-in
fallbacks in ``vadapt.default_plugins`` are registered the same way, marked
internal, and hidden from listings unless asked for.

Environment:

- ``VADAPT_LOAD_PLUGINS``: comma-separated allow-list of entry-point names or
  distributions; set but empty (``""``) loads no external plugin.
- ``VADAPT_DISABLE_PLUGINS``: comma-separated block-list.
- ``VADAPT_STRICT_PLUGINS=1``: a broken plugin is a fatal ``PluginError``.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy
from vadapt_registry.errors import PluginError

from vadapt import hookspecs
from vadapt.hookspecs import PROJECT

log = logging.getLogger("vadapt.plugins")

ENTRY_POINT_GROUP = "vadapt"

DEFAULT_PLUGINS: tuple[str, ...] = (
    "vadapt.default_plugins.backbones",
    "vadapt.default_plugins.heads",
    "vadapt.default_plugins.adversarial",
)


@dataclass
class PluginRecord:
    """What the host knows about one plugin, loaded or not."""

    name: str
    status: str  # "ok" | "broken" | "disabled"
    internal: bool = False
    distribution: str | None = None
    version: str | None = None
    module: str | None = None
    error: str | None = None
    hooks: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "internal": self.internal,
            "distribution": self.distribution,
            "version": self.version,
            "module": self.module,
            "error": self.error,
            "hooks": list(self.hooks),
        }


@dataclass
class PluginHost:
    """A pluggy manager plus the record of every plugin it tried to load."""

    pm: pluggy.PluginManager
    records: dict[str, PluginRecord] = field(default_factory=dict)

    def record_for(self, plugin_name: str) -> PluginRecord | None:
        return self.records.get(plugin_name)

    def describe(self, plugin_name: str) -> str:
        """'name (distribution version)' for error messages."""
        rec = self.records.get(plugin_name)
        if rec is None or rec.distribution is None:
            return repr(plugin_name)
        return f"{plugin_name!r} ({rec.distribution} {rec.version})"

    def register(
        self, plugin: ModuleType | object, name: str, *, internal: bool = False, **meta: Any
    ) -> PluginRecord:
        """Register one plugin object, recording it as ok or broken (never raising)."""
        rec = PluginRecord(name=name, status="ok", internal=internal, **meta)
        try:
            self.pm.register(plugin, name=name)
        except Exception as exc:  # pluggy's validation: wrong argument names, etc.
            rec.status, rec.error = "broken", _one_line(exc)
            self.records[name] = rec
            return rec
        unknown = _unknown_hooks(plugin)
        wrappers = _wrappers(self.pm, plugin)
        if unknown or wrappers:
            self.pm.unregister(name=name)
            rec.status = "broken"
            rec.error = (
                f"implements unknown hook(s) {', '.join(unknown)}; known hooks are "
                f"{', '.join(hookspecs.HOOK_NAMES)} (check the spelling)"
                if unknown
                else f"declares hook wrapper(s) {', '.join(wrappers)}, which vadapt does not "
                "call (it calls implementations one by one to name the plugin behind a wrong "
                "result); drop wrapper=True/hookwrapper=True and implement the hook plainly"
            )
        else:
            rec.hooks = tuple(
                h.name
                for h in self.pm.get_hookcallers(plugin) or ()
                if h.name in hookspecs.HOOK_NAMES
            )
        self.records[name] = rec
        return rec

    def mark_broken(self, name: str, error: str) -> None:
        """Take a plugin that failed at run time (e.g. its ``register_tasks`` raised) out of
        service: unregister its hooks, list it as broken, log one line; fatal when strict."""
        rec = self.records.get(name) or PluginRecord(name=name, status="broken")
        if self.pm.get_plugin(name) is not None:
            self.pm.unregister(name=name)
        rec.status, rec.error, rec.hooks = "broken", error, ()
        self.records[name] = rec
        log.warning("vadapt plugin %r (%s) is broken: %s", name, rec.distribution, error)
        if _strict() or rec.internal:  # the error text already carries its fix
            raise PluginError(error)

    def broken(self) -> list[PluginRecord]:
        return [r for r in self.records.values() if r.status == "broken"]


_STRICT_FIX = "fix or uninstall the plugin, or unset VADAPT_STRICT_PLUGINS to skip it"


def _norm(name: str) -> str:
    """Distribution and entry-point names compare like pip compares them."""
    return name.strip().lower().replace("_", "-").replace(".", "-")


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())


def _unknown_hooks(plugin: object) -> list[str]:
    """Names marked ``@hookimpl`` in ``plugin`` that match no hookspec.

    pluggy only reports these at ``check_pending()`` for the whole manager; doing
    it per plugin lets the error name the plugin that misspelt the hook.
    """
    unknown = []
    for attr in dir(plugin):
        try:
            obj = getattr(plugin, attr)
        except Exception:
            continue
        opts = getattr(obj, f"{PROJECT}_impl", None)
        if isinstance(opts, dict) and not opts.get("optionalhook"):
            hook_name = opts.get("specname") or attr
            if hook_name not in hookspecs.HOOK_NAMES:
                unknown.append(hook_name)
    return sorted(unknown)


def _wrappers(pm: pluggy.PluginManager, plugin: object) -> list[str]:
    """Hooks ``plugin`` implements as a (new- or old-style) wrapper: refused at registration."""
    return sorted(
        caller.name
        for caller in pm.get_hookcallers(plugin) or ()
        for impl in caller.get_hookimpls()
        if impl.plugin is plugin and (impl.wrapper or impl.hookwrapper)
    )


def _env_list(var: str) -> set[str] | None:
    raw = os.environ.get(var)
    if raw is None:
        return None
    return {_norm(item) for item in raw.split(",") if item.strip()}


def _strict() -> bool:
    return os.environ.get("VADAPT_STRICT_PLUGINS", "").strip().lower() in ("1", "true", "yes", "on")


def _entry_points() -> Iterable[metadata.EntryPoint]:
    return metadata.entry_points(group=ENTRY_POINT_GROUP)


def create_host(*, load_entrypoints: bool = True, defaults: bool = True) -> PluginHost:
    """Build a host with the hookspecs, the built-in defaults and installed plugins."""
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    host = PluginHost(pm=pm)
    if defaults:
        for modname in DEFAULT_PLUGINS:
            module = importlib.import_module(modname)
            short = "vadapt." + modname.rsplit(".", 1)[1]
            rec = host.register(module, short, internal=True, module=modname)
            if rec.status != "ok":  # a bug in vadapt itself: never hide it
                raise PluginError(f"built-in plugin {short!r} is broken: {rec.error}")
    if load_entrypoints:
        load_entrypoint_plugins(host)
    return host


def load_entrypoint_plugins(host: PluginHost) -> None:
    """Load every ``vadapt`` entry point, each in isolation, honouring the env lists."""
    allow = _env_list("VADAPT_LOAD_PLUGINS")
    block = _env_list("VADAPT_DISABLE_PLUGINS") or set()
    seen: dict[str, tuple[str, str | None]] = {}
    for ep in sorted(_entry_points(), key=lambda e: e.name):
        dist = getattr(ep, "dist", None)
        meta: dict[str, Any] = {
            "distribution": dist.metadata["Name"] if dist is not None else None,
            "version": dist.version if dist is not None else None,
            "module": ep.value,
        }
        if ep.name in seen:
            if seen[ep.name] == (ep.value, meta["distribution"]):
                continue  # the same distribution visible twice on sys.path
            first = seen[ep.name][1]
            error = (
                f"entry point name {ep.name!r} is used by two distributions: {first} "
                f"and {meta['distribution']}; only the first was loaded"
            )
            log.warning("vadapt plugin %r: %s", ep.name, error)
            if _strict():
                raise PluginError(error, fix="uninstall one of the two distributions")
            continue
        seen[ep.name] = (ep.value, meta["distribution"])
        keys = {_norm(ep.name), _norm(meta["distribution"] or "")}
        reason = None
        if keys & block:
            reason = "disabled by VADAPT_DISABLE_PLUGINS"
        elif allow is not None and not keys & allow:
            reason = "not in VADAPT_LOAD_PLUGINS"
        if reason:
            host.records[ep.name] = PluginRecord(
                name=ep.name, status="disabled", error=reason, **meta
            )
            continue
        try:
            plugin = ep.load()
        except (Exception, SystemExit) as exc:  # a plugin must not be able to exit the CLI
            error = f"failed to import {ep.value!r}: {_one_line(exc)}"
            host.records[ep.name] = PluginRecord(name=ep.name, status="broken", error=error, **meta)
            log.warning("vadapt plugin %r (%s) is broken: %s", ep.name, meta["distribution"], error)
        else:
            rec = host.register(plugin, ep.name, **meta)
            if rec.status == "broken":
                log.warning(
                    "vadapt plugin %r (%s) is broken: %s", ep.name, meta["distribution"], rec.error
                )
        rec = host.records[ep.name]
        if rec.status == "broken" and _strict():
            raise PluginError(
                f"plugin {ep.name!r} ({meta['distribution']}) is broken: {rec.error}",
                fix=_STRICT_FIX,
            )
    try:
        host.pm.check_pending()
    except pluggy.PluginValidationError as exc:  # should be caught per plugin above
        raise PluginError(_one_line(exc), fix="check the hook names of the plugin named") from exc


_HOST: PluginHost | None = None


def get_host() -> PluginHost:
    """The process-wide host, created on first use."""
    global _HOST
    if _HOST is None:
        _HOST = create_host()
    return _HOST


def reset_host(host: PluginHost | None = None) -> None:
    """Replace (or drop) the process-wide host; tests use it for isolation."""
    global _HOST
    _HOST = host
