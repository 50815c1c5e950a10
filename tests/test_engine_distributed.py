"""Two processes on CPU (torchrun + gloo): DDP training, only rank 0 writes the registry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import tiny_bert_dir  # noqa: F401

SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    sys.path.insert(0, {tests!r})
    from pathlib import Path
    import engine_helpers as eh
    eh.install(Path({tiny!r}))
    import torch.distributed as dist
    from vadapt.engine import adapt
    cfg = eh.base_config(epochs=2, batch_size=4)
    res = adapt(cfg, progress=False)
    rank, world = dist.get_rank(), dist.get_world_size()
    with open(os.path.join({out!r}, f"rank{{rank}}.json"), "w") as fh:
        json.dump({{"rank": rank, "world": world, "ref": res.ref, "steps": res.steps,
                   "test": res.metrics["test"]}}, fh)
    """
)


@pytest.mark.slow
def test_two_process_ddp_run_saves_once_and_loads(tiny_bert_dir, tmp_path):  # noqa: F811
    root = tmp_path / "home"
    out = tmp_path / "out"
    out.mkdir()
    script = tmp_path / "ddp_adapt.py"
    script.write_text(
        SCRIPT.format(tests=str(Path(__file__).parent), tiny=str(tiny_bert_dir), out=str(out))
    )
    env = {
        **os.environ,
        "VADAPT_HOME": str(root),
        "OMP_NUM_THREADS": "1",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node",
            "2",
            "--standalone",
            str(script),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = [json.loads((out / f"rank{i}.json").read_text()) for i in (0, 1)]
    assert [r["world"] for r in ranks] == [2, 2]
    assert ranks[0]["ref"] == "text@1" and ranks[1]["ref"] is None
    # 48 examples, batch 4 per process, 2 processes: 6 steps per epoch
    assert ranks[0]["steps"] == ranks[1]["steps"] == 12

    from vadapt_registry import Registry

    reg = Registry(root)
    assert [m.ref for m in reg.list()] == ["text@1"]
    manifest = reg.get("text@1")
    assert manifest.training["engine"]["processes"] == 2
    # the DDP-trained adapter loads and evaluates like any other
    import engine_helpers as eh
    from vadapt import plugins
    from vadapt.engine import evaluate_adapter

    previous = plugins._HOST
    try:
        eh.install(tiny_bert_dir)
        metrics = evaluate_adapter("text@1", registry=root)
    finally:
        plugins.reset_host(previous)
    assert metrics["accuracy"] == pytest.approx(ranks[0]["test"]["accuracy"])
