"""A local stand-in for the Perplexity chat-completions API (http.server on 127.0.0.1, ephemeral port).

Tests script the replies (status, JSON or raw body, headers, delay) and read back every request the
client made. Nothing here, nor in any test using it, reaches the internet.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

VALID_KEY = "pplx-test-key-0123456789"


def success_body(content: str = "A mole is a harmless cluster of pigment cells [1].",
                 citations: tuple[str, ...] = ("https://www.nhs.uk/conditions/moles/",
                                               "https://www.aad.org/public/diseases/a-z/moles-overview"),
                 finish_reason: str = "stop", model: str = "sonar") -> dict[str, Any]:
    return {
        "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "model": model,
        "created": 1_763_900_000,
        "object": "chat.completion",
        "choices": [{"index": 0, "finish_reason": finish_reason,
                     "message": {"role": "assistant", "content": content}}],
        "citations": list(citations),
        "search_results": [{"title": f"Source {i + 1}", "url": url, "date": "2025-01-01"}
                           for i, url in enumerate(citations)],
        "usage": {"prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200},
    }


def error_body(message: str, kind: str, code: int) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": code}}


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict → JSON; bytes → sent as is; None → success_body()
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    raw: bytes
    at: float

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


class FakePerplexity:
    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with fake._lock:
                    fake.requests.append(Seen(self.path, dict(self.headers), raw, time.monotonic()))
                    reply = fake.replies.popleft() if fake.replies else Reply()
                if reply.delay_s:
                    fake._release.wait(reply.delay_s)
                if self.path != "/chat/completions":
                    reply = Reply(404, error_body("not found", "not_found", 404))
                elif self.headers.get("Authorization") != f"Bearer {VALID_KEY}" and reply.status == 200:
                    reply = Reply(401, error_body("Invalid API key", "invalid_api_key", 401))
                body = reply.body if reply.body is not None else success_body()
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def queue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def start(self) -> FakePerplexity:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._release.set()  # end any slow reply at once
        self.server.shutdown()
        self.server.server_close()
