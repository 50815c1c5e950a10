"""Small data files in each layout customer-service data ships in, written under tmp_path.

vadapt's pytest plugin (``vadapt.testing``) is auto-loaded through its ``pytest11``
entry point; with ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` set, add
``pytest_plugins = ["vadapt.testing"]`` to the top-level conftest (pytest refuses it
in a nested conftest like this one).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# the helpers module sits next to this file; --import-mode=importlib does not put it on sys.path
sys.path.insert(0, str(Path(__file__).parent))

from cs_testdata import FAQ, intent_rows, write_clinc, write_csv, write_jsonl


@pytest.fixture
def banking_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "banking77.csv", ["text", "category"], intent_rows())


@pytest.fixture
def clinc_json(tmp_path: Path) -> Path:
    return write_clinc(tmp_path / "data_full.json")


@pytest.fixture
def intent_jsonl(tmp_path: Path) -> Path:
    return write_jsonl(
        tmp_path / "intents.jsonl", [{"text": t, "label": i} for t, i in intent_rows()]
    )


@pytest.fixture
def faq_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "faq.csv", ["question", "answer"], FAQ)


@pytest.fixture
def plugin_under_test():  # vadapt.testing's ``hooks`` fixture: only this plugin installed
    import vadapt_customer_service

    return vadapt_customer_service
