"""``vadapt list-plugins`` / ``tasks`` / ``new-plugin`` run as subprocesses on fake plugins."""

from __future__ import annotations

import json

import pytest

BOOM = 'raise RuntimeError("licence server unreachable")\n'
NAMES = "alpha,beta,boom,typo"


@pytest.fixture
def site(plugin_site, good_source):
    plugin_site.add("alpha", good_source("alpha"), version="1.2.3")
    plugin_site.add("beta", good_source("beta"))
    plugin_site.add("boom", BOOM, header=False)
    plugin_site.add("typo", "@hookimpl\ndef evalute(task):\n    return None\n")
    return plugin_site


def test_list_plugins_table_lists_broken_plugins_with_their_error(site):
    out = site.run("list-plugins", VADAPT_LOAD_PLUGINS=NAMES)
    assert out.returncode == 0, out.stderr
    table, _, errors = out.stdout.partition("\n\n")
    header, rule, *lines = table.splitlines()
    assert header.split() == ["NAME", "DISTRIBUTION", "STATUS", "TASKS", "HOOKS"]
    assert set(rule) == {"─"} and len(rule) >= len(header)  # rich's simple box: one rule
    rows = {line.split()[0]: line for line in lines}
    assert {"alpha", "beta", "boom", "typo"} <= set(rows)  # + installed ones, disabled
    for col in ("DISTRIBUTION", "STATUS", "TASKS", "HOOKS"):  # aligned under the header
        at = header.index(col)
        assert all(r[at - 1] == " " and r[at] != " " for r in rows.values())
    assert "\x1b[" not in out.stdout  # piped: no colour codes
    assert all(line == line.rstrip() for line in out.stdout.splitlines())
    assert "vadapt-alpha 1.2.3" in rows["alpha"]
    assert rows["alpha"].split()[3:] == ["ok", "alpha/sentiment", "load_data,", "register_tasks"]
    assert rows["boom"].split()[3] == "broken"
    assert "boom (broken): failed to import 'vadapt_boom': RuntimeError: licence" in errors
    assert "typo (broken): implements unknown hook(s) evalute" in errors
    assert "vadapt.heads" not in out.stdout  # built-ins hidden without --all


def test_list_plugins_json_all_and_hook_filter(site):
    out = site.run("list-plugins", "--json", "--all", VADAPT_LOAD_PLUGINS=NAMES)
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["alpha"]["status"] == "ok" and rows["alpha"]["version"] == "1.2.3"
    assert rows["alpha"]["distribution"] == "vadapt-alpha"
    assert rows["alpha"]["tasks"] == ["alpha/sentiment"]
    assert rows["boom"]["status"] == "broken" and "licence" in rows["boom"]["error"]
    assert any(r["internal"] for r in rows.values())  # --all shows the built-in defaults
    keys = {"name", "status", "internal", "distribution", "version", "module", "error", "hooks"}
    assert all(keys | {"tasks"} == set(r) for r in rows.values())

    out = site.run("list-plugins", "--json", "--hook", "load_data", VADAPT_LOAD_PLUGINS=NAMES)
    assert sorted(r["name"] for r in json.loads(out.stdout)) == ["alpha", "beta"]


def test_tasks_table_and_json_show_data_options(site):
    out = site.run("tasks", "alpha", VADAPT_LOAD_PLUGINS=NAMES)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.startswith("alpha/sentiment  [plugin alpha]\n  Good or bad.\n")
    assert "modality text · head classification · backbone minilm · metric accuracy" in text
    assert "labels: neg, pos" in text
    options = [line for line in text.splitlines() if line.lstrip().startswith(("OPTION", "data."))]
    assert len(options) == 3
    assert all(line.startswith("  ") for line in options)  # indented under its task
    for col in ("TYPE", "DEFAULT", "DESCRIPTION"):  # aligned under the header
        at = options[0].index(col)
        assert all(line[at - 1] == " " and line[at] != " " for line in options[1:])
    assert "data.path" in text and "str | None" in text and "a JSONL file" in text
    assert "data.rows" in text and "default 12" in text and "how many rows" in text
    assert "beta/sentiment" not in text

    out = site.run("tasks", "--json", VADAPT_LOAD_PLUGINS=NAMES)
    assert out.returncode == 0, out.stderr
    tasks = {t["id"]: t for t in json.loads(out.stdout)}
    assert set(tasks) == {"alpha/sentiment", "beta/sentiment"}
    alpha = tasks["alpha/sentiment"]
    assert alpha["plugin"] == "alpha" and alpha["labels"] == ["neg", "pos"]
    assert alpha["modality"] == "text" and alpha["head"] == "classification"
    assert alpha["default_backbone"] == "minilm" and alpha["metric"] == "accuracy"
    assert alpha["data_fields"] == [
        {
            "name": "path",
            "type": "str | None",
            "required": False,
            "default": None,
            "description": "a JSONL file",
        },
        {
            "name": "rows",
            "type": "int",
            "required": False,
            "default": 12,
            "description": "how many rows",
        },
    ]


def test_tasks_for_an_unknown_vertical_is_not_found(site):
    out = site.run("tasks", "gamma", VADAPT_LOAD_PLUGINS=NAMES)
    assert out.returncode == 9
    *warnings, error = out.stderr.strip().splitlines()
    assert error.startswith("error: no tasks for vertical 'gamma'; known verticals: alpha, beta")
    assert [w.split(" is broken")[0] for w in warnings] == [
        "warning: vadapt plugin 'boom' (vadapt-boom)",
        "warning: vadapt plugin 'typo' (vadapt-typo)",
    ]


def test_task_conflict_fails_tasks_but_list_plugins_still_works(plugin_site, good_source):
    plugin_site.add("alpha", good_source("alpha"))
    plugin_site.add("copycat", good_source("alpha"))
    out = plugin_site.run("tasks", VADAPT_LOAD_PLUGINS="alpha,copycat")
    assert out.returncode == 3
    assert len(out.stderr.strip().splitlines()) == 1
    assert "'alpha/sentiment' is claimed by two plugins" in out.stderr
    assert (
        "'alpha' (vadapt-alpha 0.1)" in out.stderr
        and "'copycat' (vadapt-copycat 0.1)" in out.stderr
    )
    out = plugin_site.run("list-plugins", VADAPT_LOAD_PLUGINS="alpha,copycat")
    assert out.returncode == 0
    assert "warning: task 'alpha/sentiment' is claimed by two plugins" in out.stderr


def test_no_tasks_when_load_list_is_empty(site):
    out = site.run("tasks", VADAPT_LOAD_PLUGINS="")
    assert out.returncode == 0 and out.stdout.startswith("no tasks")


def run_main(args, capsys):
    """The CLI in-process, for errors raised before any plugin is loaded."""
    from vadapt.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(args)
    out = capsys.readouterr()
    return exit_.value.code, out.out, out.err


def test_unknown_hook_filter_is_one_line_with_a_suggestion(capsys):
    code, _, err = run_main(["list-plugins", "--hook", "evalute"], capsys)
    assert code == 2
    assert err.strip().splitlines() == [
        "error: --hook 'evalute' is not a vadapt hook (did you mean 'evaluate'?) — fix: use one "
        "of register_tasks, register_backbones, load_data, build_head, augment, adversarial_step, "
        "evaluate, baselines, register_methods, robustness_perturbations"
    ]


def test_new_plugin_rejects_bad_names_and_existing_folders(tmp_path, capsys):
    code, _, err = run_main(["new-plugin", "Acme_Legal", "--dir", str(tmp_path)], capsys)
    assert code == 2
    assert err.startswith("error: plugin name 'Acme_Legal' is not valid")
    assert len(err.strip().splitlines()) == 1
    (tmp_path / "acme-legal").mkdir()
    code, _, err = run_main(["new-plugin", "acme-legal", "--dir", str(tmp_path)], capsys)
    assert code == 2
    assert "acme-legal already exists; new-plugin never overwrites" in err
    assert list((tmp_path / "acme-legal").iterdir()) == []


def test_new_plugin_prints_the_next_steps(tmp_path, capsys):
    from vadapt.cli import main

    main(["new-plugin", "acme-legal", "--dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert out.startswith(f"created {tmp_path / 'acme-legal'}\n")
    assert "pip install -e" in out and "vadapt list-plugins" in out
    assert (tmp_path / "acme-legal" / "pyproject.toml").is_file()
