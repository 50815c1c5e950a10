"""``PluginContract``: conformance tests a vertical gets by subclassing one class.

::

    from vadapt.testing import PluginContract
    import vadapt_legal

    class TestLegalContract(PluginContract):
        plugin = vadapt_legal
        def data_config(self, task, tmp_path):
            return {"path": str(write_small_file(tmp_path))}   # None skips the task

Every check goes through the typed facade (:class:`vadapt.hooks.Hooks`), exactly as
the core calls plugins, on a host holding only the built-in defaults and this
plugin. A check for a hook the plugin does not implement is skipped. The class is
self-contained: it needs no conftest, only pytest.
"""

from __future__ import annotations

import copy
import math
import os
import subprocess
import sys
from typing import Any, ClassVar

import numpy as np
import pytest
from vadapt_registry.errors import PluginError

from vadapt.testing import checks
from vadapt.testing.state import ContractState, task_ids
from vadapt.types import BackboneInfo, HeadKind, TaskSpec

_IMPORT_PROBES: dict[tuple[str, str], subprocess.CompletedProcess[str]] = {}


class PluginContract:
    """Subclass it (name the subclass ``Test...``) and set ``plugin``."""

    plugin: ClassVar[Any] = None
    """The module (or object) holding the plugin's ``@hookimpl`` functions."""
    plugin_name: ClassVar[str | None] = None
    """Name to register under; default: its installed entry-point name."""
    max_examples: ClassVar[int] = 64
    """How many examples the augment/evaluate checks use."""

    def data_config(self, task: TaskSpec, tmp_path: Any) -> dict[str, Any] | None:
        """The ``data:`` section that exercises ``load_data`` for ``task``; None skips it.

        Write any small files you need under ``tmp_path`` (a fresh folder per task).
        """
        return {}

    def augment_options(self, task: TaskSpec) -> dict[str, Any]:
        """``augment.options`` passed to the augment check (default: none)."""
        return {}

    def adversarial_options(self, task: TaskSpec) -> dict[str, Any]:
        """``adversarial.options`` passed to the adversarial check (default: none)."""
        return {}

    # -- machinery ------------------------------------------------------------------
    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "contract_task" not in metafunc.fixturenames:
            return
        try:
            ids = task_ids(type(self))
        except Exception:  # reported by test_registers_cleanly / test_register_tasks
            ids = []
        metafunc.parametrize("contract_task", ids)

    @pytest.fixture(scope="class")
    @classmethod
    def contract(cls, tmp_path_factory: pytest.TempPathFactory) -> ContractState:
        return ContractState(cls(), tmp_path_factory)

    # -- registration ---------------------------------------------------------------
    def test_registers_cleanly(self, contract: ContractState) -> None:
        rec = contract.record
        assert rec.status == "ok", f"plugin {contract.name!r} is {rec.status}: {rec.error}"
        assert rec.hooks, f"plugin {contract.name!r} implements no vadapt hook"

    def test_no_submodule_shadows_a_hook(self, contract: ContractState) -> None:
        """A submodule named like a hook (``augment.py``) replaces the hook function on
        the package the moment it is imported, and the hook silently disappears."""
        import types

        from vadapt.hookspecs import HOOK_NAMES

        shadowed = [
            name
            for name in HOOK_NAMES
            if isinstance(getattr(type(self).plugin, name, None), types.ModuleType)
        ]
        assert not shadowed, (
            f"plugin {contract.name!r}: submodule(s) {shadowed} shadow the hook(s) of the same "
            "name; rename the module(s) (e.g. augment.py -> augmentation.py)"
        )

    def test_import_is_torch_free(self, contract: ContractState) -> None:
        module = checks.module_name(type(self).plugin)
        if module is None:
            pytest.skip("plugin is not a module")
        key = (module, contract.name)
        if key not in _IMPORT_PROBES:  # once per plugin, however many contract classes
            code = (
                "import importlib, sys\nfrom vadapt.plugins import create_host\n"
                "from vadapt.hooks import Hooks\n"
                "h = create_host(load_entrypoints=False, defaults=False)\n"
                f"h.register(importlib.import_module({module!r}), {contract.name!r})\n"
                "Hooks(h).tasks()\n"
                "print(sorted(m for m in ('torch', 'peft', 'transformers') if m in sys.modules))"
            )
            # the child sees what this process sees (rootdir inserts, importlib mode...)
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
            _IMPORT_PROBES[key] = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
            )
        out = _IMPORT_PROBES[key]
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stdout.strip().splitlines()[-1] == "[]", (
            f"importing {module} and listing its tasks imported {out.stdout.strip()}; "
            "import heavy libraries inside the functions that need them"
        )

    def test_register_tasks(self, contract: ContractState) -> None:
        contract.require("register_tasks")
        tasks = contract.tasks()
        assert tasks, f"plugin {contract.name!r} implements register_tasks but registered none"
        verticals = {t.vertical for t in tasks.values()}
        assert len(verticals) == 1, f"tasks span verticals {sorted(verticals)}: {list(tasks)}"
        backbones = contract.hooks.backbones()
        for task in tasks.values():
            spec = backbones.get(task.default_backbone)
            assert spec is not None, (
                f"{task.id}: default_backbone {task.default_backbone!r} is not a registered "
                f"backbone ({', '.join(backbones)})"
            )
            want = "image" if task.modality == "image" else "text"
            assert spec.modality == want, (
                f"{task.id}: a {task.modality} task needs a {want} backbone, "
                f"default_backbone {spec.name!r} is {spec.modality}"
            )
            model = task.data_model
            assert model.model_config.get("extra") == "forbid", (
                f"{task.id}: {model.__name__} must set model_config extra='forbid' "
                "so a misspelt data option is an error"
            )
            undocumented = [n for n, f in model.model_fields.items() if not f.description]
            assert not undocumented, f"{task.id}: data fields without a description {undocumented}"

    # -- data -----------------------------------------------------------------------
    def test_load_data(self, contract: ContractState, contract_task: str) -> None:
        contract.require("load_data")
        task = contract.task(contract_task)
        splits = contract.splits(task)
        sizes = splits.sizes()
        assert all(sizes.values()), f"{task.id}: every split must be non-empty, got {sizes}"
        labels = contract.labels(task)
        if task.head in (HeadKind.CLASSIFICATION, HeadKind.MULTILABEL):
            assert task.labels or splits.labels, f"{task.id}: no labels in TaskSpec nor Splits"
        for split in ("train", "validation", "test"):
            for i, ex in enumerate(getattr(splits, split)):
                problem = checks.example_problem(task, labels, ex)
                assert problem is None, f"{task.id} {split}[{i}]: {problem}"

    def test_augment(self, contract: ContractState, contract_task: str) -> None:
        contract.require("augment")
        task = contract.task(contract_task)
        examples = list(contract.splits(task).train[: self.max_examples])
        before = copy.deepcopy(examples)
        config = checks.augment_config(self.augment_options(task))
        out = contract.hooks.augment(task, examples, np.random.default_rng(7), config)
        assert checks.same(examples, before), f"{task.id}: augment modified its input in place"
        assert len(out) == len(examples)
        for i, (old, new) in enumerate(zip(examples, out, strict=True)):
            assert new.keys() == old.keys(), f"{task.id}[{i}]: keys {sorted(old)} -> {sorted(new)}"
            assert checks.same(checks.label_of(task, new), checks.label_of(task, old)), (
                f"{task.id}[{i}]: augment changed the label"
            )
        rng = np.random.default_rng(7)
        again = contract.hooks.augment(task, copy.deepcopy(before), rng, config)
        assert checks.same(out, again), f"{task.id}: augment is not deterministic for one seed"

    # -- model-side hooks -----------------------------------------------------------
    def test_build_head(self, contract: ContractState, contract_task: str) -> None:
        contract.require("build_head")
        import torch

        task = contract.task(contract_task)
        labels = contract.labels(task)
        info = BackboneInfo(name="tiny", modality=task.modality, hidden_size=32)
        try:
            head = contract.hooks.build_head(task, info, labels, checks.adapt_config(task))
        except PluginError as exc:
            if "no plugin built a head" in str(exc):
                pytest.skip(f"no head for {task.id} from the plugin (defaults absent)")
            raise
        out = head(torch.randn(4, 32))
        expected = {
            HeadKind.CLASSIFICATION: len(labels),
            HeadKind.MULTILABEL: len(labels),
            HeadKind.TOKEN_CLASSIFICATION: len(labels),  # one output per word tag
            HeadKind.REGRESSION: 1,
        }.get(task.head)
        assert out.shape[0] == 4 and out.dim() == 2, f"{task.id}: head output {tuple(out.shape)}"
        if expected is not None:
            assert out.shape[1] == expected, f"{task.id}: {out.shape[1]} outputs, want {expected}"

    def test_adversarial_step(self, contract: ContractState, contract_task: str) -> None:
        contract.require("adversarial_step")
        from vadapt.testing.models import cross_entropy_loss, tiny_batch, tiny_model

        task = contract.task(contract_task)
        model = tiny_model(task.modality, 3)
        batch = tiny_batch(task.modality, 3)
        config = checks.adversarial_config(self.adversarial_options(task))
        loss = contract.hooks.adversarial_step(task, model, batch, cross_entropy_loss, config)
        if loss is None:
            pytest.skip(f"no adversarial term for {task.id}")
        assert loss.requires_grad, f"{task.id}: adversarial loss has no gradient; it cannot train"
        loss.backward()

    # -- scoring --------------------------------------------------------------------
    def _scoring_inputs(self, contract: ContractState, task: TaskSpec) -> tuple[Any, ...]:
        if task.head == HeadKind.GENERATION:
            pytest.skip(f"no documented prediction shape for {task.head} yet")
        labels = contract.labels(task)
        test = contract.splits(task).test  # only valid ones: test_load_data reports the rest
        examples = [ex for ex in test if checks.example_problem(task, labels, ex) is None]
        examples = examples[: self.max_examples]
        preds, refs = checks.fake_predictions(task, labels, examples)
        return labels, examples, preds, refs

    def test_evaluate(self, contract: ContractState, contract_task: str) -> None:
        """The owner's metrics are namespaced, finite, never a kit metric under its own
        name, never ``{}`` (return None when there is nothing domain-specific), and
        include the watched and headline metrics (with ``vadapt.kit.score``'s)."""
        from vadapt.engine.scoring import score_split
        from vadapt.kit import RunContext, headline

        contract.require("evaluate")
        task = contract.task(contract_task)
        labels, examples, preds, refs = self._scoring_inputs(contract, task)
        context = RunContext("validation")
        for split in ("validation", "test"):
            own = checks.call_own(
                type(self).plugin,
                "evaluate",
                task=task,
                predictions=preds,
                references=refs,
                examples=examples,
                labels=labels,
                split=split,
                context=context.scoped(contract.name),
            )
            assert own is None or own, (
                f"{task.id}: evaluate returned {own!r} for its own task on {split}; "
                "return None when the plugin adds nothing"
            )
            metrics = score_split(
                contract.hooks, task, preds, refs, examples, labels, split, context
            )
            for key in own or {}:
                prefix = key.split(".", 1)[0] if "." in key else None
                assert prefix in contract.prefixes(), (
                    f"{task.id}: metric {key!r} must be namespaced '<plugin>.<metric>' "
                    f"with one of {sorted(contract.prefixes())}"
                )
            bad = {k: v for k, v in metrics.items() if not math.isfinite(v)}
            assert not bad, f"{task.id}: non-finite metrics on {split}: {bad}"
            wanted = {task.metric, *headline(task)} - {"loss"}
            missing = sorted(wanted - set(metrics))
            assert not missing, (
                f"{task.id}: TaskSpec.metric/headline {missing} are neither vadapt.kit.score "
                f"metrics nor returned by evaluate on {split}; got {sorted(metrics)[:12]}..."
            )
            context = context.for_test()

    def test_task_declarations(self, contract: ContractState, contract_task: str) -> None:
        """Standard baselines exist; the recipe (``TaskSpec.defaults``) is a valid config."""
        from vadapt.defaults import with_task_defaults
        from vadapt.kit import STANDARD_BASELINES

        task = contract.task(contract_task)
        unknown = sorted(set(task.baselines) - set(STANDARD_BASELINES))
        assert not unknown, (
            f"{task.id}: TaskSpec.baselines names {unknown}, not standard baselines "
            f"({', '.join(STANDARD_BASELINES)}); return your own from the baselines hook"
        )
        with_task_defaults(checks.adapt_config(task), task)  # raises InvalidConfig with the field

    def test_streams(self, contract: ContractState, contract_task: str) -> None:
        """Each declared stream is well-formed: every experience loads through
        ``load_data`` with its own data options and has train, validation and test
        examples; a class experience's labels are the task's (when it declares them); no
        test example is in two experiences' tests. ``data_config`` must give data with
        examples of every experience."""
        task = contract.task(contract_task)
        if not task.streams:
            pytest.skip(f"{task.id} declares no streams")
        contract.require("load_data")
        for name, stream in task.streams.items():
            owner: dict[str, str] = {}
            for exp in stream.experiences:
                where = f"{task.id} stream {name!r} experience {exp.name!r}"
                splits = contract.experience_splits(task, stream, exp)
                sizes = splits.sizes()
                assert all(sizes.values()), f"{where}: every split must be non-empty, got {sizes}"
                unknown = sorted(set(exp.labels) - set(task.labels)) if task.labels else []
                assert not unknown, f"{where}: labels {unknown} are not the task's {task.labels}"
                for ex in splits.test:
                    key = checks.example_key(ex)
                    other = owner.setdefault(key, exp.name)
                    assert other == exp.name, (
                        f"{where}: a test example is also in experience {other!r}'s test: "
                        "experiences' tests must be disjoint"
                    )

    def test_baselines(self, contract: ContractState, contract_task: str) -> None:
        """The owner's own baselines: never ``{}``; each scored by the kit is finite."""
        from vadapt.engine.scoring import score_predictions
        from vadapt.kit import Predictions, RunContext

        contract.require("baselines")
        task = contract.task(contract_task)
        splits = contract.splits(task)
        labels = contract.labels(task)
        own = checks.call_own(
            type(self).plugin,
            "baselines",
            task=task,
            splits=splits,
            labels=labels,
            encode=checks.fake_encode,
            context=RunContext("test").scoped(contract.name),
        )
        assert own is None or own, (
            f"{task.id}: baselines returned {own!r} for its own task; return None when the "
            "task has no baseline beyond TaskSpec.baselines"
        )
        for name, value in (own or {}).items():
            metrics = (
                score_predictions(contract.hooks, task, splits, labels, value)
                if isinstance(value, Predictions)
                else value
            )
            assert isinstance(name, str) and metrics, f"{task.id}: baseline {name!r} is empty"
            for key, v in metrics.items():
                assert math.isfinite(v), f"{task.id}: baseline {name!r} {key} = {v}"
