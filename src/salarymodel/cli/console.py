"""The ``salarymodel`` console script: train, predict, evaluate, benchmark.

Each subcommand takes the same options as its ``python -m salarymodel.<name>``
form; ``salarymodel <command> --help`` lists them.
"""

from __future__ import annotations

import sys

__all__ = ["main"]

_COMMANDS = {
    "train": ("salarymodel.cli.train", "train the model from reported figures and write it with its model card"),
    "predict": ("salarymodel.cli.predict", "estimate one profile (--country/--years) or a CSV (--input/--output)"),
    "ranges": ("salarymodel.cli.ranges", "pay ranges for job postings: minimum, midpoint and maximum per level"),
    "evaluate": ("salarymodel.cli.evaluate", "fidelity, calibration, model comparison and median uncertainty"),
    "serve": ("salarymodel.cli.serve", "the salary page and JSON API over HTTP (needs the web extra)"),
}

_USAGE = """usage: salarymodel <command> [options]

Machine Learning Engineer salary estimates with honest confidence bands.

commands:
{commands}

examples:
  salarymodel train --out models
  salarymodel predict --country Germany --years 5
  salarymodel predict --country India --years 3 --company TCS --explain
  salarymodel predict --input profiles.csv --output estimates.csv
  salarymodel ranges --country Germany --format jsonld
  salarymodel evaluate --json
  salarymodel serve --port 8000

'salarymodel <command> --help' shows a command's options.
"""


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a subcommand; returns its exit code."""
    import importlib

    argv = list(sys.argv[1:] if argv is None else argv)
    commands = "\n".join(f"  {name:<10} {help_text}" for name, (_, help_text) in _COMMANDS.items())
    if not argv:  # a command is required: say so, and fail like argparse does
        print("salarymodel: a command is required\n\n" + _USAGE.format(commands=commands), file=sys.stderr)
        return 2
    if argv[0] in ("-h", "--help"):
        print(_USAGE.format(commands=commands))
        return 0
    if argv[0] in ("-V", "--version"):
        from .. import __version__

        print(f"salarymodel {__version__}")
        return 0
    if argv[0] not in _COMMANDS:
        print(f"salarymodel: unknown command {argv[0]!r}\n\n" + _USAGE.format(commands=commands), file=sys.stderr)
        return 2
    from .prog import run_command

    module = importlib.import_module(_COMMANDS[argv[0]][0])
    sys.argv[0] = f"salarymodel {argv[0]}"
    return run_command(module.main, argv[1:])


if __name__ == "__main__":
    sys.exit(main())
