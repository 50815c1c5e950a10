"""Read one DICOM file as a uint8 image the engine can resize: ``read_dicom``.

What is read, in DICOM's own order (PS3.4 N.2, the grey-scale pipeline):

1. the stored pixels, decoded by pydicom (compressed transfer syntaxes need a decoder
   package: a missing one is a one-line ``InvalidConfig`` naming the ``pip install``);
2. the Modality LUT (RescaleSlope/RescaleIntercept, or a Modality LUT Sequence), so
   that a CT window is in Hounsfield units as the file's WindowCenter is;
3. the VOI window: the data config's ``window_center``/``window_width`` if given, else
   the file's WindowCenter/WindowWidth (the first value when several are stored: the
   first is the default view), else min-max scaling of the frame; always the LINEAR
   function of PS3.3 C.11.2.1.2.1, mapped to 0..255 (a VOI LUT Sequence or a
   VOILUTFunction other than LINEAR is not applied);
4. MONOCHROME1 is inverted after windowing, so that high is bright as in MONOCHROME2
   (the engine and the backbones do not know which interpretation a pixel came from).

Colour images stay HxWx3: YBR_FULL / YBR_FULL_422 (and the JPEG 2000 YBR_RCT/ICT)
are converted to RGB by pydicom, PALETTE COLOR through its lookup table; more than 8
bits per sample are scaled down by bit depth. Windowing never applies to colour.

Multi-frame files (NumberOfFrames > 1) give one frame by policy: ``"middle"`` (the
default: frame ``NumberOfFrames // 2``, 0-based, the one most likely to show the
anatomy a cine or volume was taken for), ``"first"``, an index, or ``"all"`` (every
frame, each processed as if read alone, stacked on a new first axis).

pydicom is imported inside the functions, so importing the plugin stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from vadapt import InvalidConfig

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

FramePolicy = Literal["middle", "first", "all"]
DICOM_SUFFIXES = {".dcm", ".dicom"}

# pydicom names import packages; pip names differ for GDCM.
_PIP_NAMES = {"gdcm": "python-gdcm"}
# Used only when pydicom cannot say which plugins it lacks (a future API change).
_FALLBACK_FIX = "pip install pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg (or python-gdcm)"
_COLOUR_FROM_DECODER = {"RGB", "YBR_FULL", "YBR_FULL_422", "YBR_RCT", "YBR_ICT"}


def read_dicom(
    path: str | Path,
    *,
    window: tuple[float, float] | None = None,
    frame: FramePolicy | int = "middle",
) -> tuple[np.ndarray, dict[str, Any]]:
    """Read ``path`` as uint8 HxW (grey) or HxWx3 (RGB), plus what the pixels mean.

    ``window`` is ``(centre, width)`` in modality units and overrides the file's own;
    ``frame`` picks frames of a multi-frame file (see the module docstring; with
    ``"all"`` the array gains a first axis of frames). The info dict records what a
    reader of the image needs and cannot see in the pixels: ``pixel_spacing`` (mm,
    [row, column] floats, from PixelSpacing or else ImagerPixelSpacing, or None),
    ``modality``, ``photometric_interpretation`` (as stored), ``transfer_syntax``
    (its name), ``frames`` (NumberOfFrames), ``frame`` (the index read, or "all"),
    ``window`` (``{"center", "width", "source": "config" | "file"}`` or None when
    min-max scaled or colour), ``scaling`` and ``inverted``.
    """
    path = Path(path)
    ds = _open(path)
    tsyntax = _transfer_syntax(ds, path)
    decoder = _decoder(tsyntax, path)
    n_frames = _n_frames(ds)
    index = _frame_index(frame, n_frames, path)
    raw, photometric_out = _decode(decoder, ds, index, tsyntax, path)
    stored = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip().upper()
    indices = range(n_frames) if index is None else [index]
    frames = raw if index is None and n_frames > 1 else raw[None]  # (frames, H, W[, 3])
    images, windows, scaling = [], [], ""
    for i, arr in zip(indices, frames, strict=True):
        img, win, scaling = _to_uint8(arr, ds, i, stored, photometric_out, window)
        images.append(img)
        windows.append(win)
    info = {
        "modality": _text(ds.get("Modality")),
        "photometric_interpretation": stored,
        "transfer_syntax": tsyntax.name,
        "frames": n_frames,
        "frame": "all" if index is None else index,
        **_spacing(ds),
        "window": windows[0],
        "scaling": scaling,
        "inverted": stored == "MONOCHROME1",
    }
    return (np.stack(images) if index is None else images[0]), info


# -- opening ---------------------------------------------------------------------------
def _open(path: Path) -> Dataset:
    """The dataset of ``path``; one-line error when it is not DICOM or has no image.

    Files without the 128-byte preamble and 'DICM' (old ACR-NEMA style .dcm) are read
    with ``force=True`` and kept only if they hold Pixel Data and Rows/Columns, so a
    PNG renamed .dcm is refused rather than misread.
    """
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(path)
    except InvalidDicomError:
        ds = _forced(path)
    except Exception as exc:
        raise _not_dicom(path, f"unreadable ({type(exc).__name__}: {_one_line(exc)})") from exc
    if "PixelData" not in ds or "Rows" not in ds or "Columns" not in ds:
        raise _not_dicom(path, "a DICOM file without image Pixel Data (e.g. a report or plan)")
    return ds


def _forced(path: Path) -> Dataset:
    import pydicom

    try:
        ds = pydicom.dcmread(path, force=True)
        has_image = "PixelData" in ds and "Rows" in ds and "Columns" in ds
    except Exception:
        has_image = False
    if not has_image:
        raise _not_dicom(path, "not a DICOM file (no 'DICM' header and no image elements)")
    return ds


def _not_dicom(path: Path, what: str) -> InvalidConfig:
    return InvalidConfig(
        f"{path} is {what}",
        fix="remove it from the image folder, or export the image as DICOM with pixel data",
    )


def _transfer_syntax(ds: Dataset, path: Path) -> Any:
    """The file's transfer syntax UID; inferred from how it was read when the meta
    header lacks one (only native encodings can be inferred)."""
    from pydicom import uid

    meta = getattr(ds, "file_meta", None)
    tsyntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if tsyntax:
        return uid.UID(str(tsyntax))
    implicit, little = ds.original_encoding
    if implicit is None or little is None:
        raise _not_dicom(path, "a DICOM file whose transfer syntax cannot be determined")
    if implicit:
        tsyntax = uid.ImplicitVRLittleEndian
    else:
        tsyntax = uid.ExplicitVRLittleEndian if little else uid.ExplicitVRBigEndian
    ds.file_meta = getattr(ds, "file_meta", None) or _file_meta()
    ds.file_meta.TransferSyntaxUID = tsyntax
    return tsyntax


def _file_meta() -> Any:
    """An empty File Meta dataset (a function so pydicom stays a lazy import)."""
    from pydicom.dataset import FileMetaDataset

    return FileMetaDataset()


# -- decoding --------------------------------------------------------------------------
def _decoder(tsyntax: Any, path: Path) -> Any:
    """pydicom's decoder for ``tsyntax``; a one-line error naming the package to
    install when it exists but none of its plugins can run here."""
    from pydicom.pixels import get_decoder

    try:
        decoder = get_decoder(tsyntax)
    except NotImplementedError:
        raise InvalidConfig(
            f"{path}: transfer syntax {tsyntax.name!r} ({tsyntax}) has no pydicom decoder",
            fix="convert the file to an uncompressed syntax (e.g. `gdcmconv --raw` or "
            "dcmtk's `dcmdjpeg`) and load it again",
        ) from None
    if not decoder.is_available:
        raise InvalidConfig(
            f"{path}: pixel data in transfer syntax {tsyntax.name!r} cannot be decoded "
            "here (no decoder package installed)",
            fix=decoder_fix(decoder),
        )
    return decoder


def decoder_fix(decoder: Any) -> str:
    """``pip install ...`` for the plugins pydicom's decoder lacks, from pydicom's own
    dependency table (``missing_dependencies``, e.g. 'pylibjpeg - requires pylibjpeg>=2.0
    and pylibjpeg-libjpeg>=2.1'), pylibjpeg first (plain wheels, no system libraries)."""
    options = []
    for line in getattr(decoder, "missing_dependencies", None) or []:
        _, _, needs = str(line).partition(" - requires ")
        names = [_pip_name(req) for req in needs.split(" and ") if req.strip()]
        names = [n for n in names if n != "numpy"]  # numpy is already here
        if names:
            options.append("pip install " + " ".join(names))
    if not options:
        return _FALLBACK_FIX
    options.sort(key=lambda o: not o.startswith("pip install pylibjpeg"))
    return options[0] + "".join(f" (or: {o})" for o in options[1:])


def _pip_name(requirement: str) -> str:
    name = requirement.strip()
    for sep in ("<", ">", "=", "!", "~", " "):
        name = name.split(sep)[0]
    return _PIP_NAMES.get(name, name)


def _decode(
    decoder: Any, ds: Dataset, index: int | None, tsyntax: Any, path: Path
) -> tuple[np.ndarray, str]:
    """Decoded frame(s) and the photometric interpretation they are in after decoding
    (pydicom converts YBR to RGB; asking the decoder, not guessing, says so)."""
    from pydicom.pixels import as_pixel_options

    try:
        arr, meta = decoder.as_array(ds, index=index, raw=False, **as_pixel_options(ds))
    except Exception as exc:
        fix = "check the file opens in a DICOM viewer; re-export it if it is truncated"
        if tsyntax.is_compressed and getattr(decoder, "missing_dependencies", None):
            fix = f"another decoder may read it: {decoder_fix(decoder)}; else {fix}"
        raise InvalidConfig(
            f"{path}: pixel data ({tsyntax.name}) could not be decoded: "
            f"{type(exc).__name__}: {_one_line(exc)}",
            fix=fix,
        ) from exc
    value = meta.get("photometric_interpretation", "")
    photometric = str(getattr(value, "value", value)).strip().upper()  # an enum in 3.x
    return arr, photometric


def _n_frames(ds: Dataset) -> int:
    try:
        return max(1, int(ds.get("NumberOfFrames") or 1))
    except (TypeError, ValueError):
        return 1


def _frame_index(frame: FramePolicy | int, n_frames: int, path: Path) -> int | None:
    """The frame to read, or None for all of them."""
    if frame == "all":
        return None
    if frame == "middle":
        return n_frames // 2
    if frame == "first":
        return 0
    if isinstance(frame, int) and not isinstance(frame, bool) and 0 <= frame < n_frames:
        return frame
    raise InvalidConfig(
        f"{path}: frame {frame!r} is not 'middle', 'first', 'all' or an index below "
        f"its {n_frames} frame(s)",
        fix="use data.dicom_frames=middle|first|all",
    )


# -- pixels to uint8 -------------------------------------------------------------------
def _to_uint8(
    arr: np.ndarray,
    ds: Dataset,
    index: int,
    stored: str,
    photometric_out: str,
    window: tuple[float, float] | None,
) -> tuple[np.ndarray, dict[str, Any] | None, str]:
    """One frame as uint8, the window used and how it was scaled."""
    if stored == "PALETTE COLOR":
        return _palette(arr, ds), None, "palette colour lookup table"
    if arr.ndim == 3 or photometric_out in _COLOUR_FROM_DECODER:
        return _colour(arr, ds), None, "colour: bit depth to 8 bit"
    values = _modality_lut(arr, ds, index)
    win = _window(ds, index, window)
    if win is None:
        img, scaling = _min_max(values), "min-max"
    else:
        img, scaling = _linear_window(values, win["center"], win["width"]), "window"
    if stored == "MONOCHROME1":
        img = 255 - img
    return img, win, scaling


def _modality_lut(arr: np.ndarray, ds: Dataset, index: int) -> np.ndarray:
    """Stored values to modality units (HU for CT) via pydicom's apply_modality_lut;
    an enhanced multi-frame file keeps its rescale in the functional groups."""
    from pydicom.dataset import Dataset as PydicomDataset
    from pydicom.pixels import apply_modality_lut

    if "ModalityLUTSequence" in ds or "RescaleSlope" in ds:
        return np.asarray(apply_modality_lut(arr, ds), dtype=np.float64)
    item = _functional_item(ds, "PixelValueTransformationSequence", index)
    if item is not None and "RescaleSlope" in item and "RescaleIntercept" in item:
        rescale = PydicomDataset()
        rescale.RescaleSlope, rescale.RescaleIntercept = item.RescaleSlope, item.RescaleIntercept
        return np.asarray(apply_modality_lut(arr, rescale), dtype=np.float64)
    return arr.astype(np.float64)


def _window(ds: Dataset, index: int, window: tuple[float, float] | None) -> dict[str, Any] | None:
    """The window to apply: the config's, else the file's first, else None."""
    if window is not None:
        return {"center": float(window[0]), "width": float(window[1]), "source": "config"}
    source: Any = ds
    if "WindowCenter" not in ds or "WindowWidth" not in ds:
        source = _functional_item(ds, "FrameVOILUTSequence", index)
    if source is None or "WindowCenter" not in source or "WindowWidth" not in source:
        return None
    center, width = _first(source.WindowCenter), _first(source.WindowWidth)
    if center is None or width is None or width <= 0:
        return None
    return {"center": center, "width": width, "source": "file"}


def _linear_window(values: np.ndarray, center: float, width: float) -> np.ndarray:
    """DICOM's LINEAR VOI function (PS3.3 C.11.2.1.2.1) onto 0..255; width 1 is a
    threshold at ``center - 0.5``, as the standard's limits say."""
    if width <= 1:
        return np.where(values > center - 0.5, 255, 0).astype(np.uint8)
    y = ((values - (center - 0.5)) / (width - 1) + 0.5) * 255.0
    return np.rint(np.clip(y, 0, 255)).astype(np.uint8)


def _min_max(values: np.ndarray) -> np.ndarray:
    """The frame's own range onto 0..255 (no window anywhere); a flat frame is 0."""
    lo, hi = float(values.min()), float(values.max())
    if hi <= lo:
        return np.zeros(values.shape, dtype=np.uint8)
    return np.rint((values - lo) * (255.0 / (hi - lo))).astype(np.uint8)


def _colour(arr: np.ndarray, ds: Dataset) -> np.ndarray:
    """RGB samples as uint8: 8-bit kept, deeper samples scaled by BitsStored."""
    if arr.dtype == np.uint8:
        return arr
    bits = int(ds.get("BitsStored") or ds.get("BitsAllocated") or 8)
    top = float(2**bits - 1)
    return np.rint(np.clip(arr.astype(np.float64), 0, top) * (255.0 / top)).astype(np.uint8)


def _palette(arr: np.ndarray, ds: Dataset) -> np.ndarray:
    """PALETTE COLOR through the file's lookup table, 16-bit entries scaled to 8."""
    from pydicom.pixels import apply_color_lut

    rgb = apply_color_lut(arr, ds)
    if rgb.dtype == np.uint8:
        return rgb
    return np.rint(rgb.astype(np.float64) * (255.0 / 65535.0)).astype(np.uint8)


# -- what the pixels mean ----------------------------------------------------------------
def _spacing(ds: Dataset) -> dict[str, Any]:
    """Pixel spacing in mm, [row, column]: PixelSpacing (patient plane) before
    ImagerPixelSpacing (detector plane, projection radiographs), top level before the
    shared functional groups of enhanced files."""
    measures = _functional_item(ds, "PixelMeasuresSequence", None)
    for source, where in ((ds, ""), (measures, " (shared functional groups)")):
        for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
            if source is not None and keyword in source:
                value = _floats(source[keyword].value)
                if value is not None:
                    return {"pixel_spacing": value, "pixel_spacing_source": keyword + where}
    return {"pixel_spacing": None, "pixel_spacing_source": None}


def _functional_item(ds: Dataset, sequence: str, index: int | None) -> Any:
    """The first item of ``sequence`` in the frame's per-frame functional group, else
    in the shared group (enhanced multi-frame CT/MR/SEG keep their values there)."""
    groups = []
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    if index is not None and per_frame is not None and index < len(per_frame):
        groups.append(per_frame[index])
    shared = ds.get("SharedFunctionalGroupsSequence")
    if shared:
        groups.append(shared[0])
    for group in groups:
        seq = group.get(sequence)
        if seq:
            return seq[0]
    return None


def _first(value: Any) -> float | None:
    """The first of a multi-valued element (DICOM's default choice), as float."""
    if value is None or isinstance(value, (str, bytes)):
        return _float(value)
    try:
        return _float(value[0])
    except (TypeError, IndexError):
        return _float(value)


def _floats(value: Any) -> list[float] | None:
    try:
        out = [float(v) for v in value]
    except (TypeError, ValueError):
        return None
    return out or None


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _one_line(exc: BaseException) -> str:
    """pydicom's messages span lines (one per plugin); errors here are one line."""
    return " ".join(part.strip() for part in str(exc).splitlines() if part.strip())
