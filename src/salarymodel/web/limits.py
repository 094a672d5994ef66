"""What one client may cost the server: how long it may take to send a
request, how many connections are held at once, which Host it may name.

uvicorn closes an idle keep-alive connection, but waits forever for the rest
of a request's headers or body, and accepts any number of connections: a few
hundred clients sending a byte now and then would hold the server.
:class:`GuardedH11Protocol` is uvicorn's HTTP/1.1 protocol with three rules
added:

* a request's headers must arrive within ``header_seconds`` of its first
  byte (or of the connection, for a new one), else the connection is closed;
* its body within ``body_seconds`` of its headers, and a little more (the
  batch endpoint answers 408 at ``body_seconds``, so a slow client hears why);
* past ``max_connections`` open connections, a new one is answered 503 and
  closed before anything of it is read.

The limits are :func:`salarymodel.web.settings.limits`, read from the
environment, so every worker process started by ``salarymodel serve`` has
the same ones.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from .settings import limits

__all__ = ["GuardedH11Protocol"]

# The protocol's body deadline is this much after the app's (which answers 408 first).
_BODY_GRACE_SECONDS = 2.0

_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\nretry-after: 1\r\n"
    b"connection: close\r\ncontent-length: 38\r\n\r\nToo many connections; try again soon.\n"
)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with header and body deadlines and a connection cap."""

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting_for: str | None = None
        if len(self.connections) > limits().max_connections:
            transport.write(_BUSY)
            transport.close()
            return
        self._arm("headers", limits().header_seconds)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.IDLE:  # a request's head has begun (or is awaited on a kept-alive connection)
            if self._waiting_for != "headers":
                self._arm("headers", limits().header_seconds)
        elif state is h11.SEND_BODY:
            if self._waiting_for != "body":
                self._arm("body", limits().body_seconds + _BODY_GRACE_SECONDS)
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, what: str, seconds: float) -> None:
        self._disarm()
        self._waiting_for = what
        self._deadline = self.loop.call_later(seconds, self._expired, what)

    def _disarm(self) -> None:
        deadline = getattr(self, "_deadline", None)
        if deadline is not None:
            deadline.cancel()
        self._deadline = self._waiting_for = None

    def _expired(self, what: str) -> None:
        self._deadline = None
        state = self.conn.their_state
        still = (what == "headers" and state is h11.IDLE and (self.cycle is None or self.cycle.response_complete)) or (
            what == "body" and state is h11.SEND_BODY
        )
        if still and not self.transport.is_closing():
            self.logger.warning("Closed a connection whose request %s did not arrive in time.", what)
            self.transport.close()
