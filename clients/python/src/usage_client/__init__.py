"""Server-side reporting to the usage aggregator: `UsageClient` queues program runs and feature
events of browser sessions and sends them in batches from a background thread. The NiceGUI
helper lives in `usage_client.nicegui` (needs NiceGUI installed)."""

from ._client import USER_AGENT, Stats, UsageClient, __version__

__all__ = ["UsageClient", "Stats", "USER_AGENT", "__version__"]
