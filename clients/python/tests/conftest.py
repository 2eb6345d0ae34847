"""A small local ingest server for the tests: records every request body and answers from a
script of (status, headers) the test sets; 200 once the script is used up."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest


class Ingest:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.answers: list[tuple[int, dict[str, str]]] = []
        self.hold = threading.Event()
        self.hold.set()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stored_ids(self) -> list[str]:
        """Ids of the events of the batches answered 200."""
        with self.lock:
            return [e["id"] for b in self.bodies if b["_status"] == 200 for e in b["events"]]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        ingest = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                ingest.hold.wait(30)
                with ingest.lock:
                    status, headers = ingest.answers.pop(0) if ingest.answers else (200, {})
                    body["_status"] = status
                    body["_path"] = self.path
                    body["_type"] = self.headers["Content-Type"]
                    ingest.bodies.append(body)
                payload = json.dumps({"stored": len(body["events"])}).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def close(self) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def ingest() -> Iterator[Ingest]:
    server = Ingest()
    yield server
    server.close()
