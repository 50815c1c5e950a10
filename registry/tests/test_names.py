"""Hostile names are rejected before anything touches the disk."""

from __future__ import annotations

import pytest
from vadapt_registry import InvalidConfig, InvalidName, Registry
from vadapt_registry.names import parse_ref, validate_file_name, validate_name, validate_version

HOSTILE = [
    "..",
    "../etc",
    "a/../b",
    "a..b",
    "/abs",
    "C:\\x",
    "a\\b",
    "a/b",
    "dir/",
    "a:b",
    "x\x00y",
    "tab\there",
    "new\nline",
    "\x7f",
    "CON",
    "con",
    "nul.txt",
    "COM1",
    "lpt9.json",
    "a" * 65,
    "",
    ".hidden",
    "-dash",
    "trail.",
    "trail ",
    "sp ace",
    "ünïcode",
    "a*b",
    "?",
]


@pytest.mark.parametrize("bad", HOSTILE)
def test_hostile_adapter_names_rejected(bad: str) -> None:
    with pytest.raises(InvalidName):
        validate_name(bad)


FILE_HOSTILE = [b for b in HOSTILE if b not in ("-dash", "a" * 65)] + ["x" * 129]


@pytest.mark.parametrize("bad", FILE_HOSTILE)
def test_hostile_file_names_rejected(bad: str) -> None:
    with pytest.raises(InvalidName):
        validate_file_name(bad)


@pytest.mark.parametrize("bad", HOSTILE)
def test_hostile_names_in_save_touch_nothing(tmp_path, make_draft, make_files, bad: str) -> None:
    root = tmp_path / "never-created"
    reg = Registry(root)
    with pytest.raises(InvalidConfig):
        reg.save(make_draft(name=bad), make_files())
    with pytest.raises(InvalidConfig):
        reg.save(make_draft(vertical=bad), make_files())
    if bad in FILE_HOSTILE:
        with pytest.raises(InvalidConfig):
            reg.save(make_draft(), {bad: b"{}"})
    if bad:
        with pytest.raises(InvalidConfig):
            reg.save(make_draft(), make_files(), version=bad if not bad.isdigit() else -1)
    assert not root.exists()
    assert list(tmp_path.iterdir()) == []


def test_good_names_pass() -> None:
    for good in ("intent", "cs-intent.v2", "A_b-9", "a" * 64):
        assert validate_name(good) == good
    assert validate_file_name("adapter_model.safetensors")


def test_refs_and_versions() -> None:
    assert parse_ref("a") == ("a", None)
    assert parse_ref("a@3") == ("a", 3)
    assert parse_ref("a@v3") == ("a", 3)
    assert parse_ref("a@prod") == ("a", "prod")
    for bad in (0, -1, True, "../x", "1.2.3/"):
        with pytest.raises(InvalidName):
            validate_version(bad)
