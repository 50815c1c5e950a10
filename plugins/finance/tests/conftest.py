"""Fixtures: tiny finance files written under tmp_path (nothing is downloaded).

vadapt's pytest plugin (``vadapt.testing``) is auto-loaded through its ``pytest11``
entry point; with ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` set, add
``pytest_plugins = ["vadapt.testing"]`` to the top-level conftest (pytest refuses
it in a non-root conftest such as this one).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest


def load_files() -> ModuleType:
    """finance_files.py by path (tests run with --import-mode=importlib, no package)."""
    spec = importlib.util.spec_from_file_location(
        "vadapt_finance_test_files", Path(__file__).with_name("finance_files.py")
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


files = load_files()


@pytest.fixture
def ff() -> ModuleType:
    """The writers module (finance_files.py)."""
    return files


@pytest.fixture
def phrasebank(tmp_path: Path) -> Path:
    return files.write_phrasebank(tmp_path / "Sentences_AllAgree.txt")


@pytest.fixture
def credit_csv(tmp_path: Path) -> Path:
    return files.write_credit_csv(tmp_path / "applicants.csv")


@pytest.fixture
def prices_csv(tmp_path: Path) -> Path:
    return files.write_prices_csv(tmp_path / "prices.csv")
