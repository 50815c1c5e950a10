"""docs/hooks.md stays honest: every hookspec is documented with its exact signature
and calling rule, and nothing documented is missing from the specs."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from vadapt import hookspecs

DOC = Path(__file__).resolve().parents[1] / "docs" / "hooks.md"


def sections() -> dict[str, str]:
    text = DOC.read_text()
    parts = re.split(r"^## `(\w+)`\n", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def spec_signature(name: str) -> str:
    """``def name(arg: Ann, ...) -> Ret`` from the hookspec (annotations are strings)."""
    sig = inspect.signature(getattr(hookspecs, name))
    params = ", ".join(f"{p.name}: {p.annotation}" for p in sig.parameters.values())
    return f"def {name}({params}) -> {sig.return_annotation}"


def test_documented_hooks_are_exactly_the_hookspecs():
    assert sorted(sections()) == sorted(hookspecs.HOOK_NAMES)
    declared = sorted(
        n for n, f in vars(hookspecs).items() if callable(f) and hasattr(f, "vadapt_spec")
    )
    assert declared == sorted(hookspecs.HOOK_NAMES)


@pytest.mark.parametrize("name", hookspecs.HOOK_NAMES)
def test_hook_section_has_signature_calling_rule_and_example(name):
    body = sections()[name]
    blocks = re.findall(r"```python\n(.*?)```", body, flags=re.S)
    assert blocks, f"docs/hooks.md: `{name}` has no code blocks"
    assert blocks[0].strip() == spec_signature(name), (
        f"docs/hooks.md: the signature of `{name}` differs from hookspecs.py; "
        f"expected:\n{spec_signature(name)}"
    )
    first = getattr(hookspecs, name).vadapt_spec["firstresult"]
    assert ("first non-None result wins" in body) == first, f"`{name}`: calling rule"
    assert "**Return:**" in body and "**Called by:**" in body
    assert any(f"def {name}(" in b and "@hookimpl" in b for b in blocks[1:]), (
        f"docs/hooks.md: `{name}` needs an example implementation"
    )


def test_summary_table_lists_every_hook():
    table = DOC.read_text().split("## Examples are plain dicts")[0]
    for name in hookspecs.HOOK_NAMES:
        assert f"[`{name}`](#{name})" in table
