"""CLI: ``vadapt registry list|show|verify|rm|gc|reindex|export|import|lineage``.

Imports only typer, json and vadapt_registry, never torch or peft, so listing,
verifying and moving adapters stays fast. Errors are raised as `VadaptError`s; the
root CLI turns them into one line and the exit code of their class.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from vadapt_registry.errors import CorruptAdapter, InvalidConfig

from vadapt.cli.tables import echo, echo_table, nbytes

if TYPE_CHECKING:  # the registry (numpy, pydantic models) loads only when a command runs
    from vadapt_registry import Registry
    from vadapt_registry.registry import AdapterSummary


def _open(root: Path | None) -> Registry:
    from vadapt_registry import Registry

    return Registry(root)


app = typer.Typer(
    name="registry",
    help="List, show, verify, export and import stored adapters.",
    no_args_is_help=True,
)

RegistryOpt = Annotated[
    Path | None,
    typer.Option(
        "--registry",
        envvar="VADAPT_HOME",
        show_envvar=True,
        help="Registry root (default: $VADAPT_HOME, else the user data dir).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
RefArg = Annotated[str, typer.Argument(help="NAME (latest version) or NAME@VERSION.")]


def _echo_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))


def _version(v: str) -> int | str:
    return int(v) if v.isdigit() else v


def _summary_json(s: AdapterSummary) -> dict[str, Any]:
    return {
        "ref": s.ref,
        "name": s.name,
        "version": _version(s.version),
        "vertical": s.vertical,
        "task": s.task,
        "method": s.method,
        "backbone": s.backbone,
        "created": s.created,
        "size": s.size,
        "parent": s.parent,
    }


@app.command("list")
def list_(
    vertical: Annotated[str | None, typer.Option(help="Only this vertical.")] = None,
    task: Annotated[str | None, typer.Option(help="Only this task id (vertical/task).")] = None,
    backbone: Annotated[str | None, typer.Option(help="Only adapters of this backbone.")] = None,
    name: Annotated[str | None, typer.Option(help="Only versions of this adapter.")] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Only adapters tagged key=value (repeat).")
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option("--where", help="Only where a stored metric holds: 'test.accuracy>0.8'."),
    ] = None,
    as_json: JsonOpt = False,
    registry: RegistryOpt = None,
) -> None:
    """List stored adapters (from the index; fast), filtered by tags and stored metrics."""
    reg = _open(registry)
    rows = reg.summaries(vertical=vertical, task=task, backbone=backbone, name=name)
    if tag or where:
        rows = _filtered(reg, rows, tag or [], where or [])
    if as_json:
        _echo_json([_summary_json(s) for s in rows])
        return
    if not rows:
        typer.echo("no adapters")
        return
    echo_table(
        ["NAME", "VERSION", "VERTICAL", "TASK", "METHOD", "BACKBONE", "SIZE", "CREATED"],
        [
            [
                s.name,
                s.version,
                s.vertical,
                s.task,
                s.method,
                s.backbone,
                nbytes(s.size),
                s.created[:19] + "Z",
            ]
            for s in rows
        ],
        right=[1, 6],
    )


def _filtered(reg: Any, rows: list, tags: list[str], where: list[str]) -> list:
    """The summaries whose version carries every tag and whose metrics meet ``where``
    (each name's tags read once; the metrics from one pass over the index)."""
    from vadapt_registry.tags import matches, parse_pair, parse_where

    wanted = dict(parse_pair(t) for t in tags)
    conditions = parse_where(where)
    tagged = {name: reg.tags(name) for name in {s.name for s in rows}} if wanted else {}
    metrics = (
        {
            (n, str(v)): json.loads(j)["metrics"]
            for n, v, j in reg._select("name, version, manifest_json")
        }
        if conditions
        else {}
    )
    out = []
    for s in rows:
        have = tagged.get(s.name, {}).get(str(s.version), {})
        if any(have.get(k) != v for k, v in wanted.items()):
            continue
        if conditions and not matches(metrics.get((s.name, str(s.version)), {}), conditions):
            continue
        out.append(s)
    return out


@app.command()
def tag(
    ref: Annotated[str, typer.Argument(help="NAME@VERSION to tag.")],
    pairs: Annotated[list[str] | None, typer.Argument(help="key=value tags to set.")] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", help="Tag keys to remove (repeat).")
    ] = None,
    registry: RegistryOpt = None,
) -> None:
    """Set or remove key=value tags of a version (`list --tag key=value` finds them)."""
    from vadapt_registry.tags import parse_pair

    if not pairs and not remove:
        raise InvalidConfig("say which tags to set or remove", fix=f"vadapt registry tag {ref} k=v")
    now = _open(registry).tag(ref, dict(parse_pair(p) for p in pairs or []), remove or [])
    shown = ", ".join(f"{k}={v}" for k, v in sorted(now.items())) or "no tags"
    typer.echo(f"{ref}: {shown}")


@app.command()
def show(ref: RefArg, as_json: JsonOpt = False, registry: RegistryOpt = None) -> None:
    """Show one adapter's manifest."""
    reg = _open(registry)
    m = reg.get(ref)
    if as_json:
        typer.echo(m.to_json(), nl=False)
    else:
        from vadapt.cli.card import card

        try:
            attached = reg.attachments(m.ref)
        except CorruptAdapter as exc:  # an unreadable record must not hide the card
            typer.echo(f"warning: {exc.message}", err=True)
            attached = []
        named = sorted(a for a, e in reg.aliases(m.name).items() if str(e["to"]) == str(m.version))
        tags = reg.tags(m.name).get(str(m.version), {})
        extra = [["aliases", ", ".join(f"{m.name}@{a}" for a in named)]] if named else []
        extra += [["tags", ", ".join(f"{k}={v}" for k, v in sorted(tags.items()))]] if tags else []
        echo(card(m, attached, extra))


@app.command()
def verify(
    ref: Annotated[str | None, typer.Argument(help="One adapter; default: everything.")] = None,
    as_json: JsonOpt = False,
    registry: RegistryOpt = None,
) -> None:
    """Check every manifest, blob hash, safetensors header and the index."""
    reg = _open(registry)
    problems = reg.verify(ref)
    checked = 1 if ref else len(reg.summaries())
    if as_json:
        _echo_json(
            {
                "ok": not problems,
                "checked": checked,
                "problems": [
                    {"ref": p.ref, "file": p.file, "problem": p.problem} for p in problems
                ],
            }
        )
    else:
        for p in problems:
            typer.echo(f"FAIL {p}")
        if not problems:
            typer.echo(f"ok: {checked} adapter(s) verified in {reg.root}")
    if problems:
        refs = sorted({p.ref for p in problems})
        raise CorruptAdapter(
            f"{len(problems)} problem(s) in {', '.join(refs)}",
            fix="re-import or `vadapt registry rm` the named adapters; "
            "`reindex` fixes index problems",
        )


@app.command("rm")
def rm(
    ref: Annotated[str, typer.Argument(help="NAME@VERSION (or NAME with --all).")],
    all_versions: Annotated[
        bool, typer.Option("--all", help="Remove every version of NAME.")
    ] = False,
    registry: RegistryOpt = None,
) -> None:
    """Remove an adapter version; `gc` then frees blobs nothing references."""
    removed = _open(registry).remove(ref, all_versions=all_versions)
    for m in removed:
        typer.echo(f"removed {m.ref}")
    typer.echo("run `vadapt registry gc` to free unreferenced blobs")


@app.command()
def gc(as_json: JsonOpt = False, registry: RegistryOpt = None) -> None:
    """Delete unreferenced blobs and temp files left by interrupted saves."""
    r = _open(registry).gc()
    if as_json:
        _echo_json(
            {
                "removed_blobs": r.removed_blobs,
                "freed_bytes": r.freed_bytes,
                "removed_temp": r.removed_temp,
                "kept_blobs": r.kept_blobs,
                "recovered": r.recovered,
            }
        )
    else:
        typer.echo(
            f"removed {r.removed_blobs} blob(s) ({nbytes(r.freed_bytes)}) "
            f"and {r.removed_temp} temp file(s); "
            f"kept {r.kept_blobs} blob(s)"
        )


@app.command()
def reindex(registry: RegistryOpt = None) -> None:
    """Rebuild index.sqlite from the manifests on disk."""
    reg = _open(registry)
    n = reg.reindex()
    typer.echo(f"indexed {n} adapter(s) in {reg.root}")


@app.command()
def export(
    ref: RefArg,
    file: Annotated[
        Path, typer.Argument(help="Archive file (tar) or, with --format hf, a directory.")
    ],
    format_: Annotated[
        str, typer.Option("--format", help="tar (a vadapt archive) or hf (a Hub-ready directory).")
    ] = "tar",
    registry: RegistryOpt = None,
) -> None:
    """Export one verified adapter: a single archive file, or a directory with a model card
    ready for `huggingface-cli upload`."""
    reg = _open(registry)
    if format_ == "hf":
        from vadapt.hf_export import export_hf

        path = export_hf(ref, file, registry=reg)
    elif format_ == "tar":
        path = reg.export(ref, file)
    else:
        raise InvalidConfig(f"--format {format_!r}: expected tar or hf", fix="--format hf")
    typer.echo(f"exported {reg.get(ref).ref} to {path}")


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="Archive written by `vadapt registry export`.")],
    as_json: JsonOpt = False,
    registry: RegistryOpt = None,
) -> None:
    """Import an adapter archive, verifying every file."""
    m = _open(registry).import_(file)
    if as_json:
        typer.echo(m.to_json(), nl=False)
    else:
        typer.echo(f"imported {m.ref}")


@app.command()
def lineage(ref: RefArg, as_json: JsonOpt = False, registry: RegistryOpt = None) -> None:
    """Show an adapter and the chain of adapters it was trained from."""
    chain = _open(registry).lineage(ref)
    if as_json:
        _echo_json(
            [
                {
                    "ref": m.ref,
                    "task": m.task,
                    "method": m.method.name,
                    "created": m.created,
                    "parent": m.parent,
                }
                for m in chain
            ]
        )
        return
    echo_table(
        ["REF", "TASK", "METHOD", "CREATED", "PARENT"],
        [
            [("  " * i) + m.ref, m.task, m.method.name, m.created[:19] + "Z", m.parent or "-"]
            for i, m in enumerate(chain)
        ],
    )
    last = chain[-1]
    if last.parent:
        typer.echo(f"(parent {last.parent} is no longer stored)")


@app.command()
def alias(
    ref: Annotated[str, typer.Argument(help="NAME@VERSION the alias should name.")],
    name: Annotated[str, typer.Argument(help="The alias, e.g. champion or staging.")],
    protect: Annotated[
        bool | None,
        typer.Option("--protect/--unprotect", help="Moving a protected alias needs --force."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Move a protected alias.")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept in history).")] = None,
    registry: RegistryOpt = None,
) -> None:
    """Point NAME@ALIAS at a version; every move is kept (`vadapt registry history`)."""
    entry = _open(registry).alias(ref, name, force=force, reason=reason, protect=protect)
    adapter = ref.partition("@")[0]
    was = f" (was @{entry['from']})" if entry["from"] is not None else ""
    lock = ", protected" if entry["protected"] else ""
    typer.echo(f"{adapter}@{name} -> {adapter}@{entry['to']}{was}{lock}")


@app.command()
def history(
    name: Annotated[str, typer.Argument(help="Adapter NAME.")],
    as_json: JsonOpt = False,
    registry: RegistryOpt = None,
) -> None:
    """Every alias move of NAME: when, which alias, from and to, who, why."""
    moves = _open(registry).alias_history(name)
    if as_json:
        _echo_json(moves)
        return
    if not moves:
        typer.echo(f"{name}: no alias has been set")
        return
    echo_table(
        ["WHEN", "ALIAS", "FROM", "TO", "BY", "PROTECTED", "REASON"],
        [
            [
                str(e["at"])[:19] + "Z", e["alias"], "-" if e["from"] is None else str(e["from"]),
                str(e["to"]), str(e.get("by", "")), "yes" if e.get("protected") else "",
                str(e.get("reason") or ""),
            ]
            for e in moves
        ],
    )  # fmt: skip


@app.command()
def promote(
    ref: Annotated[str, typer.Argument(help="NAME@VERSION to promote.")],
    to: Annotated[str, typer.Option("--to", help="The alias, e.g. production.")],
    gates: Annotated[
        Path | None, typer.Option("--gates", help="YAML of gates (default: beat majority).")
    ] = None,
    protect: Annotated[bool, typer.Option("--protect/--no-protect")] = True,
    force: Annotated[bool, typer.Option("--force", help="Move a protected alias.")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept in history).")] = None,
    registry: RegistryOpt = None,
) -> None:
    """Move ALIAS to a version if it passes the gates; refused in one line naming the
    failing gate and its numbers. The gates it passed go into the alias history."""
    from vadapt_registry.errors import GateFailed

    from vadapt.gates import check_all, load_gates

    reg = _open(registry)
    m = reg.get(ref)
    results = check_all(m, load_gates(gates), reg)
    failed = [r for r in results if not r.passed]
    if failed:
        f = failed[0]
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        raise GateFailed(
            f"promoting {m.ref} to {to} refused: gate '{f.gate}' fails ({f.detail}){more}",
            fix="improve the adapter, or change the gates file if the gate is wrong",
        )
    entry = reg.alias(
        m.ref, to, force=force, reason=reason, protect=protect,
        gates=[r.as_dict() for r in results],
    )  # fmt: skip
    typer.echo(f"{m.name}@{to} -> {m.ref} ({len(results)} gate(s) passed)")
    for r in results:
        typer.echo(f"  passed: {r.gate} ({r.detail})")
    if entry["from"] is not None:
        typer.echo(f"  was {m.name}@{entry['from']}")


def _relation(a: Any, b: Any, reg: Any) -> str:
    """How two adapters are related in lineage."""
    up_a = [m.ref for m in reg.lineage(a.ref)]
    up_b = [m.ref for m in reg.lineage(b.ref)]
    if b.ref in up_a:
        return f"{b.ref} is an ancestor of {a.ref} ({up_a.index(b.ref)} generation(s) up)"
    if a.ref in up_b:
        return f"{a.ref} is an ancestor of {b.ref} ({up_b.index(a.ref)} generation(s) up)"
    common = next((r for r in up_a if r in up_b), None)
    return f"both descend from {common}" if common else "unrelated (no common ancestor stored)"


@app.command()
def compare(
    a: Annotated[str, typer.Argument(help="NAME@VERSION")],
    b: Annotated[str, typer.Argument(help="NAME@VERSION")],
    as_json: JsonOpt = False,
    registry: RegistryOpt = None,
) -> None:
    """Two adapters side by side: stored metrics with differences, the options that
    differ, and how they are related in lineage."""
    from vadapt.cli.card import config_diff

    reg = _open(registry)
    ma, mb = reg.get(a), reg.get(b)
    metrics = []
    for split in ("test", "validation"):
        va, vb = getattr(ma.metrics, split), getattr(mb.metrics, split)
        for k in sorted(set(va) | set(vb)):
            if k.startswith(("class.", "label.")):
                continue
            x, y = va.get(k), vb.get(k)
            d = x - y if isinstance(x, (int, float)) and isinstance(y, (int, float)) else None
            metrics.append({"metric": f"{split}.{k}", "a": x, "b": y, "difference": d})
    out = {
        "a": ma.ref,
        "b": mb.ref,
        "tasks": [ma.task, mb.task],
        "metrics": metrics,
        "options": [{"option": o, "a": x, "b": y} for o, x, y in config_diff(ma, mb)],
        "lineage": _relation(ma, mb, reg),
        "interval": "none: per-example predictions are not stored, so no paired bootstrap",
    }
    if as_json:
        _echo_json(out)
        return
    num = lambda v: "-" if v is None else f"{v:.4f}"  # noqa: E731
    sign = lambda v: "-" if v is None else f"{v:+.4f}"  # noqa: E731
    typer.echo(f"{ma.ref} ({ma.task}) vs {mb.ref} ({mb.task})")
    echo_table(
        ["METRIC", ma.ref, mb.ref, "A - B"],
        [[r["metric"], num(r["a"]), num(r["b"]), sign(r["difference"])] for r in metrics],
        right=[1, 2, 3],
    )
    if out["options"]:
        echo_table(
            ["OPTION", ma.ref, mb.ref], [[o["option"], o["a"], o["b"]] for o in out["options"]]
        )
    else:
        typer.echo("same options")
    typer.echo(f"lineage: {out['lineage']}")
    typer.echo(f"interval: {out['interval']}")
