"""The bridge from the ASGI server to Django's WSGI application (eurbanisme.bridge).

Driven by the ASGI messages a server exchanges with it, against small WSGI applications: a body
read ahead or streamed, a response held back or streamed, and the messages in a valid order.
"""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from eurbanisme import bridge


def echo(environ, start_response):
    """Answers the length and SHA-256 of the body it reads, in small reads as Django's parser."""
    digest, length = hashlib.sha256(), 0
    while chunk := environ["wsgi.input"].read(4096):
        digest.update(chunk)
        length += len(chunk)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{length} {digest.hexdigest()}".encode()]


def streaming(environ, start_response):
    """Three pieces of 600 KB: more than the bridge holds back."""
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return (bytes([i]) * 600_000 for i in range(3))


def failing(environ, start_response):
    raise RuntimeError("the application failed")


def call(app, body: bytes = b"", *, chunk: int = 65536, length: bool = True, method="POST"):
    """One request through the bridge; the messages it sent to the server."""
    pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)] or [b""]
    incoming = [
        {"type": "http.request", "body": p, "more_body": i < len(pieces) - 1}
        for i, p in enumerate(pieces)
    ]
    headers = [(b"content-type", b"application/octet-stream")]
    if length:
        headers.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "method": method,
        "path": "/",
        "root_path": "",
        "query_string": b"",
        "http_version": "1.1",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    sent = []

    async def receive():
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    async def run():
        await bridge.Bridge(app, workers=2)(scope, receive, send)

    asyncio.run(run())
    return sent


def _body(sent) -> bytes:
    assert sent[0]["type"] == "http.response.start"
    assert all(m["type"] == "http.response.body" for m in sent[1:])
    assert all(m.get("more_body") for m in sent[1:-1]) and not sent[-1].get("more_body")
    return b"".join(m.get("body", b"") for m in sent[1:])


@pytest.mark.parametrize(
    "size, length",
    [
        (0, True),
        (70_000, True),  # read ahead by the event loop, in several messages
        (bridge.PREREAD_BYTES + 1, True),  # too long to read ahead: streamed to the thread
        (200_000, False),  # no declared length: streamed
    ],
)
def test_the_application_reads_the_whole_body(size, length):
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    sent = call(echo, body, length=length)
    assert sent[0]["status"] == 200
    assert _body(sent) == f"{size} {hashlib.sha256(body).hexdigest()}".encode()


def test_a_small_response_is_sent_whole_after_the_application_returns():
    sent = call(echo, b"abc")
    assert [m["type"] for m in sent] == ["http.response.start"] + ["http.response.body"] * 2


def test_a_response_past_the_hold_limit_streams_in_order():
    sent = call(streaming, method="GET", length=False)
    assert _body(sent) == b"".join(bytes([i]) * 600_000 for i in range(3))


def test_an_application_error_reaches_the_server():
    with pytest.raises(RuntimeError, match="the application failed"):
        call(failing, b"abc")
