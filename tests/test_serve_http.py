# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""``vadapt serve`` over real HTTP: uvicorn on a free loopback port, httpx as the client."""

from __future__ import annotations

import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, fx, tiny_bert_dir  # noqa: F401

httpx = pytest.importorskip("httpx")
uvicorn = pytest.importorskip("uvicorn")

TEXTS = ["the food great was really excellent", "bad awful box stale", "snack and love box"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A real uvicorn server in a thread, stopped like Ctrl-C stops it."""

    def __init__(self, **config: object) -> None:
        from vadapt.serving.http import ServeConfig, create_app

        self.app = create_app(None, ServeConfig(**config))  # $VADAPT_HOME: the fx registry
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        cfg = uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(cfg)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(20)


@pytest.fixture
def adapters(fx):
    """Four fx/text adapters trained to differ (seeds, epochs, learning rates)."""
    from vadapt.engine import adapt

    refs = []
    for i in range(4):
        cfg = base_config(epochs=1 + i % 2, lr=5e-3 * (1 + i), seed=i)
        cfg["output"]["name"] = f"text-{i}"
        refs.append(adapt(cfg, progress=False).ref)
    return refs


def _same(a, b) -> bool:
    return a["label"] == b["label"] and all(
        abs(a["scores"][k] - b["scores"][k]) < 1e-5 for k in a["scores"]
    )


def test_predict_matches_in_process_and_errors_name_what_was_wrong(adapters):
    from vadapt.engine.load import predict

    inputs = [{"text": t} for t in TEXTS]
    with Server(max_body_bytes=4096) as srv, httpx.Client(base_url=srv.url) as http:
        assert http.get("/health").json() == {"status": "ok", "resident": 0}
        r = http.post("/v1/predict", json={"adapter": adapters[0], "inputs": inputs})
        assert r.status_code == 200, r.text
        local = predict(adapters[0], inputs)
        assert all(_same(a, b) for a, b in zip(r.json()["outputs"], local, strict=True))
        listed = http.get("/v1/adapters").json()
        assert {a["ref"] for a in listed["adapters"]} == set(adapters)
        assert listed["resident"] == [adapters[0]]
        r = http.post("/v1/predict", json={"adapter": "nope@1", "inputs": inputs})
        assert r.status_code == 404 and "no adapter named 'nope'" in r.json()["error"]
        r = http.post("/v1/predict", json={"adapter": adapters[0], "inputs": "not a list"})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "inputs"]
        r = http.post("/v1/predict", json={"adapter": adapters[0], "inputs": [{"txt": "x"}]})
        assert r.status_code == 422 and "'text'" in r.json()["error"]
        big = {"adapter": adapters[0], "inputs": [{"text": "x" * 5000}]}
        r = http.post("/v1/predict", json=big)
        assert r.status_code == 413 and "4096 bytes" in r.json()["error"]
        r = http.post("/v1/adapters/" + adapters[1] + "/load")
        assert r.status_code == 200 and adapters[1] in r.json()["resident"]
        r = http.post("/v1/adapters/" + adapters[1] + "/unload")
        assert r.json()["unloaded"] is True and adapters[1] not in r.json()["resident"]
        metrics = http.get("/metrics").text
        assert f'vadapt_requests_total{{adapter="{adapters[0]}",status="200"}} 1.0' in metrics
        assert "vadapt_request_seconds_bucket" in metrics and "vadapt_resident_adapters" in metrics


def test_eight_clients_over_four_adapters_get_only_their_own_answers(adapters):
    from vadapt.engine.load import predict

    expected = {ref: predict(ref, [{"text": t} for t in TEXTS]) for ref in adapters}
    assert expected[adapters[0]][0]["scores"] != expected[adapters[3]][0]["scores"]  # differ

    def client(k: int) -> int:
        wrong = 0
        with httpx.Client(base_url=srv.url, timeout=60) as http:
            for j in range(6):
                ref, t = adapters[(k + j) % 4], (k * 7 + j) % len(TEXTS)
                body = {"adapter": ref, "inputs": [{"text": TEXTS[t]}]}
                out = http.post("/v1/predict", json=body).json()["outputs"][0]
                wrong += not _same(out, expected[ref][t])
        return wrong

    with Server(max_resident=4, max_wait_ms=20) as srv:
        with ThreadPoolExecutor(8) as pool:
            assert sum(pool.map(client, range(8))) == 0  # 48 answers, none from another adapter


def test_concurrent_requests_to_one_adapter_share_a_pass(adapters):
    with Server(max_wait_ms=300) as srv:
        body = {"adapter": adapters[0], "inputs": [{"text": TEXTS[0]}]}
        httpx.post(srv.url + "/v1/predict", json=body)  # loaded before the burst
        before = srv.app.state.batcher.batches

        def post(_: int) -> int:
            return httpx.post(srv.url + "/v1/predict", json=body, timeout=60).status_code

        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(post, range(8)))
        assert codes == [200] * 8
        assert srv.app.state.batcher.batches - before < 8  # joined within the 300 ms window


def test_a_corrupt_adapter_fails_alone_and_the_lru_cap_holds(adapters, fx):
    from vadapt_registry import Registry

    m = Registry(fx.root).get(adapters[3])
    blob = Registry(fx.root).blob_path(m.files["head.safetensors"].sha256)
    blob.chmod(0o644)
    data = bytearray(blob.read_bytes())
    data[-1] ^= 0xFF
    blob.write_bytes(bytes(data))
    with Server(max_resident=2) as srv, httpx.Client(base_url=srv.url) as http:
        for ref in adapters:
            r = http.post("/v1/predict", json={"adapter": ref, "inputs": [{"text": TEXTS[0]}]})
            if ref == adapters[3]:
                assert r.status_code == 500 and "sha256" in r.json()["error"]
            else:
                assert r.status_code == 200, r.text
        assert len(http.get("/v1/adapters").json()["resident"]) == 2
        again = http.post("/v1/predict", json={"adapter": adapters[0], "inputs": [{"text": "x"}]})
        assert again.status_code == 200  # the others keep answering
        assert "vadapt_adapter_evictions 2.0" in http.get("/metrics").text


def test_api_key_and_shutdown_finishing_in_flight_requests(adapters):
    with Server(api_key="s3cret", max_wait_ms=400) as srv:
        body = {"adapter": adapters[0], "inputs": [{"text": TEXTS[0]}]}
        assert httpx.post(srv.url + "/v1/predict", json=body).status_code == 401
        assert httpx.get(srv.url + "/health").status_code == 200  # health needs no key
        headers = {"X-API-Key": "s3cret"}
        assert httpx.post(srv.url + "/v1/predict", json=body, headers=headers).status_code == 200
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(
                httpx.post, srv.url + "/v1/predict", json=body, headers=headers, timeout=30
            )
            time.sleep(0.1)  # the request now waits in the batcher's 400 ms window
            srv.server.should_exit = True
            assert pending.result().status_code == 200


def test_serve_refuses_a_bad_port_in_one_line(capsys):
    from vadapt.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["serve", "--port", "70000"])
        raise SystemExit(0)
    assert exc.value.code == 2
    assert "--port 70000: out of range" in capsys.readouterr().err


def test_name_at_alias_is_served_and_a_moved_alias_is_followed(adapters, capsys):
    from vadapt.cli import main
    from vadapt.engine.load import predict

    name, first = adapters[0].split("@")
    with pytest.raises(SystemExit) as exc:
        main(["registry", "alias", adapters[0], "champion", "--protect"])
        raise SystemExit(0)
    assert (exc.value.code or 0) == 0 and "protected" in capsys.readouterr().out
    body = {"adapter": f"{name}@champion", "inputs": [{"text": TEXTS[0]}]}
    with Server() as srv, httpx.Client(base_url=srv.url) as http:
        assert http.post("/v1/predict", json=body).json()["adapter"] == adapters[0]
        from vadapt.engine import adapt  # the alias moves to a retrained version

        cfg = base_config(epochs=2, lr=3e-2, seed=9)
        cfg["output"]["name"] = name
        newer = adapt(cfg, progress=False).ref
        with pytest.raises(SystemExit) as exc:
            main(["registry", "alias", newer, "champion", "--force", "--reason", "retrained"])
            raise SystemExit(0)
        assert (exc.value.code or 0) == 0
        out = http.post("/v1/predict", json=body).json()
        assert out["adapter"] == newer and out["outputs"][0]["scores"] == pytest.approx(
            predict(newer, body["inputs"])[0]["scores"], abs=1e-5
        )
    with pytest.raises(SystemExit):
        main(["registry", "history", name])
        raise SystemExit(0)
    lines = capsys.readouterr().out.splitlines()
    assert "retrained" in lines[-1] and lines[-1].split()[1:4] == ["champion", first, newer[-1]]
