"""The typed facade: calling rules, and errors that name the plugin and the hook."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest
from vadapt import InvalidConfig, NotFound, PluginError, Splits, TaskSpec, global_hookimpl, hookimpl
from vadapt.hooks import Hooks
from vadapt.kit import RunContext
from vadapt.plugins import create_host

TASK = TaskSpec(
    id="legal/clause", modality="text", head="classification", labels=("a", "b"), description="x"
)
ROWS = [{"text": f"t{i}", "label": "ab"[i % 2]} for i in range(6)]


class Legal:
    @hookimpl
    def register_tasks(self):
        return [TASK]

    @hookimpl
    def load_data(self, task):  # a subset of the spec's arguments is enough
        return Splits(train=ROWS[:4], validation=ROWS[4:5], test=ROWS[5:])

    @hookimpl
    def evaluate(self, task, predictions, references):
        return {"legal.top1": np.float32((predictions.argmax(1) == references).mean())}

    @hookimpl
    def augment(self, task, examples, rng):
        return [{**ex, "text": ex["text"] + "!"} for ex in examples]


def facade(*plugins: tuple[str, object]) -> Hooks:
    host = create_host(load_entrypoints=False, defaults=False)
    for name, plugin in plugins:
        assert host.register(plugin, name).status == "ok", host.records[name].error
    return Hooks(host)


def test_facade_calls_hooks_with_the_arguments_they_ask_for():
    hooks = facade(("legal", Legal()))
    assert hooks.tasks() == {"legal/clause": TASK}
    assert hooks.task_owner("legal/clause") == "legal"
    splits = hooks.load_data(TASK, TASK.data_model())
    assert splits.sizes() == {"train": 4, "validation": 1, "test": 1}
    probs = np.array([[0.9, 0.1], [0.2, 0.8]])
    metrics = hooks.evaluate(TASK, probs, np.array([0, 0]), ROWS[:2], TASK.labels, "test")
    assert metrics == {"legal.top1": 0.5} and type(metrics["legal.top1"]) is float


def test_augment_is_chained_in_calling_order():
    class Upper:
        @global_hookimpl(tryfirst=True)
        def augment(self, examples):
            return [{**ex, "text": ex["text"].upper()} for ex in examples]

    hooks = facade(("legal", Legal()), ("upper", Upper()))
    out = hooks.augment(TASK, ROWS[:2], np.random.default_rng(0), None)
    assert [ex["text"] for ex in out] == ["T0!", "T1!"]


def test_augment_changing_the_number_of_examples_names_the_plugin():
    class Dropper:
        @global_hookimpl
        def augment(self, examples):
            return examples[1:]

    with pytest.raises(
        PluginError, match=r"plugin 'dropper' hook 'augment' returned 1 examples for 2"
    ):
        facade(("dropper", Dropper())).augment(TASK, ROWS[:2], np.random.default_rng(0), None)


@pytest.mark.parametrize(
    ("returned", "shown"),
    [({"x.acc": "high"}, "'x.acc': 'high'"), ([0.5], "list"), ({"x.acc": [1, 2]}, "[1, 2]")],
)
def test_evaluate_with_a_wrong_value_names_plugin_and_hook(returned, shown):
    class Bad:
        @global_hookimpl
        def evaluate(self):
            return returned

    with pytest.raises(PluginError) as err:
        facade(("bad", Bad())).evaluate(TASK, None, None, [], TASK.labels, "test")
    assert "plugin 'bad' hook 'evaluate' returned" in str(err.value)
    assert shown in str(err.value)


def test_one_metric_key_from_two_plugins_names_both():
    class Echo:
        @global_hookimpl
        def evaluate(self):
            return {"legal.top1": 1.0}

    hooks = facade(("legal", Legal()), ("echo", Echo()))
    with pytest.raises(
        PluginError, match=r"'legal.top1' is returned by two plugins: '\w+' and '\w+'"
    ):
        hooks.evaluate(TASK, np.eye(2), np.array([0, 1]), ROWS[:2], TASK.labels, "test")


def test_baselines_must_be_name_to_metric_floats():
    class Base:
        @global_hookimpl
        def baselines(self, splits, encode):
            assert encode(["x"]).shape == (1, 2)
            return {"majority": {"accuracy": np.float64(0.5)}}

    class Bad:
        @global_hookimpl
        def baselines(self):
            return {"majority-2": 0.5}

    enc = lambda texts: np.ones((len(texts), 2))  # noqa: E731
    splits = Splits(train=ROWS, validation=ROWS, test=ROWS)
    assert facade(("base", Base())).baselines(TASK, splits, TASK.labels, enc) == {
        "majority": {"accuracy": 0.5}
    }
    with pytest.raises(PluginError, match=r"plugin 'bad' hook 'baselines' returned dict"):
        facade(("bad", Bad())).baselines(TASK, splits, TASK.labels, enc)


def test_exceptions_are_wrapped_but_vadapt_errors_pass_through():
    class Crashes:
        @hookimpl
        def register_tasks(self):
            return [TASK]

        @hookimpl
        def load_data(self, config):
            return config.missing_attribute

    class Validates:
        @hookimpl
        def register_tasks(self):
            return [TASK]

        @hookimpl
        def load_data(self):
            raise InvalidConfig("data.path 'x.csv' does not exist", fix="point it at a file")

    with pytest.raises(PluginError) as err:
        facade(("crashes", Crashes())).load_data(TASK, TASK.data_model())
    assert "plugin 'crashes' raised in hook 'load_data': AttributeError" in str(err.value)
    assert "VADAPT_DISABLE_PLUGINS=crashes" in str(err.value)
    with pytest.raises(InvalidConfig, match=r"x\.csv"):
        facade(("validates", Validates())).load_data(TASK, TASK.data_model())


def test_no_owner_for_data_and_unknown_task_are_clear():
    hooks = facade(("legal", Legal()))
    other = TaskSpec(id="zz/other", modality="text", head="classification", description="")
    with pytest.raises(PluginError, match="no plugin returned data for task 'zz/other'"):
        hooks.load_data(other, other.data_model())
    with pytest.raises(
        NotFound, match=r"unknown task 'legal/clauses'; did you mean 'legal/clause'\?"
    ):
        hooks.task("legal/clauses")


def test_optional_hooks_are_not_misspellings():
    class Optional:
        @hookimpl(optionalhook=True)
        def some_future_hook(self):
            return None

    host = create_host(load_entrypoints=False, defaults=False)
    assert host.register(Optional(), "optional").status == "ok"


class Stranger:
    """Implements task hooks without @global_hookimpl and owns no task."""

    calls: ClassVar[list[str]] = []

    @hookimpl
    def load_data(self, task):
        Stranger.calls.append("load_data")
        return Splits(train=[], validation=[], test=[])

    @hookimpl
    def evaluate(self):
        Stranger.calls.append("evaluate")
        return {"stranger.x": 1.0}

    @hookimpl
    def augment(self, examples):
        Stranger.calls.append("augment")
        return examples


def test_task_hooks_reach_only_the_owner_and_global_implementations():
    Stranger.calls.clear()
    hooks = facade(("legal", Legal()), ("stranger", Stranger()))
    assert hooks.load_data(TASK, TASK.data_model()).sizes()["train"] == 4
    metrics = hooks.evaluate(TASK, np.eye(2), np.array([0, 1]), ROWS[:2], TASK.labels, "test")
    assert metrics == {"legal.top1": 1.0}
    hooks.augment(TASK, ROWS[:2], np.random.default_rng(0), None)
    assert Stranger.calls == []  # never asked about a task it does not own


def test_a_global_implementation_serves_every_plugins_task():
    class Everywhere:
        @global_hookimpl
        def evaluate(self, task):
            return {"everywhere.seen": float(task.id == "legal/clause")}

    hooks = facade(("legal", Legal()), ("everywhere", Everywhere()))
    metrics = hooks.evaluate(TASK, np.eye(2), np.array([0, 1]), ROWS[:2], TASK.labels, "test")
    assert metrics == {"legal.top1": 1.0, "everywhere.seen": 1.0}


def test_load_data_cannot_be_global():
    with pytest.raises(TypeError, match="load_data cannot be a global hookimpl"):

        @global_hookimpl
        def load_data(task):  # pragma: no cover - refused at decoration
            return None


@pytest.mark.parametrize("style", ["wrapper", "hookwrapper"])
def test_hook_wrappers_are_refused_at_registration_not_dropped(style):
    class Wraps:
        @hookimpl(**{style: True})
        def evaluate(self):
            return (yield)

    host = create_host(load_entrypoints=False, defaults=False)
    rec = host.register(Wraps(), "wraps")
    assert rec.status == "broken"
    assert "declares hook wrapper(s) evaluate" in rec.error
    assert host.pm.get_plugin("wraps") is None


def test_run_context_is_scoped_per_plugin_and_learnt_only_on_validation():
    class Learns:
        @hookimpl
        def register_tasks(self):
            return [TASK]

        @hookimpl
        def evaluate(self, split, context):
            if split == "validation":
                context.remember("t", 0.25)
            return {"learns.t": context.recall("t", -1.0)}

    class Peeks:
        @global_hookimpl
        def evaluate(self, context):
            context.remember("t", 9.0)  # its own namespace: never the owner's value
            return {"peeks.t": context.recall("t", -1.0)}

    hooks = facade(("learns", Learns()), ("peeks", Peeks()))
    ctx = RunContext("validation")
    args = (TASK, np.eye(2), np.array([0, 1]), ROWS[:2], TASK.labels)
    assert hooks.evaluate(*args, "validation", ctx) == {"learns.t": 0.25, "peeks.t": 9.0}
    test_ctx = ctx.for_test()
    assert test_ctx.state == {"learns": {"t": 0.25}, "peeks": {"t": 9.0}}
    test_ctx.scoped("learns").remember("t", 1.0)  # no learning on test: ignored
    assert hooks.evaluate(*args, "test", test_ctx)["learns.t"] == 0.25
    assert RunContext.stored(test_ctx.state).fitted and not RunContext("test").fitted
