"""Load traffic-sign / traffic-light crops from the published layouts, or generate them.

Layouts read from disk:

- **GTSRB** (``source=gtsrb``): ``<root>/Final_Training/Images/000NN/GT-000NN.csv``,
  ``;``-separated ``Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId``, .ppm
  images; each image is cropped to its ROI on load (GTSRB's corners are inclusive).
  Files are named ``<track>_<frame>.ppm``: the 30 frames of one track show one
  physical sign, so validation is held out by whole tracks. The official test set
  is ``GT-final_test.csv`` (same columns) next to ``Final_Test/Images``.
- **folder** (``source=folder``): ``<root>/<label>/*.png|jpg|ppm|...``, or
  ``<root>/{train,validation|val,test}/<label>/...``. For signs, numeric folder
  names (``14``, ``00014``) are GTSRB ClassIds and are mapped to names.
- **csv** (``source=csv``): a CSV (``,`` or ``;``) with a path column
  (``path``/``filename``/``file``/``Filename``), a label column (``label``/``class``/
  ``ClassId``/``state``), optional box ``x1,y1,x2,y2`` (or GTSRB's ``Roi.*``, inclusive)
  and optional ``split``. Relative paths resolve against the CSV's folder.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError
from vadapt import InvalidConfig, Splits

from vadapt_driving.corruptions import corrupt_split
from vadapt_driving.lights import ARROW_STATES, LIGHT_STATES
from vadapt_driving.signs import DRAWABLE_SIGNS, GTSRB_CLASSES
from vadapt_driving.synth import generate
from vadapt_driving.tasks import SIGNS

IMAGE_EXTS = {".ppm", ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
SPLIT_DIRS = {
    "train": "train",
    "training": "train",
    "validation": "validation",
    "val": "validation",
    "valid": "validation",
    "dev": "validation",
    "test": "test",
    "testing": "test",
}
PATH_COLS = ("path", "filename", "file", "image", "Filename", "Path")
LABEL_COLS = ("label", "class", "ClassId", "state", "Label", "Class")

SYNTHETIC_NOTE = (
    "SYNTHETIC DATA: every image was drawn by vadapt-driving's PIL generator (signs/lights on "
    "generated backgrounds); no real camera image was used. Scores on it say nothing about "
    "real roads."
)
SYNTHETIC_USE = (
    "Demonstration and pipeline testing only. Not for any vehicle or safety decision; "
    "retrain and validate on real data (e.g. GTSRB) first."
)


def _bad(field: str, what: str, fix: str) -> InvalidConfig:
    return InvalidConfig(f"data.{field}: {what}", fix=fix)


# -- images ---------------------------------------------------------------------------------


def read_image(
    path: Path, box: tuple[int, int, int, int] | None = None, resize: int | None = None
) -> np.ndarray:
    """Read an image as HxWx3 uint8, crop to ``box`` (x1, y1, x2, y2 exclusive), resize."""
    try:
        with Image.open(path) as im:
            im = im.convert("RGB")
            if box is not None:
                x1, y1, x2, y2 = box
                x1, y1 = max(0, x1), max(0, y1)
                x2, y2 = min(im.width, x2), min(im.height, y2)
                if x2 - x1 < 2 or y2 - y1 < 2:
                    raise InvalidConfig(
                        f"box {box} of image {path} is empty inside its "
                        f"{im.width}x{im.height} pixels",
                        fix="check the ROI columns (x1<x2, y1<y2, inside the image)",
                    )
                im = im.crop((x1, y1, x2, y2))
            if resize:
                im = im.resize((resize, resize), Image.BILINEAR)
            return np.asarray(im, dtype=np.uint8).copy()
    except FileNotFoundError:
        raise InvalidConfig(
            f"image {path} does not exist",
            fix="check data.path and the file names listed in the CSV",
        ) from None
    except (UnidentifiedImageError, OSError) as err:
        raise InvalidConfig(
            f"image {path} cannot be read ({err})", fix="remove or replace the corrupt file"
        ) from None


# -- GTSRB --------------------------------------------------------------------------------


def _sniff(path: Path) -> str:
    head = path.read_text(encoding="utf-8-sig", errors="replace")[:2048]
    return ";" if head.count(";") > head.count(",") else ","


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise InvalidConfig(f"CSV {path} does not exist", fix="check data.path / data.test_path")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh, delimiter=_sniff(path)))
    if not rows:
        raise InvalidConfig(
            f"CSV {path} has no rows", fix="point at a CSV with a header and data rows"
        )
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in rows]


def _roi(row: dict[str, str], where: str) -> tuple[int, int, int, int] | None:
    try:
        if "Roi.X1" in row:  # GTSRB: inclusive lower-right corner
            return (
                int(row["Roi.X1"]),
                int(row["Roi.Y1"]),
                int(row["Roi.X2"]) + 1,
                int(row["Roi.Y2"]) + 1,
            )
        if "x1" in row and row["x1"] != "":
            return (
                int(float(row["x1"])),
                int(float(row["y1"])),
                int(float(row["x2"])),
                int(float(row["y2"])),
            )
    except (KeyError, ValueError) as err:
        raise InvalidConfig(
            f"{where}: bad box value ({err})",
            fix="box columns must be integers: x1,y1,x2,y2 or Roi.X1..Roi.Y2",
        ) from None
    return None


def _class_name(raw: str, where: str) -> str:
    try:
        idx = int(raw)
    except ValueError:
        return raw
    if not 0 <= idx < len(GTSRB_CLASSES):
        raise InvalidConfig(
            f"{where}: ClassId {idx} is outside GTSRB's 0..42",
            fix="use GTSRB ClassIds 0-42 or class names",
        )
    return GTSRB_CLASSES[idx]


def _gtsrb_images_dir(root: Path) -> Path:
    for cand in (
        root / "Final_Training" / "Images",
        root / "GTSRB" / "Final_Training" / "Images",
        root / "Images",
        root,
    ):
        if cand.is_dir() and any(cand.glob("*/GT-*.csv")):
            return cand
    raise InvalidConfig(
        f"data.path {root} holds no GTSRB training layout "
        "(Final_Training/Images/000NN/GT-000NN.csv)",
        fix="point data.path at the folder that contains Final_Training/ (unzipped "
        "GTSRB_Final_Training_Images.zip)",
    )


def load_gtsrb_train(root: Path, resize: int | None) -> list[dict[str, Any]]:
    images = _gtsrb_images_dir(root)
    out: list[dict[str, Any]] = []
    for csv_path in sorted(images.glob("*/GT-*.csv")):
        for i, row in enumerate(_read_csv(csv_path)):
            where = f"{csv_path}:{i + 2}"
            if "Filename" not in row or "ClassId" not in row:
                raise InvalidConfig(
                    f"{where}: missing Filename/ClassId columns",
                    fix="GTSRB CSVs are "
                    "'Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId'",
                )
            label = _class_name(row["ClassId"], where)
            track = row["Filename"].split("_", 1)[0]
            out.append(
                {
                    "image": read_image(
                        csv_path.parent / row["Filename"], _roi(row, where), resize
                    ),
                    "label": label,
                    "group": f"{csv_path.parent.name}/{track}",
                    "file": str(csv_path.parent / row["Filename"]),
                }
            )
    return out


def load_gtsrb_test(path: Path, resize: int | None) -> list[dict[str, Any]]:
    csv_path = path
    if path.is_dir():
        for name in (
            "GT-final_test.csv",
            "Final_Test/Images/GT-final_test.csv",
            "Images/GT-final_test.csv",
        ):
            if (path / name).is_file():
                csv_path = path / name
                break
        else:
            raise InvalidConfig(
                f"data.test_path {path} holds no GT-final_test.csv",
                fix="unzip GTSRB_Final_Test_GT.zip (the labelled CSV) next to the "
                "Final_Test/Images files",
            )
    rows = _read_csv(csv_path)
    if "ClassId" not in rows[0]:
        raise InvalidConfig(
            f"data.test_path {csv_path} has no ClassId column "
            "(the unlabelled GT-final_test.test.csv?)",
            fix="use GT-final_test.csv from GTSRB_Final_Test_GT.zip",
        )
    base = csv_path.parent
    dirs = [
        base,
        base / "Images",
        base / "Final_Test" / "Images",
        base / "GTSRB" / "Final_Test" / "Images",
    ]
    out = []
    for i, row in enumerate(rows):
        where = f"{csv_path}:{i + 2}"
        # GT-final_test.csv comes in its own zip: accept it beside the images or above them.
        img_path = next(
            (d / row["Filename"] for d in dirs if (d / row["Filename"]).exists()),
            csv_path.parent / row["Filename"],
        )
        out.append(
            {
                "image": read_image(img_path, _roi(row, where), resize),
                "label": _class_name(row["ClassId"], where),
                "file": str(img_path),
            }
        )
    return out


# -- folder trees and CSVs ------------------------------------------------------------------


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTS and p.is_file())


def load_folder(
    root: Path, resize: int | None, numeric_gtsrb: bool
) -> dict[str, list[dict[str, Any]]]:
    """``{split or "all": examples}`` from a folder-per-class tree."""
    if not root.is_dir():
        raise _bad(
            "path", f"{root} is not a folder", "point it at a folder with one sub-folder per class"
        )
    subdirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    split_dirs = {SPLIT_DIRS[p.name.lower()]: p for p in subdirs if p.name.lower() in SPLIT_DIRS}
    trees = split_dirs if split_dirs else {"all": root}
    out: dict[str, list[dict[str, Any]]] = {}
    for split, tree in trees.items():
        examples = []
        for class_dir in sorted(
            p for p in tree.iterdir() if p.is_dir() and not p.name.startswith(".")
        ):
            label = _class_name(class_dir.name, str(class_dir)) if numeric_gtsrb else class_dir.name
            for f in _images_in(class_dir):
                examples.append(
                    {"image": read_image(f, None, resize), "label": label, "file": str(f)}
                )
        out[split] = examples
    if not any(out.values()):
        raise _bad(
            "path",
            f"{root} holds no images in class folders ({', '.join(sorted(IMAGE_EXTS))})",
            "lay the data out as <path>/<label>/<image files>",
        )
    return out


def load_csv(
    path: Path, resize: int | None, numeric_gtsrb: bool
) -> dict[str, list[dict[str, Any]]]:
    rows = _read_csv(path)
    pcol = next((c for c in PATH_COLS if c in rows[0]), None)
    lcol = next((c for c in LABEL_COLS if c in rows[0]), None)
    if pcol is None or lcol is None:
        raise InvalidConfig(
            f"CSV {path} lacks a {'path' if pcol is None else 'label'} column "
            f"(has {sorted(rows[0])})",
            fix=f"name the columns one of {PATH_COLS} and one of {LABEL_COLS}",
        )
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for i, row in enumerate(rows):
        where = f"{path}:{i + 2}"
        raw = row[lcol]
        if raw == "":
            raise InvalidConfig(f"{where}: empty label", fix="give every row a label")
        label = _class_name(raw, where) if numeric_gtsrb else raw
        split = SPLIT_DIRS.get(row.get("split", "").lower(), "all") if row.get("split") else "all"
        f = Path(row[pcol])
        f = f if f.is_absolute() else path.parent / f
        ex: dict[str, Any] = {
            "image": read_image(f, _roi(row, where), resize),
            "label": label,
            "file": str(f),
        }
        if row.get("group"):
            ex["group"] = row["group"]
        out[split].append(ex)
    return dict(out)


# -- splitting -----------------------------------------------------------------------------


def split_grouped(examples: list[dict[str, Any]], fraction: float, seed: int) -> tuple[list, list]:
    """Hold out ``fraction`` of each class, by whole groups when examples carry ``group``.

    Not ``vadapt.kit.group_split``: that one shuffles all groups together and cuts a
    fraction of the *groups*, so a class can lose every track to validation (or get none
    held out) and the held-out share of examples drifts with track lengths. GTSRB needs
    per-class stratification by examples with at least one track kept for training, and
    switching would move every existing split.
    """
    rng = np.random.default_rng(seed)
    by_label: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i, ex in enumerate(examples):
        by_label[ex["label"]][str(ex.get("group", i))].append(i)
    keep, held = [], []
    for label in sorted(by_label):
        groups = sorted(by_label[label])
        rng.shuffle(groups)
        n = sum(len(by_label[label][g]) for g in groups)
        want = max(1, round(fraction * n)) if n >= 3 else 0
        taken = 0
        for k, g in enumerate(groups):
            idx = by_label[label][g]
            last = k == len(groups) - 1  # never hold out a whole class
            if not last and taken < want and (taken == 0 or taken + len(idx) <= want * 1.5):
                held.extend(idx)
                taken += len(idx)
            else:
                keep.extend(idx)
    keep.sort()
    held.sort()
    return [examples[i] for i in keep], [examples[i] for i in held]


def _cap(examples: list[dict[str, Any]], cap: int | None, seed: int) -> list[dict[str, Any]]:
    if cap is None:
        return examples
    rng = np.random.default_rng(seed)
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, ex in enumerate(examples):
        by_label[ex["label"]].append(i)
    chosen = sorted(
        i
        for idx in by_label.values()
        for i in (rng.choice(idx, cap, replace=False) if len(idx) > cap else idx)
    )
    return [examples[i] for i in chosen]


def _ordered_labels(task_labels: tuple[str, ...], seen: Iterable[str]) -> tuple[str, ...]:
    seen = set(seen)
    known = [lab for lab in task_labels if lab in seen]
    return tuple(known + sorted(seen - set(known)))


# -- entry point ---------------------------------------------------------------------------


def load(task_id: str, config: Any) -> Splits:
    signs = task_id == SIGNS
    task_labels = GTSRB_CLASSES if signs else LIGHT_STATES + ARROW_STATES
    info: dict[str, Any] = {"source": config.source, "synthetic": config.source == "generated"}
    if config.source == "generated":
        if signs:
            labels = (
                _ordered_labels(GTSRB_CLASSES, config.classes) if config.classes else DRAWABLE_SIGNS
            )
            unknown = [c for c in labels if c not in DRAWABLE_SIGNS]
            if unknown:
                raise _bad(
                    "classes",
                    f"the generator cannot draw {unknown}",
                    f"choose from {list(DRAWABLE_SIGNS)}",
                )
        else:
            labels = LIGHT_STATES + (ARROW_STATES if config.arrows else ())
        kind = "signs" if signs else "lights"
        size, seed = config.image_size, config.seed
        train = generate(labels, config.train_per_class, size, seed, kind)
        val = generate(labels, config.eval_per_class, size, seed + 1_000_003, kind)
        test = generate(labels, config.eval_per_class, size, seed + 2_000_003, kind)
        info.update(
            synthetic=True,
            generator=f"vadapt_driving.synth ({kind}), seed {seed}, {size}x{size} px",
            license="generated by vadapt-driving (Apache-2.0)",
            notes=SYNTHETIC_NOTE,
            intended_use=SYNTHETIC_USE,
            split="independent seeded draws for train / validation / test",
        )
    else:
        if not config.path:
            raise _bad(
                "path",
                f"source={config.source} needs a path",
                "set data.path to the data root (or use source=generated)",
            )
        root = Path(config.path).expanduser()
        parts: dict[str, list[dict[str, Any]]]
        if config.source == "gtsrb":
            parts = {"all": load_gtsrb_train(root, config.resize)}
            if config.test_path:
                parts["test"] = load_gtsrb_test(Path(config.test_path).expanduser(), config.resize)
            info.update(
                license="GTSRB (see https://benchmark.ini.rub.de/); check its terms",
                notes="German Traffic Sign Recognition Benchmark, ROI-cropped on load",
            )
        elif config.source == "folder":
            parts = load_folder(root, config.resize, signs)
            if config.test_path:
                parts["test"] = load_folder(
                    Path(config.test_path).expanduser(), config.resize, signs
                ).get("all", [])
        else:
            parts = load_csv(root, config.resize, signs)
            if config.test_path:
                parts["test"] = load_csv(
                    Path(config.test_path).expanduser(), config.resize, signs
                ).get("all", [])
        pool = parts.get("all", []) + parts.get("train", [])
        test = parts.get("test")
        if test is None or not test:
            pool, test = split_grouped(pool, config.test_fraction, config.seed)
            info["split"] = f"test held out: {config.test_fraction:.0%} per class"
        else:
            info["split"] = "test: the data's own test set"
        val = parts.get("validation")
        if not val:
            pool, val = split_grouped(pool, config.validation_fraction, config.seed + 1)
            info["split"] += f"; validation held out: {config.validation_fraction:.0%} per class"
        info["split"] += " (grouped by GTSRB track)" if any("group" in ex for ex in pool) else ""
        train = _cap(pool, config.max_per_class, config.seed)
        if not train or not val or not test:
            raise _bad(
                "path",
                f"{root} gave {len(train)} train / {len(val)} validation / {len(test)} "
                "test examples; every split needs at least one",
                "add images, or lower data.validation_fraction / data.test_fraction",
            )
        labels = _ordered_labels(task_labels, (ex["label"] for ex in train))
        for name, part in (("validation", val), ("test", test)):
            unseen = sorted({ex["label"] for ex in part} - set(labels))
            if unseen:
                raise _bad(
                    "path",
                    f"{name} split has label(s) {unseen} with no training example",
                    f"add training images of those classes or drop them from the {name} data",
                )
        info["path"] = str(root)
    if config.test_corruption:
        test = corrupt_split(test, config.test_corruption, config.test_severity, config.seed)
        info["test_corruption"] = f"{config.test_corruption}" + (
            "" if config.test_corruption == "all" else f" @ severity {config.test_severity}"
        )
    info["sizes"] = {"train": len(train), "validation": len(val), "test": len(test)}
    return Splits(train=train, validation=val, test=test, labels=tuple(labels), info=info)
