"""Renders off the event loop: a pool of warm worker processes, started once.

The bot process never imports matplotlib: a map goes to a worker as JSON text and comes back as
bytes. Workers fork from a fork server that has already imported the renderers, warm their font
caches in the initializer, and are replaced after `max_tasks_per_child` renders so a slow leak
in a C extension cannot grow without bound. A render that overruns its timeout raises
`RenderTimeout`; the pool then retires its processes (killing the stuck one after a grace
period) and serves the next render from fresh ones.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import select
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from flows.model import JourneyMap
from renderers.document import Checklist

WORKER_MODULE = "renderers.worker"


class RenderTimeout(TimeoutError):
    pass


def _call(name: str, *args: Any) -> Any:
    """Runs in the worker: looks the function up there, so this module never imports it."""
    import importlib

    return getattr(importlib.import_module(WORKER_MODULE), name)(*args)


def _warm_up(owner_pid: int) -> None:
    _exit_with(owner_pid)
    _call("warm_up")


def _exit_with(owner_pid: int) -> None:
    """End this worker when the process that owns the pool dies.

    Workers come from the fork server, not from the owner, and keep the fork server alive:
    a bot killed with SIGKILL would otherwise leave both behind for good."""

    def watch() -> None:
        try:
            pidfd = os.pidfd_open(owner_pid)  # readable once the owner has exited
        except (AttributeError, OSError):
            pidfd = None
        while True:
            if pidfd is not None:
                select.select([pidfd], [], [])
                os._exit(0)
            try:
                os.kill(owner_pid, 0)
            except ProcessLookupError:
                os._exit(0)
            time.sleep(1.0)

    threading.Thread(target=watch, name="exit-with-owner", daemon=True).start()


class RenderPool:
    def __init__(
        self, workers: int = 2, *, timeout: float = 60.0, max_tasks_per_child: int | None = 200
    ) -> None:
        self.workers = workers
        self.timeout = timeout
        self.max_tasks_per_child = max_tasks_per_child
        self._executor: ProcessPoolExecutor | None = None

    def _new_executor(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        # Takes effect when the fork server starts (once per process): workers then fork with
        # matplotlib already imported instead of importing it each.
        context.set_forkserver_preload([WORKER_MODULE])
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=context,
            initializer=_warm_up,
            initargs=(os.getpid(),),
            max_tasks_per_child=self.max_tasks_per_child,
        )

    @property
    def executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = self._new_executor()
        return self._executor

    async def start(self) -> None:
        """Start every worker now and wait until each is warm, rather than on the first map."""
        loop = asyncio.get_running_loop()
        # Submitted together, each call finds no idle worker and starts a new one.
        calls = [
            loop.run_in_executor(self.executor, _call, "process_id") for _ in range(self.workers)
        ]
        await asyncio.gather(*calls)

    def worker_pids(self) -> list[int]:
        """The worker processes' ids (for monitoring and tests)."""
        executor = self._executor
        return sorted(getattr(executor, "_processes", {}) or {}) if executor else []

    async def call(self, name: str, *args: Any) -> Any:
        """Run `renderers.worker.<name>(*args)` in a worker, within the timeout."""
        loop = asyncio.get_running_loop()
        executor = self.executor
        future = loop.run_in_executor(executor, _call, name, *args)
        try:
            return await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            self._retire(executor)
            raise RenderTimeout(f"{name} took longer than {self.timeout:g} s") from None

    async def render(
        self,
        journey_map: JourneyMap | str,
        fmt: str,
        *,
        lang: str | None = None,
        checklist: Checklist = None,
    ) -> bytes:
        """The map (a JourneyMap or its JSON) exported to `fmt`, see renderers.export."""
        text = journey_map if isinstance(journey_map, str) else journey_map.to_json()
        return await self.call("render_job", text, fmt, lang, checklist)

    async def compare(
        self, before: JourneyMap, after: JourneyMap, lang: str | None, labels: tuple[str, str]
    ) -> bytes:
        """Both maps' emotion curves in one PNG, see renderers.compare."""
        return await self.call(
            "compare_job", before.to_json(), after.to_json(), lang, labels[0], labels[1]
        )

    def _retire(self, executor: ProcessPoolExecutor) -> None:
        """Stop sending work to `executor`; renders already running there may finish within
        the grace period, then whatever still runs (the stuck one) is killed."""
        if self._executor is executor:
            self._executor = None
        processes = list(getattr(executor, "_processes", {}).values())  # no public API in 3.11
        executor.shutdown(wait=False, cancel_futures=True)

        def kill() -> None:
            for process in processes:
                if process.is_alive():
                    process.kill()

        asyncio.get_running_loop().call_later(self.timeout, kill)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    async def aclose(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.close)

    async def __aenter__(self) -> RenderPool:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
