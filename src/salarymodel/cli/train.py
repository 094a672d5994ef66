"""``salarymodel train`` / ``python -m salarymodel.train``: options and messages.

The run itself is :func:`salarymodel.train.train`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import FiguresError
from ..serving.paths import MODEL_FILE, TRAINING_FILE, TRAINING_SET_FILE
from ..train import DEFAULT_DATA_OUT, DEFAULT_OUT, train
from ..training.synthetic import DEFAULT_ROWS_PER_COUNTRY
from ._prog import prog

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog("python -m salarymodel.train"),
        description="Train the salary model from reported figures and write it with its model card.")
    parser.add_argument("--figures", type=Path, default=None,
                        help="figures CSV (default: the shipped data/raw/reported_figures.csv)")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS_PER_COUNTRY,
                        help=f"synthetic rows per country (default {DEFAULT_ROWS_PER_COUNTRY})")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="model folder (default ./models)")
    parser.add_argument("--compare", action="store_true",
                        help="also compare the model families and record it in the model card (slower)")
    parser.add_argument("--data-out", type=Path, default=None,
                        help="folder for the synthetic training set (default: ./data/processed for the default "
                             "./models, else the --out folder, so one model never overwrites another's files)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.data_out is None:
        args.data_out = DEFAULT_DATA_OUT if args.out == DEFAULT_OUT else args.out
    try:
        result = train(args.figures, rows_per_country=args.rows, seed=args.seed, out=args.out, data_out=args.data_out,
                       compare=args.compare, quiet=True)
    except FiguresError as error:
        print(f"error: {error.problems.__len__()} problem(s) in {error.path}; nothing was written:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"error: {error} Nothing was written.", file=sys.stderr)
        return 2
    print(result.summary())
    print(f"Wrote {args.out / MODEL_FILE} (+ {TRAINING_FILE}, .json and .md card) and "
          f"{args.data_out / TRAINING_SET_FILE}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
