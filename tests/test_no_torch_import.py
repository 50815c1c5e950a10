"""The listing commands never import torch, peft or transformers: listings must stay fast.

Each command runs in a fresh interpreter with every installed plugin loaded (the
real guarantee: a plugin importing torch at module level fails this test), then
reports which heavy modules ended up in ``sys.modules``.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

HEAVY = ("torch", "peft", "transformers")

PROBE = f"""
import runpy, sys
sys.argv = ["vadapt", *sys.argv[1:]]
try:
    runpy.run_module("vadapt", run_name="__main__")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print("HEAVY", sorted(m for m in {HEAVY!r} if m in sys.modules), "EXIT", code, file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args",
    [["--help"], ["list-plugins", "--all"], ["tasks", "--json"], ["registry", "list"]],
    ids=" ".join,
)
def test_command_does_not_import_heavy_modules(args, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("VADAPT_")}
    env["VADAPT_HOME"] = str(tmp_path / "home")
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, timeout=120
    )
    report = out.stderr.strip().splitlines()[-1]
    assert report == "HEAVY [] EXIT 0", f"vadapt {' '.join(args)}: {out.stderr[-2000:]}"


def test_probe_catches_a_plugin_importing_torch_at_module_level(plugin_site, tmp_path):
    (plugin_site.root / "torch.py").write_text("")  # a stand-in: cheap, and first on the path
    plugin_site.add("eager", "import torch\n")
    env = plugin_site.env(VADAPT_LOAD_PLUGINS="eager", VADAPT_HOME=str(tmp_path / "home"))
    out = subprocess.run(
        [sys.executable, "-c", PROBE, "tasks"], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.stderr.strip().splitlines()[-1] == "HEAVY ['torch'] EXIT 0"


# Beyond torch: `--help` and the registry listing skip numpy and the pydantic manifest
# models (the listing reads the sqlite index only); `--help` lays out no table, so it
# skips rich too (short listings use rich, long ones stream plain columns). typer
# itself imports pydantic to coerce parameters, so pydantic as such is not listed.
@pytest.mark.parametrize(
    ("args", "light"),
    [
        (["--help"], ("numpy", "rich", "vadapt_registry.manifest")),
        (["registry", "list"], ("numpy", "vadapt_registry.manifest")),
    ],
    ids=["--help", "registry list"],
)
def test_help_and_listing_stay_light(args, light, tmp_path):
    from vadapt_registry import ManifestDraft, Registry

    home = tmp_path / "home"
    Registry(home).save(
        ManifestDraft(
            name="one",
            vertical="demo",
            task="demo/task",
            method={"name": "lora", "config": {}},
            backbone={"name": "minilm", "fingerprint": "sha256:" + "a" * 64},
            labels=["a", "b"],
        ),
        {"adapter_config.json": b"{}"},
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("VADAPT_")}
    env["VADAPT_HOME"] = str(home)
    out = subprocess.run(
        [sys.executable, "-c", PROBE.replace(repr(HEAVY), repr(light)), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.stderr.strip().splitlines()[-1] == "HEAVY [] EXIT 0", out.stderr[-2000:]
    if args[0] == "registry":
        assert "one" in out.stdout
