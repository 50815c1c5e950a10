# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""Methods are registered, not switched on by name (like peft's
``register_peft_method``): a third-party plugin adds ``head-only`` through the
``register_methods`` hook, in one module, and it lists, validates, trains, saves,
reloads and serves like a built-in."""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest
from pydantic import Field

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, fx, text_examples, tiny_bert_dir  # noqa: F401
from vadapt import InvalidConfig, PluginError, hookimpl
from vadapt.config import apply_overrides, build_config, effective_lr
from vadapt.methods import Method, MethodConfig, methods, unregister_method
from vadapt.methods.base import Adaptation, check_state

CORE = Path(__file__).resolve().parents[1] / "core" / "src" / "vadapt"


# -- the third-party method: everything about it is in this one "module" -----------------


class HeadOnlyConfig(MethodConfig):
    name: Literal["head-only"] = "head-only"
    norms: bool = Field(False, description="also train the backbone's LayerNorm parameters")
    scale: float = Field(1.0, gt=0, description="a typed option (checked, recorded)")


class HeadOnly(Adaptation):
    """The backbone frozen; only the head (and optionally LayerNorms) trains."""

    def __init__(self, cfg: HeadOnlyConfig, loaded: Any) -> None:
        self.name = cfg.name
        self.module = loaded.model
        self.resolved = {"name": cfg.name, "norms": cfg.norms, "scale": cfg.scale}
        for n, p in self.module.named_parameters():
            p.requires_grad_(cfg.norms and "LayerNorm" in n)

    def adapter_state(self) -> dict[str, Any]:
        return {n: p.detach() for n, p in self.module.named_parameters() if p.requires_grad}

    def load_adapter_state(self, state: dict[str, Any], where: str = "weights") -> None:
        check_state(self.adapter_state(), state, where)
        self.module.load_state_dict(state, strict=False)


HEAD_ONLY = Method(
    name="head-only",
    config=HeadOnlyConfig,
    description="train the head only (optionally the LayerNorms)",
    apply=HeadOnly,
    default_lr=7e-3,
    library="vadapt-headonly",
    serving="weights",
)


def head_only_plugin() -> types.ModuleType:
    mod = types.ModuleType("vadapt_headonly")

    @hookimpl
    def register_methods():  # type: ignore[no-untyped-def]
        yield HEAD_ONLY

    mod.register_methods = register_methods  # type: ignore[attr-defined]
    return mod


@pytest.fixture
def head_only(fx):
    rec = fx.host.register(
        head_only_plugin(), "headonly", distribution="vadapt-headonly", version="0.1"
    )
    assert rec.status == "ok", rec.error
    yield fx
    unregister_method("head-only")


# -- listing ----------------------------------------------------------------------------


def test_vadapt_methods_lists_builtins_and_the_plugin_method(head_only, capsys):
    from vadapt.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["methods", "--json"])
        raise SystemExit(0)
    assert (exc.value.code or 0) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert {"full", "freeze", "lora", "ia3", "prompt-tuning", "bitfit", "bottleneck"} < set(rows)
    row = rows["head-only"]
    assert row["plugin"] == "headonly" and row["library"] == "vadapt-headonly"
    assert row["default_lr"] == 7e-3 and row["modalities"] == ["text", "image"]
    assert row["options"]["norms"]["default"] is False
    assert set(row["options"]) == {"norms", "scale"}
    assert rows["lora"]["plugin"] == "vadapt" and rows["lora"]["default_lr"] == 2e-3


# -- config -----------------------------------------------------------------------------


def test_a_config_naming_the_plugin_method_validates_and_type_checks(head_only):
    cfg = build_config({"task": "fx/text", "method": {"name": "head-only", "norms": True}})
    assert isinstance(cfg.method, HeadOnlyConfig) and cfg.method.norms is True
    assert cfg.model_dump(mode="json")["method"] == {
        "name": "head-only",
        "norms": True,
        "scale": 1.0,
    }
    assert effective_lr(cfg) == 7e-3
    data = apply_overrides({"task": "fx/text"}, ["method.name=head-only", "method.norms=true"])
    assert build_config(data).method.norms is True
    with pytest.raises(InvalidConfig, match=r"method\.scale") as err:
        build_config({"task": "fx/text", "method": {"name": "head-only", "scale": -1}})
    assert "\n" not in str(err.value)
    with pytest.raises(InvalidConfig, match=r"method\.norms"):
        build_config({"task": "fx/text", "method": {"name": "head-only", "norms": "maybe"}})
    with pytest.raises(InvalidConfig, match=r"method\.r: method 'head-only' has no option 'r'"):
        build_config({"task": "fx/text", "method": {"name": "head-only", "r": 4}})
    with pytest.raises(InvalidConfig, match=r"unknown key 'r' in method 'head-only'"):
        apply_overrides({"method": {"name": "head-only"}}, ["method.r=4"])


def test_options_a_builtin_method_lacks_are_rejected_with_the_field():
    with pytest.raises(InvalidConfig, match=r"method\.layers: method 'lora' has no option"):
        build_config({"task": "fx/text", "method": {"layers": 2}})
    with pytest.raises(InvalidConfig, match=r"unknown key 'r' in method 'full'"):
        apply_overrides({}, ["method.name=full", "method.r=4"])
    cfg = build_config(
        apply_overrides({}, ["method.name=freeze", "method.layers=3"]) | {"task": "x/y"}
    )
    assert cfg.method.layers == 3


def test_an_unknown_method_is_one_line_listing_the_known_ones(head_only):
    with pytest.raises(InvalidConfig) as err:
        build_config({"task": "fx/text", "method": {"name": "heads-only"}})
    msg = str(err.value)
    assert "method.name" in msg and "did you mean 'head-only'" in msg and "\n" not in msg
    assert "bitfit" in msg and "lora" in msg and "head-only" in msg


# -- train, save, load, serve -----------------------------------------------------------


def test_the_plugin_method_trains_saves_reloads_and_serves(head_only):
    from vadapt.engine import adapt
    from vadapt.engine.evaluate import infer
    from vadapt.engine.load import load_adapter
    from vadapt.serving import AdapterPool

    cfg = base_config(epochs=1, max_steps=3)
    del cfg["train"]["lr"]  # the method's default learning rate
    cfg["method"] = {"name": "head-only", "norms": True, "scale": 2.0}
    res = adapt(cfg, progress=False)
    assert res.steps == 3
    head = sum(p.numel() for p in res.model.head.parameters())
    assert head < res.trainable_parameters < res.total_parameters  # head + LayerNorms only
    m = res.manifest
    assert m.method.name == "head-only"
    assert m.method.config["options"] == {"name": "head-only", "norms": True, "scale": 2.0}
    assert m.method.config["resolved"] == {"name": "head-only", "norms": True, "scale": 2.0}
    assert m.training["lr"] == 7e-3
    assert {"weights.safetensors", "head.safetensors"} <= set(m.files)
    examples = text_examples(6, 11)
    before, _ = infer(res.model, res.context, examples)
    lm = load_adapter(res.ref)
    assert isinstance(lm.model.adaptation, HeadOnly)
    after, _ = infer(lm.model, lm.ctx, examples)
    np.testing.assert_allclose(np.asarray(before), np.asarray(after), atol=1e-5)
    with AdapterPool() as pool:
        texts = [{"text": ex["text"]} for ex in examples]
        got = pool.predict(res.ref, texts)
    from vadapt.engine import predict

    assert [g["label"] for g in got] == [p["label"] for p in predict(res.ref, texts)]


# -- registration rules -----------------------------------------------------------------


def test_a_plugin_method_taking_a_builtin_name_is_a_plugin_error(fx):
    class Lora2(MethodConfig):
        name: Literal["lora"] = "lora"

    fake = Method(name="lora", config=Lora2, description="x", apply=HeadOnly)
    mod = types.ModuleType("vadapt_clash")

    @hookimpl
    def register_methods():  # type: ignore[no-untyped-def]
        yield fake

    mod.register_methods = register_methods  # type: ignore[attr-defined]
    fx.host.register(mod, "clash")
    from vadapt.hooks import Hooks

    with pytest.raises(PluginError, match=r"'clash'.*'lora' is taken \(a built-in method\)"):
        Hooks(fx.host).methods()
    assert methods()["lora"].library == "peft"


def test_a_malformed_method_fails_where_it_is_declared():
    with pytest.raises(ValueError, match="Literal"):
        Method(name="other", config=HeadOnlyConfig, description="x", apply=HeadOnly)
    with pytest.raises(ValueError, match="serving"):
        Method(
            name="head-only",
            config=HeadOnlyConfig,
            description="x",
            apply=HeadOnly,
            serving="magic",
        )


def test_adapters_saved_with_every_methods_options_still_reload():
    """Before methods had their own configs, a manifest stored all options of all methods."""
    from vadapt.methods import reload_method, stored_options

    old = {
        "name": "lora",
        "r": 4,
        "alpha": 8.0,
        "dropout": 0.0,
        "target_modules": None,
        "layers": 2,
        "num_virtual_tokens": 16,
        "reduction": 16,
    }
    assert stored_options(old) == {
        "name": "lora",
        "r": 4,
        "alpha": 8.0,
        "dropout": 0.0,
        "target_modules": None,
    }
    cfg, stored = reload_method(
        "bottleneck",
        {
            "options": {**old, "name": "bottleneck"},
            "resolved": {"target_modules": ["output.dense"]},
        },
        {},
        "x@1",
    )
    assert cfg.name == "bottleneck" and cfg.reduction == 16 and stored is None
    assert cfg.target_modules == ["output.dense"]


# -- adding a method touches one module -------------------------------------------------

# the modules that used to switch on method names
SWITCHES = [
    "config.py",
    "engine/load.py",
    "engine/run.py",
    "engine/setup.py",
    "serving/pool.py",
    "cli/engine.py",
    "methods/__init__.py",
    "methods/options.py",
    "methods/native.py",
    "methods/peft_methods.py",
    "methods/base.py",
]


@pytest.mark.parametrize("name", sorted(methods()))
def test_only_the_methods_own_module_names_it(name):
    quoted = re.compile(rf"""["']{re.escape(name)}["']""")
    for rel in SWITCHES:
        text = (CORE / rel).read_text()
        assert not quoted.search(text), f"core/src/vadapt/{rel} switches on method {name!r}"
    module = methods()[name].apply.__module__
    own = CORE / (module.removeprefix("vadapt.").replace(".", "/") + ".py")
    assert quoted.search(own.read_text()), f"{name!r} is declared in {own}"
