# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""Grad-CAM of image adapters: the heatmap finds a planted patch; bad images are one line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, fx, spot_examples, tiny_bert_dir  # noqa: F401
from vadapt import InvalidConfig


@pytest.fixture
def spotter(fx):
    from vadapt.engine import adapt

    cfg = base_config("fx/spot", epochs=8, lr=2e-2, image_size=16)  # the images' own size
    cfg["method"] = {"name": "full"}
    cfg["data"] = {"n_train": 128}
    res = adapt(cfg, progress=False)
    assert res.metrics["test"]["accuracy"] >= 0.9, res.metrics["test"]
    return res


def test_the_heatmap_sits_on_the_planted_patch(spotter):
    from vadapt.engine.gradcam import explain_images

    spots = [ex for ex in spot_examples(12, seed=7) if ex["label"] == "spot"]
    rows = explain_images(spotter.ref, [ex["image"] for ex in spots])
    assert {r["layer"] for r in rows} == {"backbone.blocks.1.1"}  # the last norm with weights
    inside = []
    for ex, row in zip(spots, rows, strict=True):
        assert row["label"] == "spot" and row["overlay"][:4] == b"\x89PNG"
        r, c = ex["patch"]
        mask = np.zeros_like(row["cam"], dtype=bool)
        mask[r : r + 4, c : c + 4] = True
        inside.append(row["cam"][mask].mean() > 2 * row["cam"][~mask].mean())
    assert np.mean(inside) >= 0.8, inside


def test_greying_the_hot_pixels_first_costs_the_label_sooner(spotter):
    from vadapt.engine.gradcam import explain_images, pixel_deletion
    from vadapt.engine.load import load_adapter

    lm = load_adapter(spotter.ref)
    images = [ex["image"] for ex in spot_examples(12, seed=9) if ex["label"] == "spot"]
    rows = explain_images(spotter.ref, images, loaded=lm)
    curve = pixel_deletion(lm, images, rows, fractions=(0.0, 0.1, 0.2, 0.5, 1.0))
    assert curve["top"][0] == pytest.approx(curve["random"][0])
    assert curve["top_auc"] < curve["random_auc"] - 0.05, curve


def test_cli_explains_image_files_and_refuses_bad_shapes(spotter, tmp_path, capsys):
    from PIL import Image
    from vadapt.cli import main

    ex = spot_examples(2, seed=3)[0]
    Image.fromarray(ex["image"]).save(tmp_path / "spot.png")
    lines = [{"image": str(tmp_path / "spot.png")}, {"image": ex["image"].tolist()}]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    overlays = tmp_path / "overlays"
    args = ["explain", spotter.ref, "--input", str(tmp_path / "in.jsonl")]
    with pytest.raises(SystemExit) as exc:
        main([*args, "--overlays", str(overlays), "--html", str(tmp_path / "why.html")])
        raise SystemExit(0)
    out = capsys.readouterr()
    assert (exc.value.code or 0) == 0, out.err
    rows = [json.loads(line) for line in out.out.splitlines()]
    assert [r["label"] for r in rows] == ["spot", "spot"]
    assert Path(rows[0]["overlay"]).read_bytes()[:4] == b"\x89PNG"
    assert (
        np.asarray(rows[0]["map"]).shape == (16, 16)
        and "data:image/png;base64," in (tmp_path / "why.html").read_text()
    )
    from vadapt.engine.gradcam import explain_images

    with pytest.raises(InvalidConfig, match=r"input 0: image of shape \(4, 4, 2\)"):
        explain_images(spotter.ref, [np.zeros((4, 4, 2))])
    with pytest.raises(InvalidConfig, match="cannot read image file"):
        explain_images(spotter.ref, [str(tmp_path / "in.jsonl")])


def test_the_report_card_of_an_image_adapter_shows_its_heatmaps(spotter):
    from vadapt.report.build import make_card
    from vadapt_registry import Registry

    card = make_card(Registry(), spotter.ref, robustness_examples=4, explain_examples=4)
    exp = card.report["explanations"]
    assert exp["kind"] == "image" and exp["layer"] == "backbone.blocks.1.1"
    assert [s["file"] for s in exp["shown"]] == [f"heatmap-{i:02d}.png" for i in range(4)]
    assert all(card.pngs[s["file"]][:4] == b"\x89PNG" for s in exp["shown"])
    assert "pngs" not in exp and "pixel-deletion AUC" in card.page
    assert card.report["robustness"]["rows"][0]["perturbation"] in card.page  # corruptions
    json_text = Registry().load_attachment(spotter.ref, "report").files["report.json"]
    assert b"heatmap-00.png" in json_text
