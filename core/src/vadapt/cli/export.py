"""``vadapt export NAME@V --format onnx``: one ONNX file, its parity measured and recorded."""

from __future__ import annotations

from pathlib import Path

import typer
from vadapt_registry.errors import InvalidConfig


def export_cmd(
    adapter: str = typer.Argument(..., help="NAME or NAME@VERSION"),
    format_: str = typer.Option("onnx", "--format", help="onnx"),
    out: Path | None = typer.Option(None, "--out", "-o", help="the file (default NAME-vV.onnx)"),
    registry: str | None = typer.Option(None, "--registry", help="registry root"),
) -> None:
    """Export a stored text adapter to ONNX (run by onnxruntime), with a parity check on
    its test split recorded as the adapter's onnx attachment."""
    if format_ != "onnx":
        raise InvalidConfig(f"--format {format_!r}: only onnx is built", fix="--format onnx")
    from vadapt_registry import Registry

    from vadapt.engine.export import export_onnx

    m = Registry(registry).get(adapter)
    target = out or Path(f"{m.name}-v{m.version}.onnx")
    report = export_onnx(m.ref, target, registry=registry)
    typer.echo(f"{m.ref} -> {target} ({report['size_bytes']:,} bytes, opset {report['opset']})")
    for peer, key in (("vadapt predict", "vs_predict"), ("torch fp32", "vs_torch_fp32")):
        parts = ", ".join(f"{k} {v:.4g}" for k, v in report[key].items())
        typer.echo(f"  parity vs {peer} on {report['test_examples']} test inputs: {parts}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("export")(export_cmd)
