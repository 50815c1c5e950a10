"""scripts/quality.py: the commands behind RESULTS.md's headline rows build the recipes."""

from __future__ import annotations

import importlib.util
import shlex
from pathlib import Path

import pytest
from vadapt_recsys.tasks import COLD_START, NEXT_ITEM

PLUGIN = Path(__file__).resolve().parents[1]
HEADLINE_RUNS = {  # task -> the --out of its RESULTS.md headline row's command
    NEXT_ITEM: "RESULTS-next-item-pop200.md",
    COLD_START: "RESULTS-cold-start.md",
}


def quality():
    spec = importlib.util.spec_from_file_location("recsys_quality", PLUGIN / "scripts/quality.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def documented_argv(out: str) -> list[str]:
    for line in (PLUGIN / "RESULTS.md").read_text().splitlines():
        if "scripts/quality.py" in line and line.rstrip().endswith(out):
            return shlex.split(line.split("scripts/quality.py", 1)[1])
    raise AssertionError(f"no quality.py command writing {out} in RESULTS.md")


def holds(config: dict, recipe: dict) -> bool:
    return all(
        holds(config.get(k, {}), v) if isinstance(v, dict) else config.get(k) == v
        for k, v in recipe.items()
    )


@pytest.mark.parametrize("task", list(HEADLINE_RUNS), ids=lambda t: t.id)
def test_headline_command_builds_the_task_recipe(task):
    q = quality()
    args = q.parser().parse_args(documented_argv(HEADLINE_RUNS[task]))
    assert args.tasks == task.id
    assert holds(q.config(task.id, args), dict(task.defaults))


def test_table_merges_each_baseline_with_its_full_catalogue_entry():
    q = quality()
    base = q.merged({"item-knn": {"ndcg@10": 0.3}, "item-knn.full": {"recsys.full.ndcg@10": 0.03}})
    result = {"adapter": {"ndcg@10": 0.4, "recsys.full.ndcg@10": 0.04}, "baselines": base}
    row = [r for r in q.table(result) if r.startswith("| item-knn |")]
    assert row and "0.3000" in row[0] and "0.0300" in row[0]
