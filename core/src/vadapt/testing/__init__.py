"""The plugin-author kit: a pytest plugin and the :class:`PluginContract` base class.

vadapt registers this module with pytest (entry point ``pytest11``), so its
fixtures are available in any test run where vadapt is installed. Where plugin
autoloading is off (``PYTEST_DISABLE_PLUGIN_AUTOLOAD``), name it in your
top-level ``conftest.py``::

    pytest_plugins = ["vadapt.testing"]

Fixtures:

- ``plugin_under_test``: the plugin object the test class names in ``plugin``
  (override it in a conftest to choose another), or None.
- ``plugin_host``: a fresh :class:`vadapt.plugins.PluginHost` with the built-in
  defaults and only the plugin under test (installed entry points are not
  loaded); it is also the process-wide host for the test's duration.
- ``hooks``: the typed facade :class:`vadapt.hooks.Hooks` over ``plugin_host``.
- ``registry_root``: an empty temporary folder, set as ``VADAPT_HOME``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vadapt import plugins as _plugins
from vadapt.hooks import Hooks
from vadapt.plugins import PluginHost, create_host
from vadapt.testing.checks import plugin_name
from vadapt.testing.contract import PluginContract

__all__ = ["PluginContract", "hooks", "plugin_host", "plugin_under_test", "registry_root"]


@pytest.fixture
def plugin_under_test(request: pytest.FixtureRequest) -> Any:
    return getattr(request.cls, "plugin", None) if request.cls is not None else None


@pytest.fixture
def plugin_host(plugin_under_test: Any) -> Iterator[PluginHost]:
    host = create_host(load_entrypoints=False)
    if plugin_under_test is not None:
        name = plugin_name(plugin_under_test)
        rec = host.register(plugin_under_test, name)
        if rec.status != "ok":
            pytest.fail(f"plugin {name!r} did not register: {rec.error}")
    previous = _plugins._HOST
    _plugins.reset_host(host)
    try:
        yield host
    finally:
        _plugins.reset_host(previous)


@pytest.fixture
def hooks(plugin_host: PluginHost) -> Hooks:
    return Hooks(plugin_host)


@pytest.fixture
def registry_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "vadapt-home"
    root.mkdir()
    monkeypatch.setenv("VADAPT_HOME", str(root))
    return root
