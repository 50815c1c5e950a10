"""Shared fixtures for the core tests.

``plugin_site``: a temporary ``sys.path`` entry where tests "install" small plugins
as real distributions (a ``<name>-<version>.dist-info`` with METADATA and
entry_points.txt next to the module), so discovery goes through the same
``importlib.metadata`` entry points as a ``pip install``. ``site.run(...)`` runs
the ``vadapt`` CLI in a subprocess with that entry on PYTHONPATH.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

HEADER = "from vadapt import hookimpl, TaskSpec, Splits\n"

# Variables that would change plugin loading or output in the child processes.
_SCRUB = ("VADAPT_LOAD_PLUGINS", "VADAPT_DISABLE_PLUGINS", "VADAPT_STRICT_PLUGINS", "VADAPT_DEBUG")


class PluginSite:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def add(
        self,
        ep_name: str,
        source: str,
        *,
        module: str | None = None,
        dist: str | None = None,
        version: str = "0.1",
        header: bool = True,
    ) -> str:
        """Install ``source`` as module ``module`` of distribution ``dist``, entry point
        ``ep_name`` in group ``vadapt``. Returns the module name."""
        module = module or "vadapt_" + ep_name.replace("-", "_")
        dist = dist or "vadapt-" + ep_name
        (self.root / f"{module}.py").write_text(
            (HEADER if header else "") + textwrap.dedent(source)
        )
        info = self.root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n"
        )
        (info / "entry_points.txt").write_text(f"[vadapt]\n{ep_name} = {module}\n")
        return module

    def env(self, **overrides: str | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
        env["PYTHONPATH"] = os.pathsep.join(
            [str(self.root), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
        for key, value in overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def run(self, *args: str, **env: str | None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "vadapt", *args],
            capture_output=True,
            text=True,
            env=self.env(**env),
            timeout=120,
        )


@pytest.fixture
def plugin_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PluginSite]:
    """A fresh fake site-packages, also prepended to this process's ``sys.path``;
    modules imported from it are forgotten afterwards (names repeat across tests)."""
    site = PluginSite(tmp_path / "site")
    monkeypatch.syspath_prepend(str(site.root))
    for var in _SCRUB:
        monkeypatch.delenv(var, raising=False)
    yield site
    for name, mod in list(sys.modules.items()):
        if str(getattr(mod, "__file__", "") or "").startswith(str(site.root)):
            del sys.modules[name]


GOOD = '''
from pydantic import BaseModel, ConfigDict, Field

class Data(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str | None = Field(None, description="a JSONL file")
    rows: int = Field(12, description="how many rows")

@hookimpl
def register_tasks():
    yield TaskSpec(id="{v}/sentiment", modality="text", head="classification",
                   labels=("neg", "pos"), description="Good or bad.", data_model=Data)

@hookimpl
def load_data(task, config):
    if task.vertical != "{v}":
        return None
    rows = [{{"text": f"t{{i}}", "label": ("neg", "pos")[i % 2]}} for i in range(config.rows)]
    return Splits(train=rows[:8], validation=rows[8:10], test=rows[10:])
'''


def good_plugin(vertical: str) -> str:
    """Source of a healthy plugin owning ``<vertical>/sentiment``."""
    return GOOD.format(v=vertical)


@pytest.fixture
def good_source():
    return good_plugin
