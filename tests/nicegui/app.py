"""A minimal NiceGUI IDE wired to the usage tracker exactly as docs/integration.md (section 4)
shows, for the end-to-end test tests/tests/nicegui.rs. Environment: USAGE_HOST (the
aggregator), PORT (this app's), USAGE_TAG_EXTRA (attributes added to the tag: the test's fast
heartbeat)."""
import json
import os

from nicegui import app, ui

USAGE_HOST = os.environ["USAGE_HOST"]
EXTRA = os.environ.get("USAGE_TAG_EXTRA", "")

ui.add_head_html(
    f'<script type="module" src="{USAGE_HOST}/usage/usage.js" data-site="ide" {EXTRA}></script>',
    shared=True,   # every page
)


def report_program_run(lines: int, ms: float, executed: int, error: str | None) -> None:
    run = {"programLines": lines, "executionTimeMs": ms, "linesExecuted": executed,
           "success": error is None}
    if error is not None:
        run["error"] = error
    # Fire and forget: the tracker never throws, and there is no result to wait for.
    ui.run_javascript(f"window.usage && window.usage.programRun({json.dumps(run)})")


def report_feature(name: str, data: dict | None = None) -> None:
    ui.run_javascript(f"window.usage && window.usage.feature({json.dumps(name)}, {json.dumps(data)})")


@ui.page("/")
def index() -> None:
    editor = ui.codemirror("10 PRINT \"HELLO\"", language="basic")

    def run() -> None:
        lines = [l for l in editor.value.splitlines() if l.strip()]
        error = next((f"?SYNTAX ERROR IN {i + 1}" for i, l in enumerate(lines) if "ERROR" in l), None)
        report_program_run(len(lines), 1.5, len(lines), error)

    def run_error() -> None:
        editor.value = "10 PRINT \"HI\"\n20 ERROR"
        run()

    ui.button("Run", on_click=run)
    ui.button("Run broken", on_click=run_error)
    ui.button("Debug", on_click=lambda: report_feature("debugger", {"breakpoints": 0}))


ui.run(host="127.0.0.1", port=int(os.environ["PORT"]), reload=False, show=False, title="ide")
