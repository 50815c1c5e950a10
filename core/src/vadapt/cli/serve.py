"""``vadapt serve-batch``: answer a JSONL file of requests to several adapters, in order.

Adapters share once-loaded base models (``vadapt.serving.AdapterPool``); a request that
fails (unknown adapter, corrupt files, wrong base, bad example) gets its own ``error``
line and the others are answered. torch and peft load only when the command runs.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import typer
from vadapt_registry.errors import InvalidConfig


def _read_lines(input_: str) -> list[str]:
    if input_ == "-":
        return sys.stdin.read().splitlines()
    p = Path(input_)
    if not p.is_file():
        raise InvalidConfig(
            f"--input {input_!r} does not exist",
            fix="pass a JSONL file of requests, or - for stdin",
        )
    return p.read_text(encoding="utf-8").splitlines()


def serve_batch_cmd(
    input_: str = typer.Option(
        ...,
        "--input",
        "-i",
        help='JSONL requests, one per line: {"adapter": "name[@version]", "example": {...}, '
        '"id": optional}; - for stdin',
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="write the JSONL answers here (default: stdout)"
    ),
    registry: str | None = typer.Option(None, "--registry", help="registry root"),
    backbone: str | None = typer.Option(
        None, "--backbone", help="serve only adapters of this backbone (name or HF directory)"
    ),
    max_resident: int = typer.Option(
        8, "--max-resident", help="adapters kept loaded at once (least recently used evicted)"
    ),
    batch_size: int = typer.Option(
        32, "--batch-size", help="consecutive requests to one adapter answered in one pass"
    ),
    threads: int | None = typer.Option(None, "--threads", help="torch threads"),
    stats: bool = typer.Option(True, "--stats/--no-stats", help="a summary line on stderr"),
    calibrated: bool = typer.Option(
        False,
        "--calibrated",
        help="classification scores tempered by each adapter's validation-fitted temperature",
    ),
) -> None:
    """Answer requests to several stored adapters in order: JSONL in, JSONL out.

    Each answer carries the prediction (label, scores) and the adapter's name@version,
    or an `error` for that request alone.
    """
    if batch_size < 1:
        raise InvalidConfig(f"--batch-size {batch_size}: expected >= 1")
    lines = _read_lines(input_)
    from vadapt.serving.batch import parse_request, serve_requests
    from vadapt.serving.pool import AdapterPool

    requests = [parse_request(t, i) for i, t in enumerate(lines, 1) if t.strip()]
    pool = AdapterPool(registry, backbone, max_resident, threads=threads, calibrated=calibrated)
    start = time.perf_counter()
    fh = open(output, "w", encoding="utf-8") if output else sys.stdout
    failed = 0
    try:
        for row in serve_requests(pool, requests, batch_size=batch_size):
            failed += "error" in row
            fh.write(json.dumps(row, sort_keys=True) + "\n")
    finally:
        if output:
            fh.close()
        else:
            fh.flush()
    if stats:
        s = pool.stats
        typer.echo(
            f"answered {len(requests) - failed} of {len(requests)} requests "
            f"({failed} failed) in {time.perf_counter() - start:.2f} s; "
            f"{s.loads} adapter loads, {s.evictions} evictions, {s.switches} switches, "
            f"{s.bases_loaded} base model(s) loaded, at most {s.max_resident_seen} resident",
            err=True,
        )


def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="address to bind (loopback unless told)"),
    port: int = typer.Option(8000, "--port", help="TCP port"),
    registry: str | None = typer.Option(None, "--registry", help="registry root"),
    max_resident: int = typer.Option(8, "--max-resident", help="adapters kept loaded at once"),
    max_batch: int = typer.Option(
        32, "--max-batch", help="inputs answered in one pass (1: no batching)"
    ),
    max_wait_ms: float = typer.Option(
        0.0, "--max-wait-ms", help="extra wait for requests to join a batch that is not full"
    ),
    max_body_bytes: int = typer.Option(
        8 * 1024 * 1024, "--max-body-bytes", help="larger request bodies get 413"
    ),
    api_key: str | None = typer.Option(
        None, "--api-key", envvar="VADAPT_API_KEY", help="require this key (X-API-Key header)"
    ),
    threads: int | None = typer.Option(None, "--threads", help="torch threads"),
    calibrated: bool = typer.Option(
        False, "--calibrated", help="temper classification scores (docs/calibration.md)"
    ),
) -> None:
    """Serve the registry's adapters over HTTP: /v1/predict, /v1/adapters, /metrics, /health."""
    for option, value in (("--port", port), ("--max-batch", max_batch)):
        if value < 1 or (option == "--port" and value > 65535):
            raise InvalidConfig(f"{option} {value}: out of range", fix=f"pass a valid {option}")
    import uvicorn

    from vadapt.serving.http import ServeConfig, create_app

    cfg = ServeConfig(
        max_resident=max_resident,
        max_batch=max_batch,
        max_wait_ms=max_wait_ms,
        max_body_bytes=max_body_bytes,
        api_key=api_key,
        calibrated=calibrated,
        threads=threads,
    )
    typer.echo(f"vadapt serve: http://{host}:{port} (registry {registry or 'default'})", err=True)
    uvicorn.run(create_app(registry, cfg), host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("serve-batch")(serve_batch_cmd)
    app.command("serve")(serve_cmd)
