"""The server's limits and allowed hosts, shared by the app and the protocol
through the environment (so every worker process has the same), with no
dependency on the server (uvicorn) itself."""

from __future__ import annotations

import os

__all__ = ["MODEL_THREADS", "Limits", "limits", "LIMITS_ENV", "ALLOWED_HOSTS_ENV", "loopback_hosts", "allowed_hosts"]

HEADER_SECONDS = 10.0
BODY_SECONDS = 30.0
MAX_CONNECTIONS = 256
# SALARYMODEL_SERVER_LIMITS="header_seconds,body_seconds,max_connections", set by `serve`.
LIMITS_ENV = "SALARYMODEL_SERVER_LIMITS"
# Comma-separated Host names the app answers; unset or "*" answers any.
ALLOWED_HOSTS_ENV = "SALARYMODEL_ALLOWED_HOSTS"


# Requests computing at once in one server process: enough to keep two cores busy while
# one thread waits on a socket; dozens would take turns at the GIL and delay /healthz
# (40 at once held its p99 at 420 ms on a loaded 2-core machine).
MODEL_THREADS = 4


class Limits:
    """The server's limits (seconds to send headers, seconds to send a body, open connections)."""

    def __init__(
        self, header_seconds: float = HEADER_SECONDS, body_seconds: float = BODY_SECONDS, max_connections: int = MAX_CONNECTIONS
    ) -> None:
        self.header_seconds, self.body_seconds, self.max_connections = header_seconds, body_seconds, max_connections

    def to_env(self) -> str:
        return f"{self.header_seconds:g},{self.body_seconds:g},{self.max_connections:d}"

    @classmethod
    def from_env(cls, text: str | None) -> Limits:
        if not text:
            return cls()
        header, body, connections = text.split(",")
        return cls(float(header), float(body), int(connections))


_LIMITS: Limits | None = None


def limits() -> Limits:
    """This process's limits (from :data:`LIMITS_ENV`, read once)."""
    global _LIMITS
    if _LIMITS is None:
        _LIMITS = Limits.from_env(os.environ.get(LIMITS_ENV))
    return _LIMITS


def loopback_hosts(host: str) -> list[str] | None:
    """The Host names to allow by default: a server on a loopback address answers
    only names of this machine (a web page elsewhere cannot reach it by DNS
    rebinding); one on another address answers any, unless told."""
    if host in ("127.0.0.1", "localhost", "::1") or host.startswith("127."):
        return ["127.0.0.1", "localhost", host]
    return None


def allowed_hosts() -> list[str] | None:
    """The Host names this process answers (from :data:`ALLOWED_HOSTS_ENV`), None for any."""
    text = os.environ.get(ALLOWED_HOSTS_ENV)
    hosts = [h.strip() for h in text.split(",") if h.strip()] if text else []
    return None if not hosts or "*" in hosts else hosts
