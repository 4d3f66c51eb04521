"""Serving the app: one process, or several worker processes sharing one listening socket.

The work per message is CPU in Python (search, routing, XML), and one Python process uses
one core; with BANSHI_WORKERS=N a machine answers with N cores. Workers share nothing in
memory: dialogue state, WeChat dedup, the access token, reminders and records all live
in the database or Redis, built for several instances from the start. The parent binds
the socket once (a taken port fails before anything forks), forks the workers, restarts
one that dies, and passes SIGTERM/SIGINT on so every worker shuts down gracefully.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from types import FrameType

from aiohttp import web
from aiohttp.web_runner import GracefulExit

from adapters.settings import Settings

log = logging.getLogger("banshi.server")

QUICK_EXIT = 10.0  # a worker that dies this soon after starting is failing, not crashing
MAX_QUICK_EXITS = 3  # in a row: give up instead of restarting forever


def serve(settings: Settings, make_app: Callable[[Settings], web.Application]) -> int:
    sock = socket.create_server((settings.host, settings.port), backlog=2048)
    log.info(f"serving on http://{settings.host}:{settings.port}/ (web chat at /, WeChat at /wechat)",
             extra={"workers": settings.workers})
    if settings.workers == 1:
        _run(make_app(settings), sock)
        return 0
    return _Supervisor(settings, make_app, sock).run()


def _event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where it is installed (Linux, macOS): the same code, less CPU per request."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _run(app: web.Application, sock: socket.socket) -> None:
    loop = _event_loop()
    for stop in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop, _shut_down_once, loop)
    web.run_app(
        app,
        sock=sock,
        access_log=None,
        shutdown_timeout=10,
        loop=loop,
        handle_signals=False,
        print=lambda text: log.debug(text.strip()),
    )


def _shut_down_once(loop: asyncio.AbstractEventLoop) -> None:
    """Begin the graceful shutdown; later stop signals are ignored, not allowed to cut it
    short (systemd signals every process of the unit, and the supervisor passes one on too:
    a second GracefulExit in the middle of cleanup would lose the transcript's last batch)."""
    for stop in (signal.SIGTERM, signal.SIGINT):
        loop.remove_signal_handler(stop)
        signal.signal(stop, signal.SIG_IGN)
    raise GracefulExit()


class _Supervisor:
    def __init__(self, settings: Settings, make_app: Callable[[Settings], web.Application], sock: socket.socket):
        self.settings, self.make_app, self.sock = settings, make_app, sock
        self.children: dict[int, tuple[int, float]] = {}  # pid → (slot, started at)
        self.stopping = False
        self.failed = False

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._stop)  # before any fork: no worker is ever orphaned
        signal.signal(signal.SIGINT, self._stop)
        for slot in range(self.settings.workers):
            self._start(slot)
        quick_exits = 0
        while self.children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            slot, started = self.children.pop(pid, (-1, 0.0))
            if slot < 0:
                continue
            code = os.waitstatus_to_exitcode(status)
            if self.stopping:
                self.failed |= code != 0
                continue
            quick_exits = quick_exits + 1 if time.monotonic() - started < QUICK_EXIT else 0
            if quick_exits >= MAX_QUICK_EXITS:
                log.error("workers keep failing at start; stopping", extra={"exit_code": code})
                self.failed = True
                self._stop(signal.SIGTERM, None)
                continue
            log.error("worker died; starting another", extra={"pid": pid, "slot": slot, "exit_code": code})
            time.sleep(0.5 * quick_exits)
            if not self.stopping:  # a stop may have come during the pause
                self._start(slot)
        self.sock.close()
        log.info("all workers stopped")
        return 1 if self.failed else 0

    def _start(self, slot: int) -> None:
        # Signals wait while forking, so the new worker never runs the supervisor's handler.
        stops = {signal.SIGTERM, signal.SIGINT}
        signal.pthread_sigmask(signal.SIG_BLOCK, stops)
        pid = os.fork()
        if pid == 0:  # the worker: its own event loop, app, engine and connections
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.setpgid(0, 0)  # a terminal's Ctrl-C reaches the supervisor only, which passes it on once
            signal.pthread_sigmask(signal.SIG_UNBLOCK, stops)
            code = 0
            try:
                log.info("worker starting", extra={"slot": slot})
                _run(self.make_app(self.settings), self.sock)
            except BaseException:
                log.exception("worker failed")
                code = 1
            finally:
                with contextlib.suppress(Exception):
                    logging.shutdown()
                os._exit(code)
        self.children[pid] = (slot, time.monotonic())
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stops)

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        """Pass the first stop signal on; a second one must not cut workers' shutdown short."""
        if self.stopping:
            return
        self.stopping = True
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
