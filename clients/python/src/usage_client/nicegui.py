"""NiceGUI integration: the tracker's tag on every page, and the page's tracker session id for
the server, so that the backend reports each run where it ends (docs/integration.md).

    from usage_client import UsageClient
    from usage_client.nicegui import add_tracker, current_session_id

    usage = UsageClient(USAGE_HOST, "ide")
    add_tracker(USAGE_HOST, "ide")

    async def run() -> None:
        session = await current_session_id()   # ask while the tab is there
        ...                                    # the interpreter runs, maybe after the tab left
        usage.program_run(session, lines, ms, executed, error is None, error)

Needs NiceGUI (``pip install usage-client[nicegui]``)."""

from __future__ import annotations

import html
import weakref

from nicegui import Client, context, ui

from ._wire import is_session_id

# Waits for the tracker to load; null when there is none (blocked, opted out, signal honoured).
_SESSION_ID_JS = """(async () => {
  const u = window.usage;
  if (!u) return null;
  try { await u.ready; } catch (e) { return null; }
  return u.sessionId || null;
})()"""

# The last id each page gave: what a run ending after its tab closed is reported under.
_known: weakref.WeakKeyDictionary[Client, str] = weakref.WeakKeyDictionary()


def tracker_tag(host: str, site: str, **attributes: str | int) -> str:
    """The tracker's `<script>` tag: `host` serves `/usage/usage.js`; `attributes` become
    `data-*` options (`heartbeat_interval=2000` gives `data-heartbeat-interval="2000"`)."""
    options = "".join(
        f' data-{html.escape(name.replace("_", "-"))}="{html.escape(str(value))}"'
        for name, value in attributes.items()
    )
    src = html.escape(host.rstrip("/") + "/usage/usage.js")
    return f'<script type="module" src="{src}" data-site="{html.escape(site)}"{options}></script>'


def add_tracker(host: str, site: str, **attributes: str | int) -> None:
    """Adds the tracker's tag to every page of the app (see :func:`tracker_tag`)."""
    ui.add_head_html(tracker_tag(host, site, **attributes), shared=True)


async def current_session_id(client: Client | None = None, timeout: float = 2.0) -> str | None:
    """The tracker session id of the page of `client` (by default the page whose handler is
    running). Asks the browser; when it cannot answer (its tab closed, the page reconnecting),
    the last id it gave. None when the page has no tracker session: then nothing is to be
    reported (`UsageClient` ignores a None session). Never raises."""
    try:
        client = client or context.client
    except Exception:  # outside a page's context
        return None
    try:
        if client.has_socket_connection:
            answer = await client.run_javascript(_SESSION_ID_JS, timeout=timeout)
            if isinstance(answer, str) and is_session_id(answer):
                _known[client] = answer
                return answer
            # None from a page still there: it has no tracker session (NiceGUI also answers
            # None for a page deleted meanwhile, which keeps the last id).
            if answer is None and client.has_socket_connection and not client.is_deleted:
                _known.pop(client, None)
                return None
    except Exception:  # no answer in time, or the connection went away meanwhile
        pass
    return _known.get(client)
