"""``vadapt serve``: the registry's adapters over HTTP (FastAPI on uvicorn).

Endpoints (JSON unless said otherwise)::

    GET  /health                        {"status": "ok", "resident": n} (no key needed)
    GET  /v1/adapters                   what the registry holds and what is resident
    POST /v1/predict                    {"adapter": "name@v", "inputs": [{...}, ...]}
    POST /v1/adapters/{ref}/load        make an adapter resident now
    POST /v1/adapters/{ref}/unload      drop it
    GET  /metrics                       Prometheus text format

Underneath is one :class:`vadapt.serving.AdapterPool` (shared base models, LRU-capped
residency) and a :class:`vadapt.serving.batcher.Batcher` that answers concurrent
requests for one adapter in one pass. Errors are one JSON object ``{"error": ..., "fix":
...}``: an unknown adapter is 404, a bad input 422 (FastAPI names the field of a
malformed body), a body over the size cap 413, a missing or wrong API key 401, an adapter
whose files fail their hashes 500 — for that adapter only; the others keep answering.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from vadapt_registry.errors import (
    CorruptAdapter,
    IncompatibleBaseModel,
    InvalidConfig,
    InvalidName,
    NotFound,
    VadaptError,
)

MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_INPUTS = 1024
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STATUS = {
    NotFound: 404,
    InvalidName: 404,
    InvalidConfig: 422,
    IncompatibleBaseModel: 409,
    CorruptAdapter: 500,
}


@dataclass(frozen=True)
class ServeConfig:
    max_resident: int = 8
    max_batch: int = 32
    max_wait_ms: float = 0.0
    max_body_bytes: int = MAX_BODY_BYTES
    api_key: str | None = None
    calibrated: bool = False
    threads: int | None = None


def status_of(exc: Exception) -> int:
    for cls, code in STATUS.items():
        if isinstance(exc, cls):
            return code
    return 500


@dataclass
class Service:
    """What the routes share: the pool, the batcher, the metrics, and ``run`` — a blocking
    call on the one serving thread."""

    pool: Any
    batcher: Any
    metrics: Metrics
    worker: ThreadPoolExecutor

    async def run(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.worker, fn, *args)


def create_app(registry: Any = None, config: ServeConfig | None = None, pool: Any = None) -> Any:
    """The FastAPI application (``uvicorn.run(create_app(...))`` serves it)."""
    from vadapt.serving.batcher import Batcher
    from vadapt.serving.pool import AdapterPool

    cfg = config or ServeConfig()
    pool = pool or AdapterPool(
        registry, max_resident=cfg.max_resident, threads=cfg.threads, calibrated=cfg.calibrated
    )
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vadapt-serve")
    svc = Service(pool, None, Metrics(pool), worker)
    svc.batcher = Batcher(
        pool.predict, svc.run, max_batch=cfg.max_batch, max_wait_ms=cfg.max_wait_ms
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        worker.shutdown(wait=True)  # uvicorn has let in-flight requests finish by now
        pool.close()

    app = FastAPI(
        title="vadapt", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.state.pool, app.state.batcher, app.state.metrics = pool, svc.batcher, svc.metrics
    app.add_middleware(BodyLimit, max_bytes=cfg.max_body_bytes)
    guarded = [Depends(_error_handlers(app, cfg))]
    _registry_routes(app, svc, guarded)
    _predict_route(app, svc, guarded)
    return app


def _error_handlers(app: FastAPI, cfg: ServeConfig) -> Any:
    """vadapt errors and a wrong key as ``{"error", "fix"}``; the key check to depend on."""

    @app.exception_handler(VadaptError)
    async def vadapt_error(_request: Request, exc: VadaptError) -> JSONResponse:
        return JSONResponse({"error": exc.message, "fix": exc.fix}, status_code=status_of(exc))

    @app.exception_handler(Unauthorized)
    async def unauthorized(_request: Request, _exc: Unauthorized) -> JSONResponse:
        body = {"error": "missing or wrong API key", "fix": "send the header X-API-Key: <key>"}
        return JSONResponse(body, status_code=401)

    def key_check(request: Request) -> None:
        if cfg.api_key is None:
            return
        given = request.headers.get("x-api-key") or request.headers.get("authorization", "")
        if given.removeprefix("Bearer ").strip() != cfg.api_key:
            raise Unauthorized()

    return key_check


def _registry_routes(app: FastAPI, svc: Service, guarded: list[Any]) -> None:
    """/health, /v1/adapters, load and unload, /metrics."""
    pool = svc.pool

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "resident": len(pool.resident())}

    @app.get("/v1/adapters", dependencies=guarded)
    async def adapters() -> dict[str, Any]:
        rows = await svc.run(pool.registry.summaries)
        listed = [
            {"ref": f"{r.name}@{r.version}", "task": r.task, "method": r.method,
             "backbone": r.backbone, "created": r.created}
            for r in rows
        ]  # fmt: skip
        return {"adapters": listed, "resident": pool.resident()}

    @app.post("/v1/adapters/{ref}/load", dependencies=guarded)
    async def load(ref: str) -> dict[str, Any]:
        key = await svc.run(pool.load, ref)
        return {"adapter": key, "resident": pool.resident()}

    @app.post("/v1/adapters/{ref}/unload", dependencies=guarded)
    async def unload(ref: str) -> dict[str, Any]:
        key = await svc.run(pool.resolve, ref)
        dropped = await svc.run(pool.evict, key)
        return {"adapter": key, "unloaded": dropped, "resident": pool.resident()}

    @app.get("/metrics", dependencies=guarded)
    async def prometheus() -> PlainTextResponse:
        text, content_type = svc.metrics.render()
        return PlainTextResponse(text, media_type=content_type)


def _predict_route(app: FastAPI, svc: Service, guarded: list[Any]) -> None:
    """/v1/predict through the batcher, observed by the metrics."""

    @app.post("/v1/predict", dependencies=guarded)
    async def predict(body: PredictBody) -> dict[str, Any]:
        t0 = time.perf_counter()
        key = "<unresolved>"  # a user's string becomes a label only if it is resident
        try:
            key = await svc.run(svc.pool.resolve, body.adapter)
            outputs = await svc.batcher.submit(key, body.inputs)
        except Exception as exc:
            label = key if key in svc.pool.resident() else "<not resident>"
            svc.metrics.observe(label, status_of(exc), time.perf_counter() - t0)
            raise
        svc.metrics.observe(key, 200, time.perf_counter() - t0)
        return {"adapter": key, "outputs": outputs}


class Unauthorized(Exception):
    pass


class PredictBody(BaseModel):
    """``POST /v1/predict``: one adapter, one or more inputs (each like a JSONL line of
    ``vadapt predict``)."""

    model_config = ConfigDict(extra="forbid")
    adapter: str = Field(min_length=1, max_length=200, description="name or name@version")
    inputs: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_INPUTS)


class Metrics:
    """Prometheus counters: requests by adapter and status, a latency histogram, resident
    adapters, loads and evictions (read from the pool's own counters)."""

    def __init__(self, pool: Any) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        self.requests = Counter(
            "vadapt_requests", "predict requests", ["adapter", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "vadapt_request_seconds", "predict latency", buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )  # fmt: skip
        gauges = {
            "vadapt_resident_adapters": ("adapters resident now", lambda: len(pool.resident())),
            "vadapt_adapter_loads": ("adapters loaded since start", lambda: pool.stats.loads),
            "vadapt_adapter_evictions": ("adapters evicted", lambda: pool.stats.evictions),
            "vadapt_bases_loaded": ("base models loaded", lambda: pool.stats.bases_loaded),
        }
        for name, (doc, read) in gauges.items():
            Gauge(name, doc, registry=self.registry).set_function(read)

    def observe(self, adapter: str, status: int, seconds: float) -> None:
        self.requests.labels(adapter=adapter, status=str(status)).inc()
        self.latency.observe(seconds)

    def render(self) -> tuple[str, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry).decode("utf-8"), CONTENT_TYPE_LATEST


class BodyLimit:
    """ASGI middleware: a request body over ``max_bytes`` (declared or streamed) is 413."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        seen = 0

        async def counted() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge()
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._too_large(send)

    async def _too_large(self, send: Any) -> None:
        body = json.dumps(
            {"error": f"request body over {self.max_bytes} bytes",
             "fix": "send fewer inputs per request, or start the server with --max-body-bytes"}
        ).encode()  # fmt: skip
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
