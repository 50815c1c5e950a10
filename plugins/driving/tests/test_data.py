"""Loading the published layouts: GTSRB (ROI crop, tracks, test CSV), folders, CSVs of crops."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from driving_layouts import (
    INSIDE,
    write_crops_csv,
    write_folder_tree,
    write_gtsrb,
    write_gtsrb_test,
)
from vadapt import InvalidConfig
from vadapt_driving.data import load
from vadapt_driving.tasks import LIGHTS, SIGNS, LightsData, SignsData


def _signs(**kw) -> SignsData:
    return SignsData(**kw)


def test_gtsrb_crops_every_image_to_its_inclusive_roi(tmp_path: Path) -> None:
    root = write_gtsrb(tmp_path, {14: 3, 1: 3}, frames=3)
    splits = load(SIGNS, _signs(source="gtsrb", path=str(root)))
    everything = [*splits.train, *splits.validation, *splits.test]
    assert len(everything) == 18
    for ex in everything:
        img = ex["image"]
        assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
        # only ROI pixels survive the crop: no OUTSIDE-coloured border row or column
        assert (img.reshape(-1, 3) == INSIDE).all(), ex["file"]
    assert splits.labels == ("speed-limit-30", "stop")  # GTSRB ClassId order, names not ids
    assert splits.info["synthetic"] is False and splits.info["source"] == "gtsrb"


def test_gtsrb_holds_out_whole_tracks(tmp_path: Path) -> None:
    root = write_gtsrb(tmp_path, {14: 6, 13: 6}, frames=4)
    splits = load(SIGNS, _signs(source="gtsrb", path=str(root), seed=3))
    groups = {
        name: {ex["group"] for ex in getattr(splits, name)}
        for name in ("train", "validation", "test")
    }
    assert groups["validation"] and groups["test"]
    assert not groups["train"] & groups["validation"]
    assert not groups["train"] & groups["test"]
    assert not groups["validation"] & groups["test"]
    assert "grouped by GTSRB track" in splits.info["split"]


def test_gtsrb_official_test_csv_is_the_test_split(tmp_path: Path) -> None:
    root = write_gtsrb(tmp_path, {14: 3, 13: 3}, frames=2)
    test_csv = write_gtsrb_test(tmp_path, [14, 13], per_class=3)
    splits = load(
        SIGNS, _signs(source="gtsrb", path=str(root), test_path=str(test_csv.parent), resize=16)
    )
    assert len(splits.test) == 6
    assert {ex["label"] for ex in splits.test} == {"stop", "yield"}
    assert all(ex["image"].shape == (16, 16, 3) for ex in splits.test)
    assert (splits.test[0]["image"].reshape(-1, 3) == INSIDE).all()
    assert len(splits.train) + len(splits.validation) == 12


def test_gtsrb_unlabelled_test_csv_is_refused_with_the_fix(tmp_path: Path) -> None:
    root = write_gtsrb(tmp_path, {14: 3, 13: 3}, frames=2)
    test_csv = write_gtsrb_test(tmp_path, [14], per_class=1)
    lines = test_csv.read_text().splitlines()
    unlabelled = test_csv.with_name("GT-final_test.test.csv")
    unlabelled.write_text("\n".join(";".join(line.split(";")[:-1]) for line in lines) + "\n")
    with pytest.raises(InvalidConfig, match=r"no ClassId column.*GTSRB_Final_Test_GT\.zip"):
        load(SIGNS, _signs(source="gtsrb", path=str(root), test_path=str(unlabelled)))


def test_gtsrb_missing_layout_names_the_expected_tree(tmp_path: Path) -> None:
    with pytest.raises(InvalidConfig, match="Final_Training/Images"):
        load(SIGNS, _signs(source="gtsrb", path=str(tmp_path)))


def test_folder_tree_with_split_dirs_and_numeric_gtsrb_names(tmp_path: Path) -> None:
    write_folder_tree(tmp_path / "signs", ["00014", "17"], per_class=2, splits=True)
    splits = load(SIGNS, _signs(source="folder", path=str(tmp_path / "signs")))
    assert splits.sizes() == {"train": 4, "validation": 4, "test": 4}
    assert splits.labels == ("stop", "no-entry")


def test_folder_tree_without_splits_is_split_per_class(tmp_path: Path) -> None:
    write_folder_tree(tmp_path / "lights", ["red", "green", "off"], per_class=10)
    splits = load(
        LIGHTS, LightsData(source="folder", path=str(tmp_path / "lights"), max_per_class=5)
    )
    sizes = splits.sizes()
    assert sizes["validation"] >= 3 and sizes["test"] >= 3 and sizes["train"] == 15
    assert splits.labels == ("red", "green", "off")  # canonical state order, not alphabetical
    assert splits.info["synthetic"] is False


def test_csv_of_crops_with_boxes_and_split_column(tmp_path: Path) -> None:
    path = write_crops_csv(tmp_path / "crops", ["red", "yellow"], per_class=5)
    splits = load(LIGHTS, LightsData(source="csv", path=str(path)))
    assert splits.sizes() == {"train": 6, "validation": 2, "test": 2}
    img = splits.train[0]["image"]
    assert img.shape == (26, 12, 3)  # the x1,y1,x2,y2 box (exclusive) of a 40x40 frame
    assert (img.reshape(-1, 3) == INSIDE).all()


def test_labels_missing_from_training_are_an_error(tmp_path: Path) -> None:
    write_folder_tree(tmp_path / "tr", ["red", "green"], per_class=6)
    write_folder_tree(tmp_path / "te", ["red", "yellow"], per_class=2)
    with pytest.raises(InvalidConfig, match=r"test split has label\(s\) \['yellow'\]"):
        load(
            LIGHTS,
            LightsData(source="folder", path=str(tmp_path / "tr"), test_path=str(tmp_path / "te")),
        )


def test_unreadable_image_names_the_file(tmp_path: Path) -> None:
    write_folder_tree(tmp_path / "t", ["red", "green"], per_class=4)
    (tmp_path / "t" / "red" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(InvalidConfig, match=r"broken\.png cannot be read"):
        load(LIGHTS, LightsData(source="folder", path=str(tmp_path / "t")))


def test_disk_sources_need_a_path() -> None:
    with pytest.raises(InvalidConfig, match=r"data\.path"):
        load(LIGHTS, LightsData(source="folder"))


def test_test_corruption_all_replaces_test_with_every_corruption_and_severity() -> None:
    from vadapt_driving.corruptions import CORRUPTIONS

    cfg = LightsData(image_size=16, train_per_class=1, eval_per_class=1, test_corruption="all")
    splits = load(LIGHTS, cfg)
    assert len(splits.test) == 4 * len(CORRUPTIONS) * 5
    assert {(ex["corruption"], ex["severity"]) for ex in splits.test} == {
        (c, s) for c in CORRUPTIONS for s in range(1, 6)
    }
    with pytest.raises(InvalidConfig, match="unknown corruption 'smog'"):
        load(LIGHTS, cfg.model_copy(update={"test_corruption": "smog"}))


def test_gtsrb_test_csv_may_sit_above_the_test_images(tmp_path: Path) -> None:
    root = write_gtsrb(tmp_path, {14: 3, 13: 3}, frames=2)
    test_csv = write_gtsrb_test(tmp_path, [14, 13], per_class=1)
    moved = tmp_path / "GTSRB" / "GT-final_test.csv"
    test_csv.rename(moved)
    splits = load(SIGNS, _signs(source="gtsrb", path=str(root), test_path=str(moved)))
    assert [ex["label"] for ex in splits.test] == ["stop", "yield"]
