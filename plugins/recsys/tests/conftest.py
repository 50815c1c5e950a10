"""Fixtures: tiny MovieLens-100K / RecBole atomic / CSV files under tmp_path.

vadapt's pytest plugin (``vadapt.testing``) is auto-loaded through its ``pytest11``
entry point; with ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` set, add
``pytest_plugins = ["vadapt.testing"]`` to the top-level conftest (pytest refuses it
in a nested conftest like this one).
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

# the helpers module sits next to this file; --import-mode=importlib does not put it on sys.path
sys.path.insert(0, str(Path(__file__).parent))

from recsys_testdata import MOVIES, interactions, write_atomic, write_csv, write_ml100k


@pytest.fixture
def files() -> SimpleNamespace:
    """The writers (test modules cannot import conftest under importlib mode)."""
    return SimpleNamespace(
        interactions=interactions,
        ml100k=write_ml100k,
        atomic=write_atomic,
        csv=write_csv,
        movies=MOVIES,
    )


@pytest.fixture
def ml100k(tmp_path: Path) -> dict[str, str]:
    data, item = write_ml100k(tmp_path)
    return {"interactions": str(data), "items": str(item)}


@pytest.fixture
def atomic(tmp_path: Path) -> dict[str, str]:
    inter, item = write_atomic(tmp_path)
    return {"interactions": str(inter), "items": str(item)}
