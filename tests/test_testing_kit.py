"""vadapt.testing: PluginContract passes a correct plugin and catches each defect in a flawed one.

Both run in one pytest subprocess (as a plugin author would run them); the JUnit
report says which checks failed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

GOOD = """
from pydantic import BaseModel, ConfigDict, Field
from vadapt import Experience, Splits, Stream, TaskSpec, hookimpl

class Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    n: int = Field(30, description="how many examples")
    start: int = Field(0, description="number of the first example")

PERIODS = Stream("time", (Experience("early"), Experience("late", {"start": 100})))

@hookimpl
def register_tasks():
    yield TaskSpec(id="kit/sent", modality="text", head="classification", labels=("pos", "neg"),
                   description="x", data_model=Data, metric="kit.acc",
                   streams={"periods": PERIODS})
    yield TaskSpec(id="kit/score", modality="text", head="regression", description="y")

@hookimpl
def load_data(task, config):
    if task.head == "regression":
        rows = [{"text": f"t{i}", "label": float(i)} for i in range(20)]
    else:
        rows = [{"text": f"t{config.start + i}", "label": ("pos", "neg")[i % 2]}
                for i in range(config.n)]
    return Splits(train=rows[:10], validation=rows[10:15], test=rows[15:])

@hookimpl
def augment(task, examples, rng):
    return [{**ex, "text": ex["text"] + ("!" if rng.random() < 0.5 else "")} for ex in examples]

@hookimpl
def evaluate(task, predictions, references):
    if task.id != "kit/sent":
        return None
    return {"kit.acc": float((predictions.argmax(1) == references).mean())}

@hookimpl
def build_head(task, backbone, labels):
    import torch.nn as nn
    return nn.Linear(backbone.hidden_size, 1 if task.head == "regression" else len(labels))

@hookimpl
def adversarial_step(task, model, batch, loss_fn):
    return loss_fn(model(batch), batch) * 0.5

@hookimpl
def baselines(task, splits, encode):
    assert encode(["a", "b"]).shape[0] == 2
    return {"const": {"accuracy": 0.5}}
"""

FLAWED = """
import random, sys, types
from pydantic import BaseModel
from vadapt import Experience, Splits, Stream, TaskSpec, hookimpl

sys.modules.setdefault("peft", types.ModuleType("peft"))  # as if it imported peft eagerly

class Loose(BaseModel):  # no extra="forbid", no field descriptions
    n: int = 10

TASK = TaskSpec(id="flawed/sent", modality="text", head="classification", labels=("pos", "neg"),
                description="x", data_model=Loose, metric="flawed.acc",
                streams={"twice": Stream("domain", (Experience("a"), Experience("b")))})
ROWS = [{"text": f"t{i}", "label": ("pos", "neg")[i % 2]} for i in range(12)]

@hookimpl
def register_tasks():
    return [TASK]

@hookimpl
def load_data(task):  # answers for every task, and one label is not the task's
    test = [*ROWS[10:], {"text": "t", "label": "maybe"}]
    return Splits(train=ROWS[:8], validation=ROWS[8:10], test=test)

@hookimpl
def augment(examples):  # mutates its input, global random state
    for ex in examples:
        ex["text"] += random.choice("!?")
    return examples

@hookimpl
def evaluate(predictions, references):  # un-namespaced, and for any task
    return {"acc": float((predictions.argmax(1) == references).mean())}

@hookimpl
def build_head(backbone, labels):  # one output too many
    import torch.nn as nn
    return nn.Linear(backbone.hidden_size, len(labels) + 1)

@hookimpl
def adversarial_step(model, batch, loss_fn):  # detached: trains nothing
    return loss_fn(model(batch), batch).detach()

@hookimpl
def baselines():  # an empty answer for its own task hides a broken baseline
    return {}
"""

TESTS = """
import kit_good, kit_flawed
from vadapt.testing import PluginContract

class TestGood(PluginContract):
    plugin = kit_good
    plugin_name = "kit"

class TestFlawed(PluginContract):
    plugin = kit_flawed
    plugin_name = "flawed"

def test_fixtures(plugin_host, hooks, registry_root):
    import os
    from vadapt.plugins import get_host
    assert os.environ["VADAPT_HOME"] == str(registry_root) and registry_root.is_dir()
    assert get_host() is plugin_host and hooks.host is plugin_host
    assert hooks.tasks() == {}  # no plugin under test, no installed plugins
"""


def run_contract(tmp_path):
    for name, source in {
        "kit_good.py": GOOD,
        "kit_flawed.py": FLAWED,
        "test_kit.py": TESTS,
    }.items():
        (tmp_path / name).write_text(textwrap.dedent(source))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    report = tmp_path / "report.xml"
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )  # fmt: skip
    results = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        cls = case.get("classname", "").rsplit(".", 1)[-1]
        outcome = "passed"
        for tag in ("failure", "error", "skipped"):
            if case.find(tag) is not None:
                outcome = tag
        results[f"{cls}::{case.get('name')}"] = outcome
    return out, results


def test_contract_passes_a_correct_plugin_and_catches_every_defect(tmp_path):
    out, results = run_contract(tmp_path)
    good = {k: v for k, v in results.items() if k.startswith("TestGood::")}
    assert good.pop("TestGood::test_streams[kit/score]") == "skipped"  # it declares none
    assert len(good) == 19 and set(good.values()) == {"passed"}, out.stdout[-4000:]
    assert results["test_kit::test_fixtures"] == "passed", out.stdout[-4000:]
    flawed = {k.split("::")[1]: v for k, v in results.items() if k.startswith("TestFlawed::")}
    assert flawed == {
        "test_registers_cleanly": "passed",
        "test_no_submodule_shadows_a_hook": "passed",
        "test_import_is_torch_free": "failure",
        "test_register_tasks": "failure",
        "test_load_data[flawed/sent]": "failure",
        "test_augment[flawed/sent]": "failure",
        "test_build_head[flawed/sent]": "failure",
        "test_adversarial_step[flawed/sent]": "failure",
        "test_evaluate[flawed/sent]": "failure",
        "test_baselines[flawed/sent]": "failure",
        "test_task_declarations[flawed/sent]": "passed",
        "test_streams[flawed/sent]": "failure",
    }, out.stdout[-4000:]
    for message in (
        "imported ['peft']",
        "must set model_config extra='forbid'",
        "'label' 'maybe' is not one of the task's labels",
        "augment modified its input in place",
        "3 outputs, want 2",
        "adversarial loss has no gradient",
        "metric 'acc' must be namespaced",
        "returned {} for its own task",
        "experiences' tests must be disjoint",
    ):
        assert message in out.stdout, message
