"""AdaptConfig: loading, --set overrides, and every invalid value rejected with its path."""

from __future__ import annotations

import json

import pytest
from vadapt import InvalidConfig
from vadapt.config import AdaptConfig, apply_overrides, build_config, load_config


def test_defaults_are_complete_and_valid():
    cfg = build_config({"task": "fx/text"})
    assert cfg.method.name == "lora" and cfg.method.r == 8
    assert cfg.train.precision == "auto" and cfg.train.scheduler == "linear"
    assert cfg.augment.enabled is False and cfg.adversarial.enabled is False
    assert set(AdaptConfig.model_fields) == {
        "task",
        "backbone",
        "method",
        "train",
        "data",
        "augment",
        "adversarial",
        "continual",
        "output",
    }
    assert cfg.continual.parent is None and cfg.continual.strategy == "naive"


def test_yaml_and_json_files_load(tmp_path):
    y = tmp_path / "c.yaml"
    y.write_text("task: fx/text\nmethod:\n  name: ia3\ntrain:\n  lr: 1e-3\n  epochs: 2\n")
    cfg = load_config(y)
    assert cfg.method.name == "ia3" and cfg.train.lr == 1e-3 and cfg.train.epochs == 2
    j = tmp_path / "c.json"
    j.write_text(json.dumps({"task": "fx/text", "train": {"batch_size": 4}}))
    assert load_config(j).train.batch_size == 4


def test_overrides_coerce_by_field_type():
    data = apply_overrides(
        {"task": "fx/text"},
        [
            "train.lr=1e-3",
            "train.epochs=4",
            "augment.enabled=true",
            "method.target_modules=query,value",
            "output.name=123",
            "output.notes=null",
            "data.path=/tmp/x.csv",
            "data.n=5",
            "train.max_steps=null",
        ],
    )
    cfg = build_config(data)
    assert cfg.train.lr == pytest.approx(1e-3) and isinstance(cfg.train.lr, float)
    assert cfg.train.epochs == 4 and cfg.augment.enabled is True
    assert cfg.method.target_modules == ["query", "value"]
    assert cfg.output.name == "123"  # a str field keeps the raw string
    assert cfg.data == {"path": "/tmp/x.csv", "n": 5}
    assert cfg.train.max_steps is None


def test_cli_method_and_task_override_the_file(tmp_path):
    y = tmp_path / "c.yaml"
    y.write_text("task: fx/other\nmethod: {name: full}\n")
    cfg = load_config(y, ["train.seed=3"], task="fx/text", method="bitfit")
    assert cfg.task == "fx/text" and cfg.method.name == "bitfit" and cfg.train.seed == 3


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"task": "fx/text", "trian": {}}, "trian: unknown key"),
        ({"task": "fx/text", "train": {"epoch": 3}}, "train.epoch: unknown key"),
        ({"task": "fx/text", "train": {"epochs": "three"}}, "train.epochs"),
        ({"task": "fx/text", "method": {"r": 0}}, "method.r"),
        ({"task": "fx/text", "method": {"name": "lorra"}}, "method.name"),
        ({"task": "fx/text", "train": {"lr": float("nan")}}, "train.lr"),
        ({"task": "fx/text", "train": {"lr": -1.0}}, "train.lr"),
        ({"task": "fx/text", "train": {"batch_size": 0}}, "train.batch_size"),
        ({"task": "fx/text", "train": {"scheduler": "step"}}, "train.scheduler"),
        ({"task": "fx/text", "adversarial": {"epsilon": float("inf")}}, "adversarial.epsilon"),
        ({"task": "fx/text", "data": {"x": float("nan")}}, "data.x"),
        ({"train": {}}, "task"),
    ],
)
def test_invalid_values_name_their_field_path(data, path):
    with pytest.raises(InvalidConfig) as err:
        build_config(data)
    assert path in str(err.value)
    assert "\n" not in str(err.value)


def test_set_with_a_typo_names_the_known_keys():
    with pytest.raises(InvalidConfig, match=r"unknown key 'lrr'.*known: epochs"):
        apply_overrides({}, ["train.lrr=1"])
    with pytest.raises(InvalidConfig, match="key=value"):
        apply_overrides({}, ["train.lr"])
    with pytest.raises(InvalidConfig, match=r"train\.lr"):
        build_config(apply_overrides({"task": "fx/text"}, ["train.lr=nan"]))


def test_bad_files_are_invalid_config(tmp_path):
    with pytest.raises(InvalidConfig, match="does not exist"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("task: [unclosed\n")
    with pytest.raises(InvalidConfig, match="not valid YAML"):
        load_config(bad)
    lst = tmp_path / "list.yaml"
    lst.write_text("- a\n- b\n")
    with pytest.raises(InvalidConfig, match="mapping"):
        load_config(lst)


def test_resolve_rejects_unknown_task_backbone_and_bad_combinations(plugin_host):
    from vadapt import EmptyDataConfig, TaskSpec, hookimpl
    from vadapt.config import resolve
    from vadapt.hooks import Hooks

    class Plug:
        @hookimpl
        def register_tasks(self):
            yield TaskSpec(
                id="cfg/text",
                modality="text",
                head="classification",
                labels=("a", "b"),
                description="t",
                data_model=EmptyDataConfig,
            )
            yield TaskSpec(id="cfg/gen", modality="text", head="generation", description="t")
            yield TaskSpec(
                id="cfg/image",
                modality="image",
                head="classification",
                labels=("a",),
                description="t",
                default_backbone="efficientnet-lite0",
            )

    plugin_host.register(Plug(), "cfg")
    h = Hooks(plugin_host)
    with pytest.raises(InvalidConfig, match=r"config field task: unknown task 'cfg/txt'.*cfg/text"):
        resolve({"task": "cfg/txt"}, h)
    with pytest.raises(InvalidConfig, match="config field backbone: unknown backbone 'minilmm'"):
        resolve({"task": "cfg/text", "backbone": "minilmm"}, h)
    with pytest.raises(InvalidConfig, match=r"data\.path: unknown key"):
        resolve({"task": "cfg/text", "data": {"path": "x"}}, h)
    with pytest.raises(InvalidConfig, match="head kind 'generation'"):
        resolve({"task": "cfg/gen"}, h)
    with pytest.raises(InvalidConfig, match="prompt-tuning"):
        resolve({"task": "cfg/image", "method": {"name": "prompt-tuning"}}, h)
    with pytest.raises(InvalidConfig, match="image backbone"):
        resolve({"task": "cfg/text", "backbone": "efficientnet-lite0"}, h)
    r = resolve({"task": "cfg/text"}, h)
    assert r.backbone.name == "minilm" and r.backbone_ref == "minilm"


def test_config_module_does_not_import_torch():
    import subprocess
    import sys

    code = (
        "import sys, vadapt.config as c; c.build_config({'task': 'a/b'}); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
