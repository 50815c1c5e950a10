"""Aliases: name@alias resolves wherever a ref does, protected moves, an append-only history."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys

import pytest
from vadapt_registry import InvalidConfig, InvalidName, NotFound, Registry


def test_an_alias_resolves_like_a_version_and_follows_its_moves(reg, make_draft, make_files):
    v1 = reg.save(make_draft(), make_files(1))
    v2 = reg.save(make_draft(), make_files(2))
    reg.alias(v1.ref, "champion")
    assert reg.get("intent@champion") == v1
    assert reg.load("intent@champion").files == reg.load(v1.ref).files
    moved = reg.alias(v2.ref, "champion", reason="beats v1 on test")
    assert (moved["from"], moved["to"]) == (1, 2) and reg.get("intent@champion") == v2
    assert reg.aliases("intent")["champion"]["to"] == 2
    assert [(e["from"], e["to"]) for e in reg.alias_history("intent")] == [(None, 1), (1, 2)]
    assert reg.alias_history("intent")[1]["reason"] == "beats v1 on test"


def test_protected_aliases_move_only_with_force_and_a_reason(reg, make_draft, make_files):
    v1 = reg.save(make_draft(), make_files(1))
    v2 = reg.save(make_draft(), make_files(2))
    reg.alias(v1.ref, "production", protect=True)
    with pytest.raises(InvalidConfig, match=r"intent@production is protected \(now intent@1\)"):
        reg.alias(v2.ref, "production")
    with pytest.raises(InvalidConfig, match="needs --force and a --reason"):
        reg.alias(v2.ref, "production", force=True)
    entry = reg.alias(v2.ref, "production", force=True, reason="incident 42 fixed in v2")
    assert entry["protected"] is True and reg.get("intent@production") == v2
    assert len(reg.alias_history("intent")) == 2  # refused moves leave no record


def test_bad_and_unknown_aliases_say_what_exists(reg, make_draft, make_files):
    v1 = reg.save(make_draft(), make_files(1))
    reg.save(make_draft(), make_files(2), version="prod")
    reg.alias(v1.ref, "staging")
    with pytest.raises(NotFound, match=r"no version or alias 'champion' \(versions: 1, prod; "):
        reg.get("intent@champion")
    with pytest.raises(NotFound, match="aliases: staging"):
        reg.get("intent@champion")
    with pytest.raises(InvalidConfig, match="already has a version tagged 'prod'"):
        reg.alias(v1.ref, "prod")
    for bad in ("7", "v3", "../x", ""):
        with pytest.raises(InvalidName):
            reg.alias(v1.ref, bad)
    reg.remove(v1.ref)
    with pytest.raises(NotFound, match="names intent@1, which is not stored any more"):
        reg.get("intent@staging")


def test_a_torn_last_line_is_ignored(reg, make_draft, make_files):
    v1 = reg.save(make_draft(), make_files(1))
    reg.alias(v1.ref, "champion")
    path = reg.root / "aliases" / "intent.jsonl"
    with open(path, "a") as fh:
        fh.write('{"alias": "champion", "to": 9')  # a crash mid-write
    assert reg.get("intent@champion") == v1 and len(reg.alias_history("intent")) == 1


def test_eight_processes_moving_one_alias_leave_a_complete_consistent_history(
    reg, make_draft, make_files
):
    for seed in range(4):
        reg.save(make_draft(), make_files(seed))
    code = (
        "import sys; from vadapt_registry import Registry; "
        "r = Registry(sys.argv[1], lock_timeout=60); "
        "[r.alias(f'intent@{1 + (int(sys.argv[2]) + k) % 4}', 'champion', reason=sys.argv[2]) "
        "for k in range(5)]"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(reg.root), str(i)], env=dict(os.environ))
        for i in range(8)
    ]
    assert all(p.wait(120) == 0 for p in procs)
    moves = reg.alias_history("intent")
    assert len(moves) == 40  # every move recorded
    for before, after in itertools.pairwise(moves):
        assert after["from"] == before["to"]  # each move starts where the last one ended
    assert reg.get("intent@champion").version == moves[-1]["to"]
    lines = (reg.root / "aliases" / "intent.jsonl").read_text().splitlines()
    assert all(json.loads(line)["alias"] == "champion" for line in lines)
    assert isinstance(Registry(reg.root).aliases("intent")["champion"]["to"], int)
