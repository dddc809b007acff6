"""Django's WSGI application under the ASGI server: a2wsgi, with fewer trips between threads.

a2wsgi runs the WSGI application in a pool of threads, and the thread waits for the event loop
for every piece of the request body it reads and every message of the response it writes (start,
body, end): four to six waits a request, each a wake-up of the other thread under the GIL. Here:

- a body of declared length up to PREREAD_BYTES is read by the event loop before the thread
  starts, and the thread reads it from memory; a longer one (a zone import, a scan) streams as
  a2wsgi streams it;
- a response stays in the thread until it ends, and the event loop sends it; past HOLD_BYTES (a
  file, an export) it streams from there on, as a2wsgi streams it.
"""

from __future__ import annotations

import contextvars
import functools
import io

from a2wsgi.wsgi import Body, WSGIMiddleware, WSGIResponder, build_environ

PREREAD_BYTES = 1 << 20
HOLD_BYTES = 1 << 20


def _declared_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return 0 if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE") else None


class Responder(WSGIResponder):
    """One request: a2wsgi's responder, reading ahead and holding the response back."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.held: list | None = []  # None once the response streams
        self.held_bytes = 0

    def send(self, message) -> None:
        """From the thread: keep the message, unless the response has outgrown HOLD_BYTES."""
        if self.held is None:
            return super().send(message)
        self.held.append(message)
        self.held_bytes += len(message.get("body", b""))
        if self.held_bytes > HOLD_BYTES:
            held, self.held = self.held, None
            for each in held:
                super().send(each)

    async def __call__(self, scope, receive, send) -> None:
        length = _declared_length(scope)
        if length is not None and length <= PREREAD_BYTES:
            chunks, more = [], length > 0
            while more:
                message = await receive()
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            body = io.BytesIO(b"".join(chunks))
        else:
            body = Body(self.loop, receive)
        environ = build_environ(scope, body)
        sender = self.loop.create_task(self.sender(send))
        try:
            run = functools.partial(contextvars.copy_context().run, self.wsgi)
            await self.loop.run_in_executor(self.executor, run, environ, self.start_response)
            for message in self.held or ():
                await self.send_queue.put(message)
            await self.send_queue.put(None)
            await sender
            if self.exc_info is not None:
                raise self.exc_info[0].with_traceback(self.exc_info[1], self.exc_info[2])
        finally:
            if not sender.done():
                sender.cancel()


class Bridge(WSGIMiddleware):
    """a2wsgi's WSGIMiddleware with the responder above for HTTP requests."""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        responder = Responder(self.app, self.executor, self.send_queue_size)
        return await responder(scope, receive, send)
