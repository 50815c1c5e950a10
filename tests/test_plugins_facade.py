"""The typed facade: calling rules, and errors that name the plugin and the hook."""

from __future__ import annotations

import numpy as np
import pytest
from vadapt import InvalidConfig, NotFound, PluginError, Splits, TaskSpec, hookimpl
from vadapt.hooks import Hooks
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
        if task.vertical != "legal":
            return None
        return Splits(train=ROWS[:4], validation=ROWS[4:5], test=ROWS[5:])

    @hookimpl
    def evaluate(self, task, predictions, references):
        if task.vertical != "legal":
            return None
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
        @hookimpl(tryfirst=True)
        def augment(self, examples):
            return [{**ex, "text": ex["text"].upper()} for ex in examples]

    hooks = facade(("legal", Legal()), ("upper", Upper()))
    out = hooks.augment(TASK, ROWS[:2], np.random.default_rng(0), None)
    assert [ex["text"] for ex in out] == ["T0!", "T1!"]


def test_augment_changing_the_number_of_examples_names_the_plugin():
    class Dropper:
        @hookimpl
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
        @hookimpl
        def evaluate(self):
            return returned

    with pytest.raises(PluginError) as err:
        facade(("bad", Bad())).evaluate(TASK, None, None, [], TASK.labels, "test")
    assert "plugin 'bad' hook 'evaluate' returned" in str(err.value)
    assert shown in str(err.value)


def test_one_metric_key_from_two_plugins_names_both():
    class Echo:
        @hookimpl
        def evaluate(self):
            return {"legal.top1": 1.0}

    hooks = facade(("legal", Legal()), ("echo", Echo()))
    with pytest.raises(
        PluginError, match=r"'legal.top1' is returned by two plugins: '\w+' and '\w+'"
    ):
        hooks.evaluate(TASK, np.eye(2), np.array([0, 1]), ROWS[:2], TASK.labels, "test")


def test_baselines_must_be_name_to_metric_floats():
    class Base:
        @hookimpl
        def baselines(self, splits, encode):
            assert encode(["x"]).shape == (1, 2)
            return {"majority": {"accuracy": np.float64(0.5)}}

    class Bad:
        @hookimpl
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
        def load_data(self, config):
            return config.missing_attribute

    class Validates:
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
