"""vadapt's plugin contract, on tiny MovieLens-100K and RecBole atomic files."""

from __future__ import annotations

import vadapt_recsys
from recsys_testdata import interactions, spread_over, write_atomic, write_ml100k
from vadapt.testing import PluginContract
from vadapt_recsys.tasks import PERIODS


class TestRecsysContract(PluginContract):
    plugin = vadapt_recsys

    def data_config(self, task, tmp_path):
        if task.id == "recsys/next-item":
            # six users in each period of the 'periods' stream
            starts = [since for _, since, _, _ in PERIODS]
            data, item = write_ml100k(tmp_path, spread_over(interactions(), starts))
            return {"interactions": str(data), "items": str(item), "negatives": 10}
        inter, item = write_atomic(tmp_path)
        return {
            "interactions": str(inter),
            "items": str(item),
            "cold_fraction": 0.4,
            "negatives": 5,
        }

    def augment_options(self, task):
        return {"crop": 0.5, "mask": 0.5, "reorder": 0.5}


def test_hook_functions_survive_importing_every_submodule():
    import importlib
    import pkgutil

    for mod in pkgutil.iter_modules(vadapt_recsys.__path__):
        importlib.import_module(f"vadapt_recsys.{mod.name}")
    for hook in ("register_tasks", "load_data", "augment", "evaluate", "baselines"):
        assert callable(getattr(vadapt_recsys, hook)), f"vadapt_recsys.{hook} was shadowed"
