"""What is recorded about adapters beside their immutable manifests: aliases, tags and
attachments. ``Registry`` inherits these thin entry points; the work lives in
:mod:`vadapt_registry.aliases`, :mod:`vadapt_registry.tags` and
:mod:`vadapt_registry.attachments`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from vadapt_registry import aliases
from vadapt_registry.names import validate_name

if TYPE_CHECKING:
    from vadapt_registry.attachments import Attachment, LoadedAttachment


class Sidecars:
    """Mixed into ``Registry`` (``self`` is the registry)."""

    # ---- aliases (see vadapt_registry.aliases) ----------------------------------------
    def alias(
        self,
        ref: str,
        alias: str,
        *,
        force: bool = False,
        reason: str | None = None,
        protect: bool | None = None,
        gates: list[dict[str, object]] | None = None,
    ) -> dict[str, object]:
        """Point ``name@alias`` at ``ref``'s version; the recorded move (a protected alias
        moves only with ``force`` and a ``reason``; ``gates``: the checks it passed)."""
        return aliases.move(
            self, ref, alias, force=force, reason=reason, protect=protect, gates=gates
        )

    def aliases(self, name: str) -> dict[str, dict[str, object]]:
        """alias -> its last recorded move (``to``: the version it names now)."""
        return aliases.current(self, validate_name(name))

    def alias_history(self, name: str) -> list[dict[str, object]]:
        """Every recorded alias move of ``name``, oldest first."""
        return aliases.history(self, validate_name(name))

    # ---- tags (see vadapt_registry.tags) ----------------------------------------------
    def tag(
        self, ref: str, set_: Mapping[str, str], unset: list[str] | None = None
    ) -> dict[str, str]:
        """Set (and remove) ``key=value`` tags of ``ref``'s version; its tags after."""
        from vadapt_registry.tags import change

        return change(self, ref, set_, unset or [])

    def tags(self, name: str) -> dict[str, dict[str, str]]:
        """version (as text) -> tags, for every tagged version of ``name``."""
        from vadapt_registry.tags import of_name

        return of_name(self, validate_name(name))

    # ---- attachments (see vadapt_registry.attachments) -------------------------------
    def attach(
        self,
        ref: str,
        kind: str,
        files: Mapping[str, bytes],
        meta: Mapping[str, object] | None = None,
    ) -> Attachment:
        """Store ``files`` measured about ``ref`` (a report card) as attachment ``kind``,
        bound to its manifest's exact bytes; replaces an older attachment of that kind."""
        from vadapt_registry.attachments import attach

        return attach(self, ref, kind, files, meta)

    def attachments(self, ref: str) -> list[Attachment]:
        """The attachment records of ``ref`` (unverified; `load_attachment` verifies)."""
        from vadapt_registry.attachments import records

        return records(self, ref)

    def load_attachment(self, ref: str, kind: str) -> LoadedAttachment:
        """Attachment ``kind`` of ``ref``, every file checked; stale ones are refused."""
        from vadapt_registry.attachments import load

        return load(self, ref, kind)
