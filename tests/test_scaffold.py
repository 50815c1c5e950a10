"""``vadapt new-plugin`` generates a package that installs, passes its own tests and shows up.

The package is pip-installed into a temporary ``--target`` folder (never into the
shared environment) and used through PYTHONPATH, as a real install would be.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from vadapt import InvalidConfig
from vadapt.scaffold import check_name, create_plugin


def test_generated_plugin_installs_passes_its_tests_and_is_listed(plugin_site, tmp_path):
    target = create_plugin("acme-legal", tmp_path / "work")
    files = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert files == [
        "README.md",
        "pyproject.toml",
        "src/vadapt_acme_legal/__init__.py",
        "src/vadapt_acme_legal/data.py",
        "src/vadapt_acme_legal/example_data/clauses.jsonl",
        "src/vadapt_acme_legal/metrics.py",
        "src/vadapt_acme_legal/rules.py",
        "tests/test_contract.py",
        "tests/test_data.py",
    ]
    for path in target.rglob("*"):
        if path.is_file():
            assert "__MODULE__" not in path.read_text() and "__PLUGIN__" not in path.read_text()

    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(plugin_site.root), str(target)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stderr
    env = plugin_site.env(VADAPT_LOAD_PLUGINS="acme-legal")

    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"],
        cwd=target, capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert "passed" in tests.stdout and "failed" not in tests.stdout

    listed = plugin_site.run("list-plugins", "--json", VADAPT_LOAD_PLUGINS="acme-legal")
    (row,) = [r for r in json.loads(listed.stdout) if r["name"] == "acme-legal"]
    assert row["status"] == "ok" and row["distribution"] == "vadapt-acme-legal"
    assert row["version"] == "0.1.0" and row["tasks"] == ["acme-legal/clause-type"]
    assert row["hooks"] == ["baselines", "evaluate", "load_data", "register_tasks"]

    shown = plugin_site.run("tasks", "acme-legal", VADAPT_LOAD_PLUGINS="acme-legal")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("acme-legal/clause-type  [plugin acme-legal]")
    assert "data.path" in shown.stdout and "macro_f1" in shown.stdout


@pytest.mark.parametrize(
    "name",
    ["Acme", "acme_legal", "-acme", "acme-", "acme--legal", "9lives", "", "vadapt-x", "a" * 41],
)
def test_invalid_names_are_refused(name):
    with pytest.raises(InvalidConfig, match="plugin name"):
        check_name(name)


def test_never_overwrites(tmp_path):
    create_plugin("acme", tmp_path)
    before = (tmp_path / "acme" / "README.md").read_text()
    with pytest.raises(InvalidConfig, match="already exists"):
        create_plugin("acme", tmp_path)
    assert (tmp_path / "acme" / "README.md").read_text() == before
