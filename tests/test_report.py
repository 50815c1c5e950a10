# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""``vadapt report``: the report card, measured once, stored with the adapter, read back."""

from __future__ import annotations

import json
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, fx, tiny_bert_dir  # noqa: F401
from vadapt import InvalidConfig

HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
SECTIONS = (
    "Test metrics beside the baselines",
    "Training",
    "Predictions on test",
    "Calibration",
    "Robustness",
    "Explanations",
    "Data, lineage and use",
)


class Page(HTMLParser):
    """The tags, headings, image sources and text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.h2: list[str] = []
        self.images: list[str] = []
        self.text: list[str] = []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.tags.append(tag)
        self._in_h2 = tag == "h2"
        if tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        self.text.append(data)
        if self._in_h2:
            self.h2.append(data)
            self._in_h2 = False


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


@pytest.fixture
def trained(fx):
    from vadapt.engine import adapt

    cfg = base_config(epochs=4, lr=3e-2)
    cfg["data"] = {"n_train": 96}
    cfg["train"]["eval_every"] = 6  # several points on the training curves
    cfg["output"]["notes"] = HOSTILE
    return adapt(cfg, progress=False)


def _card(ref: str, **kw):  # type: ignore[no-untyped-def]
    from vadapt.report.build import make_card
    from vadapt_registry import Registry

    kw = {"robustness_examples": 16, "explain_examples": 4, "steps": 4, **kw}
    return Registry(), make_card(Registry(), ref, **kw)


def test_the_card_has_every_section_with_real_figures_and_escapes_notes(trained):
    _, card = _card(trained.ref)
    page = parse(card.page)
    assert [h for h in page.h2 if h in SECTIONS] == list(SECTIONS)
    assert "script" not in page.tags and HOSTILE in "".join(page.text)  # shown, inert
    assert {"curves.png", "confusion.png", "reliability.png", "robustness.png"} <= set(card.pngs)
    assert {"words.png", "deletion.png"} <= set(card.pngs)
    assert all(src.startswith("data:image/png;base64,") for src in page.images)
    assert len(page.images) == len(card.pngs)  # self-contained: every figure inlined
    r = card.report
    n = r["test_examples"]
    assert sum(map(sum, r["predictions"]["confusion"])) == n
    assert r["predictions"]["accuracy"] == pytest.approx(trained.metrics["test"]["accuracy"])
    assert r["robustness"]["examples"] == 16 and len(r["robustness"]["rows"]) == 4 * 3
    assert r["adversarial"]["attack"] == "fgm" and len(r["adversarial"]["rows"]) == 4
    assert "adversarial.png" in card.pngs and "Under attack" in card.page
    assert r["explanations"]["examples"] == 4
    assert set(r["explanations"]["faithfulness"]) >= {"comprehensiveness", "sufficiency"}
    history = trained.manifest.training["history"]
    assert len(history) >= 3 and all("train_loss" in h for h in history)


def test_the_card_is_stored_and_read_back_without_measuring(trained, monkeypatch):
    reg, first = _card(trained.ref)
    assert not first.stored
    assert [a.kind for a in reg.attachments(trained.ref)] == ["report"]
    import vadapt.report.measure as measure

    monkeypatch.setattr(measure, "measure", lambda *a, **k: pytest.fail("measured again"))
    _, again = _card(trained.ref)
    assert again.stored and again.page == first.page and again.pngs == first.pngs
    assert reg.verify() == []


def test_cli_writes_the_page_and_compares(trained, fx, tmp_path, capsys):
    from vadapt.cli import main
    from vadapt.engine import adapt

    other = adapt(base_config(epochs=1, lr=1e-2), progress=False)
    out = tmp_path / "card"
    args = ["report", trained.ref, "--out", str(out), "--compare", other.ref]
    with pytest.raises(SystemExit) as exc:
        main([*args, "--robustness-examples", "8", "--explain-examples", "2", "--steps", "4"])
        raise SystemExit(0)
    captured = capsys.readouterr()
    assert (exc.value.code or 0) == 0, captured.err
    assert "measured in" in captured.out
    html = (out / "report.html").read_text()
    page = parse(html)
    assert f"Compared with {other.ref}" in page.h2
    assert "train.epochs" in html  # the options that differ are listed
    assert (out / "confusion.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((out / "report.json").read_text())["ref"] == trained.ref
    with pytest.raises(SystemExit) as exc:
        main(["report", trained.ref, "--out", str(out), "--sheet", str(tmp_path / "s.png")])
        raise SystemExit(0)
    assert "read from the registry" in capsys.readouterr().out
    from PIL import Image

    with Image.open(tmp_path / "s.png") as im:
        assert im.width == 3 * 360 and im.height > 2 * 200  # at least two rows of figures


def test_heads_without_a_section_say_why_and_bad_counts_are_refused(fx):
    from vadapt.engine import adapt

    res = adapt(base_config("fx/rank", epochs=1), progress=False)
    _, card = _card(res.ref)
    assert "ranking" in card.report["predictions"]["skipped"]
    assert "Not shown:" in card.page
    with pytest.raises(InvalidConfig, match="--explain-examples -1"):
        _card(res.ref, refresh=True, explain_examples=-1)


def _browser() -> str:
    """Debian's chromium (``.ci/run`` installs it); skipped elsewhere unless required."""
    import os
    import shutil

    path = os.environ.get("VADAPT_BROWSER") or shutil.which("chromium")
    if path is None:
        if os.environ.get("VADAPT_REQUIRE_BROWSER"):
            pytest.fail("VADAPT_REQUIRE_BROWSER is set but no chromium was found")
        pytest.skip("no chromium: `apt-get install chromium` (CI installs it)")
    return path


def test_the_card_opens_in_a_real_browser_with_every_figure_drawn(trained, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    from vadapt.report.build import write_card

    browser_path = _browser()
    _, card = _card(trained.ref)
    page_file = write_card(card, tmp_path / "card")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("request", lambda req: errors.append(f"fetched {req.url}")
                    if not req.url.startswith(("file:", "data:")) else None)  # fmt: skip
            page.goto(page_file.as_uri())
            headings = page.locator("h2").all_inner_texts()
            drawn = page.evaluate(
                "[...document.images].map(i => i.complete && i.naturalWidth > 100)"
            )
            highlighted = page.locator(".ex span[title]").count()
            shot = page.screenshot(full_page=True)
        finally:
            browser.close()
    assert [h for h in headings if h in SECTIONS] == list(SECTIONS)
    assert drawn and all(drawn) and len(drawn) == len(card.pngs)  # every PNG decoded
    assert highlighted > 0 and not errors, errors
    assert shot[:4] == b"\x89PNG"
