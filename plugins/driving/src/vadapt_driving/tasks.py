"""The driving tasks and the pydantic models of their ``data:`` sections."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from vadapt import Experience, Stream, TaskSpec

SIGNS = "driving/traffic-signs"
LIGHTS = "driving/traffic-lights"

HEADLINE = ("accuracy", "driving.critical_recall_min", "macro_f1")
BASELINES = ("majority", "frozen-probe")  # plus colour-hist-logreg, hog-logreg (own hook)

# The recipes behind RESULTS.md's rows (quality/run_quality.py, variant "plain"): generated
# 32 px crops, LoRA, batch 32, lr 3e-3, no early stopping, seed 0 (the default).
_TRAIN = {"batch_size": 32, "image_size": 32, "lr": 0.003, "patience": 0}
LIGHTS_RECIPE = {
    "method": {"name": "lora"},
    "train": {"epochs": 10, **_TRAIN},
    "data": {"image_size": 32, "train_per_class": 60, "eval_per_class": 30},
}
SIGNS_RECIPE = {
    "method": {"name": "lora"},
    "train": {"epochs": 8, **_TRAIN},
    "data": {"image_size": 32, "train_per_class": 30, "eval_per_class": 8},
}

# Zero-shot text (TaskSpec.label_descriptions) for the known label names: GTSRB's 43
# classes (vadapt_driving.signs.GTSRB_CLASSES, repeated here: that module imports PIL and
# this one must stay cheap) and the light states (vadapt_driving.lights). Labels of a
# user's folder/CSV with other names fall back to their names.
# images: prompts do not apply (no image-text backbone bundled)
SIGN_LABEL_DESCRIPTIONS = {
    "speed-limit-20": "A speed limit 20 km/h sign.",
    "speed-limit-30": "A speed limit 30 km/h sign.",
    "speed-limit-50": "A speed limit 50 km/h sign.",
    "speed-limit-60": "A speed limit 60 km/h sign.",
    "speed-limit-70": "A speed limit 70 km/h sign.",
    "speed-limit-80": "A speed limit 80 km/h sign.",
    "end-of-speed-limit-80": "An end of speed limit 80 km/h sign.",
    "speed-limit-100": "A speed limit 100 km/h sign.",
    "speed-limit-120": "A speed limit 120 km/h sign.",
    "no-passing": "A no overtaking sign.",
    "no-passing-over-3-5t": "A no overtaking sign for trucks over 3.5 tonnes.",
    "right-of-way-at-next-intersection": "A right of way at the next intersection sign.",
    "priority-road": "A priority road sign.",
    "yield": "A yield (give way) sign.",
    "stop": "A stop sign.",
    "no-vehicles": "A no vehicles sign.",
    "no-vehicles-over-3-5t": "A no trucks over 3.5 tonnes sign.",
    "no-entry": "A no entry sign.",
    "general-caution": "A general caution warning sign.",
    "dangerous-curve-left": "A dangerous curve to the left warning sign.",
    "dangerous-curve-right": "A dangerous curve to the right warning sign.",
    "double-curve": "A double curve warning sign.",
    "bumpy-road": "A bumpy road warning sign.",
    "slippery-road": "A slippery road warning sign.",
    "road-narrows-on-the-right": "A road narrows on the right warning sign.",
    "road-work": "A road works warning sign.",
    "traffic-signals": "A traffic signals ahead warning sign.",
    "pedestrians": "A pedestrian crossing warning sign.",
    "children-crossing": "A children crossing warning sign.",
    "bicycles-crossing": "A cyclists crossing warning sign.",
    "beware-of-ice-snow": "A beware of ice and snow warning sign.",
    "wild-animals-crossing": "A wild animals crossing warning sign.",
    "end-of-all-speed-and-passing-limits": "An end of all speed and overtaking limits sign.",
    "turn-right-ahead": "A turn right ahead sign.",
    "turn-left-ahead": "A turn left ahead sign.",
    "ahead-only": "An ahead only sign.",
    "go-straight-or-right": "A go straight or turn right sign.",
    "go-straight-or-left": "A go straight or turn left sign.",
    "keep-right": "A keep right sign.",
    "keep-left": "A keep left sign.",
    "roundabout-mandatory": "A mandatory roundabout sign.",
    "end-of-no-passing": "An end of no overtaking sign.",
    "end-of-no-passing-over-3-5t": "An end of no overtaking for trucks over 3.5 tonnes sign.",
}
LIGHT_LABEL_DESCRIPTIONS = {
    "red": "A traffic light showing red.",
    "yellow": "A traffic light showing yellow.",
    "green": "A traffic light showing green.",
    "off": "A traffic light with no lamp lit.",
    "red-left": "A traffic light showing a red left arrow.",
    "green-left": "A traffic light showing a green left arrow.",
}


class _DataBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str | None = Field(
        None,
        description="Root of the data on disk: the GTSRB root (holding Final_Training/Images), "
        "a folder-per-class tree (optionally with train/ validation/ test/ sub-trees), or a CSV of "
        "crops (columns path,label[,x1,y1,x2,y2][,split]). Not used by source=generated.",
    )
    resize: int | None = Field(
        None,
        ge=8,
        le=1024,
        description="Resize loaded crops to resize x resize pixels on load (keeps memory small; "
        "the engine resizes to train.image_size anyway). None keeps each crop's size.",
    )
    max_per_class: int | None = Field(
        None,
        ge=1,
        description="Keep at most this many training examples per class (seeded sample).",
    )
    validation_fraction: float = Field(
        0.15,
        gt=0,
        lt=0.5,
        description="Share of the training data held out for validation (grouped by GTSRB track "
        "when the layout has tracks, so near-duplicate frames never straddle splits).",
    )
    test_fraction: float = Field(
        0.15,
        gt=0,
        lt=0.5,
        description="Share held out for test when the data has no test set of its own.",
    )
    image_size: int = Field(
        64, ge=16, le=512, description="Side in pixels of generated crops (source=generated)."
    )
    train_per_class: int = Field(
        40, ge=1, le=5000, description="Generated training examples per class (source=generated)."
    )
    eval_per_class: int = Field(
        12,
        ge=1,
        le=5000,
        description="Generated validation and test examples per class, each (source=generated).",
    )
    seed: int = Field(0, description="Seed for generation, sampling and splitting.")
    test_corruption: str | None = Field(
        None,
        description="Corrupt the test split with this corruption (see vadapt_driving.corruptions."
        "CORRUPTIONS), or 'all' to replace it with every corruption at every severity; the "
        "driving.corruption.* metrics then report accuracy per corruption and severity.",
    )
    test_severity: int = Field(
        3, ge=1, le=5, description="Severity 1-5 of test_corruption (ignored for 'all')."
    )


class SignsData(_DataBase):
    """Where the traffic-sign crops come from (default: labelled-synthetic, generated)."""

    source: Literal["generated", "gtsrb", "folder", "csv"] = Field(
        "generated",
        description="generated: PIL-drawn SYNTHETIC signs; gtsrb: the GTSRB Final_Training layout "
        "(GT-000NN.csv with ROI boxes, cropped on load); folder: one folder per class; "
        "csv: a CSV of crops.",
    )
    test_path: str | None = Field(
        None,
        description="gtsrb: the GT-final_test.csv file (or the Final_Test/Images folder "
        "holding it); "
        "folder/csv: a separate test tree or CSV. Without it a test split is held out from path.",
    )
    classes: tuple[str, ...] | None = Field(
        None,
        description="source=generated: the sign classes to draw (GTSRB names); default every "
        "drawable class (vadapt_driving.signs.DRAWABLE_SIGNS).",
    )


class LightsData(_DataBase):
    """Where the traffic-light crops come from (default: labelled-synthetic, generated)."""

    source: Literal["generated", "folder", "csv"] = Field(
        "generated",
        description="generated: PIL-drawn SYNTHETIC signal heads; folder: one folder per state; "
        "csv: a CSV of crops (path,label[,x1,y1,x2,y2][,split]).",
    )
    test_path: str | None = Field(
        None, description="A separate test tree or CSV; without it a test split is held out."
    )
    arrows: bool = Field(
        False, description="source=generated: also draw the arrow states red-left and green-left."
    )
    train_per_class: int = Field(
        60, ge=1, le=5000, description="Generated training examples per class (source=generated)."
    )
    eval_per_class: int = Field(
        20,
        ge=1,
        le=5000,
        description="Generated validation and test examples per class, each (source=generated).",
    )


# New sign classes arriving in groups (class-incremental; docs/continual.md): the 24
# drawable GTSRB classes in four groups of six, by the sign families of the Vienna
# Convention. Each experience keeps only its group's images; in GTSRB or a user's data the
# same names select the same classes.
SIGN_GROUPS = {
    "speed-limits": (
        "speed-limit-20",
        "speed-limit-30",
        "speed-limit-50",
        "speed-limit-60",
        "speed-limit-70",
        "speed-limit-80",
    ),
    "prohibitory": (
        "speed-limit-100",
        "speed-limit-120",
        "no-passing",
        "no-vehicles",
        "no-entry",
        "end-of-all-speed-and-passing-limits",
    ),
    "priority-warning": (
        "priority-road",
        "yield",
        "stop",
        "general-caution",
        "dangerous-curve-right",
        "traffic-signals",
    ),
    "mandatory": (
        "turn-right-ahead",
        "turn-left-ahead",
        "ahead-only",
        "keep-right",
        "keep-left",
        "roundabout-mandatory",
    ),
}
SIGN_STREAMS = {
    "sign-groups": Stream(
        kind="class",
        experiences=tuple(
            Experience(name, labels=labels, description=f"{len(labels)} {name} sign classes")
            for name, labels in SIGN_GROUPS.items()
        ),
        description="Sign classes arriving in four groups of six (speed limits, other "
        "prohibitions, priority and warning, mandatory): the head grows each time.",
    )
}


def task_specs() -> list[TaskSpec]:
    # No fixed TaskSpec.labels: the engine requires training examples of every label
    # in the set, and which signs / light states exist depends on the data (the
    # generator draws 24 of GTSRB's 43 classes). load_data sets Splits.labels in a
    # stable order (GTSRB ClassId order, then red/yellow/green/off/arrows).
    return [
        TaskSpec(
            id=SIGNS,
            modality="image",
            head="classification",
            description="Classify a cropped traffic sign. Labels come from the data: GTSRB's 43 "
            "class names (vadapt_driving.signs.GTSRB_CLASSES) for GTSRB and numeric folders, else "
            "the folder/CSV names. Default data is labelled-SYNTHETIC (PIL-drawn, 24 classes); "
            "point "
            "data.source/path at GTSRB for real images.",
            default_backbone="efficientnet-lite0",
            data_model=SignsData,
            headline=HEADLINE,
            baselines=BASELINES,
            defaults=SIGNS_RECIPE,
            label_descriptions=SIGN_LABEL_DESCRIPTIONS,
            streams=SIGN_STREAMS,
        ),
        TaskSpec(
            id=LIGHTS,
            modality="image",
            head="classification",
            description="Classify the state of a cropped traffic light: red, yellow, green, off "
            "(optional arrows red-left, green-left; labels come from the data). Default data is "
            "labelled-SYNTHETIC (PIL-drawn).",
            default_backbone="efficientnet-lite0",
            data_model=LightsData,
            headline=HEADLINE,
            baselines=BASELINES,
            defaults=LIGHTS_RECIPE,
            label_descriptions=LIGHT_LABEL_DESCRIPTIONS,
        ),
    ]
