"""Slow down password guessing: after each wrong login from one client address, that address
must wait twice as long as before it may try again (the first wait is ``base_s``).

Used for the UI's login form and for the HTTP API's credentials alike. A correct login clears
the address's record. Kept in memory: a restart forgets it, which costs a guesser nothing
they did not already have.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_WAIT_S = 300.0
MAX_CLIENTS = 10_000


class LoginThrottle:
    """Exponential delay per client address after failed logins."""

    def __init__(self, base_s: float = 1.0, max_s: float = MAX_WAIT_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.base_s, self.max_s, self.clock = base_s, max_s, clock
        self._failures: dict[str, tuple[int, float]] = {}  # address -> (failures, may try again at)
        self._lock = threading.Lock()

    def wait_s(self, client: str) -> float:
        """Seconds ``client`` must still wait before its next try (0 when it may try now)."""
        with self._lock:
            _, until = self._failures.get(client, (0, 0.0))
        return max(0.0, until - self.clock())

    def failed(self, client: str) -> float:
        """Record a wrong login; returns the wait it now has to serve."""
        now = self.clock()
        with self._lock:
            n = self._failures.get(client, (0, 0.0))[0] + 1
            wait = min(self.max_s, self.base_s * 2 ** min(n - 1, 30))
            self._failures[client] = (n, now + wait)
            if len(self._failures) > MAX_CLIENTS:  # forget addresses whose wait is long over
                self._failures = {k: v for k, v in self._failures.items() if v[1] + self.max_s > now}
        return wait

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    @staticmethod
    def message(wait: float) -> str:
        return f"too many wrong logins from this address; try again in {math.ceil(wait)} s"


class ThrottledLogin:
    """ASGI middleware: throttles ``POST /login`` (Gradio's login form) by client address.

    A request inside the wait gets 429 without the password being checked; after it, the
    response decides (200: success, anything else: one more failure)."""

    def __init__(self, app: ASGIApp, throttle: LoginThrottle) -> None:
        self.app, self.throttle = app, throttle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or scope.get("path", "").rstrip("/") != "/login":
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown",))[0]
        wait = self.throttle.wait_s(client)
        if wait > 0:
            body = json.dumps({"detail": self.throttle.message(wait)}).encode()
            await send({"type": "http.response.start", "status": 429, "headers": [
                (b"content-type", b"application/json"), (b"retry-after", str(math.ceil(wait)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        status: dict[str, int] = {}

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        if status.get("code") == 200:
            self.throttle.succeeded(client)
        else:
            self.throttle.failed(client)
