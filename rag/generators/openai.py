"""Generator for any OpenAI-compatible chat server (vLLM, Ollama, llama.cpp server, ...).

Why plain httpx and a hand-written SSE reader: the protocol is one POST and ``data:`` lines,
so a client SDK would add a dependency and hide timeouts. Every failure becomes a
``GeneratorError`` that names the base URL; the API key travels only in the Authorization
header and is scrubbed from any server text we echo.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from rag.errors import GeneratorError
from rag.generators.base import Message
from rag.settings import Settings

CONNECT_TIMEOUT_S = 10.0
_SNIPPET = 200


class OpenAIGenerator:
    """``Generator`` speaking ``POST {base_url}/chat/completions`` with ``stream: true``."""

    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None,
                 base_url: str | None = None) -> None:
        self.settings = settings
        self.base_url = (base_url or settings.openai_base_url).rstrip("/")
        self.model = settings.openai_model
        self.name = f"openai:{self.model}"
        t = settings.llm_timeout_s
        self.timeout = httpx.Timeout(t, connect=min(CONNECT_TIMEOUT_S, t))
        self._transport = transport  # tests may inject a mock transport

    def _scrub(self, text: str) -> str:
        key = self.settings.openai_api_key
        return text.replace(key, "***") if key and len(key) >= 4 else text

    def _fail(self, what: str) -> GeneratorError:
        return GeneratorError(self._scrub(f"OpenAI-compatible server at {self.base_url}: {what}"))

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
        }
        if stop:
            body["stop"] = list(stop)
        headers = {"Authorization": f"Bearer {self.settings.openai_api_key}", "Accept": "text/event-stream"}
        url = f"{self.base_url}/chat/completions"
        # one deadline for the whole call: httpx's read timeout restarts on every byte, so a
        # server that streams keep-alives (or a token a minute) would otherwise never time out
        deadline = time.monotonic() + self.settings.llm_timeout_s
        try:
            with (
                httpx.Client(timeout=self.timeout, transport=self._transport) as client,
                client.stream("POST", url, json=body, headers=headers) as resp,
            ):
                if resp.status_code != 200:
                    resp.read()
                    detail = " ".join(resp.text.split())[:_SNIPPET]
                    raise self._fail(f"HTTP {resp.status_code} {resp.reason_phrase}: {detail}")
                yield from self._events(resp, deadline)
        except httpx.ConnectError as exc:
            raise self._fail(f"cannot connect ({exc}); is the server running?") from None
        except (httpx.TimeoutException, TimeoutError):
            raise self._fail(f"no answer within {self.settings.llm_timeout_s:g} s (timeout)") from None
        except httpx.HTTPError as exc:  # a dropped connection is RemoteProtocolError
            raise self._fail(f"{type(exc).__name__}: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise self._fail(f"{type(exc).__name__}: {exc}") from None

    @staticmethod
    def _lines(resp: httpx.Response, deadline: float) -> Iterator[str]:
        """The response's lines, checking the deadline on every chunk received (keep-alives too)."""
        buf = ""
        for text in resp.iter_text():
            if time.monotonic() > deadline:
                raise TimeoutError
            buf += text
            *lines, buf = buf.split("\n")
            yield from (line.rstrip("\r") for line in lines)
        if buf:
            yield buf.rstrip("\r")

    def _events(self, resp: httpx.Response, deadline: float) -> Iterator[str]:
        """Parse SSE ``data:`` lines until ``[DONE]``; other SSE fields are ignored."""
        for line in self._lines(resp, deadline):
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                return
            try:
                event = json.loads(data)
            except json.JSONDecodeError:
                raise self._fail(f"malformed stream event {data[:80]!r}") from None
            if not isinstance(event, dict):
                raise self._fail(f"malformed stream event {data[:80]!r}")
            if "error" in event:
                raise self._fail(f"error in stream: {str(event['error'])[:_SNIPPET]}")
            try:
                choices = event["choices"]
                delta = (choices[0].get("delta") or {}) if choices else {}
                piece = delta.get("content")
            except (KeyError, TypeError, AttributeError, IndexError):
                raise self._fail(f"unexpected stream event {data[:80]!r}") from None
            if isinstance(piece, str) and piece:
                yield piece
