"""Dynamic micro-batching: concurrent requests for one adapter answered in one pass.

Each adapter gets a queue and, while it has requests, one worker. The worker takes the
first waiting request, then every other request already waiting for that adapter (the
ones that arrived while the model was busy) up to ``max_batch`` inputs — and, with
``max_wait_ms`` > 0, waits that long for more before running — and answers them with one
``AdapterPool.predict`` call on the serving thread; each request gets its own slice back.
A lone request is thus answered at once, and under load batches fill by themselves. If
the joint call fails (one request's bad input, a corrupt adapter), every request in the
batch is answered alone, so one bad request never fails another. ``max_batch = 1`` turns
batching off.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Pending:
    inputs: list[dict[str, Any]]
    done: asyncio.Future[list[dict[str, Any]]]


@dataclass
class Batcher:
    """``await batcher.submit(key, inputs)`` -> the outputs of ``predict(key, inputs)``."""

    predict: Callable[[str, list[dict[str, Any]]], list[dict[str, Any]]]
    run: Callable[..., Any]  # runs a blocking call off the event loop: (fn, *args) -> awaitable
    max_batch: int = 32
    max_wait_ms: float = 0.0
    batches: int = 0
    _queues: dict[str, asyncio.Queue[_Pending]] = field(default_factory=dict)
    _workers: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    async def submit(self, key: str, inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self.max_batch <= 1:
            self.batches += 1
            return await self.run(self.predict, key, inputs)
        done: asyncio.Future[list[dict[str, Any]]] = asyncio.get_running_loop().create_future()
        queue = self._queues.setdefault(key, asyncio.Queue())
        await queue.put(_Pending(inputs, done))
        if key not in self._workers or self._workers[key].done():
            self._workers[key] = asyncio.create_task(self._drain(key, queue))
        return await done

    async def _drain(self, key: str, queue: asyncio.Queue[_Pending]) -> None:
        while not queue.empty():
            batch = [queue.get_nowait()]
            size = len(batch[0].inputs)
            deadline = asyncio.get_running_loop().time() + self.max_wait_ms / 1000
            while size < self.max_batch:
                if not queue.empty():  # arrived while the model was busy: join now
                    nxt = queue.get_nowait()
                else:
                    left = deadline - asyncio.get_running_loop().time()
                    if left <= 0:
                        break
                    try:
                        nxt = await asyncio.wait_for(queue.get(), left)
                    except TimeoutError:
                        break
                batch.append(nxt)
                size += len(nxt.inputs)
            await self._answer(key, batch)

    async def _answer(self, key: str, batch: list[_Pending]) -> None:
        self.batches += 1
        joint = [x for p in batch for x in p.inputs]
        try:
            outputs = await self.run(self.predict, key, joint)
        except Exception as exc:
            if len(batch) == 1:
                if not batch[0].done.done():
                    batch[0].done.set_exception(exc)
                return
            for p in batch:  # answer each alone: a failure belongs to its own request
                await self._alone(key, p)
            return
        start = 0
        for p in batch:
            if not p.done.done():
                p.done.set_result(outputs[start : start + len(p.inputs)])
            start += len(p.inputs)

    async def _alone(self, key: str, p: _Pending) -> None:
        try:
            result = await self.run(self.predict, key, p.inputs)
        except Exception as exc:
            if not p.done.done():
                p.done.set_exception(exc)
            return
        if not p.done.done():
            p.done.set_result(result)
