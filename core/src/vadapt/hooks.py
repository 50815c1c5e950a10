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

from vadapt.plugins import PluginHost, get_host
from vadapt.types import BackboneInfo, BackboneSpec, Baselines, Example, Metrics, Splits, TaskSpec
from vadapt_registry.errors import NotFound, PluginError, VadaptError


@dataclass(frozen=True)
class Owned:
    """A registered object and the plugin that registered it."""

    plugin: str
    value: Any


def _impls(host: PluginHost, hook: str) -> Iterator[pluggy.HookImpl]:
    """Implementations in calling order (tryfirst first, trylast last), wrappers skipped."""
    caller = getattr(host.pm.hook, hook)
    for impl in reversed(caller.get_hookimpls()):
        if not (impl.hookwrapper or impl.wrapper):
            yield impl


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


def _collect(host: PluginHost, hook: str, cls: type, key: Callable[[Any], str]) -> dict[str, Owned]:
    found: dict[str, Owned] = {}
    for impl in _impls(host, hook):
        result = _call(host, impl, hook, {})
        if result is None:
            continue
        try:
            items = list(result)
        except TypeError:
            raise _wrong_type(host, impl.plugin_name, hook, f"an iterable of {cls.__name__}", result) from None
        for item in items:
            if not isinstance(item, cls):
                raise _wrong_type(host, impl.plugin_name, hook, cls.__name__, item)
            k = key(item)
            if k in found:
                raise PluginError(
                    f"{cls.__name__} {k!r} is claimed by two plugins: "
                    f"{host.describe(found[k].plugin)} and {host.describe(impl.plugin_name)}",
                    fix=f"uninstall or disable one (VADAPT_DISABLE_PLUGINS={impl.plugin_name})",
                )
            found[k] = Owned(impl.plugin_name, item)
    return found


def _suggest(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(known)) or 'none'}"


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

    def task(self, task_id: str) -> TaskSpec:
        owned = self.owned_tasks()
        if task_id not in owned:
            raise NotFound(
                f"unknown task {task_id!r}; {_suggest(task_id, list(owned))}",
                fix="run `vadapt tasks` to list the tasks of the installed plugins",
            )
        return owned[task_id].value

    def task_owner(self, task_id: str) -> str:
        self.task(task_id)
        return self.owned_tasks()[task_id].plugin

    def owned_backbones(self) -> dict[str, Owned]:
        if self._backbones is None:
            self._backbones = _collect(self.host, "register_backbones", BackboneSpec, lambda b: b.name)
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

    # -- firstresult hooks ----------------------------------------------------------
    def _first(self, hook: str, kwargs: dict[str, Any]) -> tuple[str, Any] | None:
        for impl in _impls(self.host, hook):
            result = _call(self.host, impl, hook, kwargs)
            if result is not None:
                return impl.plugin_name, result
        return None

    def load_data(self, task: TaskSpec, config: Any) -> Splits:
        found = self._first("load_data", {"task": task, "config": config})
        if found is None:
            raise PluginError(
                f"no plugin returned data for task {task.id!r} (hook 'load_data')",
                fix=f"the plugin that registers {task.id!r} must implement load_data for it",
            )
        plugin, splits = found
        if not isinstance(splits, Splits):
            raise _wrong_type(self.host, plugin, "load_data", "vadapt.Splits", splits)
        return splits

    def build_head(self, task: TaskSpec, backbone: BackboneInfo, labels: Sequence[str], config: Any) -> Any:
        import torch.nn as nn  # only on the training path

        found = self._first(
            "build_head", {"task": task, "backbone": backbone, "labels": tuple(labels), "config": config}
        )
        if found is None:
            raise PluginError(f"no plugin built a head for task {task.id!r} (hook 'build_head')")
        plugin, head = found
        if not isinstance(head, nn.Module):
            raise _wrong_type(self.host, plugin, "build_head", "a torch.nn.Module", head)
        return head

    def adversarial_step(self, task: TaskSpec, model: Any, batch: dict[str, Any], loss_fn: Any, config: Any) -> Any:
        import torch

        kwargs = {"task": task, "model": model, "batch": batch, "loss_fn": loss_fn, "config": config}
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
    def augment(self, task: TaskSpec, examples: list[Example], rng: Any, config: Any) -> list[Example]:
        current = examples
        for impl in _impls(self.host, "augment"):
            out = _call(self.host, impl, "augment", {"task": task, "examples": current, "rng": rng, "config": config})
            if out is None:
                continue
            if not isinstance(out, list) or not all(isinstance(e, dict) for e in out):
                raise _wrong_type(self.host, impl.plugin_name, "augment", "a list of example dicts", out)
            if len(out) != len(current):
                raise PluginError(
                    f"plugin {self.host.describe(impl.plugin_name)} hook 'augment' returned "
                    f"{len(out)} examples for {len(current)}",
                    fix="augment must return one (augmented) example per input example",
                )
            current = out
        return current

    def _merged(self, hook: str, kwargs: dict[str, Any], what: str) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        owners: dict[str, str] = {}
        for impl in _impls(self.host, hook):
            out = _call(self.host, impl, hook, kwargs)
            if out is None:
                continue
            if not isinstance(out, dict):
                raise _wrong_type(self.host, impl.plugin_name, hook, f"a dict of {what}", out)
            for key, value in out.items():
                if key in owners:
                    raise PluginError(
                        f"{hook} key {key!r} is returned by two plugins: "
                        f"{self.host.describe(owners[key])} and {self.host.describe(impl.plugin_name)}",
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
    ) -> Metrics:
        kwargs = {
            "task": task,
            "predictions": predictions,
            "references": references,
            "examples": examples,
            "labels": tuple(labels),
            "split": split,
        }
        merged = self._merged("evaluate", kwargs, "metric name -> float")
        metrics: Metrics = {}
        for key, value in merged.items():
            if not isinstance(key, str) or isinstance(value, bool) or not isinstance(value, (int, float)):
                raise PluginError(
                    f"hook 'evaluate' returned {key!r}: {_short(value)}; metrics must map str to float",
                    fix="return {'<plugin>.<metric>': float(value)}",
                )
            metrics[key] = float(value)
        return metrics

    def baselines(
        self, task: TaskSpec, splits: Splits, labels: Sequence[str], encode: Callable[[Sequence[str]], Any]
    ) -> Baselines:
        kwargs = {"task": task, "splits": splits, "labels": tuple(labels), "encode": encode}
        merged = self._merged("baselines", kwargs, "baseline name -> {metric: float}")
        out: Baselines = {}
        for name, metrics in merged.items():
            if not isinstance(metrics, dict):
                raise PluginError(
                    f"hook 'baselines' returned {name!r}: {_short(metrics)}; expected {{metric: float}}"
                )
            out[name] = {str(k): float(v) for k, v in metrics.items()}
        return out


def hooks() -> Hooks:
    """A facade over the process-wide plugin host."""
    return Hooks(get_host())
