"""Command line for pay ranges: ``salarymodel ranges``."""

from __future__ import annotations

import argparse
import csv
import json
import sys

from ..errors import ModelIntegrityError, ModelVersionError
from .options import with_option
from .prog import prog

__all__ = ["build_parser", "main"]

_COLUMNS = ("level", "years_min", "years_max", "minimum", "midpoint", "maximum", "currency", "as_of", "support", "sources")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog("salarymodel ranges"),
        description="Pay ranges for job postings: per level, the minimum, midpoint and maximum of ML engineers' "
        "annual base salary (by default the 25th, 50th and 75th percentiles of each level's years).",
        epilog="Examples:\n  salarymodel ranges --country Germany\n"
        "  salarymodel ranges --country India --company TCS --levels 0-4,4-8,8-15 --format json\n"
        "  salarymodel ranges --country US --spread 10,90 --format jsonld > ranges.jsonld\n\n"
        "Written to standard output: redirect it to a file. jsonld is a list of schema.org\n"
        "MonetaryAmountDistribution objects (10th-90th percentiles) a job board can read.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--country", required=True, help="country name or ISO code, e.g. Germany, DE, USA, india")
    parser.add_argument("--company", default=None, help="employer (optional); unknown ones give the market")
    parser.add_argument(
        "--levels",
        default=None,
        metavar="A-B,C-D,...",
        help="year ranges of your levels, e.g. 0-3,3-7,7-12 (default: entry, mid, senior, lead)",
    )
    parser.add_argument("--target", type=float, default=50.0, help="percentile of the midpoint, default 50")
    parser.add_argument(
        "--spread", default="25,75", metavar="LOW,HIGH", help="percentiles of the minimum and maximum, default 25,75"
    )
    parser.add_argument("--currency", default=None, help="ISO currency code (default: the country's own)")
    parser.add_argument("--as-of", default=None, metavar="DATE", help="date whose money to use (default: today)")
    parser.add_argument(
        "--population",
        default=None,
        metavar="NAME",
        help="answer as this population (a source of records the model was trained with) sees the market",
    )
    parser.add_argument("--format", choices=("csv", "json", "jsonld"), default="csv", help="output format")
    parser.add_argument("--model", default=None, help="model folder (default: the one rule of 'predict')")
    return parser


def _spread(text: str) -> tuple[float, float]:
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise ValueError(
            f"The '--spread' option takes two percentiles separated by a comma (e.g. 25,75). Got {text!r} instead."
        ) from None
    return low, high


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    from pathlib import Path

    from ..serving.pay_ranges import json_ld, parse_levels, schema_org
    from .predict import load_for_cli

    args = build_parser().parse_args(argv)
    try:
        model = load_for_cli(Path(args.model) if args.model else None)
        levels = parse_levels(args.levels)
        answers = model.ranges(
            args.country,
            args.company,
            levels=levels,
            target=args.target,
            spread=_spread(args.spread),
            currency=args.currency,
            as_of=args.as_of,
            population=args.population,
        )
    except (ValueError, TypeError, ModelIntegrityError, ModelVersionError) as error:
        print(f"error: {with_option(error)}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps([answer.to_dict() for answer in answers], indent=1))
    elif args.format == "jsonld":
        print(json_ld([schema_org(answer) for answer in answers]))
    else:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(_COLUMNS)
        for answer in answers:
            row = answer.to_dict()
            writer.writerow(
                [
                    f"{row[c]:.2f}" if c in ("minimum", "midpoint", "maximum") else " ".join(row[c]) if c == "sources" else row[c]
                    for c in _COLUMNS
                ]
            )
    return 0
