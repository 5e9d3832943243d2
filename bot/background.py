"""Work that goes on after a request is answered, on a pool of threads that can be waited for.

A request is answered as soon as its answer is known; what it still has to do and that
waits on something slow (another server, the disk under load) is handed here. The pool is
one of the core's services: stopping it lets what was handed over finish first, and the
offline shell waits for it after each request so that it can show everything the request did.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

THREADS = 16  # enough that slow work (uploads, a busy database) never queues behind itself
STOP_SECONDS = 10.0  # how long stopping waits for work already handed over


class Background:
    """A thread pool that knows how much work is still pending, and can wait until none is."""

    def __init__(self, threads: int = THREADS):
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="after-ack")
        self._idle = threading.Condition()
        self._pending = 0

    def submit(self, work: Callable[[], object], on_error: Callable[[Exception], None]) -> None:
        """Run ``work`` on the pool; if it raises, ``on_error`` gets the exception (and must not raise)."""
        with self._idle:
            self._pending += 1
        try:
            self._pool.submit(self._run, work, on_error)
        except RuntimeError:  # stopped: nothing more is taken
            self._done()
            raise

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no work is pending (including work that pending work hands over);
        False if ``timeout`` seconds passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def start(self) -> None:
        """Nothing to start: threads begin with the first piece of work."""

    def stop(self) -> None:
        """Let pending work finish (up to :data:`STOP_SECONDS`), then take no more."""
        if not self.wait(STOP_SECONDS):
            log.warning("stopping with work still running after %s s", STOP_SECONDS)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, work: Callable[[], object], on_error: Callable[[Exception], None]) -> None:
        try:
            work()
        except Exception as error:
            try:
                on_error(error)
            except Exception:  # the report itself failed: say so, never lose the thread
                log.exception("could not report a failure in background work")
        finally:
            self._done()

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            if self._pending == 0:
                self._idle.notify_all()
