# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""Training progress when stderr is not a terminal: a line every few steps, never silence."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, fx, tiny_bert_dir  # noqa: F401
from vadapt.engine import adapt
from vadapt.engine.progress import Lines, duration

LINE = re.compile(
    r"^adapt fx/text: step (\d+)/(\d+) \(\d+%\) · [\d.]+ samples/s · \S+ elapsed · ETA \S+$"
)


def test_lines_every_twentieth_of_the_run_and_on_a_stall() -> None:
    now = [0.0]
    out = io.StringIO()
    p = Lines(40, "adapt x", stream=out, seconds=30.0, clock=lambda: now[0])
    for step in range(1, 41):
        now[0] += 1.0 if step != 7 else 40.0  # step 7 stalls: a line although not on schedule
        p.step(samples=16 * step)
    p.close()
    steps = [int(m.group(1)) for m in re.finditer(r"step (\d+)/40", out.getvalue())]
    assert steps == [2, 4, 6, 7, *range(8, 41, 2)]
    last = out.getvalue().splitlines()[-1]
    assert "step 40/40 (100%)" in last and "ETA 0s" in last
    assert "8.1 samples/s" in last  # 640 samples in 79 s


def test_close_prints_the_last_step_once() -> None:
    out = io.StringIO()
    p = Lines(7, "adapt x", stream=out, every=5)
    for i in range(7):
        p.step(samples=i)
    p.close()
    p.close()
    assert [ln.split(":")[1].split("(")[0].strip() for ln in out.getvalue().splitlines()] == [
        "step 5/7",
        "step 7/7",
    ]


def test_duration_reads_like_a_clock() -> None:
    assert [duration(s) for s in (0, 42.4, 185, 3720)] == ["0s", "42s", "3m05s", "1h02m"]


def test_a_piped_run_prints_progress_lines_and_a_quiet_one_none(fx, capsys) -> None:
    adapt(base_config(max_steps=6), progress=True)  # capsys: stderr is not a terminal
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("adapt fx/")]
    assert lines and all(LINE.match(ln) for ln in lines), lines
    assert LINE.match(lines[-1]).group(1) == LINE.match(lines[-1]).group(2)  # ends at the total
    cfg = base_config(max_steps=6)
    cfg["output"]["name"] = "quiet"
    adapt(cfg, progress=False)
    assert "adapt fx/" not in capsys.readouterr().err
