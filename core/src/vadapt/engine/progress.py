"""Training progress: tqdm's bar on a terminal, a plain line every few steps elsewhere.

Piped or redirected (CI logs, ``nohup``, ``make demo > log``), a bar prints nothing
readable, so a run would look hung for minutes. There a line goes to stderr about every
5% of the steps, and at least every ``seconds``: the step, the share done, samples/s
and the estimated time left. ``progress=False`` (the library default in tests) prints
nothing either way.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO


def duration(seconds: float) -> str:
    """``42s``, ``3m05s``, ``1h02m``."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class Lines:
    """Progress as lines on a stream that is not a terminal."""

    def __init__(
        self,
        total: int,
        desc: str,
        *,
        stream: TextIO | None = None,
        every: int | None = None,
        seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total, self.desc = max(1, total), desc
        self.stream = stream if stream is not None else sys.stderr
        self.every = every or max(1, round(self.total / 20))
        self.seconds, self.clock = seconds, clock
        self.start = self.last = clock()
        self.steps = self.samples = self.shown = 0

    def step(self, samples: int) -> None:
        """One optimiser step done; ``samples``: training samples seen so far."""
        self.steps += 1
        self.samples = samples
        now = self.clock()
        if self.steps % self.every == 0 or now - self.last >= self.seconds:
            self._line(now)

    def _line(self, now: float) -> None:
        elapsed = max(now - self.start, 1e-9)
        left = elapsed / self.steps * max(self.total - self.steps, 0)
        self.stream.write(
            f"{self.desc}: step {self.steps}/{self.total} ({self.steps / self.total:.0%}) · "
            f"{self.samples / elapsed:.1f} samples/s · {duration(elapsed)} elapsed · "
            f"ETA {duration(left)}\n"
        )
        self.stream.flush()
        self.last, self.shown = now, self.steps

    def close(self) -> None:
        if self.steps and self.shown != self.steps:
            self._line(self.clock())


class Bar:
    """tqdm's bar, for a terminal."""

    def __init__(self, total: int, desc: str) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, desc=desc, unit="step", dynamic_ncols=True)

    def step(self, samples: int) -> None:
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


class Silent:
    def step(self, samples: int) -> None:
        pass

    def close(self) -> None:
        pass


def progress(total: int, desc: str, enabled: bool) -> Any:
    """A bar on a terminal, lines elsewhere, nothing when not ``enabled``."""
    if not enabled:
        return Silent()
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    return Bar(total, desc) if tty else Lines(total, desc)
