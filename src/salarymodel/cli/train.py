"""``salarymodel train`` / ``python -m salarymodel.train``: options and messages.

The run itself is :func:`salarymodel.pipeline.train`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import FiguresError, ModelSwitchedError
from ..pipeline import DEFAULT_DATA_OUT, DEFAULT_OUT, train
from ..serving.model_io.paths import CARD_FILE, TRAINING_SET_FILE
from ..training.engineers import DEFAULT_ROWS_PER_COUNTRY
from ..training.posterior import PosteriorDiagnosticsError
from .options import with_option
from .prog import prog

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog("python -m salarymodel.train"),
        description="Train the salary model from reported figures and write it with its model card.",
    )
    parser.add_argument(
        "--figures", type=Path, default=None, help="figures CSV (default: the shipped data/raw/reported_figures.csv)"
    )
    parser.add_argument(
        "--rows",
        type=int,
        default=DEFAULT_ROWS_PER_COUNTRY,
        help=f"synthetic engineers per country written beside the model and held out for its coverage check "
        f"(default {DEFAULT_ROWS_PER_COUNTRY}); the regression learns from every posterior draw",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="model folder (default ./models)")
    parser.add_argument(
        "--wage-index",
        type=Path,
        default=None,
        metavar="FILE",
        help="your own wage-index table (the shipped wage_index.csv's columns), e.g. with rows for a "
        "country you added; needed to serve it in any money but the reference date's",
    )
    parser.add_argument("--cpi", type=Path, default=None, metavar="FILE", help="your own consumer-price table")
    parser.add_argument("--aliases", type=Path, default=None, metavar="FILE", help="your own company-alias table")
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="DIR",
        help="a folder holding any of wage_index.csv, cpi.csv, company_aliases.csv (the named "
        "options win; missing tables are the shipped ones)",
    )
    parser.add_argument(
        "--records",
        type=Path,
        default=None,
        metavar="FILE",
        help="individual salaries (columns country, years, company, salary, currency, year, pay, "
        "source) that enter the measurement model beside the figures, each source a "
        "population with its own offset",
    )
    parser.add_argument(
        "--compare", action="store_true", help="also compare the model families and record it in the model card (slower)"
    )
    parser.add_argument(
        "--validate",
        action="store_true",
        help="also leave each figure and each source out and record it in the model card, where "
        "'python -m salarymodel.evaluate' reads it (minutes)",
    )
    parser.add_argument(
        "--data-out",
        type=Path,
        default=None,
        help="folder for a copy of the synthetic training set, training_set.csv (default: "
        "./data/processed for the default ./models, else none: every model folder keeps its "
        "own training set)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.data_out is None and args.out == DEFAULT_OUT:
        args.data_out = DEFAULT_DATA_OUT
    try:
        result = train(
            args.figures,
            rows_per_country=args.rows,
            seed=args.seed,
            out=args.out,
            data_out=args.data_out,
            compare=args.compare,
            validate=args.validate,
            quiet=True,
            # Each stage as it starts, on standard error: a long run shows where it is.
            progress=lambda stage: print(stage, file=sys.stderr, flush=True),
            wage_index=args.wage_index,
            cpi=args.cpi,
            aliases=args.aliases,
            data_dir=args.data,
            records=args.records,
        )
    except FiguresError as error:
        print(f"error: {error.problems.__len__()} problem(s) in {error.path}; nothing was written:", file=sys.stderr)
        for problem in error.problems[: error.SHOWN]:
            print(f"  {problem}", file=sys.stderr)
        if len(error.problems) > error.SHOWN:
            print(f"  and {len(error.problems) - error.SHOWN:,} more problem(s) like these", file=sys.stderr)
        return 2
    except (ValueError, PosteriorDiagnosticsError, ModuleNotFoundError) as error:
        print(f"error: {with_option(error)} Nothing was written.", file=sys.stderr)
        return 2
    except ModelSwitchedError as error:  # after the switch: the new model serves, one file is missing
        print(f"error: {error.strerror}.", file=sys.stderr)
        return 2
    except OSError as error:  # a full or read-only disk mid-write: the previous model is still whole
        print(
            f"error: could not write the model ({error.strerror or error}: {error.filename or args.out}). The "
            f"previous model in {args.out}, if any, is unchanged.",
            file=sys.stderr,
        )
        return 2
    print(result.summary())
    copy = f" and a copy of the training set in {args.data_out / TRAINING_SET_FILE}" if args.data_out else ""
    print(f"Wrote the model into {args.out} ({CARD_FILE} names its data, training and training-set files){copy}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
