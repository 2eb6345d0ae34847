"""UsageClient: queues events without blocking, and a background thread sends them in batches,
retrying with backoff (honouring `Retry-After`) until they are stored or the client is closed."""

from __future__ import annotations

import asyncio
import atexit
import logging
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass
from typing import Any

from . import _wire
from ._wire import Event, InvalidEvent

log = logging.getLogger("usage_client")

__version__ = "0.1.0"
USER_AGENT = f"usage-client-python/{__version__}"


@dataclass
class Stats:
    """What happened to the events given to the client."""

    #: Events the aggregator acknowledged (stored, or dropped by its own choice: 202).
    sent: int = 0
    #: Events refused at once because the queue was full (the newest are dropped: what is
    #: queued already keeps its place, so an outage loses its end, not its beginning).
    dropped_full: int = 0
    #: Events refused before queueing: invalid values the aggregator would refuse too.
    invalid: int = 0
    #: Events the aggregator refused for good (a 4xx other than 408/429) or that waited past
    #: the week it accepts.
    rejected: int = 0
    #: Events still unsent when `close()` gave up waiting.
    lost_at_close: int = 0
    #: Attempts that failed and were retried.
    retries: int = 0


def _now_ms() -> int:
    return time.monotonic_ns() // 1_000_000


class UsageClient:
    """Reports program runs and feature events of browser sessions from the server.

    Every method returns at once and never raises: a failure is logged (logger
    ``usage_client``) and counted in :attr:`stats`. Calls are safe from any thread and from
    asyncio code (enqueueing only takes a lock held for a list append)."""

    def __init__(
        self,
        endpoint: str,
        site: str,
        *,
        max_queue: int = 10_000,
        linger: float = 1.0,
        timeout: float = 10.0,
        max_backoff: float = 30.0,
        close_timeout: float = 5.0,
    ) -> None:
        if not _wire.is_name(site):
            raise ValueError("site must match [a-z0-9_.:-]{1,64}")
        self.url = endpoint.rstrip("/") + "/api/v1/events"
        self.site = site
        self.max_queue = max(1, max_queue)
        self.linger = linger
        self.timeout = timeout
        self.max_backoff = max_backoff
        self.close_timeout = close_timeout
        self.stats = Stats()
        self._queue: deque[Event] = deque()
        self._in_flight = 0
        self._seq = 0
        self._cond = threading.Condition()
        self._closing = False
        self._close_deadline = 0.0
        self._hurry = False
        self._worker = threading.Thread(target=self._run, name="usage-client", daemon=True)
        self._worker.start()
        atexit.register(self._at_exit)

    # -- reporting --------------------------------------------------------------------------

    def program_run(
        self,
        session_id: str | None,
        program_lines: int,
        execution_time_ms: float,
        lines_executed: int,
        success: bool,
        error: str | None = None,
    ) -> None:
        """Queues one program run of the browser session `session_id` (None: nothing to
        report, e.g. the page's tracker is off or opted out)."""
        self._enqueue(
            session_id,
            lambda: _wire.program_run_fields(
                program_lines, execution_time_ms, lines_executed, success, error
            ),
        )

    def feature(
        self, session_id: str | None, name: str, data: dict[str, Any] | None = None
    ) -> None:
        """Queues one use of feature `name` (with optional JSON object `data`, at most 2 KiB)."""
        self._enqueue(session_id, lambda: _wire.feature_fields(name, data))

    def _enqueue(self, session_id: str | None, fields: Any) -> None:
        try:
            if session_id is None:
                return
            if not _wire.is_session_id(session_id):
                raise InvalidEvent("session id must be 32 lowercase hex digits")
            body = fields()
            with self._cond:
                if self._closing:
                    log.warning("usage_client: event after close() dropped")
                    self.stats.dropped_full += 1
                    return
                if len(self._queue) + self._in_flight >= self.max_queue:
                    self.stats.dropped_full += 1
                    if self.stats.dropped_full == 1 or self.stats.dropped_full % 1000 == 0:
                        log.warning(
                            "usage_client: queue full (%d events): newest dropped, %d so far",
                            self.max_queue,
                            self.stats.dropped_full,
                        )
                    return
                self._queue.append(Event(session_id, self._seq, _now_ms(), body))
                self._seq = (self._seq + 1) % 2**32
                self._cond.notify()
        except InvalidEvent as e:
            self.stats.invalid += 1
            log.warning("usage_client: event dropped: %s", e)
        except Exception:  # never into the application
            self.stats.invalid += 1
            log.exception("usage_client: event dropped")

    # -- flushing and closing ---------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Events queued or being sent."""
        with self._cond:
            return len(self._queue) + self._in_flight

    def flush(self, timeout: float | None = None) -> bool:
        """Sends what is queued now, without lingering; waits until nothing is pending or
        `timeout` seconds passed (None: no limit). True when nothing is pending. Blocks the
        calling thread: from asyncio code use :meth:`aflush`."""
        try:
            deadline = None if timeout is None else time.monotonic() + timeout
            with self._cond:
                self._hurry = True
                self._cond.notify_all()
                try:
                    while self._queue or self._in_flight:
                        left = None if deadline is None else deadline - time.monotonic()
                        if (left is not None and left <= 0) or not self._worker.is_alive():
                            return False
                        self._cond.wait(left)
                    return True
                finally:
                    self._hurry = False
        except Exception:
            log.exception("usage_client: flush failed")
            return False

    def close(self, timeout: float | None = None) -> bool:
        """Stops taking events, sends what is pending (retrying until `timeout`, by default
        `close_timeout` seconds) and stops the worker. True when everything was sent; what is
        left is counted in ``stats.lost_at_close``. Called at interpreter exit as well."""
        try:
            timeout = self.close_timeout if timeout is None else timeout
            lost_before = self.stats.lost_at_close
            with self._cond:
                if not self._closing:
                    self._closing = True
                    self._close_deadline = time.monotonic() + timeout
                self._cond.notify_all()
            self._worker.join(timeout + 1)
            atexit.unregister(self._at_exit)
            with self._cond:
                left = len(self._queue) + self._in_flight
                if left and not self._worker.is_alive():
                    self.stats.lost_at_close += len(self._queue)
                    self._queue.clear()
                lost = self.stats.lost_at_close - lost_before
            if left or lost:
                log.warning("usage_client: %d events unsent at close", left + lost)
            return not (left or lost)
        except Exception:
            log.exception("usage_client: close failed")
            return False

    async def aflush(self, timeout: float | None = None) -> bool:
        """:meth:`flush` in a worker thread: the event loop keeps running meanwhile."""
        return await asyncio.to_thread(self.flush, timeout)

    async def aclose(self, timeout: float | None = None) -> bool:
        """:meth:`close` in a worker thread: the event loop keeps running meanwhile."""
        return await asyncio.to_thread(self.close, timeout)

    def _at_exit(self) -> None:
        self.close()

    # -- the worker -------------------------------------------------------------------------

    def _closing_expired(self) -> bool:
        return self._closing and time.monotonic() >= self._close_deadline

    def _next_batch(self) -> list[Event] | None:
        """Waits for events (and lingers so that more join them), then takes one batch. None
        when the client is closed and nothing is left."""
        with self._cond:
            while not self._queue or self._closing_expired():
                if self._closing_expired():
                    self.stats.lost_at_close += len(self._queue)
                    self._queue.clear()
                if self._closing:
                    return None
                self._cond.wait()
            if not (self._closing or self._hurry) and len(self._queue) < _wire.MAX_EVENTS:
                self._cond.wait_for(
                    lambda: self._closing or self._hurry or len(self._queue) >= _wire.MAX_EVENTS,
                    self.linger,
                )
            now = _now_ms()
            batch = [e for e in _wire.take_batch(self._queue) if not self._expire(e, now)]
            self._in_flight = len(batch)
            return batch

    def _expire(self, event: Event, now: int) -> bool:
        if _wire.is_expired(event, now):
            self.stats.rejected += 1
            return True
        return False

    def _run(self) -> None:
        while True:
            try:
                batch = self._next_batch()
                if batch is None:
                    return
                if batch:
                    self._deliver(batch)
            except Exception:
                log.exception("usage_client: worker error")
            finally:
                with self._cond:
                    self._in_flight = 0
                    self._cond.notify_all()

    def _deliver(self, batch: list[Event]) -> None:
        """Sends one batch until it is acknowledged, refused for good, or the close deadline
        passes."""
        attempt = 0
        while True:
            status, retry_after = self._post(_wire.batch_body(self.site, batch, _now_ms()))
            if not _wire.should_retry(status):
                with self._cond:
                    if status is not None and 200 <= status < 300:
                        self.stats.sent += len(batch)
                    else:
                        self.stats.rejected += len(batch)
                        log.warning("usage_client: batch refused (%s), dropped", status)
                return
            attempt += 1
            delay = _wire.retry_delay(attempt, retry_after, cap=self.max_backoff)
            with self._cond:
                self.stats.retries += 1
                if self._closing:
                    delay = min(delay, self._close_deadline - time.monotonic())
                    if delay <= 0:
                        self.stats.lost_at_close += len(batch)
                        return
                # close() cuts a wait short: one more attempt at once, then waits that end by
                # its deadline.
                was_closing = self._closing
                self._cond.wait_for(lambda: self._closing != was_closing, delay)

    def _post(self, body: bytes) -> tuple[int | None, float | None]:
        """One attempt: the answer's status and `Retry-After` (None, None: no answer)."""
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                answer.read()
                return answer.status, None
        except urllib.error.HTTPError as e:
            retry_after = _wire.retry_after_seconds(e.headers.get("Retry-After"))
            e.close()
            return e.code, retry_after
        except (OSError, ValueError) as e:
            log.info("usage_client: aggregator unreachable: %s", e)
            return None, None
