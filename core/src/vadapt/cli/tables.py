"""The one table renderer of the CLI (rich): every table ``vadapt`` prints goes through it.

On a terminal tables take its width and rich's styling; piped (or captured by tests)
they are plain text at a fixed :data:`PIPE_WIDTH` with no colour, so output is
deterministic. Cells are never read as rich markup (``[not installed]`` stays as is).
Importing this module loads neither rich (until a table is laid out) nor torch.
"""

from __future__ import annotations

import io
import math
import shutil
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:  # rich loads when a table is laid out, not for a streamed listing
    from rich.console import Console
    from rich.table import Table

PIPE_WIDTH = 160
"""Console width when stdout is not a terminal."""

MISSING = "—"
"""A value that is not there (a metric a baseline lacks)."""


def is_tty() -> bool:
    """Is stdout (as typer sees it) an interactive terminal?"""
    try:
        return bool(sys.stdout.isatty())
    except (AttributeError, ValueError):  # replaced or closed stream
        return False


def console(file: io.StringIO) -> Console:
    """A Console writing to ``file``: terminal width and colour on a TTY, plain otherwise."""
    from rich.console import Console

    tty = is_tty()
    return Console(
        file=file,
        width=shutil.get_terminal_size().columns if tty else PIPE_WIDTH,
        force_terminal=tty,
        color_system="auto" if tty else None,
        no_color=None if tty else True,
        highlight=False,
        markup=False,
        emoji=False,
    )


def table(
    headers: Sequence[str] | None,
    rows: Iterable[Sequence[Any]],
    *,
    right: Iterable[int] = (),
) -> Table:
    """A simple-box table; ``headers=None`` for a headerless key/value grid.

    ``right``: indexes of right-aligned (numeric) columns. Cells are ``str()``-ed."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    rows = [list(r) for r in rows]
    width = len(headers) if headers is not None else max((len(r) for r in rows), default=0)
    out = Table(
        box=box.SIMPLE,
        show_header=headers is not None,
        show_edge=False,
        pad_edge=False,
    )
    aligned = set(right)
    for i in range(width):
        name = headers[i] if headers is not None else ""
        out.add_column(Text(name), justify="right" if i in aligned else "left")
    for r in rows:
        out.add_row(*(c if isinstance(c, Text) else Text(str(c)) for c in r))
    return out


def render(renderable: Any, indent: str = "") -> str:
    """``renderable`` as text (no trailing blanks), each line prefixed with ``indent``."""
    buf = io.StringIO()
    console(buf).print(renderable)
    lines = buf.getvalue().rstrip("\n").split("\n")
    return "\n".join((indent + line).rstrip() for line in lines)


def echo(renderable: Any, indent: str = "") -> None:
    """Print ``renderable`` to typer's stdout."""
    typer.echo(render(renderable, indent))


LONG_TABLE = 200
"""Rows above which :func:`echo_table` streams plain columns instead of laying out with
rich (rich takes ~0.6 ms a row: 6 s for a 10,000-adapter listing)."""


def plain_lines(
    headers: Sequence[str], rows: Sequence[Sequence[str]], right: Iterable[int] = ()
) -> Iterable[str]:
    """The layout of :func:`table` (columns 3 spaces apart, a rule under the header, no
    wrapping), from one format string: for long listings."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(headers)
    widths = [
        max(len(h), *map(len, col)) if col else len(h)
        for h, col in zip(headers, columns, strict=True)
    ]
    aligned = set(right)
    fmt = "   ".join(f"{{:{'>' if i in aligned else '<'}{w}}}" for i, w in enumerate(widths))
    yield fmt.format(*headers).rstrip()
    yield "─" * (sum(widths) + 3 * (len(widths) - 1))
    for r in rows:
        yield fmt.format(*r).rstrip()


def echo_table(
    headers: Sequence[str] | None,
    rows: Iterable[Sequence[Any]],
    *,
    right: Iterable[int] = (),
    indent: str = "",
) -> None:
    """Build and print a :func:`table` (streamed as :func:`plain_lines` when long)."""
    rows = list(rows)
    if headers is not None and len(rows) > LONG_TABLE:
        cells = [[str(c) for c in r] for r in rows]
        out = sys.stdout
        for chunk in _chunks(plain_lines(headers, cells, right), 1000):
            out.write("".join(indent + ln + "\n" for ln in chunk))
        out.flush()
        return
    echo(table(headers, rows, right=right), indent)


def _chunks(lines: Iterable[str], n: int) -> Iterable[list[str]]:
    batch: list[str] = []
    for ln in lines:
        batch.append(ln)
        if len(batch) == n:
            yield batch
            batch = []
    if batch:
        yield batch


def num(value: Any, digits: int = 3) -> str:
    """A metric value for a cell: fixed decimals; :data:`MISSING` for None/NaN/non-numbers."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return MISSING
    if not math.isfinite(value):
        return MISSING
    return f"{value:.{digits}f}"


def nbytes(n: float) -> str:
    """A size in bytes for a cell: ``512 B``, ``1.5 KB``, ... ``2.0 GB``."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)
