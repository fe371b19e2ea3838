"""Renders off the event loop: a pool of warm worker processes, started once.

The bot process never imports matplotlib: a map goes to a worker as JSON text and comes back as
bytes. Workers fork from a fork server that has already imported the renderers, warm their font
caches in the initializer, and are replaced after `max_tasks_per_child` renders so a slow leak
in a C extension cannot grow without bound.

The pool heals itself:
- Jobs wait in the pool's own first-come-first-served queue until a worker is free, so the
  executor only ever holds as many jobs as there are workers. The timeout therefore measures
  the render itself, never the wait in the queue, and `waiting()` (or a job's `on_wait`
  callback) tells how many jobs are ahead: "drawing your map, 3 ahead of you".
- A render that overruns its timeout raises `RenderTimeout`; the pool then retires its
  processes (killing the stuck one after a grace period) and serves the next render from
  fresh ones.
- A worker that dies (`kill -9`, the OOM killer) breaks a `ProcessPoolExecutor` for good
  (`BrokenProcessPool` for every later job): the pool replaces the broken executor and runs
  the job once more, whether the worker died idle or under this very job. A job that breaks
  the fresh executor too is not tried a third time.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import select
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from flows.model import JourneyMap
from renderers.document import Checklist

if TYPE_CHECKING:  # the bot process never imports matplotlib (renderers.image does)
    from renderers.pictures import MapPictures, PhotoLimits

WORKER_MODULE = "renderers.worker"
log = logging.getLogger(__name__)

# Told how many jobs are queued ahead of this one when it has to wait for a worker
# (0: it starts as soon as a worker is free).
OnWait = Callable[[int], object]


class RenderTimeout(TimeoutError):
    pass


class _Slots:
    """At most `size` jobs in the workers; the others wait here, first come first served.

    Lives on whichever event loop is running when a job waits (one loop at a time)."""

    def __init__(self, size: int) -> None:
        self.free = size
        self.running = 0
        self.queue: deque[asyncio.Future[None]] = deque()

    def waiting(self) -> int:
        return sum(1 for f in self.queue if not f.done())

    async def acquire(self, on_wait: OnWait | None) -> None:
        if self.free > 0 and not self.waiting():
            self.free -= 1
            self.running += 1
            return
        ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.queue.append(ticket)
        if on_wait is not None:
            try:
                on_wait(self.waiting() - 1)
            except Exception:  # a caller's notice must not cost the render
                log.exception("on_wait callback failed")
        try:
            await ticket
        except asyncio.CancelledError:
            if ticket.done() and not ticket.cancelled():  # handed a worker, then cancelled
                self.release()
            else:
                ticket.cancel()
            raise

    def release(self) -> None:
        self.running -= 1
        while self.queue:
            ticket = self.queue.popleft()
            if not ticket.done():
                self.running += 1
                ticket.set_result(None)
                return
        self.free += 1


def _call(name: str, *args: Any) -> Any:
    """Runs in the worker: looks the function up there, so this module never imports it."""
    import importlib

    return getattr(importlib.import_module(WORKER_MODULE), name)(*args)


def _warm_up(owner_pid: int) -> None:
    # Ctrl-C in a terminal reaches the whole process group: the owner stops the pool itself,
    # so a worker interrupted mid-render would only print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
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
        self._slots = _Slots(workers)
        self.replaced = 0  # broken executors replaced so far (for monitoring and tests)

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
        """Start every worker now and wait until each is warm, rather than on the first map.
        They are launched from a thread: starting a worker waits until the fork server has
        imported matplotlib (a second or more), and the event loop goes on meanwhile."""
        executor = self.executor

        def launch() -> list[Future[Any]]:
            # Submitted together, each call finds no idle worker and starts a new one.
            return [executor.submit(_call, "process_id") for _ in range(self.workers)]

        calls = await asyncio.to_thread(launch)
        await asyncio.gather(*(asyncio.wrap_future(call) for call in calls))

    def worker_pids(self) -> list[int]:
        """The worker processes' ids (for monitoring and tests)."""
        executor = self._executor
        return sorted(getattr(executor, "_processes", {}) or {}) if executor else []

    def waiting(self) -> int:
        """How many jobs wait for a worker right now (not counting the ones being drawn)."""
        return self._slots.waiting()

    def running(self) -> int:
        """How many jobs the workers are drawing right now."""
        return self._slots.running

    async def call(self, name: str, *args: Any, on_wait: OnWait | None = None) -> Any:
        """Run `renderers.worker.<name>(*args)` in a worker. The job waits its turn first
        (`on_wait(ahead)` is called if it has to); the timeout starts when a worker takes it.
        A broken pool is replaced and the job run once more (see the module's docstring)."""
        await self._slots.acquire(on_wait)
        try:
            try:
                return await self._run(name, args)
            except BrokenProcessPool:
                log.warning("render worker died during %s; replacing the pool, trying again", name)
                return await self._run(name, args)
        finally:
            self._slots.release()

    async def _run(self, name: str, args: tuple[Any, ...]) -> Any:
        loop = asyncio.get_running_loop()
        executor = self.executor
        try:
            future = loop.run_in_executor(executor, _call, name, *args)
        except BrokenProcessPool:  # a worker died while the pool was idle
            self._replace(executor)
            raise
        try:
            return await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            self._retire(executor)
            raise RenderTimeout(f"{name} took longer than {self.timeout:g} s") from None
        except BrokenProcessPool:
            self._replace(executor)
            raise

    def _replace(self, executor: ProcessPoolExecutor) -> None:
        """A broken executor serves nothing any more: the next job gets a fresh one."""
        if self._executor is executor:
            self._executor = None
            self.replaced += 1
            executor.shutdown(wait=False, cancel_futures=True)

    async def render(
        self,
        journey_map: JourneyMap | str,
        fmt: str,
        *,
        lang: str | None = None,
        checklist: Checklist = None,
        on_wait: OnWait | None = None,
    ) -> bytes:
        """The map (a JourneyMap or its JSON) exported to `fmt`, see renderers.export."""
        text = journey_map if isinstance(journey_map, str) else journey_map.to_json()
        return await self.call("render_job", text, fmt, lang, checklist, on_wait=on_wait)

    async def pictures(
        self,
        journey_map: JourneyMap | str,
        limits: PhotoLimits,
        *,
        lang: str | None = None,
        on_wait: OnWait | None = None,
    ) -> MapPictures:
        """The map's photo(s) and full-resolution PNG from one drawing, see
        `renderers.image.render_pictures`."""
        text = journey_map if isinstance(journey_map, str) else journey_map.to_json()
        return await self.call("pictures_job", text, lang, limits, on_wait=on_wait)

    async def compare(
        self, before: JourneyMap, after: JourneyMap, lang: str | None, labels: tuple[str, str]
    ) -> bytes:
        """Both maps' emotion curves in one PNG, see renderers.compare."""
        return await self.call(
            "compare_job", before.to_json(), after.to_json(), lang, labels[0], labels[1]
        )

    async def matrix(
        self, journey_map: JourneyMap, rated: list, numbers: dict[str, int], lang: str | None
    ) -> bytes:
        """The priority matrix of the map's rated opportunities, see renderers.matrix."""
        return await self.call("matrix_job", journey_map.to_json(), rated, numbers, lang)

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
