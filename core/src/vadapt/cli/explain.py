"""``vadapt explain NAME@V --input FILE|-``: why an adapter decided, JSONL out.

Text adapters: integrated-gradients attributions per word; image adapters: Grad-CAM
heatmaps, drawn over each input as PNGs in ``--overlays``. ``--html`` writes a page of
either.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from vadapt_registry.errors import InvalidConfig


def explain_cmd(
    adapter: str = typer.Argument(..., help="NAME or NAME@VERSION"),
    input_: str = typer.Option(
        ...,
        "--input",
        "-i",
        help='JSONL of {"text": ...} (or {"image": "file.png"}) objects, or - for stdin',
    ),
    steps: int = typer.Option(32, "--steps", help="integration steps of integrated gradients"),
    internal_batch_size: int = typer.Option(
        32, "--internal-batch-size", help="integration points evaluated per forward pass"
    ),
    html: Path | None = typer.Option(
        None, "--html", help="also write an HTML view (words shaded, heatmaps drawn)"
    ),
    overlays: Path | None = typer.Option(
        None, "--overlays", help="image adapters: directory for the heatmap PNGs"
    ),
    registry: str | None = typer.Option(None, "--registry", help="registry root"),
) -> None:
    """Explain a stored adapter's predictions: per word, the integrated-gradients
    attribution to the predicted label (text); per image, its Grad-CAM heatmap."""
    from vadapt.cli.engine import read_inputs
    from vadapt.engine.load import load_adapter
    from vadapt.types import Modality

    rows = read_inputs(input_)
    lm = load_adapter(adapter, registry=registry)
    if lm.task.modality == Modality.IMAGE:
        _images(lm, rows, input_, html, overlays)
        return
    texts = [_field(row, "text", str, input_, i) for i, row in enumerate(rows, 1)]
    from vadapt.engine.explain import explain

    out = explain(
        lm.manifest.ref, texts, steps=steps, internal_batch_size=internal_batch_size, loaded=lm
    )
    for row in out:
        typer.echo(json.dumps(row, sort_keys=True))
    if html is not None:
        from vadapt.report.page import explanations_page

        html.write_text(explanations_page(lm.manifest.ref, out), encoding="utf-8")


def _field(row: Any, key: str, kind: type | tuple[type, ...], input_: str, i: int) -> Any:
    if not isinstance(row, dict) or not isinstance(row.get(key), kind):
        raise InvalidConfig(
            f"--input {input_} line {i}: expected an object with a {key!r} field",
            fix=f'one object per line, e.g. {{"{key}": "..."}}',
        )
    return row[key]


def _images(lm: Any, rows: list, input_: str, html: Path | None, overlays: Path | None) -> None:
    from vadapt.engine.gradcam import explain_images

    images = [_field(row, "image", (str, list), input_, i) for i, row in enumerate(rows, 1)]
    out = explain_images(lm.manifest.ref, images, loaded=lm)
    m = lm.manifest
    folder = overlays or Path(f"{m.name}-v{m.version}-overlays")
    folder.mkdir(parents=True, exist_ok=True)
    for i, row in enumerate(out):
        path = folder / f"{i:05d}.png"
        path.write_bytes(row["overlay"])
        record = {k: row[k] for k in ("label", "score", "layer")}
        record["map"] = [[round(float(v), 4) for v in r] for r in row["map"]]
        record["overlay"] = str(path)
        typer.echo(json.dumps(record, sort_keys=True))
    if html is not None:
        from vadapt.report.page import heatmaps_page

        html.write_text(heatmaps_page(m.ref, out), encoding="utf-8")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("explain")(explain_cmd)
