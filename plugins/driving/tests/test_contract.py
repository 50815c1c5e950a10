"""vadapt-driving passes vadapt's PluginContract on both tasks, in generated and on-disk layouts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import vadapt_driving
from driving_layouts import write_gtsrb
from vadapt.testing import PluginContract

TINY = {"image_size": 24, "train_per_class": 2, "eval_per_class": 1}


class TestDrivingContract(PluginContract):
    plugin = vadapt_driving
    max_examples = 16

    def data_config(self, task: Any, tmp_path: Path) -> dict[str, Any] | None:
        if task.id == "driving/traffic-signs":
            # a class of each group of the sign-groups stream
            return {
                **TINY,
                "classes": ["speed-limit-30", "stop", "yield", "no-entry", "keep-right"],
            }
        if task.id == "driving/traffic-lights":
            return {**TINY, "arrows": True}
        return None

    def augment_options(self, task: Any) -> dict[str, Any]:
        return {"p": 1.0, "severities": [2, 4]}


class TestDrivingContractOnGtsrbLayout(PluginContract):
    """The same checks with traffic signs read from a GTSRB Final_Training tree."""

    plugin = vadapt_driving
    max_examples = 16

    def data_config(self, task: Any, tmp_path: Path) -> dict[str, Any] | None:
        if task.id != "driving/traffic-signs":
            return None
        root = write_gtsrb(tmp_path, {14: 4, 1: 4, 13: 4, 17: 4, 38: 4}, frames=2)
        return {"source": "gtsrb", "path": str(root), "resize": 24}
