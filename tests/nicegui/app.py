"""A minimal NiceGUI IDE reporting its runs server-side with the Python package
(clients/python), exactly as docs/integration.md (section 4) shows, for the end-to-end test
tests/tests/nicegui.rs. Environment: USAGE_HOST (the aggregator), PORT (this app's),
USAGE_HEARTBEAT_MS (the test's fast heartbeat), USAGE_AUTOMATION ("allow" in the test: it drives
Chromium through WebDriver, whose sessions the aggregator filters otherwise)."""
import asyncio
import os
import time

from nicegui import app, ui

from usage_client import UsageClient
from usage_client.nicegui import add_tracker, current_session_id

USAGE_HOST = os.environ["USAGE_HOST"]   # the aggregator; its CORS allowlist must hold this app's origin

usage = UsageClient(USAGE_HOST, "ide", linger=0.2)   # sends from a background thread
app.on_shutdown(usage.aclose)                        # and at exit, whatever is still queued
test_only = {"automation": os.environ["USAGE_AUTOMATION"]} if "USAGE_AUTOMATION" in os.environ else {}
add_tracker(USAGE_HOST, "ide", heartbeat_interval=os.environ.get("USAGE_HEARTBEAT_MS", 15000), **test_only)


async def interpret(program: str, slow: bool) -> tuple[int, int, str | None]:
    """Stands in for the BASIC interpreter: (program lines, lines executed, error or None)."""
    lines = [line for line in program.splitlines() if line.strip()]
    if slow:
        await asyncio.sleep(3)
    error = next((f"?SYNTAX ERROR IN {i + 1}" for i, l in enumerate(lines) if "ERROR" in l), None)
    return len(lines), len(lines), error


@ui.page("/")
def index() -> None:
    editor = ui.codemirror('10 PRINT "HELLO"', language="basic")
    status = ui.label("idle")

    async def run(slow: bool = False) -> None:
        session = await current_session_id()   # ask while the tab is surely there
        started = time.monotonic()
        status.text = "running"
        lines = executed = 0
        error: str | None = "stopped by user"
        try:
            lines, executed, error = await interpret(editor.value, slow)
        finally:   # every end of a run passes here: report it once, where it ends
            usage.program_run(session, lines, (time.monotonic() - started) * 1000, executed,
                              error is None, error)
            status.text = "idle"

    async def run_broken() -> None:
        editor.value = '10 PRINT "HI"\n20 ERROR'
        await run()

    async def debug() -> None:
        usage.feature(await current_session_id(), "debugger", {"breakpoints": 0})

    ui.button("Run", on_click=run)
    ui.button("Run broken", on_click=run_broken)
    ui.button("Run slow", on_click=lambda: run(slow=True))
    ui.button("Debug", on_click=debug)


ui.run(host="127.0.0.1", port=int(os.environ["PORT"]), reload=False, show=False, title="ide")
