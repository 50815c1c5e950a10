"""``vadapt explain NAME@V --input FILE|-``: word attributions of a text adapter, JSONL out."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from vadapt_registry.errors import InvalidConfig


def explain_cmd(
    adapter: str = typer.Argument(..., help="NAME or NAME@VERSION"),
    input_: str = typer.Option(
        ..., "--input", "-i", help='JSONL of {"text": ...} objects, or - for stdin'
    ),
    steps: int = typer.Option(32, "--steps", help="integration steps of integrated gradients"),
    internal_batch_size: int = typer.Option(
        16, "--internal-batch-size", help="integration points evaluated per forward pass"
    ),
    html: Path | None = typer.Option(
        None, "--html", help="also write an HTML view (words shaded by attribution)"
    ),
    registry: str | None = typer.Option(None, "--registry", help="registry root"),
) -> None:
    """Explain a stored text adapter's predictions: per word, the integrated-gradients
    attribution to the predicted label (captum), with character offsets."""
    from vadapt.cli.engine import read_inputs
    from vadapt.engine.explain import explain

    rows = read_inputs(input_)
    texts = []
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise InvalidConfig(
                f"--input {input_} line {i}: expected an object with a 'text' string",
                fix='one object per line, e.g. {"text": "..."}',
            )
        texts.append(row["text"])
    out = explain(
        adapter, texts, steps=steps, internal_batch_size=internal_batch_size, registry=registry
    )
    for row in out:
        typer.echo(json.dumps(row, sort_keys=True))
    if html is not None:
        from vadapt.report.page import explanations_page

        html.write_text(explanations_page(adapter, out), encoding="utf-8")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("explain")(explain_cmd)
