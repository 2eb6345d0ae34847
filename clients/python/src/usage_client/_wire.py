"""The pure part of the client: events as the aggregator's ingest API wants them (docs/api.md),
which events go in one batch, and how long to wait before a retry. No I/O, no threads."""

from __future__ import annotations

import json
import random
import re
import secrets
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

#: At most this many events in one batch (the aggregator's limit).
MAX_EVENTS = 100
#: The aggregator refuses offsets above a week: an event older than that can never be sent.
MAX_OFFSET_MS = 7 * 24 * 3600 * 1000
MAX_FEATURE_DATA_BYTES = 2048
MAX_ERROR_CHARS = 500
MAX_COUNT = 1_000_000_000
MAX_PROGRAM_LINES = 1_000_000
#: Marks a batch as sent by a server on behalf of a browser session (docs/api.md): the
#: aggregator takes no visitor identity from it.
SOURCE = "server"

_NAME = re.compile(r"[a-z0-9_.:-]{1,64}")
_SESSION = re.compile(r"[0-9a-f]{32}")


class InvalidEvent(ValueError):
    """An event the aggregator would refuse (422): dropped at once, never sent."""


@dataclass(frozen=True)
class Event:
    """One queued event: its session, its body fields and when it happened (monotonic ms)."""

    session: str
    #: The client's own counter: increasing in the order it created its events (the browser's
    #: events of the same session count on their own; the aggregator only stores `seq`).
    seq: int
    at_ms: int
    fields: dict[str, Any]
    id: str = field(default_factory=lambda: secrets.token_hex(16))


def is_name(text: object) -> bool:
    return isinstance(text, str) and _NAME.fullmatch(text) is not None


def is_session_id(text: object) -> bool:
    return isinstance(text, str) and _SESSION.fullmatch(text) is not None


def _count(name: str, value: object, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidEvent(f"{name} must be a number")
    number = int(round(value))
    if not 0 <= number <= maximum:
        raise InvalidEvent(f"{name} must be 0 ..= {maximum}")
    return number


def program_run_fields(
    program_lines: int,
    execution_time_ms: float,
    lines_executed: int,
    success: bool,
    error: str | None,
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "type": "program_run",
        "program_lines": _count("program_lines", program_lines, MAX_PROGRAM_LINES),
        "execution_time_ms": _count("execution_time_ms", execution_time_ms, MAX_COUNT),
        "lines_executed": _count("lines_executed", lines_executed, MAX_COUNT),
        "success": bool(success),
    }
    if error is not None:
        fields["error_message"] = str(error)[:MAX_ERROR_CHARS]
    return fields


def feature_fields(name: str, data: dict[str, Any] | None) -> dict[str, Any]:
    if not is_name(name):
        raise InvalidEvent("feature name must match [a-z0-9_.:-]{1,64}")
    fields: dict[str, Any] = {"type": "feature", "name": name}
    if data is not None:
        if not isinstance(data, dict):
            raise InvalidEvent("feature data must be a dict (a JSON object)")
        try:
            text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        except (TypeError, ValueError) as e:
            raise InvalidEvent(f"feature data is not JSON: {e}") from None
        if len(text.encode()) > MAX_FEATURE_DATA_BYTES:
            raise InvalidEvent(f"feature data over {MAX_FEATURE_DATA_BYTES} bytes")
        fields["data"] = json.loads(text)
    return fields


def take_batch(queue: deque[Event], limit: int = MAX_EVENTS) -> list[Event]:
    """Removes and returns up to `limit` events of the session of the oldest queued event, in
    queue order (a batch holds one session's events); the other events keep their order."""
    if not queue:
        return []
    session = queue[0].session
    batch: list[Event] = []
    rest: list[Event] = []
    while queue and len(batch) < limit:
        event = queue.popleft()
        (batch if event.session == session else rest).append(event)
    queue.extendleft(reversed(rest))
    return batch


def batch_body(site: str, events: list[Event], now_ms: int) -> bytes:
    """The request body of one session's batch, timed at `now_ms` (monotonic): offsets count from
    the batch's oldest event, so `t <= sent` holds and the aggregator dates each event
    (receive time − (sent − t)) right however long the batch waited. Built again for every
    attempt, with the same event ids."""
    origin = min(e.at_ms for e in events)
    sent = max(0, now_ms - origin)
    body = {
        "site": site,
        "session": events[0].session,
        "sent": sent,
        "source": SOURCE,
        "events": [
            {"id": e.id, "seq": e.seq, "t": e.at_ms - origin, **e.fields}
            for e in events
        ],
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def is_expired(event: Event, now_ms: int) -> bool:
    """Older than the aggregator accepts: it would refuse the batch (422)."""
    return now_ms - event.at_ms > MAX_OFFSET_MS


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A `Retry-After` header's delay: delta-seconds or an HTTP date; None when absent or bad."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def retry_delay(
    attempt: int,
    retry_after: float | None,
    base: float = 0.5,
    cap: float = 30.0,
    jitter: random.Random | None = None,
) -> float:
    """Seconds to wait before retry number `attempt` (1, 2, ...): exponential backoff with full
    jitter up to `cap`, never earlier than the server's `Retry-After` (itself capped at 10 × cap
    so a wrong header cannot park the client for hours)."""
    rng = jitter or random
    backoff = min(cap, base * 2.0 ** min(attempt - 1, 30))
    delay: float = backoff / 2 + rng.random() * backoff / 2
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap * 10))
    return delay


def should_retry(status: int | None) -> bool:
    """None: no answer (network error, timeout). A 4xx other than 408 and 429 will never be
    accepted (docs/api.md); everything else is worth another try."""
    if status is None:
        return True
    if 200 <= status < 300:
        return False
    return status in (408, 429) or status >= 500
