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
load_data               the task's owner only (the plugin that registered it)
build_head              owner, then global implementations; first non-None wins;
                        the core's linear head is a trylast global default
augment                 owner, then global implementations, chained: each receives
                        the previous output
adversarial_step        owner, then global implementations; first non-None wins;
                        the core's FGM/FGSM is a trylast global default
evaluate                owner and global implementations, merged; one key from two
                        plugins is an error naming both
baselines               owner and global implementations, merged; same rule
=====================  ===========================================================

Task-scoped hooks (every hook that takes ``task``) reach only the plugin that
registered the task, so an implementation never needs a "not my task" guard. An
implementation meant for every plugin's tasks (a cross-cutting augmenter, a
generic head) is marked with :data:`global_hookimpl` instead of ``hookimpl``.
Hook wrappers (``wrapper=True`` / ``hookwrapper=True``) are refused when the
plugin registers: the facade calls implementations one by one so it can name the
plugin behind a wrong result, which a wrapper would bypass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

from vadapt.types import BackboneInfo, BackboneSpec, Example, Metrics, Splits, TaskSpec

if TYPE_CHECKING:  # torch is only imported where a model is trained
    import numpy as np
    from pydantic import BaseModel

    from vadapt.kit.context import RunContext
    from vadapt.methods.registry import Method

PROJECT = "vadapt"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

GLOBAL_ATTR = "vadapt_global"
"""Attribute :func:`global_hookimpl` sets on a function: called for every plugin's tasks."""

TASK_HOOKS: frozenset[str] = frozenset(
    ("load_data", "build_head", "augment", "adversarial_step", "evaluate", "baselines")
)
"""Hooks that reach only the task's owner (and implementations marked global)."""


def global_hookimpl(function: Any = None, **options: Any) -> Any:
    """Like ``hookimpl``, for an implementation that serves every plugin's tasks.

    ``@global_hookimpl`` or ``@global_hookimpl(trylast=True)``. Without it, a
    task-scoped hook of a plugin is called only for the tasks that plugin
    registered. ``load_data`` cannot be global: data belongs to the task's owner.
    """

    def mark(fn: Any) -> Any:
        if fn.__name__ == "load_data":
            raise TypeError("load_data cannot be a global hookimpl: only the task's owner loads it")
        setattr(fn, GLOBAL_ATTR, True)
        return hookimpl(**options)(fn)

    return mark(function) if function is not None else mark


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
            rows = read_rows(config.path)
            return Splits(train=rows[:800], validation=rows[800:900], test=rows[900:])
    """


@hookspec(firstresult=True)
def build_head(task: TaskSpec, backbone: BackboneInfo, labels: Sequence[str], config: Any) -> Any:
    """Build the trainable head that sits on the backbone's pooled features.

    Called for the owner's tasks (then global implementations). Return a torch
    ``nn.Module`` mapping a ``(batch, backbone.hidden_size)``
    float tensor to ``(batch, n_outputs)`` — ``len(labels)`` for classification
    and multilabel, 1 for regression, an embedding for ranking — or ``None`` to
    let the next plugin (finally the core's linear head) decide. ``config`` is
    the whole ``AdaptConfig``. Called once per run, after the backbone loads.

    Example::

        @hookimpl
        def build_head(task, backbone, labels):
            import torch.nn as nn
            return nn.Sequential(nn.Dropout(0.2), nn.Linear(backbone.hidden_size, len(labels)))
    """


@hookspec
def augment(task: TaskSpec, examples: list[Example], rng: Any, config: Any) -> list[Example] | None:
    """Return augmented copies of training ``examples``, or ``None`` for no change.

    Chained: the owner's implementation, then global ones, each receiving the
    previous one's output. ``rng`` is a seeded ``numpy.random.Generator``
    (use it, never global random state, so runs are reproducible); ``config`` is
    the ``AugmentConfig`` (``config.options`` holds plugin options). Must keep
    the number of examples, their keys and their labels. Runs on the training
    split at the start of every epoch when augmentation is enabled.

    Example::

        @hookimpl
        def augment(task, examples, rng):
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
    context: RunContext,
) -> Metrics | None:
    """Return domain metrics ``{"<plugin>.<metric>": float}`` or ``None``.

    Only what ``vadapt.kit.score`` does not already compute: the core scores
    every task with it (accuracy, macro-F1, per-class report, AUROC, AUPRC, ECE,
    Brier; ranking HR/NDCG/MRR; regression MAE/RMSE/R²) and merges this hook's
    keys in. Called for the owner's tasks (and by global implementations) on
    validation (each evaluation, for early stopping) and test, for the adapter
    and for every baseline alike, so both are scored by one definition. A key
    returned by two implementations is an error naming both: prefix keys with
    your plugin name.

    - ``predictions``: numpy array of probabilities ``(N, len(labels))`` for
      classification (softmax) and multilabel (sigmoid); ``(N,)`` floats for
      regression; for ranking a list of N score arrays, one per candidate list.
    - ``references``: numpy ``(N,)`` label indices; ``(N, len(labels))`` 0/1 for
      multilabel; ``(N,)`` floats for regression; ``(N,)`` positive indices for ranking.
    - ``examples``: the examples scored, in order (with the plugin's own keys).
    - ``labels``: label names in index order; ``split``: ``"validation"`` or ``"test"``.
    - ``context``: a :class:`vadapt.kit.RunContext`. On validation, ``remember``
      what you learn (a threshold); on test (and in a fresh ``vadapt evaluate``,
      ``predict`` or ``serve`` process) ``recall`` it. The core keeps the state of
      the best validation evaluation and stores it in the manifest.

    Example::

        @hookimpl
        def evaluate(task, predictions, references, split, context):
            if split == "validation":
                context.remember("threshold", pick_threshold(predictions, references))
            t = context.recall("threshold", 0.5)
            return {"legal.recall_at_t": recall_at(predictions, references, t)}
    """


@hookspec
def baselines(
    task: TaskSpec,
    splits: Splits,
    labels: Sequence[str],
    encode: Callable[[Sequence[str]], np.ndarray],
    context: RunContext,
) -> dict[str, Any] | None:
    """Return the task's domain baselines beyond the standard ones, or ``None``.

    Standard baselines (``majority``, ``tfidf-logreg``, ``logreg``,
    ``frozen-probe``, ``zero-shot``) are listed by name in ``TaskSpec.baselines``
    and computed by the core; implement this hook only for a reference the kit
    does not have (a textbook model, a domain heuristic). Return
    ``{"<name>": vadapt.kit.Predictions(test=..., validation=...)}``: the core
    scores them exactly as it scores the adapter (``vadapt.kit.score`` plus the
    ``evaluate`` hook, validation first so learnt state such as a threshold is
    fitted the same way). A plain ``{"<metric>": float}`` dict is accepted for a
    protocol the score cannot express (a full-catalogue ranking, a backtest).
    ``encode`` embeds inputs with the un-adapted backbone (L2-normalised numpy
    rows). Called once after training, for the owner's tasks; one name from two
    implementations is an error.

    Example::

        @hookimpl
        def baselines(task, splits, labels):
            rule = [labels.index("liability") if "shall" in ex["text"] else 0
                    for ex in splits.test]
            return {"keyword-rule": Predictions.from_labels(rule, len(labels))}
    """


@hookspec
def robustness_perturbations(task: TaskSpec) -> dict[str, Any] | None:
    """Return the task's domain perturbations for ``vadapt robustness`` and report
    cards, or ``None``.

    ``{"<name>": fn}``: ``fn(text, severity, rng) -> text`` perturbs an input's text
    (``severity`` 1 mild .. 5 harsh; ``rng`` a seeded ``numpy.random.Generator``);
    a function marked :func:`vadapt.kit.perturb.on_examples` takes and returns the whole
    example instead (a tabular row re-serialised after its fields change). They run
    beside the kit's typos, casing, whitespace and word dropout (images: the kit's
    corruptions), scored the same way; a name from two implementations, or one the
    kit already uses, is an error. Called for the owner's tasks.

    Example::

        @hookimpl
        def robustness_perturbations(task):
            return {"abbrev": substitutions({"account": ["acct"], "payment": ["pmt"]})}
    """


@hookspec
def register_methods() -> Iterable[Method]:
    """Declare adaptation methods this plugin adds (like peft's ``register_peft_method``).

    Return (or yield) :class:`vadapt.methods.Method` objects: the method's pydantic
    config (a ``vadapt.methods.MethodConfig`` subclass with ``name: Literal[...]``),
    default learning rate, modalities, ``apply(cfg, loaded)`` returning a
    ``vadapt.methods.base.Adaptation``, and how serving swaps it. Names must be unique
    across plugins and the built-ins (``vadapt methods`` lists them). Called when
    methods are listed and when a config is resolved, so a config may then name the
    method (``method: {name: head-only}``); keep it cheap and torch-free.

    Example::

        @hookimpl
        def register_methods():
            yield Method(name="head-only", config=HeadOnlyConfig,
                         description="train the head only", apply=HeadOnly, default_lr=1e-2)
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
    "register_methods",
    "robustness_perturbations",
)
