"""`vadapt.cli.tables`: the one renderer of every CLI table (plain text when piped)."""

from __future__ import annotations

import os

import pytest
from vadapt.cli import tables
from vadapt.cli.tables import MISSING, PIPE_WIDTH, nbytes, num, render, table


def test_piped_tables_are_plain_aligned_text_without_markup_or_trailing_blanks() -> None:
    text = render(table(["NAME", "SCORE"], [["alpha [bold]x[/bold]", 0.5], ["b", "12"]], right=[1]))
    assert text.splitlines() == [
        "NAME                   SCORE",
        "────────────────────────────",
        "alpha [bold]x[/bold]     0.5",  # cells are never rich markup
        "b                         12",
    ]
    assert "\x1b[" not in text


def test_headerless_grid_indent_and_fixed_pipe_width() -> None:
    text = render(table(None, [["key", "value"], ["longer key", "v"]]), "  ")
    assert text.splitlines() == ["  key          value", "  longer key   v"]
    wide = render(table(["A", "B"], [["x" * 100, "y " * 100]]))
    assert 120 <= PIPE_WIDTH <= 160
    assert max(len(line) for line in wide.splitlines()) <= PIPE_WIDTH  # wrapped, not cut
    assert wide.count("y") == 100


def test_a_terminal_gets_its_width_and_styling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "is_tty", lambda: True)
    monkeypatch.setattr(tables.shutil, "get_terminal_size", lambda: os.terminal_size((40, 20)))
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    text = render(table(["NAME"], [["z " * 40]]))
    assert "\x1b[" in text  # the bold header
    assert max(len(line) for line in text.splitlines() if "\x1b" not in line) <= 40


def test_cell_formats() -> None:
    assert num(0.61234) == "0.612" and num(3) == "3.000" and num(-0.5, 2) == "-0.50"
    assert num(None) == num(float("nan")) == num("x") == num(True) == MISSING == "—"
    assert nbytes(512) == "512 B" and nbytes(1536) == "1.5 KB" and nbytes(3 * 1024**3) == "3.0 GB"


def test_long_tables_stream_the_same_layout_as_rich(capsys) -> None:
    """Above LONG_TABLE rows echo_table skips rich's layout (6 s for 10,000 adapters) but
    prints exactly what rich prints for the same rows when piped."""
    from vadapt.cli import tables

    headers = ["NAME", "VERSION", "TASK", "SIZE"]
    rows = [
        [f"adapter-{i}" * (1 + i % 3), i, "medical/tumor-diagnosis", tables.nbytes(37 * i**2)]
        for i in range(tables.LONG_TABLE + 5)
    ]
    tables.echo_table(headers, rows, right=[1, 3])
    streamed = capsys.readouterr().out.rstrip("\n")
    laid_out = tables.render(tables.table(headers, rows, right=[1, 3]))
    assert streamed == laid_out
    assert len(streamed.splitlines()) == len(rows) + 2  # header, rule, one line a row
