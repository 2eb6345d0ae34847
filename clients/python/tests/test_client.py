"""UsageClient against a local HTTP server: batching, retries, the bound, close and exit."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from usage_client import UsageClient, _wire

from conftest import Ingest

A = "a" * 32
B = "b" * 32


def test_events_go_in_batches_of_one_session_marked_as_the_servers(ingest: Ingest) -> None:
    client = UsageClient(ingest.url, "ide", linger=60)
    for i in range(150):
        client.feature(A, "step", {"i": i})
    client.program_run(B, 3, 2.5, 30, False, "?SYNTAX ERROR")
    assert client.close()
    assert ingest.bodies and all(b["_path"] == "/api/v1/events" for b in ingest.bodies)
    assert all(b["_type"] == "application/json" and b["source"] == "server" for b in ingest.bodies)
    assert all(len({e["id"] for e in b["events"]}) == len(b["events"]) for b in ingest.bodies)
    assert all(len(b["events"]) <= 100 for b in ingest.bodies)
    assert all(len({b["session"]}) == 1 for b in ingest.bodies)
    steps = [e["data"]["i"] for b in ingest.bodies if b["session"] == A for e in b["events"]]
    assert steps == list(range(150))
    (run,) = [e for b in ingest.bodies if b["session"] == B for e in b["events"]]
    assert run["type"] == "program_run" and run["error_message"] == "?SYNTAX ERROR"
    assert (run["program_lines"], run["execution_time_ms"], run["lines_executed"]) == (3, 2, 30)
    assert len(set(ingest.stored_ids())) == 151 and client.stats.sent == 151


@pytest.mark.parametrize("status", [429, 503])
def test_a_refused_batch_is_retried_after_retry_after_with_the_same_ids(
    ingest: Ingest, status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[float | None] = []
    real = _wire.retry_delay

    def recording(attempt: int, retry_after: float | None, **kw: Any) -> float:
        asked.append(retry_after)
        return real(attempt, retry_after, **kw)

    monkeypatch.setattr(_wire, "retry_delay", recording)
    ingest.answers = [(status, {"Retry-After": "1"}), (500, {})]
    client = UsageClient(ingest.url, "ide", linger=0, max_backoff=0.05)
    client.feature(A, "save")
    client.feature(A, "load")
    assert client.flush(timeout=30)
    assert [b["_status"] for b in ingest.bodies] == [status, 500, 200]
    ids = [[e["id"] for e in b["events"]] for b in ingest.bodies]
    assert ids[0] == ids[1] == ids[2] and len(ids[0]) == 2
    assert asked == [1.0, None], "the header's delay reached the backoff"
    assert (client.stats.retries, client.stats.sent) == (2, 2)
    client.close()


def test_a_batch_refused_for_good_is_dropped_not_retried(ingest: Ingest) -> None:
    ingest.answers = [(422, {})]
    client = UsageClient(ingest.url, "ide", linger=0)
    client.feature(A, "save")
    assert client.flush(timeout=30)
    client.feature(A, "load")
    assert client.close()
    assert [b["_status"] for b in ingest.bodies] == [422, 200]
    assert (client.stats.rejected, client.stats.sent) == (1, 1)


def test_memory_is_bounded_the_newest_are_dropped_and_close_gives_up(ingest: Ingest) -> None:
    ingest.answers = [(503, {"Retry-After": "60"})] * 1000
    client = UsageClient(ingest.url, "ide", max_queue=10, linger=0)
    for i in range(25):
        client.feature(A, "step", {"i": i})
    assert client.pending == 10
    assert client.stats.dropped_full == 15
    assert not client.close(timeout=0.5)
    assert client.stats.lost_at_close == 10 and client.stats.sent == 0
    sent = {e["data"]["i"] for b in ingest.bodies for e in b["events"]}
    assert sent and sent <= set(range(10)), "the oldest kept, the newest dropped"


def test_close_sends_what_is_queued_without_waiting_for_the_linger(ingest: Ingest) -> None:
    client = UsageClient(ingest.url, "ide", linger=3600)
    for _ in range(5):
        client.program_run(A, 1, 1, 1, True)
    assert client.close(timeout=30)
    assert len(ingest.stored_ids()) == 5 and client.pending == 0
    client.feature(A, "late")  # after close: dropped and counted, not raised
    assert client.stats.dropped_full == 1


def test_nothing_raises_into_the_application() -> None:
    client = UsageClient("http://127.0.0.1:9", "ide", linger=0, max_backoff=0.01)
    client.feature("not-a-session", "x")
    client.feature(A, "Bad Name")
    client.feature(A, "x", {"k": object()})
    client.feature(A, "x", "not a dict")  # type: ignore[arg-type]
    client.program_run(A, -1, 1, 1, True)
    client.program_run(A, "many", 1, 1, True)  # type: ignore[arg-type]
    client.program_run(None, 1, 1, 1, True)  # no session: nothing to report
    assert client.stats.invalid == 6 and client.pending == 0
    client.feature(A, "x")  # the aggregator is unreachable: retried until close gives up
    assert not client.close(timeout=0.3)
    assert client.stats.lost_at_close == 1 and client.stats.retries >= 1
    with pytest.raises(ValueError):
        UsageClient("http://127.0.0.1:9", "Not A Site")


def test_the_asyncio_api_never_blocks_the_event_loop(ingest: Ingest) -> None:
    # The server holds the request until a coroutine on the loop releases it: were aflush()
    # to block the loop, that coroutine could never run and the flush would time out.
    ingest.hold.clear()

    async def main() -> tuple[bool, bool]:
        client = UsageClient(ingest.url, "ide", linger=0)
        client.feature(A, "save")

        async def release() -> None:
            while not ingest.bodies and client.pending:
                await asyncio.sleep(0.01)
                if client.stats.sent == 0:
                    ingest.hold.set()

        flushed, _ = await asyncio.gather(client.aflush(timeout=20), release())
        return flushed, await client.aclose()

    assert asyncio.run(main()) == (True, True)
    assert len(ingest.stored_ids()) == 1


def test_what_is_queued_at_interpreter_exit_is_sent(ingest: Ingest) -> None:
    script = textwrap.dedent(f"""
        from usage_client import UsageClient
        client = UsageClient({ingest.url!r}, "ide", linger=3600)
        for _ in range(3):
            client.feature({A!r}, "exit")
        # no close(): the atexit hook flushes
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert len(ingest.stored_ids()) == 3
