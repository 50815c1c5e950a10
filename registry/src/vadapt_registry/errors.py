"""The one error hierarchy of vadapt.

It lives in `vadapt-registry` (which never imports torch) so that the registry,
the core and the CLI share it: every error carries a distinct process exit code
per class and a one-line message that names what was wrong, where, and the fix.
The CLI prints ``str(err)`` on one line and exits with ``err.exit_code``.
"""

from __future__ import annotations


class VadaptError(Exception):
    """Base class: a message, an optional fix, and the exit code of its class."""

    exit_code = 1

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        self.message = message
        self.fix = fix
        super().__init__(message if not fix else f"{message} — fix: {fix}")


class InvalidConfig(VadaptError):
    """A configuration value, a data file or a CLI argument is invalid."""

    exit_code = 2


class PluginError(VadaptError):
    """A plugin failed to load, raised in a hook, or returned the wrong thing."""

    exit_code = 3


class CorruptAdapter(VadaptError):
    """Stored adapter files fail hash, header or content checks."""

    exit_code = 4


class IncompatibleBaseModel(VadaptError):
    """An adapter was made for a different base model than the one offered."""

    exit_code = 5


class AdapterExists(VadaptError):
    """A save would overwrite an existing name@version."""

    exit_code = 6


class RegistryBusy(VadaptError):
    """The registry lock could not be taken within the timeout."""

    exit_code = 7


class NoSpace(VadaptError):
    """The disk is full or the registry is read-only; nothing was written."""

    exit_code = 8


class NotFound(VadaptError):
    """An adapter, task, backbone or plugin that was named does not exist."""

    exit_code = 9


class TrainingDiverged(VadaptError):
    """Training produced a non-finite loss; nothing was committed."""

    exit_code = 10


class BelowBaseline(VadaptError):
    """A trained adapter does not beat its task's majority baseline (or declared floor);
    it was not saved (``--allow-below-baseline`` keeps it, tagged)."""

    exit_code = 11


class RetentionFailed(VadaptError):
    """A continued adapter fell below its retention floor on the data its parent learnt
    (``--retain``); it was not saved."""

    exit_code = 12


class QualityDrop(VadaptError):
    """A derived adapter (merged, compressed) loses more on its parent's test split than
    ``--max-drop`` allows; it was not saved."""

    exit_code = 13


class GateFailed(VadaptError):
    """A promotion gate failed; the alias was not moved."""

    exit_code = 14


class InvalidName(InvalidConfig):
    """An adapter or vertical name that could escape the registry or is unusable."""


EXIT_CODES: dict[str, int] = {
    cls.__name__: cls.exit_code
    for cls in (
        VadaptError,
        InvalidConfig,
        PluginError,
        CorruptAdapter,
        IncompatibleBaseModel,
        AdapterExists,
        RegistryBusy,
        NoSpace,
        NotFound,
        TrainingDiverged,
        BelowBaseline,
        RetentionFailed,
        QualityDrop,
        GateFailed,
    )
}
