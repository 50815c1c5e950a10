"""CLI: ``vadapt list-plugins``, ``vadapt tasks``, ``vadapt new-plugin``.

These run on every machine, including ones where only the registry matters, so
they import nothing heavy: the plugin host and the facade, never torch. Broken
plugins are shown, never fatal (unless ``VADAPT_STRICT_PLUGINS=1``).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from vadapt.cli.tables import echo_table, render, table

if TYPE_CHECKING:
    from vadapt.hooks import Hooks
    from vadapt.types import TaskSpec


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("list-plugins")(list_plugins)
    app.command("tasks")(tasks)
    app.command("new-plugin")(new_plugin)


def _hooks() -> Hooks:
    from vadapt.hooks import Hooks
    from vadapt.plugins import get_host

    return Hooks(get_host())


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


def list_plugins(
    all_: bool = typer.Option(False, "--all", help="Include vadapt's built-in default plugins."),
    hook: str | None = typer.Option(None, "--hook", help="Only plugins implementing this hook."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List installed plugins: version, status (ok/broken/disabled), tasks and hooks."""
    _check_hook(hook)
    # The table shows broken plugins; the host's warning lines would repeat them.
    logging.getLogger("vadapt.plugins").setLevel(logging.ERROR)
    facade = _hooks()
    by_plugin = facade.tasks_by_plugin()  # may take plugins whose register_tasks fails out
    records = [
        r
        for r in sorted(facade.host.records.values(), key=lambda r: (r.internal, r.name))
        if (all_ or not r.internal) and (hook is None or hook in r.hooks)
    ]
    rows = []
    for rec in records:
        entry = rec.as_dict()
        entry["tasks"] = [t.id for t in by_plugin.get(rec.name, [])]
        rows.append(entry)
    for claim in _conflicts(facade, by_plugin):
        typer.echo(f"warning: {claim}", err=True)
    if as_json:
        typer.echo(_dumps(rows))
    elif not rows:
        typer.echo(
            "no plugins installed"
            + (f" implementing {hook}" if hook else "")
            + " (pip install a vadapt plugin, or create one with `vadapt new-plugin NAME`)"
        )
    else:
        _print_plugins(rows)


def _check_hook(hook: str | None) -> None:
    from vadapt_registry.errors import InvalidConfig

    from vadapt.hookspecs import HOOK_NAMES

    if hook is not None and hook not in HOOK_NAMES:
        import difflib

        close = difflib.get_close_matches(hook, HOOK_NAMES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InvalidConfig(
            f"--hook {hook!r} is not a vadapt hook{hint}", fix=f"use one of {', '.join(HOOK_NAMES)}"
        )


def _print_plugins(rows: list[dict[str, Any]]) -> None:
    """The plugins table, then one line per plugin that is not ok."""
    echo_table(
        ["NAME", "DISTRIBUTION", "STATUS", "TASKS", "HOOKS"],
        [
            [
                r["name"],
                f"{r['distribution']} {r['version']}" if r["distribution"] else "(built-in)",
                r["status"],
                ", ".join(r["tasks"]) or "-",
                ", ".join(r["hooks"]) or "-",
            ]
            for r in rows
        ],
    )
    problems = [r for r in rows if r["status"] != "ok"]
    if problems:
        typer.echo("")
        for r in problems:
            typer.echo(f"{r['name']} ({r['status']}): {r['error']}")


def _conflicts(facade: Hooks, by_plugin: dict[str, list[TaskSpec]]) -> list[str]:
    owner: dict[str, str] = {}
    out = []
    for plugin, specs in by_plugin.items():
        for spec in specs:
            if spec.id in owner:
                out.append(
                    f"task {spec.id!r} is claimed by two plugins: "
                    f"{facade.host.describe(owner[spec.id])} and {facade.host.describe(plugin)}"
                )
            owner.setdefault(spec.id, plugin)
    return out


def tasks(
    vertical: str | None = typer.Argument(None, help="Only this vertical's (or plugin's) tasks."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """List the tasks of the installed plugins and the data options each one takes."""
    from vadapt_registry.errors import NotFound

    facade = _hooks()
    owned = facade.owned_tasks()  # a task claimed twice is a PluginError naming both
    items = [
        (o.plugin, o.value)
        for _, o in sorted(owned.items())
        if vertical is None or vertical in (o.value.vertical, o.plugin)
    ]
    if vertical is not None and not items:
        known = sorted({o.value.vertical for o in owned.values()})
        raise NotFound(
            f"no tasks for vertical {vertical!r}; known verticals: {', '.join(known) or 'none'}",
            fix="run `vadapt list-plugins` to see installed (and broken) plugins",
        )
    described = [describe_task(spec, plugin) for plugin, spec in items]
    if as_json:
        typer.echo(_dumps(described))
        return
    if not described:
        typer.echo("no tasks: no healthy plugin registers any (see `vadapt list-plugins`)")
        return
    typer.echo("\n\n".join(_task_text(d) for d in described))


def describe_task(spec: TaskSpec, plugin: str) -> dict[str, Any]:
    """Everything a user needs to configure ``spec``, as plain JSON-able data."""
    return {
        "id": spec.id,
        "plugin": plugin,
        "vertical": spec.vertical,
        "description": spec.description,
        "modality": str(spec.modality),
        "head": str(spec.head),
        "labels": list(spec.labels),
        "label_descriptions": dict(spec.label_descriptions),
        "prompt": spec.prompt,
        "label_words": {lab: spec.word(lab) for lab in spec.labels},
        "default_backbone": spec.default_backbone,
        "metric": spec.metric,
        "metric_mode": spec.metric_mode,
        "data_model": spec.data_model.__name__,
        "data_fields": data_fields(spec.data_model),
        "streams": {
            name: {
                "kind": st.kind,
                "description": st.description,
                "experiences": [
                    {"name": e.name, "data": dict(e.data), "labels": list(e.labels)}
                    for e in st.experiences
                ],
            }
            for name, st in spec.streams.items()
        },
    }


def data_fields(model: type) -> list[dict[str, Any]]:
    """Name, type, default, required and description of each field of a pydantic model."""
    fields = []
    for name, info in model.model_fields.items():  # type: ignore[attr-defined]
        required = info.is_required()
        default = None if required else info.get_default(call_default_factory=True)
        fields.append(
            {
                "name": name,
                "type": _type_name(info.annotation),
                "required": required,
                "default": json.loads(json.dumps(default, default=str)),
                "description": info.description or "",
            }
        )
    return fields


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type) and not getattr(annotation, "__args__", None):
        return annotation.__name__
    text = str(annotation)
    for noise in ("typing.", "pathlib.", "<class '", "'>"):
        text = text.replace(noise, "")
    return text.replace("NoneType", "None")


def _task_text(d: dict[str, Any]) -> str:
    labels = ", ".join(d["labels"]) if d["labels"] else "(from the data)"
    lines = [
        f"{d['id']}  [plugin {d['plugin']}]",
        f"  {d['description']}",
        f"  modality {d['modality']} · head {d['head']} · backbone {d['default_backbone']}"
        f" · metric {d['metric']} ({d['metric_mode']})",
        f"  labels: {labels}",
    ]
    if d["data_fields"]:
        rows = [
            [
                f"data.{f['name']}",
                f["type"],
                "required" if f["required"] else _default_text(f["default"]),
                f["description"],
            ]
            for f in d["data_fields"]
        ]
        lines.append(render(table(["OPTION", "TYPE", "DEFAULT", "DESCRIPTION"], rows), "  "))
    else:
        lines.append("  data: no options")
    for name, st in d["streams"].items():
        order = " → ".join(e["name"] for e in st["experiences"])
        lines.append(f"  stream {name} ({st['kind']}): {order}  [vadapt continual --stream {name}]")
    return "\n".join(lines)


def _default_text(value: Any) -> str:
    return "default none" if value is None else f"default {json.dumps(value)}"


def new_plugin(
    name: str = typer.Argument(..., help="Plugin (vertical) name, e.g. acme-legal."),
    directory: Path = typer.Option(
        Path("."), "--dir", help="Folder to create the package in (default: here)."
    ),
) -> None:
    """Create a complete, pip-installable plugin package that passes its tests as generated."""
    from vadapt.scaffold import create_plugin

    target = create_plugin(name, directory)
    typer.echo(f"created {target}")
    typer.echo(
        "next:\n"
        f"  pip install -e {target}            # registers the plugin with vadapt\n"
        f"  pytest {target}/tests              # the contract tests pass as generated\n"
        "  vadapt list-plugins && vadapt tasks"
    )
