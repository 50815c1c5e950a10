"""The registry and its CLI never import torch or peft (they cost seconds to import)."""

from __future__ import annotations

import subprocess
import sys

import pytest

CODE = """
import sys
import {module}
heavy = sorted(m for m in ("torch", "peft", "transformers", "accelerate") if m in sys.modules)
print(",".join(heavy))
"""


@pytest.mark.parametrize("module", ["vadapt_registry", "vadapt.cli.registry"])
def test_import_does_not_pull_torch(module: str) -> None:
    if module.startswith("vadapt.cli"):
        pytest.importorskip("typer")
    out = subprocess.run(
        [sys.executable, "-c", CODE.format(module=module)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if (
        out.returncode != 0
        and module.startswith("vadapt.cli")
        and "ModuleNotFoundError" in out.stderr
    ):
        pytest.skip(f"{module} not importable here: {out.stderr.strip().splitlines()[-1]}")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"{module} imported {out.stdout.strip()}"
