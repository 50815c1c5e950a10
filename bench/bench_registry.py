"""Registry benchmarks (issue 3), printing ratios. Not run by CI.

    .venv/bin/python bench/bench_registry.py [--adapters 10000]

(a) `vadapt registry list` over N adapters, whole-process wall time, against a bare
    `sqlite3` select of the same rows and a process that parses the manifest files
    (target < 0.3 s); `vadapt --help` (target < 0.15 s);
(b) loading an adapter with full verification (sha256, header pre-check, finite check)
    against a bare `safetensors.numpy.load_file` of the same bytes (target <= 2x);
(c) save throughput for a 300 KB and a 20 MB adapter.
Times are the best of several runs; child CPU time is shown too, since wall time on a
shared machine mostly measures the neighbours.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save
from vadapt_registry import Manifest, ManifestDraft, Registry


def best(fn, n: int = 5) -> float:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return min(out)


def run_child(cmd: list[str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def best_child(cmd: list[str], n: int = 3) -> tuple[float, float]:
    runs = [run_child(cmd) for _ in range(n)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def draft(name: str) -> ManifestDraft:
    return ManifestDraft(
        name=name,
        vertical="customer-service",
        task="customer-service/intent",
        method={"name": "lora", "config": {"r": 8}},
        backbone={"name": "minilm", "fingerprint": "sha256:" + "a" * 64},
        labels=["a", "b"],
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--adapters", type=int, default=10_000)
    n = ap.parse_args().adapters
    tmp = Path(tempfile.mkdtemp(prefix="vadapt-bench-"))
    reg = Registry(tmp / "reg")
    # (a) one real save, N manifests cloned from it (saving 10k for real is (c)'s job), reindex
    seed = reg.save(
        draft("seed"), {"adapter_model.safetensors": save({"w": np.ones(4, np.float32)})}
    )
    base = seed.model_dump()
    for i in range(n):
        m = Manifest.model_validate({**base, "name": f"a{i:05d}", "version": 1})
        p = reg.manifest_path(m.vertical, m.name, 1)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(m.to_json())
    reg.remove("seed@1")
    reg.reindex()
    vadapt = str(Path(sys.executable).with_name("vadapt"))
    cli_wall, cli_cpu = best_child([vadapt, "registry", "list", "--registry", str(reg.root)])
    scan = (
        "import json, glob, sys\n"
        "rows = [json.load(open(p)) for p in glob.glob(sys.argv[1] + '/manifests/*/*/*.json')]\n"
        "print('\\n'.join(f\"{r['name']} {r['version']} {r['task']}\" for r in rows))\n"
    )
    scan_wall, _ = best_child([sys.executable, "-c", scan, str(reg.root)])
    select = (
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1] + '/index.sqlite')\n"
        "rows = c.execute('SELECT name, version, vertical, task, method, backbone, size, created "
        "FROM adapters ORDER BY name, version_num').fetchall()\n"
        "print('\\n'.join(' '.join(map(str, r)) for r in rows))\n"
    )
    sql_wall, _ = best_child([sys.executable, "-c", select, str(reg.root)])
    help_wall, _ = best_child([vadapt, "--help"], n=5)
    print(
        f"(a) `vadapt registry list`, {n} adapters: {cli_wall:.3f} s wall ({cli_cpu:.3f} s CPU) "
        f"(target < 0.3 s); a bare sqlite3 select of the same rows, printed: {sql_wall:.3f} s "
        f"wall, ratio {cli_wall / sql_wall:.2f}x; scanning manifest files instead: "
        f"{scan_wall:.3f} s wall, ratio {cli_wall / scan_wall:.2f}x. "
        f"`vadapt --help`: {help_wall:.3f} s wall (target < 0.15 s)"
    )
    # (b) verified load vs bare safetensors
    rng = np.random.default_rng(0)
    weights = {
        f"layer{i}.lora_A": rng.standard_normal((256, 2048)).astype(np.float32) for i in range(10)
    }
    f20 = tmp / "a20.safetensors"
    f20.write_bytes(save(weights))
    m20 = reg.save(draft("big"), {"adapter_model.safetensors": f20})
    bare = best(lambda: load_file(str(f20)))
    verified = best(lambda: reg.load(m20.ref))
    print(
        f"(b) 20 MB adapter: verified reg.load {verified * 1e3:.1f} ms; bare load_file "
        f"{bare * 1e3:.1f} ms; ratio {verified / bare:.2f}x"
    )
    # (c) save throughput (fsync-bound: blobs, journal, manifest, index)
    for label, shape in (("300 KB", (75, 1024)), ("20 MB", (5120, 1024))):
        times = []
        for _ in range(5):
            data = save({"w": rng.standard_normal(shape).astype(np.float32)})
            t = time.perf_counter()
            reg.save(draft("tp" + label.split()[1].lower()), {"adapter_model.safetensors": data})
            times.append(time.perf_counter() - t)
        med = sorted(times)[2]
        print(
            f"(c) save {label}: median {med * 1e3:.1f} ms, {len(data) / 1e6 / med:.1f} MB/s, "
            f"{1 / med:.1f} saves/s"
        )


if __name__ == "__main__":
    main()
