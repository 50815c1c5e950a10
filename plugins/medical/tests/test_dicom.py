"""DICOM reading (vadapt_medical.dicom) on pydicom's own test files (MIT, shipped in
its wheel under pydicom/data/test_files; none here needs a download), and DICOM
folder trees through the medical/imaging loader.

Expected images are computed here from pydicom's raw pixel array with DICOM's
formulas, not by calling the code under test."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom import uid
from pydicom.data import get_testdata_file
from pydicom.pixels import get_decoder
from vadapt import InvalidConfig
from vadapt_medical import imaging
from vadapt_medical.dicom import decoder_fix, read_dicom
from vadapt_medical.tasks import ImagingData

IMAGING = "medical/imaging"


def _file(name: str) -> Path:
    path = get_testdata_file(name, download=False)
    if path is None:
        pytest.skip(f"pydicom test file {name} is not in the installed wheel")
    return Path(path)


def _raw(name: str | Path) -> np.ndarray:
    path = name if isinstance(name, Path) else _file(name)
    return pydicom.dcmread(path).pixel_array.astype(np.float64)


def _linear(values: np.ndarray, c: float, w: float) -> np.ndarray:
    """PS3.3 C.11.2.1.2.1, written out again so the test does not reuse the code."""
    lo, hi = c - 0.5 - (w - 1) / 2, c - 0.5 + (w - 1) / 2
    y = np.where(
        values <= lo,
        0.0,
        np.where(values > hi, 255.0, ((values - (c - 0.5)) / (w - 1) + 0.5) * 255),
    )
    return np.rint(y).astype(np.uint8)


def _min_max(values: np.ndarray) -> np.ndarray:
    return np.rint((values - values.min()) / (values.max() - values.min()) * 255).astype(np.uint8)


def _near(actual: np.ndarray, expected: np.ndarray) -> None:
    """Equal up to 1 grey level: a .5 can round either way with another float order."""
    assert actual.shape == expected.shape and actual.dtype == np.uint8
    assert np.abs(actual.astype(int) - expected.astype(int)).max() <= 1


def _copy_with(tmp_path: Path, name: str, out: str, **changes: object) -> Path:
    """A pydicom test file with elements changed (None deletes), written under tmp_path."""
    ds = pydicom.dcmread(_file(name))
    for keyword, value in changes.items():
        if value is None:
            if keyword in ds:
                delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)
    path = tmp_path / out
    ds.save_as(path)
    return path


def _one_line(exc: pytest.ExceptionInfo[InvalidConfig]) -> str:
    text = str(exc.value)
    assert "\n" not in text, text
    return text


# -- grey-scale pipeline ------------------------------------------------------------
def test_ct_rescale_then_config_window_gives_hu_windowed_uint8():
    ds = pydicom.dcmread(_file("CT_small.dcm"))
    assert (float(ds.RescaleSlope), float(ds.RescaleIntercept)) == (1.0, -1024.0)
    hu = _raw("CT_small.dcm") * 1.0 - 1024.0
    img, info = read_dicom(_file("CT_small.dcm"), window=(40.0, 400.0))
    assert img.shape == (128, 128) and img.dtype == np.uint8
    assert img.min() == 0 and img.max() == 255  # soft-tissue window clips air and bone
    assert 0.05 < np.mean((img > 0) & (img < 255)) < 0.95
    _near(img, _linear(hu, 40.0, 400.0))
    # the window is applied in HU, not to the stored values (which would be all white)
    assert not np.array_equal(img, _linear(hu + 1024.0, 40.0, 400.0))
    assert info["window"] == {"center": 40.0, "width": 400.0, "source": "config"}
    assert info["scaling"] == "window" and info["modality"] == "CT"
    assert info["transfer_syntax"] == "Explicit VR Little Endian"


def test_no_window_anywhere_scales_min_max():
    img, info = read_dicom(_file("CT_small.dcm"))  # CT_small stores no WindowCenter
    _near(img, _min_max(_raw("CT_small.dcm")))
    assert info["window"] is None and info["scaling"] == "min-max"


def test_file_window_is_used_and_the_config_window_overrides_it():
    raw = _raw("MR_small.dcm")  # WindowCenter 600, WindowWidth 1600, no rescale
    img, info = read_dicom(_file("MR_small.dcm"))
    _near(img, _linear(raw, 600.0, 1600.0))
    assert info["window"] == {"center": 600.0, "width": 1600.0, "source": "file"}
    own, own_info = read_dicom(_file("MR_small.dcm"), window=(300.0, 200.0))
    _near(own, _linear(raw, 300.0, 200.0))
    assert own_info["window"]["source"] == "config" and not np.array_equal(own, img)


def test_multi_valued_window_uses_the_first_value():
    raw = _raw("examples_overlay.dcm")  # WindowCenter [450, 200], WindowWidth [790, 443]
    img, info = read_dicom(_file("examples_overlay.dcm"))
    assert info["window"] == {"center": 450.0, "width": 790.0, "source": "file"}
    _near(img, _linear(raw, 450.0, 790.0))


def test_monochrome1_is_inverted_so_high_is_bright(tmp_path: Path):
    mono1 = _copy_with(
        tmp_path, "MR_small.dcm", "mono1.dcm", PhotometricInterpretation="MONOCHROME1"
    )
    raw = _raw(mono1)
    img, info = read_dicom(mono1)
    _near(img, 255 - _linear(raw, 600.0, 1600.0))
    assert info["inverted"] is True and info["photometric_interpretation"] == "MONOCHROME1"
    mono2, _ = read_dicom(_file("MR_small.dcm"))
    np.testing.assert_array_equal(img, 255 - mono2)
    # without a window: the raw array's own range, inverted
    bare = _copy_with(
        tmp_path, "MR_small.dcm", "bare.dcm", PhotometricInterpretation="MONOCHROME1",
        WindowCenter=None, WindowWidth=None,
    )  # fmt: skip
    img, info = read_dicom(bare)
    _near(img, 255 - _min_max(raw))
    assert img[raw == raw.max()].max() == 0 and info["scaling"] == "min-max"


def test_config_window_pair_is_both_or_neither():
    with pytest.raises(InvalidConfig, match="window_width is not") as exc:
        ImagingData(window_center=40)
    assert "window_center" in _one_line(exc)
    with pytest.raises(InvalidConfig, match="window_center is not"):
        ImagingData.model_validate({"window_width": 400})
    assert ImagingData(window_center=40, window_width=400).window_width == 400


# -- frames -------------------------------------------------------------------------
def test_multi_frame_middle_first_and_all():
    raw = _raw("rtdose.dcm")  # 15 frames of 10x10 dose values
    assert raw.shape == (15, 10, 10) and not np.array_equal(raw[0], raw[7])
    middle, info = read_dicom(_file("rtdose.dcm"))
    assert middle.shape == (10, 10) and info["frames"] == 15 and info["frame"] == 7
    _near(middle, _min_max(raw[7]))
    first, info = read_dicom(_file("rtdose.dcm"), frame="first")
    assert info["frame"] == 0
    _near(first, _min_max(raw[0]))
    every, info = read_dicom(_file("rtdose.dcm"), frame="all")
    assert every.shape == (15, 10, 10) and info["frame"] == "all"
    np.testing.assert_array_equal(every[7], middle)
    np.testing.assert_array_equal(every[0], first)
    with pytest.raises(InvalidConfig, match="frame 15") as exc:
        read_dicom(_file("rtdose.dcm"), frame=15)
    assert "rtdose.dcm" in _one_line(exc)


def test_multi_frame_rgb_all_keeps_colour_axis():
    every, info = read_dicom(_file("SC_rgb_rle_2frame.dcm"), frame="all")
    assert every.shape == (2, 100, 100, 3) and every.dtype == np.uint8
    assert info["transfer_syntax"] == "RLE Lossless"  # decoded natively by pydicom


# -- colour -------------------------------------------------------------------------
def test_rgb_stays_hxwx3_and_deeper_samples_scale_to_8_bit():
    img, info = read_dicom(_file("examples_rgb_color.dcm"))
    assert img.shape == (240, 320, 3) and img.dtype == np.uint8
    np.testing.assert_array_equal(img, pydicom.dcmread(_file("examples_rgb_color.dcm")).pixel_array)
    assert info["window"] is None and info["photometric_interpretation"] == "RGB"
    eight, _ = read_dicom(_file("SC_rgb_rle.dcm"))
    sixteen, _ = read_dicom(_file("SC_rgb_rle_16bit.dcm"))  # the same picture, 16 bits
    np.testing.assert_array_equal(sixteen, eight)


def test_ybr_is_converted_to_rgb():
    ybr, info = read_dicom(_file("SC_ybr_full_422_uncompressed.dcm"))
    rgb, _ = read_dicom(_file("SC_rgb_rle.dcm"))  # the same picture stored as RGB
    assert info["photometric_interpretation"] == "YBR_FULL_422" and ybr.shape == (100, 100, 3)
    assert np.abs(ybr.astype(int) - rgb).max() <= 8  # YCbCr rounding, not a colour swap


# -- what the pixels mean -----------------------------------------------------------
def test_pixel_spacing_is_recorded_from_wherever_the_file_keeps_it(tmp_path: Path):
    _, ct = read_dicom(_file("CT_small.dcm"))
    assert ct["pixel_spacing"] == pytest.approx([0.661468, 0.661468])
    assert ct["pixel_spacing_source"] == "PixelSpacing"
    _, seg = read_dicom(_file("liver_1frame.dcm"))  # enhanced: shared functional groups
    assert seg["pixel_spacing"] == pytest.approx([0.810547, 0.810547])
    assert "functional groups" in seg["pixel_spacing_source"]
    imager = _copy_with(
        tmp_path, "CT_small.dcm", "dx.dcm", PixelSpacing=None, ImagerPixelSpacing=[0.2, 0.3]
    )
    _, dx = read_dicom(imager)
    assert dx["pixel_spacing"] == [0.2, 0.3] and dx["pixel_spacing_source"] == "ImagerPixelSpacing"
    _, us = read_dicom(_file("examples_rgb_color.dcm"))
    assert us["pixel_spacing"] is None and us["pixel_spacing_source"] is None


# -- errors -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "syntax", "packages"),
    [
        ("MR_small_jpeg_ls_lossless.dcm", uid.JPEGLSLossless, ("pylibjpeg-libjpeg", "pyjpegls")),
        ("SC_rgb_jpeg_gdcm.dcm", uid.JPEGLosslessSV1, ("pylibjpeg-libjpeg", "python-gdcm")),
    ],
)
def test_compressed_syntax_without_decoder_is_one_line_naming_syntax_and_package(
    name: str, syntax: uid.UID, packages: tuple[str, ...]
):
    if get_decoder(syntax).is_available:
        pytest.skip(f"a decoder for {syntax.name} is installed here")
    with pytest.raises(InvalidConfig) as exc:
        read_dicom(_file(name))
    text = _one_line(exc)
    assert name in text and syntax.name in text
    assert exc.value.fix is not None and exc.value.fix.startswith("pip install pylibjpeg ")
    assert all(p in exc.value.fix for p in packages)


def test_decoder_fix_reads_pydicoms_dependency_table():
    htj2k = get_decoder(uid.HTJ2K)
    if not htj2k.is_available:
        assert decoder_fix(htj2k) == "pip install pylibjpeg pylibjpeg-openjpeg"
    fake = SimpleNamespace(
        missing_dependencies=[
            "gdcm - requires gdcm>=3.0.10",
            "pylibjpeg - requires pylibjpeg>=2.0 and pylibjpeg-openjpeg>=2.0",
        ]
    )
    assert (
        decoder_fix(fake)
        == "pip install pylibjpeg pylibjpeg-openjpeg (or: pip install python-gdcm)"
    )


def test_not_dicom_and_no_pixel_data_are_one_line_naming_the_file(tmp_path: Path):
    png = tmp_path / "scan.dcm"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(png, format="PNG")
    with pytest.raises(InvalidConfig, match="not a DICOM file") as exc:
        read_dicom(png)
    assert str(png) in _one_line(exc)
    text = tmp_path / "notes.dcm"
    text.write_text("not an image\n" * 20)
    with pytest.raises(InvalidConfig, match=r"notes\.dcm"):
        read_dicom(text)
    with pytest.raises(InvalidConfig, match="without image Pixel Data") as exc:
        read_dicom(_file("rtplan.dcm"))
    assert "rtplan.dcm" in _one_line(exc)


# -- folder trees through the task's loader -----------------------------------------
def _dicom_tree(root: Path, classes: dict[str, tuple[str, int]]) -> Path:
    for label, (name, n) in classes.items():
        (root / label).mkdir(parents=True)
        for i in range(n):
            shutil.copy(_file(name), root / label / f"{i}.dcm")
    return root


def test_dicom_folder_tree_loads_with_dicom_info_on_examples(tmp_path: Path):
    root = _dicom_tree(tmp_path / "scans", {"ct": ("CT_small.dcm", 6), "mr": ("MR_small.dcm", 6)})
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(root / "mr" / "extra.png")  # mixed tree
    s = imaging.load(ImagingData(path=str(root)), IMAGING)
    assert s.labels == ("ct", "mr") and sum(s.sizes().values()) == 13
    examples = s.train + s.validation + s.test
    dicom = [e for e in examples if "dicom" in e]
    assert len(dicom) == 12 and all(e["image"].dtype == np.uint8 for e in examples)
    ct = next(e for e in dicom if e["label"] == "ct")
    assert ct["image"].shape == (128, 128) and ct["dicom"]["modality"] == "CT"
    assert ct["dicom"]["pixel_spacing"] == pytest.approx([0.661468, 0.661468])
    mr = next(e for e in dicom if e["label"] == "mr")
    assert mr["dicom"]["window"]["source"] == "file" and mr["path"].endswith(".dcm")
    png = next(e for e in examples if e["path"].endswith(".png"))
    assert "dicom" not in png and set(png) == {"image", "label", "path"}
    assert s.info["dicom"]["files"] == 12 and s.info["dicom"]["modalities"] == ["CT", "MR"]
    assert "DICOM: 12 file(s)" in s.info["notes"]
    windowed = imaging.load(
        ImagingData(path=str(root), window_center=40, window_width=400), IMAGING
    )
    ct = next(e for e in windowed.train if e["label"] == "ct")
    hu = _raw("CT_small.dcm") - 1024.0
    _near(ct["image"], _linear(hu, 40.0, 400.0))
    assert ct["dicom"]["window"]["source"] == "config"


def test_all_frames_are_examples_and_a_files_frames_share_one_split(tmp_path: Path):
    root = _dicom_tree(tmp_path / "dose", {"a": ("rtdose.dcm", 5), "b": ("rtdose_rle.dcm", 5)})
    s = imaging.load(ImagingData(path=str(root), dicom_frames="all"), IMAGING)
    assert sum(s.sizes().values()) == 10 * 15
    paths = {split: {e["path"] for e in getattr(s, split)} for split in s.sizes()}
    assert not (paths["train"] & paths["test"]) and not (paths["train"] & paths["validation"])
    assert not (paths["validation"] & paths["test"])
    ex = s.train[0]
    frames = [e for e in s.train if e["path"] == ex["path"]]
    assert sorted(e["dicom"]["frame"] for e in frames) == list(range(15))
    assert {e["label"] for e in frames} == {ex["label"]}
    assert ex["id"] == f"{ex['path']}#frame{ex['dicom']['frame']}"
    assert s.info["dicom"]["examples"] == 150 and s.info["dicom"]["frames"] == "all"


def test_unreadable_dicom_in_a_tree_names_file_and_task(tmp_path: Path):
    root = _dicom_tree(tmp_path / "t", {"a": ("CT_small.dcm", 3), "b": ("CT_small.dcm", 3)})
    (root / "b" / "broken.dcm").write_bytes(b"\x00" * 64)
    with pytest.raises(InvalidConfig, match=r"broken\.dcm .*\(task medical/imaging\)") as exc:
        imaging.load(ImagingData(path=str(root)), IMAGING)
    _one_line(exc)
