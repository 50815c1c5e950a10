"""Every task's default config is its documented recipe.

Each plugin's RESULTS.md holds, per task it registers, a block

    ```yaml recipe <task-id>
    train: {epochs: 5}
    ```

equal to ``TaskSpec.defaults``; ``vadapt adapt TASK --dry-run`` (no options) must
resolve to a config that contains every value of it. So the settings behind a
published number are what a user gets by default, and the docs cannot drift.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner
from vadapt.cli import app
from vadapt.hooks import hooks

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```yaml recipe (\S+)\n(.*?)^```", re.S | re.M)


def documented() -> dict[str, dict]:
    out: dict[str, dict] = {}
    for results in sorted(ROOT.glob("plugins/*/RESULTS.md")):
        for task_id, body in BLOCK.findall(results.read_text(encoding="utf-8")):
            assert task_id not in out, f"{results}: two recipe blocks for {task_id}"
            out[task_id] = yaml.safe_load(body) or {}
    return out


def contains(resolved: dict, recipe: dict, path: str = "") -> list[str]:
    """Paths where ``resolved`` does not hold ``recipe``'s value."""
    wrong = []
    for key, want in recipe.items():
        here = f"{path}{key}"
        got = resolved.get(key) if isinstance(resolved, dict) else None
        if isinstance(want, dict):
            wrong += contains(got or {}, want, here + ".")
        elif got != want:
            wrong.append(f"{here}: documented {want!r}, resolved {got!r}")
    return wrong


def task_ids() -> list[str]:
    """Tasks of the verticals in this repository (each has a RESULTS.md)."""
    ours = {p.parent.name.replace("_", "-") for p in ROOT.glob("plugins/*/RESULTS.md")}
    return sorted(t for t in hooks().tasks() if t.split("/")[0] in ours)


def required_data(task) -> list[str]:
    """``--set`` for each required data field (a file the user must name): a
    placeholder, since a dry run validates the config and reads no data."""
    fields = task.data_model.model_fields
    return [arg for name, f in fields.items() if f.is_required()
            for arg in ("--set", f"data.{name}=placeholder.csv")]


@pytest.mark.parametrize("task_id", task_ids())
def test_dry_run_is_the_documented_recipe(task_id, tmp_path, monkeypatch):
    monkeypatch.setenv("VADAPT_HOME", str(tmp_path))
    recipes = documented()
    assert task_id in recipes, f"no ```yaml recipe {task_id}``` block in its plugin's RESULTS.md"
    task = hooks().task(task_id)
    assert recipes[task_id] == json.loads(json.dumps(dict(task.defaults))), (
        f"{task_id}: the RESULTS.md recipe differs from TaskSpec.defaults"
    )
    out = CliRunner().invoke(app, ["adapt", task_id, "--dry-run", *required_data(task)])
    assert out.exit_code == 0, out.output
    resolved = json.loads(out.stdout)
    assert not contains(resolved, recipes[task_id])
