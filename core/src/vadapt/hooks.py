"""The typed facade: the only place the core calls plugin hooks.

``pm.hook.<name>(...)`` is untyped and hides which plugin answered. Each
function here calls the implementations itself, in pluggy's order, so that a
result of the wrong type, an exception, or a conflict becomes a ``PluginError``
that names the plugin, the hook, what was expected, what arrived, and the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pluggy
from vadapt_registry.errors import NotFound, PluginError, VadaptError

from vadapt.hookspecs import GLOBAL_ATTR
from vadapt.kit.context import RunContext
from vadapt.kit.predictions import Predictions
from vadapt.plugins import PluginHost, get_host
from vadapt.types import BackboneInfo, BackboneSpec, Example, Metrics, Splits, TaskSpec


@dataclass(frozen=True)
class Owned:
    """A registered object and the plugin that registered it."""

    plugin: str
    value: Any


def _impls(host: PluginHost, hook: str, owner: str | None = None) -> Iterator[pluggy.HookImpl]:
    """Implementations in calling order (tryfirst first, trylast last).

    With ``owner`` (task-scoped hooks): only the owning plugin's implementation and
    those marked :func:`vadapt.global_hookimpl`. Wrappers never get here: the host
    refuses them at registration.
    """
    caller = getattr(host.pm.hook, hook)
    for impl in reversed(caller.get_hookimpls()):
        if owner is None or impl.plugin_name == owner or _is_global(impl):
            yield impl


def _is_global(impl: pluggy.HookImpl) -> bool:
    return bool(getattr(impl.function, GLOBAL_ATTR, False))


def _call(host: PluginHost, impl: pluggy.HookImpl, hook: str, kwargs: dict[str, Any]) -> Any:
    """Call one implementation with the arguments it asked for (pluggy's rule)."""
    args = [kwargs[name] for name in impl.argnames]
    try:
        return impl.function(*args)
    except VadaptError:
        raise  # a plugin's deliberate, already-explained error (e.g. bad user data)
    except Exception as exc:
        raise PluginError(
            f"plugin {host.describe(impl.plugin_name)} raised in hook {hook!r}: "
            f"{type(exc).__name__}: {' '.join(str(exc).split())}",
            fix="this is a bug in the plugin; report it to its authors, or disable it with "
            f"VADAPT_DISABLE_PLUGINS={impl.plugin_name}",
        ) from exc


def _wrong_type(host: PluginHost, plugin: str, hook: str, expected: str, got: Any) -> PluginError:
    return PluginError(
        f"plugin {host.describe(plugin)} hook {hook!r} returned {type(got).__name__} "
        f"({_short(got)}), expected {expected}",
        fix=f"return {expected} (see docs/hooks.md#{hook})",
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _registered(host: PluginHost, hook: str, cls: type) -> dict[str, list[Any]]:
    """Each plugin's registrations for ``hook``, plugin by plugin.

    A plugin whose registration hook raises or returns the wrong type is taken out
    of service (listed broken with the error naming it and the hook) and the others
    keep working; under ``VADAPT_STRICT_PLUGINS=1`` it is fatal.
    """
    found: dict[str, list[Any]] = {}
    for impl in list(_impls(host, hook)):
        try:
            result = _call(host, impl, hook, {})
            if result is None:
                continue
            try:
                items = list(result)  # a generator's body runs here
            except TypeError:
                raise _wrong_type(
                    host, impl.plugin_name, hook, f"an iterable of {cls.__name__}", result
                ) from None
            except VadaptError:
                raise
            except Exception as exc:
                raise PluginError(
                    f"plugin {host.describe(impl.plugin_name)} raised in hook {hook!r}: "
                    f"{type(exc).__name__}: {' '.join(str(exc).split())}",
                    fix="this is a bug in the plugin; report it to its authors, or disable it "
                    f"with VADAPT_DISABLE_PLUGINS={impl.plugin_name}",
                ) from exc
            for item in items:
                if not isinstance(item, cls):
                    raise _wrong_type(host, impl.plugin_name, hook, cls.__name__, item)
        except VadaptError as err:
            host.mark_broken(impl.plugin_name, str(err))
            continue
        found[impl.plugin_name] = items
    return found


def _collect(host: PluginHost, hook: str, cls: type, key: Callable[[Any], str]) -> dict[str, Owned]:
    found: dict[str, Owned] = {}
    for plugin, items in _registered(host, hook, cls).items():
        for item in items:
            k = key(item)
            if k in found:
                raise PluginError(
                    f"{cls.__name__} {k!r} is claimed by two plugins: "
                    f"{host.describe(found[k].plugin)} and {host.describe(plugin)}",
                    fix=f"uninstall or disable one (VADAPT_DISABLE_PLUGINS={plugin})",
                )
            found[k] = Owned(plugin, item)
    return found


def _suggest(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return (
        f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(known)) or 'none'}"
    )


class Hooks:
    """One method per hook. Obtain with :func:`hooks` (process-wide) or ``Hooks(host)``."""

    def __init__(self, host: PluginHost | None = None) -> None:
        self.host = host or get_host()
        self._tasks: dict[str, Owned] | None = None
        self._backbones: dict[str, Owned] | None = None

    # -- registration ---------------------------------------------------------------
    def owned_tasks(self) -> dict[str, Owned]:
        if self._tasks is None:
            self._tasks = _collect(self.host, "register_tasks", TaskSpec, lambda t: t.id)
        return self._tasks

    def tasks(self) -> dict[str, TaskSpec]:
        return {k: o.value for k, o in sorted(self.owned_tasks().items())}

    def tasks_by_plugin(self) -> dict[str, list[TaskSpec]]:
        """Each healthy plugin's own tasks, without the cross-plugin conflict check
        (``list-plugins`` uses it to show who claims what even when two collide)."""
        return _registered(self.host, "register_tasks", TaskSpec)

    def task(self, task_id: str) -> TaskSpec:
        owned = self.owned_tasks()
        if task_id not in owned:
            broken = [r.name for r in self.host.broken()]
            note = f" (broken plugins not loaded: {', '.join(broken)})" if broken else ""
            raise NotFound(
                f"unknown task {task_id!r}; {_suggest(task_id, list(owned))}{note}",
                fix="run `vadapt tasks` to list the tasks of the installed plugins "
                "and `vadapt list-plugins` to see broken ones",
            )
        return owned[task_id].value

    def task_owner(self, task_id: str) -> str:
        self.task(task_id)
        return self.owned_tasks()[task_id].plugin

    def owned_backbones(self) -> dict[str, Owned]:
        if self._backbones is None:
            self._backbones = _collect(
                self.host, "register_backbones", BackboneSpec, lambda b: b.name
            )
        return self._backbones

    def backbones(self) -> dict[str, BackboneSpec]:
        return {k: o.value for k, o in sorted(self.owned_backbones().items())}

    def backbone(self, name: str) -> BackboneSpec:
        owned = self.owned_backbones()
        if name not in owned:
            raise NotFound(
                f"unknown backbone {name!r}; {_suggest(name, list(owned))}",
                fix="run `vadapt backbones`, or pass a local Hugging Face model directory",
            )
        return owned[name].value

    def methods(self) -> dict[str, Any]:
        """Every adaptation method (``vadapt.methods.Method`` by name): the built-ins and
        the plugins' ``register_methods``, which are registered into
        ``vadapt.methods.registry`` here so configs naming them validate."""
        from vadapt.methods.registry import Method, methods, register_method

        owned = _collect(self.host, "register_methods", Method, lambda m: m.name)
        for o in owned.values():
            try:
                register_method(o.value, owner=o.plugin)
            except ValueError as exc:
                raise PluginError(
                    f"plugin {self.host.describe(o.plugin)} hook 'register_methods': {exc}",
                    fix=f"rename the plugin's method, or disable it (VADAPT_DISABLE_PLUGINS="
                    f"{o.plugin})",
                ) from None
        return methods()

    # -- firstresult hooks ----------------------------------------------------------
    def _owner(self, task: TaskSpec) -> str:
        """The plugin that registered ``task`` ('' for a task no plugin registered:
        then only global implementations are called)."""
        owned = self.owned_tasks().get(task.id)
        return owned.plugin if owned is not None else ""

    def _task_impls(self, hook: str, task: TaskSpec) -> list[pluggy.HookImpl]:
        return list(_impls(self.host, hook, owner=self._owner(task)))

    def _first(self, hook: str, kwargs: dict[str, Any]) -> tuple[str, Any] | None:
        for impl in self._task_impls(hook, kwargs["task"]):
            result = _call(self.host, impl, hook, kwargs)
            if result is not None:
                return impl.plugin_name, result
        return None

    def load_data(self, task: TaskSpec, config: Any) -> Splits:
        found = self._first("load_data", {"task": task, "config": config})
        if found is None:
            owner = self._owner(task)
            raise PluginError(
                f"no plugin returned data for task {task.id!r} (hook 'load_data'; "
                f"owner: {self.host.describe(owner) if owner else 'none registered it'})",
                fix=f"the plugin that registers {task.id!r} must implement load_data for it",
            )
        plugin, splits = found
        if not isinstance(splits, Splits):
            raise _wrong_type(self.host, plugin, "load_data", "vadapt.Splits", splits)
        return splits

    def build_head(
        self, task: TaskSpec, backbone: BackboneInfo, labels: Sequence[str], config: Any
    ) -> Any:
        import torch.nn as nn  # only on the training path

        found = self._first(
            "build_head",
            {"task": task, "backbone": backbone, "labels": tuple(labels), "config": config},
        )
        if found is None:
            raise PluginError(f"no plugin built a head for task {task.id!r} (hook 'build_head')")
        plugin, head = found
        if not isinstance(head, nn.Module):
            raise _wrong_type(self.host, plugin, "build_head", "a torch.nn.Module", head)
        return head

    def adversarial_step(
        self, task: TaskSpec, model: Any, batch: dict[str, Any], loss_fn: Any, config: Any
    ) -> Any:
        import torch

        kwargs = {
            "task": task,
            "model": model,
            "batch": batch,
            "loss_fn": loss_fn,
            "config": config,
        }
        found = self._first("adversarial_step", kwargs)
        if found is None:
            return None
        plugin, loss = found
        if not (isinstance(loss, torch.Tensor) and loss.dim() == 0):
            raise _wrong_type(self.host, plugin, "adversarial_step", "a scalar torch.Tensor", loss)
        if not torch.isfinite(loss.detach()):
            raise PluginError(
                f"plugin {self.host.describe(plugin)} hook 'adversarial_step' returned a "
                f"non-finite loss ({loss.item()})",
                fix="lower adversarial.epsilon or check the plugin's perturbation",
            )
        return loss

    # -- chained and merged hooks ---------------------------------------------------
    def augment(
        self, task: TaskSpec, examples: list[Example], rng: Any, config: Any
    ) -> list[Example]:
        current = examples
        for impl in self._task_impls("augment", task):
            out = _call(
                self.host,
                impl,
                "augment",
                {"task": task, "examples": current, "rng": rng, "config": config},
            )
            if out is None:
                continue
            if not isinstance(out, list) or not all(isinstance(e, dict) for e in out):
                raise _wrong_type(
                    self.host, impl.plugin_name, "augment", "a list of example dicts", out
                )
            if len(out) != len(current):
                raise PluginError(
                    f"plugin {self.host.describe(impl.plugin_name)} hook 'augment' returned "
                    f"{len(out)} examples for {len(current)}",
                    fix="augment must return one (augmented) example per input example",
                )
            current = out
        return current

    def _merged(
        self, hook: str, kwargs: dict[str, Any], expected: str, check: Callable[[Any, Any], bool]
    ) -> dict[str, Any]:
        """Owner's and global implementations' dicts merged; a key from two is an error.

        A ``context`` argument reaches each implementation scoped to its plugin, so
        plugins never read or overwrite each other's learnt state.
        """
        merged: dict[str, Any] = {}
        owners: dict[str, str] = {}
        context = kwargs.get("context")
        for impl in self._task_impls(hook, kwargs["task"]):
            if context is not None:
                kwargs = {**kwargs, "context": context.scoped(impl.plugin_name)}
            out = _call(self.host, impl, hook, kwargs)
            if out is None:
                continue
            if not isinstance(out, dict):
                raise _wrong_type(self.host, impl.plugin_name, hook, expected, out)
            for key, value in out.items():
                if not check(key, value):
                    raise _wrong_type(self.host, impl.plugin_name, hook, expected, {key: value})
                if key in owners:
                    first, second = owners[key], impl.plugin_name
                    raise PluginError(
                        f"{hook} key {key!r} is returned by two plugins: "
                        f"{self.host.describe(first)} and {self.host.describe(second)}",
                        fix="prefix metric keys with the plugin name, e.g. '<plugin>.<metric>'",
                    )
                owners[key] = impl.plugin_name
                merged[key] = value
        return merged

    def evaluate(
        self,
        task: TaskSpec,
        predictions: Any,
        references: Any,
        examples: Sequence[Example],
        labels: Sequence[str],
        split: str,
        context: RunContext | None = None,
    ) -> Metrics:
        kwargs = {
            "task": task,
            "predictions": predictions,
            "references": references,
            "examples": examples,
            "labels": tuple(labels),
            "split": split,
            "context": context if context is not None else RunContext(split),
        }
        merged = self._merged("evaluate", kwargs, "a dict {'<plugin>.<metric>': float}", _metric)
        return {key: float(value) for key, value in merged.items()}

    def robustness_perturbations(self, task: TaskSpec) -> dict[str, Any]:
        """The task's domain perturbations by name (owner and global implementations)."""
        return self._merged(
            "robustness_perturbations",
            {"task": task},
            "a dict {perturbation name: fn(text, severity, rng)}",
            _perturbation,
        )

    def baselines(
        self,
        task: TaskSpec,
        splits: Splits,
        labels: Sequence[str],
        encode: Callable[[Sequence[str]], Any],
        context: RunContext | None = None,
    ) -> dict[str, Predictions | dict[str, float]]:
        """Each plugin baseline: :class:`vadapt.kit.Predictions` for the core to score,
        or a finished ``{metric: float}`` dict."""
        kwargs = {
            "task": task,
            "splits": splits,
            "labels": tuple(labels),
            "encode": encode,
            "context": context if context is not None else RunContext("test"),
        }
        merged = self._merged(
            "baselines",
            kwargs,
            "a dict {baseline name: vadapt.kit.Predictions or {metric: float}}",
            _baseline_entry,
        )
        return {
            name: value
            if isinstance(value, Predictions)
            else {k: float(v) for k, v in value.items()}
            for name, value in merged.items()
        }


def _perturbation(name: Any, value: Any) -> bool:
    return isinstance(name, str) and bool(name) and callable(value)


def _baseline_entry(name: Any, value: Any) -> bool:
    if not isinstance(name, str):
        return False
    if isinstance(value, Predictions):
        return True
    return isinstance(value, dict) and all(_metric(k, v) for k, v in value.items())


def _metric(key: Any, value: Any) -> bool:
    """A metric entry: str key, real number value (numpy scalars included, bools not)."""
    if not isinstance(key, str) or isinstance(value, (bool, str, bytes)):
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return not hasattr(value, "__len__")


def hooks() -> Hooks:
    """A facade over the process-wide plugin host."""
    return Hooks(get_host())
