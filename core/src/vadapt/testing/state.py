"""What one ``PluginContract`` class shares across its tests (host, tasks, loaded splits)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from vadapt.hooks import Hooks
from vadapt.plugins import PluginHost, PluginRecord, create_host
from vadapt.testing import checks
from vadapt.types import Splits, TaskSpec

if TYPE_CHECKING:
    from vadapt.testing.contract import PluginContract


class ContractState:
    """What one contract class shares across its tests: host, tasks, loaded splits."""

    def __init__(self, suite: PluginContract, tmp_factory: pytest.TempPathFactory) -> None:
        if suite.plugin is None:
            raise TypeError(f"{type(suite).__name__}: set `plugin = <your hookimpl module>`")
        self.suite = suite
        self.tmp_factory = tmp_factory
        self.name = suite.plugin_name or checks.plugin_name(suite.plugin)
        self.host: PluginHost = create_host(load_entrypoints=False)
        self.record: PluginRecord = self.host.register(suite.plugin, self.name)
        self.hooks = Hooks(self.host)
        self._splits: dict[str, Splits | None] = {}

    def implements(self, hook: str) -> bool:
        return self.record.status == "ok" and hook in self.record.hooks

    def require(self, hook: str) -> None:
        if self.record.status != "ok":
            pytest.fail(f"plugin {self.name!r} did not register: {self.record.error}")
        if not self.implements(hook):
            pytest.skip(f"plugin {self.name!r} does not implement {hook}")

    def tasks(self) -> dict[str, TaskSpec]:
        owned = self.hooks.owned_tasks()
        return {tid: o.value for tid, o in sorted(owned.items()) if o.plugin == self.name}

    def task(self, task_id: str) -> TaskSpec:
        return self.tasks()[task_id]

    def splits(self, task: TaskSpec) -> Splits:
        """The task's splits (cached); skips the test when data_config returns None."""
        if task.id not in self._splits:
            folder = self.tmp_factory.mktemp(task.id.replace("/", "__"))
            raw = self.suite.data_config(task, folder)
            if raw is None:
                self._splits[task.id] = None
            else:
                try:
                    config = task.data_model.model_validate(raw)
                except Exception as exc:
                    pytest.fail(
                        f"data_config({task.id!r}) does not validate against "
                        f"{task.data_model.__name__}: {exc}"
                    )
                self._splits[task.id] = self.hooks.load_data(task, config)
        splits = self._splits[task.id]
        if splits is None:
            pytest.skip(f"data_config returned None for {task.id!r}")
        return splits

    def experience_splits(self, task: TaskSpec, stream: Any, exp: Any) -> Splits:
        """Experience ``exp``'s splits: ``data_config`` with the experience's options merged
        over it, loaded through ``load_data`` (skips when ``data_config`` returns None)."""
        from vadapt.continual.stream import experience_splits

        folder = self.tmp_factory.mktemp(f"{task.id.replace('/', '__')}__{exp.name}")
        raw = self.suite.data_config(task, folder)
        if raw is None:
            pytest.skip(f"data_config returned None for {task.id!r}")
        where = f"{task.id}: stream experience {exp.name!r}"
        try:
            config = task.data_model.model_validate({**raw, **exp.data})
        except Exception as exc:
            pytest.fail(f"{where}: its data options {exp.data} do not validate: {exc}")
        return experience_splits(self.hooks.load_data(task, config), stream, exp)

    def labels(self, task: TaskSpec, *, load: bool = True) -> tuple[str, ...]:
        """The engine's labels: token classification's are the word tags of its types."""
        if task.head == "token-classification":
            from vadapt.kit.entities import tag_names

            return tag_names(task.labels or ("a", "b"))
        if task.labels:
            return task.labels
        if load and self.implements("load_data"):
            labels = self.splits(task).labels
            if labels:
                return tuple(labels)
        return ("a", "b", "c")

    def prefixes(self) -> set[str]:
        names = {self.name, *(t.vertical for t in self.tasks().values())}
        return names | {n.replace("-", "_") for n in names} | {n.replace("_", "-") for n in names}


def task_ids(cls: type[PluginContract]) -> list[str]:
    """Task ids for parametrising, computed at collection without loading data."""
    host = create_host(load_entrypoints=False, defaults=False)
    name = cls.plugin_name or checks.plugin_name(cls.plugin)
    if host.register(cls.plugin, name).status != "ok":
        return []
    return sorted(Hooks(host).tasks())
