"""The hooks a vadapt plugin may implement. Each is declared once, here.

A plugin needs one import, ``from vadapt import hookimpl``, and implements any
subset of these with any subset of the arguments (pluggy passes by name). The
core never calls ``pm.hook`` directly: it goes through ``vadapt.hooks``, the
typed facade, which checks every result and names the plugin when one is wrong.

Calling rules (docs/hooks.md has the full reference with examples):

=====================  ===========================================================
register_tasks          all plugins; results concatenated; a task id claimed twice
                        is an error naming both plugins
register_backbones      all plugins; same conflict rule on backbone names
load_data               first non-None result wins (the plugin owning the task)
build_head              first non-None result wins; core default is trylast
augment                 all plugins, chained: each receives the previous output
adversarial_step        first non-None result wins; core default is trylast
evaluate                all plugins, merged; one key from two plugins is an error
baselines               all plugins, merged; one baseline name from two is an error
=====================  ===========================================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

from vadapt.types import BackboneInfo, BackboneSpec, Baselines, Example, Metrics, Splits, TaskSpec

if TYPE_CHECKING:  # torch is only imported where a model is trained
    import numpy as np
    from pydantic import BaseModel

PROJECT = "vadapt"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_tasks() -> Iterable[TaskSpec]:
    """Declare the tasks this plugin offers.

    Return (or yield) :class:`vadapt.TaskSpec` objects. Ids are ``vertical/task``
    and must be unique across all installed plugins: two plugins claiming one id
    is a ``PluginError`` naming both. Called by the core whenever it lists or
    resolves tasks (``vadapt tasks``, ``vadapt adapt``), so it must be cheap: no
    data loading, no torch import.

    Example::

        @hookimpl
        def register_tasks():
            yield TaskSpec(id="legal/clause-type", modality="text",
                           head="classification", labels=("liability", "other"),
                           description="Classify contract clauses.")
    """


@hookspec
def register_backbones() -> Iterable[BackboneSpec]:
    """Declare foundation models this plugin can load.

    Return (or yield) :class:`vadapt.BackboneSpec` objects. Names must be unique
    across plugins. The ``loader`` is called only when an adaptation runs; keep
    heavy imports inside it. ``files`` lists the weight/config files whose
    sha256 is the backbone's fingerprint, recorded in and checked against every
    adapter made on it.

    Example::

        @hookimpl
        def register_backbones():
            yield BackboneSpec(name="legal-bert", modality="text",
                               description="My local legal BERT",
                               loader=lambda: load_hf_text_backbone("/models/legal-bert"),
                               files=lambda: hf_weight_files("/models/legal-bert"))
    """


@hookspec(firstresult=True)
def load_data(task: TaskSpec, config: BaseModel) -> Splits | None:
    """Load train/validation/test examples for ``task``.

    ``config`` is the task's ``data:`` section, already validated against
    ``task.data_model``. Return :class:`vadapt.Splits` if this plugin owns the
    task, else ``None`` (the first non-None result wins). Examples are plain
    dicts shaped by modality (see ``vadapt.types.Example``). Raise
    ``vadapt.InvalidConfig`` with the file, field and fix for bad user data.
    Called once per ``adapt``/``evaluate`` run, before any model loads.

    Example::

        @hookimpl
        def load_data(task, config):
            if task.id != "legal/clause-type":
                return None
            rows = read_rows(config.path)
            return Splits(train=rows[:800], validation=rows[800:900], test=rows[900:])
    """


@hookspec(firstresult=True)
def build_head(task: TaskSpec, backbone: BackboneInfo, labels: Sequence[str], config: Any) -> Any:
    """Build the trainable head that sits on the backbone's pooled features.

    Return a torch ``nn.Module`` mapping a ``(batch, backbone.hidden_size)``
    float tensor to ``(batch, n_outputs)`` — ``len(labels)`` for classification
    and multilabel, 1 for regression, an embedding for ranking — or ``None`` to
    let the next plugin (finally the core's linear head) decide. ``config`` is
    the whole ``AdaptConfig``. Called once per run, after the backbone loads.

    Example::

        @hookimpl
        def build_head(task, backbone, labels):
            if task.id != "legal/clause-type":
                return None
            import torch.nn as nn
            return nn.Sequential(nn.Dropout(0.2), nn.Linear(backbone.hidden_size, len(labels)))
    """


@hookspec
def augment(
    task: TaskSpec, examples: list[Example], rng: Any, config: Any
) -> list[Example] | None:
    """Return augmented copies of training ``examples``, or ``None`` for no change.

    Chained: every plugin's implementation runs in turn and receives the
    previous one's output, so only touch tasks you understand (check
    ``task.id`` or ``task.modality``). ``rng`` is a seeded ``numpy.random.Generator``
    (use it, never global random state, so runs are reproducible); ``config`` is
    the ``AugmentConfig`` (``config.options`` holds plugin options). Must keep
    the number of examples, their keys and their labels. Runs on the training
    split at the start of every epoch when augmentation is enabled.

    Example::

        @hookimpl
        def augment(task, examples, rng):
            if task.modality != "text":
                return None
            return [{**ex, "text": ex["text"].lower()} if rng.random() < 0.3 else ex
                    for ex in examples]
    """


@hookspec(firstresult=True)
def adversarial_step(
    task: TaskSpec, model: Any, batch: dict[str, Any], loss_fn: Callable[..., Any], config: Any
) -> Any:
    """Return an extra adversarial loss term (a scalar tensor) or ``None``.

    Called each training step when adversarial training is enabled
    (``adversarial.enabled``). ``model(batch)`` returns logits;
    ``loss_fn(logits, batch)`` the task loss; ``model.input_embeddings()`` the
    token-embedding module for text. ``config`` is the ``AdversarialConfig``
    (``epsilon``, ``steps``, ``alpha``, ``weight``, ``options``). First result
    wins; the core's trylast default is FGM on input embeddings for text and
    FGSM on pixels for images. The returned term is added, weighted, to the loss.

    Example::

        @hookimpl
        def adversarial_step(task, model, batch, loss_fn, config):
            if task.modality != "image":
                return None
            x = batch["pixel_values"].detach().requires_grad_(True)
            loss = loss_fn(model({**batch, "pixel_values": x}), batch)
            (grad,) = torch.autograd.grad(loss, x)
            x_adv = (x + config.epsilon * grad.sign()).detach()
            return loss_fn(model({**batch, "pixel_values": x_adv}), batch)
    """


@hookspec
def evaluate(
    task: TaskSpec,
    predictions: Any,
    references: Any,
    examples: Sequence[Example],
    labels: Sequence[str],
    split: str,
) -> Metrics | None:
    """Return domain metrics ``{"<plugin>.<metric>": float}`` or ``None``.

    Merged: every plugin's metrics are combined; a key returned by two plugins
    is an error naming both, so prefix keys with your plugin name. Called on
    validation (each evaluation, for early stopping) and test splits.

    - ``predictions``: numpy array of probabilities ``(N, len(labels))`` for
      classification (softmax) and multilabel (sigmoid); ``(N,)`` floats for
      regression; for ranking a list of N score arrays, one per candidate list.
    - ``references``: numpy ``(N,)`` label indices; ``(N, len(labels))`` 0/1 for
      multilabel; ``(N,)`` floats for regression; ``(N,)`` positive indices for ranking.
    - ``examples``: the examples scored, in order (with the plugin's own keys).
    - ``labels``: label names in index order; ``split``: ``"validation"`` or ``"test"``.

    Example::

        @hookimpl
        def evaluate(task, predictions, references):
            if task.vertical != "legal":
                return None
            return {"legal.top1": float((predictions.argmax(1) == references).mean())}
    """


@hookspec
def baselines(
    task: TaskSpec,
    splits: Splits,
    labels: Sequence[str],
    encode: Callable[[Sequence[str]], np.ndarray],
) -> Baselines | None:
    """Return honest reference results on the same test split, or ``None``.

    ``{"<baseline name>": {"<metric>": float}}``, e.g. ``{"majority": {...},
    "tfidf-logreg": {...}, "zero-shot": {...}}``; metric names should match the
    adapter's test metrics so reports can put them side by side. ``encode``
    embeds inputs with the un-adapted backbone (L2-normalised numpy rows): texts,
    or images (uint8 numpy arrays) when the task's backbone is an image model, for
    zero-shot and frozen-feature baselines. Merged across plugins; one name from two plugins is an
    error. Called once after training; results are stored in the manifest.

    Example::

        @hookimpl
        def baselines(task, splits, labels):
            if task.vertical != "legal":
                return None
            top = Counter(ex["label"] for ex in splits.train).most_common(1)[0][0]
            acc = sum(ex["label"] == top for ex in splits.test) / len(splits.test)
            return {"majority": {"accuracy": acc}}
    """


HOOK_NAMES: tuple[str, ...] = (
    "register_tasks",
    "register_backbones",
    "load_data",
    "build_head",
    "augment",
    "adversarial_step",
    "evaluate",
    "baselines",
)
