"""``vadapt compress NAME@V --merge``: a derived adapter, measured against its parent."""

from __future__ import annotations

import typer
from vadapt_registry.errors import InvalidConfig


def compress_cmd(
    adapter: str = typer.Argument(..., help="NAME or NAME@VERSION"),
    merge: bool = typer.Option(False, "--merge", help="fold a LoRA / IA3 adapter into its base"),
    quantize: str | None = typer.Option(None, "--quantize", help="int8 (not built yet)"),
    prune: float | None = typer.Option(None, "--prune", help="fraction (not built yet)"),
    distil: int | None = typer.Option(None, "--distil", help="student layers (not built yet)"),
    name: str | None = typer.Option(None, "--name", help="the derived adapter's name"),
    max_drop: float | None = typer.Option(
        None, "--max-drop", help="refuse it if it loses more points of the task's metric"
    ),
    registry: str | None = typer.Option(None, "--registry", help="registry root"),
) -> None:
    """Derive an adapter from a stored one (--merge: folded into its base): a new registry
    entry whose lineage names the parent and whose manifest records size, CPU latency and
    the quality difference on the parent's test split, measured here."""
    later = [
        o for o, v in (("--quantize", quantize), ("--prune", prune), ("--distil", distil)) if v
    ]
    if later:
        raise InvalidConfig(
            f"{', '.join(later)}: not built yet; vadapt compress derives merged adapters only",
            fix=f"vadapt compress {adapter} --merge",
        )
    if not merge:
        raise InvalidConfig("say how to compress", fix=f"vadapt compress {adapter} --merge")
    from vadapt.engine.compress import describe
    from vadapt.engine.compress import merge as merge_adapter

    m = merge_adapter(adapter, name=name, max_drop=max_drop, registry=registry)
    typer.echo(f"{m.ref}: {adapter} merged into its base")
    for line in describe(m.training["derived"]):
        typer.echo(f"  {line}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("compress")(compress_cmd)
