"""Measure, draw, render and store a report card; or read the stored one back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vadapt_registry.errors import CorruptAdapter, InvalidConfig, NotFound

KIND = "report"
PAGE = "report.html"
DATA = "report.json"


@dataclass(frozen=True)
class Card:
    """A report card: the measurements, the figures and the page, and whether the
    registry already held it (``stored``) or it was measured now."""

    ref: str
    report: dict[str, Any]
    pngs: dict[str, bytes]
    page: str
    stored: bool
    note: str = ""


def stored_card(reg: Any, ref: str) -> tuple[Card | None, str]:
    """The stored card of ``ref`` (None and why, when there is none to trust)."""
    try:
        got = reg.load_attachment(ref, KIND)
    except NotFound:
        return None, ""
    except CorruptAdapter as exc:
        return None, f"the stored report was not used ({exc.message}); measured again"
    files = dict(got.files)
    report = json.loads(files.pop(DATA))
    page = files.pop(PAGE).decode("utf-8")
    return Card(got.record.of, report, files, page, stored=True), ""


def make_card(reg: Any, ref: str, *, refresh: bool = False, **measure_kw: Any) -> Card:
    """The stored card of ``ref`` unless ``refresh``; else measure one and store it."""
    from vadapt.report import page, plots

    note = ""
    if not refresh:
        card, note = stored_card(reg, ref)
        if card is not None:
            return card
    from vadapt.report.measure import measure

    m = reg.get(ref)
    report = measure(m.ref, registry=reg, **measure_kw)
    pngs = report["explanations"].pop("pngs", {})  # heatmap overlays, drawn while measuring
    pngs.update(plots.figures(report, m.training.get("history") or []))
    html = page.render(report, m, pngs, reg.lineage(m.ref))
    files = {
        DATA: json.dumps(report, indent=1, sort_keys=True).encode("utf-8"),
        PAGE: html.encode(),
    }
    reg.attach(m.ref, KIND, {**files, **pngs}, {"seconds": report["seconds"]})
    return Card(m.ref, report, pngs, html, stored=False, note=note)


def compared_page(reg: Any, card: Card, other: str) -> str:
    """``card``'s page with a comparison to adapter ``other`` (its stored card, if any)."""
    from vadapt.report import page

    m, o = reg.get(card.ref), reg.get(other)
    if o.ref == m.ref:
        raise InvalidConfig(f"--compare {other}: that is the adapter itself", fix="name another")
    other_card, _ = stored_card(reg, o.ref)
    extra = other_card.report if other_card else None
    return page.render(card.report, m, card.pngs, reg.lineage(m.ref), compare=(o, extra))


def write_card(card: Card, out: Path, html: str | None = None) -> Path:
    """The page, the figures and the measurements into directory ``out``."""
    if out.exists() and not out.is_dir():
        raise InvalidConfig(f"--out {out}: exists and is not a directory", fix="pass a directory")
    out.mkdir(parents=True, exist_ok=True)
    for name, data in card.pngs.items():
        (out / name).write_bytes(data)
    (out / DATA).write_text(json.dumps(card.report, indent=1, sort_keys=True), encoding="utf-8")
    (out / PAGE).write_text(html or card.page, encoding="utf-8")
    return out / PAGE
