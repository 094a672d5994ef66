"""The ``salarymodel`` console script: train, predict, evaluate, benchmark.

``python -m salarymodel <command>`` runs the same commands; ``salarymodel
<command> --help`` lists a command's options.
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

_USAGE = """usage: {prog} <command> [options]

Machine Learning Engineer salary estimates with honest confidence bands.

commands:
{commands}

examples:
  {prog} train --out models
  {prog} predict --country Germany --years 5
  {prog} predict --country India --years 3 --company TCS --explain
  {prog} predict --input profiles.csv --output estimates.csv
  {prog} ranges --country Germany --format jsonld
  {prog} evaluate --json
  {prog} serve --port 8000

'{prog} <command> --help' shows a command's options.
"""


def main(argv: list[str] | None = None, *, prog: str = "salarymodel") -> int:
    """Dispatch to a subcommand; returns its exit code.

    Parameters
    ----------
    argv : list of str, default=None
        The command and its options; ``sys.argv[1:]`` when None.
    prog : str, default="salarymodel"
        How the program was started, as its help and errors name it.
    """
    import importlib

    argv = list(sys.argv[1:] if argv is None else argv)
    commands = "\n".join(f"  {name:<10} {help_text}" for name, (_, help_text) in _COMMANDS.items())
    if not argv:  # a command is required: say so, and fail like argparse does
        print(f"{prog}: a command is required\n\n" + _USAGE.format(commands=commands, prog=prog), file=sys.stderr)
        return 2
    if argv[0] in ("-h", "--help"):
        print(_USAGE.format(commands=commands, prog=prog))
        return 0
    if argv[0] in ("-V", "--version"):
        from .. import __version__

        print(f"salarymodel {__version__}")
        return 0
    if argv[0] not in _COMMANDS:
        print(f"{prog}: unknown command {argv[0]!r}\n\n" + _USAGE.format(commands=commands, prog=prog), file=sys.stderr)
        return 2
    from .prog import run_command

    module = importlib.import_module(_COMMANDS[argv[0]][0])
    sys.argv[0] = f"{prog} {argv[0]}"
    return run_command(module.main, argv[1:])


if __name__ == "__main__":
    sys.exit(main())
