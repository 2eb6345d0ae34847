"""The pure part: batches, bodies, Retry-After and backoff."""

import json
import random
from collections import deque
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import pytest

from usage_client import _wire
from usage_client._wire import Event, InvalidEvent

A = "a" * 32
B = "b" * 32


def event(session: str, seq: int, at: int = 0) -> Event:
    return Event(session, seq, at, {"type": "feature", "name": "x"})


def test_a_batch_holds_one_sessions_events_in_order_and_leaves_the_rest_in_order() -> None:
    queue = deque([event(A, 0), event(B, 1), event(A, 2), event(B, 3), event(A, 4)])
    batch = _wire.take_batch(queue)
    assert [e.seq for e in batch] == [0, 2, 4]
    assert [e.seq for e in queue] == [1, 3]
    queue = deque(event(A, i) for i in range(250))
    assert len(_wire.take_batch(queue)) == 100
    assert len(queue) == 150 and queue[0].seq == 100


def test_the_body_times_events_from_the_oldest_and_marks_the_server() -> None:
    events = [event(A, 7, at=1000), event(A, 8, at=1500)]
    body = json.loads(_wire.batch_body("ide", events, now_ms=4000))
    assert body["source"] == "server"
    assert (body["site"], body["session"], body["sent"]) == ("ide", A, 3000)
    assert [(e["seq"], e["t"]) for e in body["events"]] == [(7, 0), (8, 500)]
    assert all(e["t"] <= body["sent"] for e in body["events"])
    assert len({e["id"] for e in body["events"]}) == 2
    assert all(len(e["id"]) == 32 for e in body["events"])
    # A retry rebuilds the body later with the same ids: exactly once at the aggregator.
    again = json.loads(_wire.batch_body("ide", events, now_ms=9000))
    assert [e["id"] for e in again["events"]] == [e["id"] for e in body["events"]]
    assert again["sent"] == 8000


def test_event_fields_follow_the_api_bounds() -> None:
    run = _wire.program_run_fields(3, 1.6, 30, False, "x" * 600)
    assert run["execution_time_ms"] == 2 and len(run["error_message"]) == 500
    assert "error_message" not in _wire.program_run_fields(1, 1, 1, True, None)
    bad: list[tuple[Any, Any, Any]] = [(-1, 1, 1), (2_000_000, 1, 1), (1, "fast", 1), (1, 1, True)]
    for lines, ms, executed in bad:
        with pytest.raises(InvalidEvent):
            _wire.program_run_fields(lines, ms, executed, True, None)
    assert _wire.feature_fields("debugger", {"b": 1})["data"] == {"b": 1}
    for name, data in [("Debugger", None), ("", None), ("x", {"k": "y" * 3000}),
                       ("x", {"k": object()}), ("x", [1])]:
        with pytest.raises(InvalidEvent):
            _wire.feature_fields(name, data)  # type: ignore[arg-type]


def test_retry_after_is_read_as_seconds_or_a_date() -> None:
    now = datetime(2026, 12, 6, 8, 0, 0, tzinfo=timezone.utc)
    assert _wire.retry_after_seconds("7") == 7.0
    assert _wire.retry_after_seconds(format_datetime(now + timedelta(seconds=20), usegmt=True),
                                     now) == 20.0
    assert _wire.retry_after_seconds(format_datetime(now - timedelta(seconds=20), usegmt=True),
                                     now) == 0.0
    assert _wire.retry_after_seconds("soon") is None
    assert _wire.retry_after_seconds(None) is None


def test_the_delay_backs_off_and_never_undercuts_retry_after() -> None:
    rng = random.Random(1)
    delays = [_wire.retry_delay(n, None, base=1, cap=8, jitter=rng) for n in range(1, 8)]
    assert all(0.5 * min(8, 2 ** (n - 1)) <= d <= min(8, 2 ** (n - 1))
               for n, d in enumerate(delays, 1))
    assert max(delays) <= 8
    assert _wire.retry_delay(1, 12.0, base=1, cap=8, jitter=rng) == 12.0
    assert _wire.retry_delay(1, 10_000.0, base=1, cap=8, jitter=rng) == 80.0


def test_which_answers_are_retried() -> None:
    assert [_wire.should_retry(s) for s in (None, 200, 202, 400, 408, 413, 422, 429, 500, 503)] == [
        True, False, False, False, True, False, False, True, True, True]
