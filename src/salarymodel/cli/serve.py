"""``salarymodel serve``: the salary page and the JSON API over HTTP (uvicorn).

Needs the web extra: ``pip install ".[web]"``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ._prog import prog

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog("salarymodel serve"),
        description="Serve the salary page (/) and the JSON API (/api/v1/..., docs at /docs) over HTTP.")
    parser.add_argument("--model", type=Path, default=None,
                        help="model folder (default: the rule every command follows: $SALARYMODEL_MODEL_DIR, "
                             "else ./models if it holds a model, else the per-user cache)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes, each loading the model once (default 1)")
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
        print("error: serving needs the web extra: pip install \"salarymodel[web]\" (or \".[web]\" in a checkout).",
              file=sys.stderr)
        return 2
    from ..serving.paths import MODEL_DIR_ENV
    from .predict import load_for_cli

    model = load_for_cli(args.model)  # fails here, once, with the reason, before any worker starts
    if model.folder is not None:
        os.environ[MODEL_DIR_ENV] = str(model.folder)  # every worker loads this same folder
    del model
    import uvicorn

    print(f"salarymodel: serving http://{args.host}:{args.port}/ (API docs at /docs); Ctrl+C stops", file=sys.stderr)
    uvicorn.run("salarymodel.web.app:app_factory", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_level="warning")
    return 0
