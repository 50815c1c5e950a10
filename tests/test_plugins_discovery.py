"""Discovery through real entry points: isolation, env lists, strict mode, conflicts.

Plugins are installed as fake distributions (dist-info + module) on a temporary
sys.path entry; the host finds them through importlib.metadata exactly as it
finds pip-installed ones.
"""

from __future__ import annotations

import shutil

import pytest
from vadapt import PluginError
from vadapt.hooks import Hooks
from vadapt.plugins import create_host

BOOM = 'raise RuntimeError("licence server unreachable")\n'

MISSPELT = """
@hookimpl
def register_task():
    return []
"""

BAD_ARGS = """
@hookimpl
def load_data(task, cfg):
    return None
"""


def test_plugin_raising_on_import_is_listed_broken_and_others_work(plugin_site, good_source):
    plugin_site.add("alpha", good_source("alpha"))
    plugin_site.add("boom", BOOM, header=False)
    host = create_host()
    boom, alpha = host.records["boom"], host.records["alpha"]
    assert boom.status == "broken"
    assert boom.distribution == "vadapt-boom" and boom.version == "0.1"
    assert "failed to import 'vadapt_boom'" in boom.error
    assert "RuntimeError: licence server unreachable" in boom.error
    assert alpha.status == "ok" and set(alpha.hooks) == {"register_tasks", "load_data"}
    assert "alpha/sentiment" in Hooks(host).tasks()


def test_misspelt_hook_is_broken_naming_plugin_and_hook(plugin_site, good_source):
    plugin_site.add("typo", MISSPELT)
    plugin_site.add("alpha", good_source("alpha"))
    host = create_host()
    rec = host.records["typo"]
    assert rec.status == "broken"
    assert "unknown hook(s) register_task" in rec.error and "register_tasks" in rec.error
    assert host.pm.get_plugin("typo") is None  # not left half-registered
    assert host.records["alpha"].status == "ok"


def test_hookimpl_asking_for_an_unknown_argument_is_broken(plugin_site):
    plugin_site.add("badargs", BAD_ARGS)
    rec = create_host().records["badargs"]
    assert rec.status == "broken"
    assert "cfg" in rec.error and "load_data" in rec.error


def test_register_tasks_returning_wrong_type_breaks_only_that_plugin(plugin_site, good_source):
    plugin_site.add("wrongtype", '@hookimpl\ndef register_tasks():\n    return [{"id": "x/y"}]\n')
    plugin_site.add("alpha", good_source("alpha"))
    host = create_host()
    tasks = Hooks(host).tasks()
    assert "alpha/sentiment" in tasks
    rec = host.records["wrongtype"]
    assert rec.status == "broken"
    assert "'wrongtype' (vadapt-wrongtype 0.1)" in rec.error
    assert "'register_tasks' returned dict" in rec.error and "expected TaskSpec" in rec.error


def test_register_tasks_raising_inside_a_generator_is_named(plugin_site, good_source):
    source = (
        "@hookimpl\ndef register_tasks():\n"
        '    yield TaskSpec(id="Bad Id", modality="text", head="classification", description="")\n'
    )
    plugin_site.add("badid", source)
    plugin_site.add("alpha", good_source("alpha"))
    host = create_host()
    facade = Hooks(host)
    assert "alpha/sentiment" in facade.tasks()
    assert host.records["badid"].status == "broken"
    assert "raised in hook 'register_tasks'" in host.records["badid"].error
    with pytest.raises(Exception, match=r"broken plugins not loaded: badid"):
        facade.task("badid/task")


def test_wrong_return_type_is_plugin_error_naming_plugin_and_hook(plugin_site, good_source):
    source = good_source("alpha").replace(
        "return Splits(train=rows[:8], validation=rows[8:10], test=rows[10:])",
        'return {"train": rows}',
    )
    plugin_site.add("alpha", source)
    facade = Hooks(create_host())
    task = facade.task("alpha/sentiment")
    with pytest.raises(PluginError) as err:
        facade.load_data(task, task.data_model())
    msg = str(err.value)
    assert "plugin 'alpha' (vadapt-alpha 0.1) hook 'load_data' returned dict" in msg
    assert "expected vadapt.Splits" in msg and "fix:" in msg
    assert err.value.exit_code == 3


def test_two_plugins_claiming_one_task_is_an_error_naming_both(plugin_site, good_source):
    plugin_site.add("alpha", good_source("alpha"))
    plugin_site.add("copycat", good_source("alpha"))
    with pytest.raises(PluginError) as err:
        Hooks(create_host()).tasks()
    msg = str(err.value)
    assert "TaskSpec 'alpha/sentiment' is claimed by two plugins" in msg
    assert "'alpha' (vadapt-alpha 0.1)" in msg and "'copycat' (vadapt-copycat 0.1)" in msg


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"VADAPT_LOAD_PLUGINS": "alpha"}, {"alpha": "ok", "beta": "disabled", "boom": "disabled"}),
        (
            {"VADAPT_LOAD_PLUGINS": "vadapt_beta, boom"},
            {"alpha": "disabled", "beta": "ok", "boom": "broken"},
        ),
        (
            {"VADAPT_LOAD_PLUGINS": ""},
            {"alpha": "disabled", "beta": "disabled", "boom": "disabled"},
        ),
        (
            {"VADAPT_DISABLE_PLUGINS": "boom,Vadapt-Beta"},
            {"alpha": "ok", "beta": "disabled", "boom": "disabled"},
        ),
    ],
)
def test_allow_and_block_lists(plugin_site, good_source, monkeypatch, env, expected):
    plugin_site.add("alpha", good_source("alpha"))
    plugin_site.add("beta", good_source("beta"))
    plugin_site.add("boom", BOOM, header=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    host = create_host()
    assert {n: host.records[n].status for n in expected} == expected
    if "VADAPT_LOAD_PLUGINS" in env and env["VADAPT_LOAD_PLUGINS"] == "":
        # "" means no external plugin at all, the installed verticals included
        assert all(r.status == "disabled" for r in host.records.values() if not r.internal)
    for name, status in expected.items():
        if status == "disabled":
            assert "VADAPT_" in host.records[name].error  # says which variable disabled it


def test_strict_mode_makes_a_broken_plugin_fatal(plugin_site, good_source, monkeypatch):
    plugin_site.add("alpha", good_source("alpha"))
    plugin_site.add("boom", BOOM, header=False)
    monkeypatch.setenv("VADAPT_LOAD_PLUGINS", "alpha,boom")
    monkeypatch.setenv("VADAPT_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match=r"plugin 'boom' \(vadapt-boom\) is broken: failed"):
        create_host()


def test_strict_mode_cli_exit_code_is_3(plugin_site, good_source):
    plugin_site.add("alpha", good_source("alpha"))
    plugin_site.add("boom", BOOM, header=False)
    out = plugin_site.run(
        "list-plugins", VADAPT_LOAD_PLUGINS="alpha,boom", VADAPT_STRICT_PLUGINS="1"
    )
    assert out.returncode == 3, out.stderr
    lines = out.stderr.strip().splitlines()
    assert lines[-1].startswith("error: plugin 'boom' (vadapt-boom) is broken")
    assert "Traceback" not in out.stderr and out.stdout == ""


def test_same_distribution_twice_on_the_path_loads_once(
    plugin_site, good_source, monkeypatch, tmp_path
):
    plugin_site.add("alpha", good_source("alpha"))
    copy = tmp_path / "copy"
    shutil.copytree(plugin_site.root, copy)
    monkeypatch.syspath_prepend(str(copy))
    host = create_host()
    assert host.records["alpha"].status == "ok"
    assert list(Hooks(host).tasks()).count("alpha/sentiment") == 1


def test_entry_point_name_used_by_two_distributions_loads_the_first(
    plugin_site, good_source, monkeypatch, tmp_path, caplog
):
    plugin_site.add("alpha", good_source("alpha"))
    other = type(plugin_site)(tmp_path / "other")
    other.add("alpha", good_source("other"), module="other_alpha", dist="acme-alpha")
    monkeypatch.syspath_prepend(str(other.root))
    monkeypatch.setenv("VADAPT_LOAD_PLUGINS", "alpha")
    with caplog.at_level("WARNING", logger="vadapt.plugins"):
        host = create_host()
    assert host.records["alpha"].status == "ok"
    assert "is used by two distributions" in caplog.text
    assert "acme-alpha" in caplog.text and "vadapt-alpha" in caplog.text
