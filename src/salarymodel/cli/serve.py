"""``salarymodel serve``: the salary page and the JSON API over HTTP (uvicorn).

Needs the web extra: ``pip install ".[web]"``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import stat
import sys
import tempfile
from pathlib import Path

from ..web.settings import BODY_SECONDS, HEADER_SECONDS, MAX_CONNECTIONS
from .prog import prog

__all__ = ["build_parser", "main"]

# A server's private copy of its model: <temp>/salarymodel-serve-<pid>-<random>.
SNAPSHOT_PREFIX = "salarymodel-serve-"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog("salarymodel serve"),
        description="Serve the salary page (/) and the JSON API (/api/v1/..., docs at /docs) over HTTP.",
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help="model folder (default: the rule every command follows: $SALARYMODEL_MODEL_DIR, "
        "else ./models if it holds a model, else the model shipped in the package)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes, each loading the model once (default 1)")
    parser.add_argument(
        "--allowed-hosts",
        default=None,
        help="comma-separated Host names to answer, e.g. salary.example.org (default: this "
        "machine's names when listening on a loopback address, else any; '*' for any)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=MAX_CONNECTIONS,
        help=f"open connections per worker before new ones are answered 503 (default {MAX_CONNECTIONS})",
    )
    parser.add_argument(
        "--header-timeout",
        type=float,
        default=HEADER_SECONDS,
        metavar="SECONDS",
        help=f"close a connection whose request headers take longer (default {HEADER_SECONDS:g})",
    )
    parser.add_argument(
        "--body-timeout",
        type=float,
        default=BODY_SECONDS,
        metavar="SECONDS",
        help=f"answer 408 to a request whose body takes longer (default {BODY_SECONDS:g})",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    if not 0 < args.port < 65536 or args.workers < 1:
        print("error: --port must be in 1..65535 and --workers at least 1.", file=sys.stderr)
        return 2
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        print('error: serving needs the web extra: pip install "salarymodel[web]" (or ".[web]" in a checkout).', file=sys.stderr)
        return 2
    from ..web.settings import Limits, loopback_hosts
    from .predict import load_for_cli

    if args.max_connections < 1 or not 0 < args.header_timeout <= 3600 or not 0 < args.body_timeout <= 3600:
        print(
            "error: --max-connections must be at least 1, and --header-timeout and --body-timeout between 0 and "
            "3600 seconds (above 0).",
            file=sys.stderr,
        )
        return 2
    limits = Limits(args.header_timeout, args.body_timeout, args.max_connections)
    hosts = (
        [h.strip() for h in args.allowed_hosts.split(",") if h.strip()]
        if args.allowed_hosts is not None
        else loopback_hosts(args.host)
    )
    problem = _port_problem(args.host, args.port)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    model = load_for_cli(args.model)  # fails here, once, with the reason, before any worker starts
    # Every worker loads one private copy of this version: a retraining of the folder,
    # or a worker restarted while it is mid-change, cannot mix versions (restart to update).
    _remove_stale_snapshots(Path(tempfile.gettempdir()))
    snapshot = Path(tempfile.mkdtemp(prefix=f"{SNAPSHOT_PREFIX}{os.getpid()}-"))
    # uvicorn re-raises the stop signal once it has shut down; as SystemExit it passes
    # through the cleanup below instead of ending the process with the copy left behind.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        return _serve(args, model, snapshot, limits, hosts)
    finally:
        shutil.rmtree(snapshot, ignore_errors=True)


def _serve(args, model, snapshot: Path, limits, hosts) -> int:
    from ..serving.model_io.folder import snapshot_model_folder
    from ..serving.model_io.paths import MODEL_DIR_ENV
    from ..web.settings import ALLOWED_HOSTS_ENV, LIMITS_ENV
    from .predict import load_for_cli

    version = model.core.metadata.version
    snapshot_model_folder(model.folder, snapshot)
    del model
    served = load_for_cli(snapshot)
    if served.core.metadata.version != version:
        print("error: the model folder changed while the server started; start it again.", file=sys.stderr)
        return 2
    del served
    os.environ[MODEL_DIR_ENV] = str(snapshot)
    # Every worker reads the same limits and hosts from its environment.
    os.environ[LIMITS_ENV] = limits.to_env()
    if hosts:
        os.environ[ALLOWED_HOSTS_ENV] = ",".join(hosts)
    else:
        os.environ.pop(ALLOWED_HOSTS_ENV, None)
    import uvicorn

    print(f"salarymodel: serving http://{args.host}:{args.port}/ (API docs at /docs); Ctrl+C stops", file=sys.stderr)
    uvicorn.run(
        "salarymodel.web.app:app_factory",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        http="salarymodel.web.limits:GuardedH11Protocol",
        timeout_keep_alive=5,
        h11_max_incomplete_event_size=16 * 1024,
    )
    return 0


def _exit_on_signal(number: int, frame) -> None:
    raise SystemExit(128 + number)


def _remove_stale_snapshots(temp: Path) -> None:
    """Remove the model copies of servers that were killed (kill -9 runs no cleanup).

    Only this user's directories, named with a process id that no longer runs, are
    removed; a link or a live server's copy is left alone.
    """
    if os.name != "posix":
        return  # os.kill(pid, 0) asks "is it alive?" only on POSIX
    try:
        entries = list(temp.glob(f"{SNAPSHOT_PREFIX}*-*"))
    except OSError:
        return
    for entry in entries:
        pid_text = entry.name[len(SNAPSHOT_PREFIX) :].split("-", 1)[0]
        if not pid_text.isdigit() or int(pid_text) <= 0:
            continue
        try:
            info = entry.lstat()
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
                continue
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            shutil.rmtree(entry, ignore_errors=True)
        except (OSError, OverflowError):
            continue  # alive under another user, or unreadable: not ours to judge


def _port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on ``host:port`` (tried before saying it serves), or None."""
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as error:
        return (
            f"cannot listen on {host}:{port} ({error.strerror or error}): another program may be using the "
            "port; pass --port with a free one, or --host with an address of this machine."
        )
    return None
