"""vadapt-finance passes vadapt's PluginContract on every task, from tiny files."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import vadapt_finance
from vadapt.testing import PluginContract


def _files() -> Any:
    spec = importlib.util.spec_from_file_location(
        "vadapt_finance_test_files_contract", Path(__file__).with_name("finance_files.py")
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FILES = _files()


class TestFinanceContract(PluginContract):
    plugin = vadapt_finance

    def data_config(self, task: Any, tmp_path: Path) -> dict[str, Any] | None:
        if task.id == "finance/credit-default":
            return {"path": str(FILES.write_credit_csv(tmp_path / "applicants.csv"))}
        if task.id == "finance/market-direction":
            # 2019-2020 for training, plus each decade of the 'decades' stream
            decades = [(e.data["train_start"], 2550) for e in task.streams["decades"].experiences]
            periods = [*decades, ("2019-01-01", 420)]
            path = FILES.write_prices_periods(tmp_path / "prices.csv", periods)
            return {
                "path": str(path),
                "train_start": "2019-02-01",
                "validation_start": "2020-01-01",
                "test_start": "2020-06-01",
            }
        if task.id == "finance/sentiment":
            return {"path": str(FILES.write_phrasebank(tmp_path / "Sentences_50Agree.txt"))}
        return None
