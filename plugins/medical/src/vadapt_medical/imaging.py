"""medical/imaging and medical/imaging-multilabel: MedMNIST .npz files and folder trees.

Examples are ``{"image": uint8 HxW (grey) or HxWx3 (RGB), "label": str | list[str]}``;
the engine resizes and normalises. MedMNIST stores grey images as (N, H, W) and
RGB as (N, H, W, 3); labels as (N, 1) class indices or (N, K) 0/1 for multi-label
sets (ChestMNIST). A folder tree is ``<root>/<class>/*.png`` (split here, seeded
and stratified) or ``<root>/{train,val,test}/<class>/*.png`` (splits kept).

Folder trees may hold DICOM files (``*.dcm``, ``*.dicom``) next to PNG/JPEG: they are
read by ``vadapt_medical.dicom.read_dicom`` (Modality LUT, window, MONOCHROME1
inverted, one frame by ``data.dicom_frames``) and their examples carry what the pixels
alone do not say (pixel spacing, modality, window, ...) under ``"dicom"``; the core
ignores keys it does not know. Splits are drawn over files, not frames, so the frames
of one multi-frame file never straddle train and test.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from vadapt import InvalidConfig, NotFound, Splits
from vadapt.kit import label_counts, stratified_split

from vadapt_medical.common import intended_use
from vadapt_medical.dicom import DICOM_SUFFIXES, read_dicom
from vadapt_medical.tasks import IMAGING_ML, ImagingData

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif"}
FOLDER_SUFFIXES = IMAGE_SUFFIXES | DICOM_SUFFIXES
_SPLIT_DIRS = {"train": ("train",), "validation": ("val", "valid", "validation"), "test": ("test",)}


def _bad(task_id: str, what: str, fix: str) -> InvalidConfig:
    return InvalidConfig(f"{what} (task {task_id})", fix=fix)


def _as_images(arr: np.ndarray, where: str, task_id: str) -> np.ndarray:
    if arr.ndim == 4 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim == 4 and arr.shape[1] in (1, 3) and arr.shape[-1] not in (1, 3):
        arr = np.moveaxis(arr, 1, -1)  # NCHW -> NHWC
        arr = arr[..., 0] if arr.shape[-1] == 1 else arr
    if not (arr.ndim == 3 or (arr.ndim == 4 and arr.shape[-1] == 3)):
        raise _bad(
            task_id,
            f"{where} has shape {arr.shape}; expected (N, H, W) grey or (N, H, W, 3) RGB",
            "save images as MedMNIST does: uint8 (N, H, W) or (N, H, W, 3)",
        )
    if arr.dtype != np.uint8:
        if (
            np.issubdtype(arr.dtype, np.floating)
            and arr.size
            and arr.max() <= 1.0
            and arr.min() >= 0
        ):
            arr = np.rint(arr * 255)
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    return arr


def _label_names(n: int, cfg: ImagingData, task_id: str) -> tuple[str, ...]:
    if cfg.label_names is None:
        return tuple(str(i) for i in range(n))
    if len(cfg.label_names) < n or len(set(cfg.label_names)) != len(cfg.label_names):
        raise _bad(
            task_id,
            f"data.label_names has {len(cfg.label_names)} distinct names but the labels need {n}",
            "list one unique name per label index, e.g. label_names=[normal,pneumonia]",
        )
    return tuple(cfg.label_names)


def _npz_labels(lab: np.ndarray, multilabel: bool, where: str, task_id: str) -> np.ndarray:
    lab = np.asarray(lab)
    if lab.ndim == 1:
        lab = lab[:, None]
    if multilabel:
        if lab.ndim != 2 or not np.isin(lab, (0, 1)).all():
            raise _bad(
                task_id,
                f"{where} has shape {lab.shape} / values not 0/1; multi-label needs (N, K) 0/1",
                "use medical/imaging for (N, 1) class indices",
            )
        return lab.astype(np.int64)
    if lab.shape[1] != 1:
        raise _bad(
            task_id,
            f"{where} has shape {lab.shape}: {lab.shape[1]} columns look multi-label",
            "use task medical/imaging-multilabel for (N, K) 0/1 labels",
        )
    return lab[:, 0].astype(np.int64)


def load_npz(
    path: Path, cfg: ImagingData, task_id: str
) -> tuple[dict[str, list[dict[str, Any]]], tuple[str, ...]]:
    multilabel = task_id == IMAGING_ML
    try:
        data = np.load(path, allow_pickle=False)
    except Exception as exc:
        raise _bad(
            task_id, f"data.path {path} is not a readable .npz ({exc})", "pass a MedMNIST .npz"
        ) from exc
    with data:
        needed = [f"{p}_{k}" for p in ("train", "val", "test") for k in ("images", "labels")]
        missing = [k for k in needed if k not in data.files]
        if missing:
            raise _bad(
                task_id,
                f"data.path {path} lacks arrays {missing} (has {sorted(data.files)})",
                "use the MedMNIST layout: train_images, train_labels, val_*, test_*",
            )
        arrays = {
            split: (
                _as_images(data[f"{p}_images"], f"{path}:{p}_images", task_id),
                _npz_labels(data[f"{p}_labels"], multilabel, f"{path}:{p}_labels", task_id),
            )
            for split, p in (("train", "train"), ("validation", "val"), ("test", "test"))
        }
    for split, (im, lab) in arrays.items():
        if len(im) != len(lab):
            raise _bad(
                task_id,
                f"{path}: {split} has {len(im)} images but {len(lab)} labels",
                "fix the file",
            )
    if multilabel:
        n = arrays["train"][1].shape[1]
    else:
        n = int(max(int(lab.max()) if len(lab) else 0 for _, lab in arrays.values())) + 1
    names = _label_names(n, cfg, task_id)
    out: dict[str, list[dict[str, Any]]] = {}
    for split, (im, lab) in arrays.items():
        if multilabel:
            out[split] = [
                {"image": im[i], "label": [names[j] for j in np.flatnonzero(lab[i])]}
                for i in range(len(im))
            ]
        else:
            out[split] = [{"image": im[i], "label": names[int(lab[i])]} for i in range(len(im))]
    return out, names


def _read_image(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as img:
        if img.mode in ("L", "I;16", "I", "F"):
            arr = np.asarray(img.convert("F"))
            if img.mode != "L" and arr.max() > 255:  # 16-bit radiographs: rescale to 8 bit
                arr = arr * (255.0 / arr.max())
            return np.clip(arr, 0, 255).astype(np.uint8)
        return np.asarray(img.convert("RGB"), dtype=np.uint8)


def _class_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def _files(d: Path) -> list[Path]:
    return sorted(p for p in d.rglob("*") if p.suffix.lower() in FOLDER_SUFFIXES and p.is_file())


def _file_examples(f: Path, label: str, cfg: ImagingData, task_id: str) -> list[dict[str, Any]]:
    """One file's examples: one for a PNG/JPEG, one per frame read from a DICOM file."""
    if f.suffix.lower() in DICOM_SUFFIXES:
        return _dicom_examples(f, label, cfg, task_id)
    return [{"image": _read_image(f), "label": label, "path": str(f)}]


def _dicom_examples(f: Path, label: str, cfg: ImagingData, task_id: str) -> list[dict[str, Any]]:
    """A DICOM file's frame(s) by ``data.dicom_frames``; with "all" each frame is its own
    example, its ``id`` the path suffixed ``#frame<k>`` (0-based) and its info's ``frame`` k."""
    window = None
    if cfg.window_center is not None and cfg.window_width is not None:
        window = (cfg.window_center, cfg.window_width)
    try:
        image, info = read_dicom(f, window=window, frame=cfg.dicom_frames)
    except InvalidConfig as exc:
        raise _bad(task_id, exc.message, exc.fix or "remove the file") from exc
    if info["frame"] != "all":
        return [{"image": image, "label": label, "path": str(f), "dicom": info}]
    return [
        {
            "image": frame,
            "label": label,
            "path": str(f),
            "id": f"{f}#frame{k}",
            "dicom": {**info, "frame": k},
        }
        for k, frame in enumerate(image)
    ]


def _groups(class_dirs: list[Path], cfg: ImagingData, task_id: str) -> list[list[dict[str, Any]]]:
    """Examples grouped by file, so that splits are drawn over files, not frames."""
    return [_file_examples(f, c.name, cfg, task_id) for c in class_dirs for f in _files(c)]


def _split_groups(
    groups: list[list[dict[str, Any]]], val: float, test: float, seed: int
) -> tuple[list[list[dict[str, Any]]], ...]:
    """Stratified train/validation/test over files (a file's frames share its label)."""
    tr, va, te = stratified_split(
        [g[0]["label"] for g in groups], val_fraction=val, test_fraction=test, seed=seed
    )
    return [groups[i] for i in tr], [groups[i] for i in va], [groups[i] for i in te]


def _flat(groups: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [ex for group in groups for ex in group]


def load_folder(
    root: Path, cfg: ImagingData, task_id: str
) -> tuple[dict[str, list[dict[str, Any]]], tuple[str, ...], str]:
    if task_id == IMAGING_ML:
        raise _bad(
            task_id,
            f"data.path {root} is a folder; folder-per-class trees hold one label per image",
            "use medical/imaging for folders, or a MedMNIST .npz with (N, K) labels",
        )
    subdirs = {p.name.lower(): p for p in _class_dirs(root)}
    split_dirs = {
        split: next((subdirs[a] for a in aliases if a in subdirs), None)
        for split, aliases in _SPLIT_DIRS.items()
    }
    if split_dirs["train"] is not None and split_dirs["test"] is not None:
        classes = sorted(
            {c.name for d in split_dirs.values() if d is not None for c in _class_dirs(d)}
        )
        groups = {
            split: _groups(_class_dirs(d), cfg, task_id) if d is not None else []
            for split, d in split_dirs.items()
        }
        if not groups["validation"]:  # carve validation out of train, stratified
            tr, va, _ = _split_groups(groups["train"], cfg.val_fraction, 0.0, cfg.seed)
            groups["train"], groups["validation"] = tr, va
            return (
                {split: _flat(g) for split, g in groups.items()},
                tuple(classes),
                "folder tree with train/ and test/ (validation split from train, seeded)",
            )
        out = {split: _flat(g) for split, g in groups.items()}
        return out, tuple(classes), "folder tree with train/ val/ test/ (splits as given)"
    classes_dirs = _class_dirs(root)
    if len(classes_dirs) < 2:
        raise _bad(
            task_id,
            f"data.path {root} has {len(classes_dirs)} class folder(s); need <class>/*.png "
            "(or *.dcm) for at least 2 classes",
            "arrange images as <root>/<class>/<image>.png (or train/ val/ test/ above that)",
        )
    tr, va, te = _split_groups(
        _groups(classes_dirs, cfg, task_id), cfg.val_fraction, cfg.test_fraction, cfg.seed
    )
    out = {"train": _flat(tr), "validation": _flat(va), "test": _flat(te)}
    return (
        out,
        tuple(c.name for c in classes_dirs),
        f"folder-per-class tree (stratified split, seed {cfg.seed})",
    )


def _cap(examples: list[dict[str, Any]], k: int | None, seed: int) -> list[dict[str, Any]]:
    """Keep k examples, each label (combination) in proportion, seeded."""
    if k is None or len(examples) <= k:
        return examples
    rng = np.random.default_rng(seed)
    by: dict[str, list[int]] = {}
    for i, e in enumerate(examples):
        by.setdefault(str(e["label"]), []).append(i)
    keep: list[int] = []
    for key in sorted(by):
        idx = by[key]
        take = max(1, round(len(idx) * k / len(examples)))
        keep.extend(rng.permutation(idx)[:take].tolist())
    keep = sorted(rng.permutation(keep)[:k].tolist())
    return [examples[i] for i in keep]


def load(cfg: ImagingData, task_id: str) -> Splits:
    synthetic = cfg.synthetic
    if synthetic:
        from vadapt_medical.synthetic import write_npz

        kind = "multilabel" if task_id == IMAGING_ML else cfg.synthetic_kind
        if task_id != IMAGING_ML and kind == "multilabel":
            raise _bad(
                task_id, "data.synthetic_kind=multilabel", "use task medical/imaging-multilabel"
            )
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "synthetic.npz"
            names = write_npz(path, kind, cfg.synthetic_n, cfg.synthetic_size, cfg.seed)
            cfg = cfg.model_copy(update={"label_names": list(names)})
            splits, labels = load_npz(path, cfg, task_id)
        source = (
            f"SYNTHETIC {kind} chest-film-like drawings from vadapt_medical.synthetic "
            f"(n={cfg.synthetic_n}, {cfg.synthetic_size}px, seed {cfg.seed}); NOT medical images"
        )
    elif cfg.path is None:
        raise _bad(
            task_id,
            "data.path is not set",
            "point data.path at a MedMNIST .npz or a folder-per-class tree, or set "
            "data.synthetic=true for the synthetic demo set",
        )
    else:
        path = Path(cfg.path).expanduser()
        if not path.exists():
            raise NotFound(
                f"data.path {path} does not exist (task {task_id})",
                fix="download e.g. PneumoniaMNIST (see the vadapt-medical README) or fix the path",
            )
        if path.is_dir():
            splits, labels, source = load_folder(path, cfg, task_id)
            source = f"{source} at {path}"
        else:
            splits, labels = load_npz(path, cfg, task_id)
            source = f"MedMNIST-layout .npz {path} (splits as stored)"
    if cfg.max_per_split is not None:
        splits = {k: _cap(v, cfg.max_per_split, cfg.seed) for k, v in splits.items()}
    for split, exs in splits.items():
        if not exs:
            raise _bad(
                task_id, f"the {split} split is empty ({source})", "provide images for every split"
            )
    if task_id != IMAGING_ML:
        labels = _order_positive(labels, cfg.positive_label, task_id)
    first = splits["train"][0]["image"]
    notes = (
        f"Data: {source}. Images {'x'.join(map(str, first.shape))} uint8 "
        f"({'grey' if first.ndim == 2 else 'RGB'}); the engine resizes to train.image_size. "
    )
    if synthetic:
        notes += "SYNTHETIC data: results say nothing about performance on real images. "
    dicom = _dicom_summary(splits, cfg)
    if dicom is not None:
        notes += (
            f"DICOM: {dicom['files']} file(s), {dicom['examples']} example(s), frames "
            f"'{dicom['frames']}', window {dicom['window']}. "
        )
    info_dicom = {} if dicom is None else {"dicom": dicom}
    return Splits(
        train=splits["train"],
        validation=splits["validation"],
        test=splits["test"],
        labels=labels,
        info={
            "source": source,
            "synthetic": synthetic,
            "task": task_id,
            "label_counts": {k: label_counts(v) for k, v in splits.items()},
            "positive_label": labels[-1] if len(labels) == 2 and task_id != IMAGING_ML else None,
            "intended_use": intended_use(
                "medical image classifiers" + (" on synthetic drawings" if synthetic else "")
            ),
            "notes": notes + "Not for clinical decisions.",
            **info_dicom,
        },
    )


def _dicom_summary(
    splits: dict[str, list[dict[str, Any]]], cfg: ImagingData
) -> dict[str, Any] | None:
    """What was read from DICOM, for Splits.info (and so the manifest); None without any,
    so .npz and PNG loads keep their info unchanged."""
    examples = [e for exs in splits.values() for e in exs if "dicom" in e]
    if not examples:
        return None
    if cfg.window_center is not None:
        window = f"centre {cfg.window_center:g} width {cfg.window_width:g} (config)"
    else:
        window = "from each file (WindowCenter/WindowWidth), else min-max"
    return {
        "files": len({e["path"] for e in examples}),
        "examples": len(examples),
        "frames": cfg.dicom_frames,
        "window": window,
        "modalities": sorted({str(e["dicom"]["modality"]) for e in examples}),
    }


def _order_positive(labels: tuple[str, ...], positive: str | None, task_id: str) -> tuple[str, ...]:
    if positive is None:
        return labels
    if positive not in labels:
        raise _bad(
            task_id,
            f"data.positive_label {positive!r} is not a class",
            f"use one of {list(labels)}",
        )
    if len(labels) != 2:
        raise _bad(task_id, "data.positive_label applies to binary tasks only", "remove it")
    return (*tuple(x for x in labels if x != positive), positive)
